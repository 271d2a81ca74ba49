//! Whom a staff message addresses among the chat's people: the requesters
//! it speaks to, or only colleagues.

use super::text;
use super::{identity, Directory, Message, Person};
use crate::domain::reading::addressed;

/// Who a staff message addresses, among the people of the chat: requesters
/// (their identities) and whether it addresses only colleagues.
pub(super) fn audience(message: &Message, directory: &Directory, people: &[Person]) -> (Vec<String>, bool) {
    let addressed = addressed(&message.text);
    let mut requesters = Vec::new();
    let mut colleagues = 0;
    let mut unknown = 0;
    for id in &message.mentions {
        let who = identity(&message.platform, id);
        if directory.is_staff_anywhere(&who) {
            colleagues += 1;
        } else {
            requesters.push(who);
        }
    }
    let base = |name: &str| -> String {
        name.split(['（', '(', ' ', '/'])
            .next()
            .unwrap_or(name)
            .chars()
            .map(crate::domain::reading::fold)
            .collect()
    };
    // Full names ("林娜，查过了", "阿华收到", "…林娜班车的事我来"): at the
    // start they address anyone, further on only requesters count.
    let folded: String = message.text.chars().map(crate::domain::reading::fold).collect();
    let opening = text::skip_mentions(&folded);
    let sender = sender_identity(message);
    let mut named_at_start = Vec::new();
    let mut named_in_passing = Vec::new();
    for person in people.iter().filter(|p| p.identity != sender) {
        // Chinese names need no folding: compared as they are, unallocated.
        let name = person
            .name
            .split(['（', '(', ' ', '/'])
            .next()
            .unwrap_or_default();
        let chinese =
            name.chars().count() >= 2 && name.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
        if !chinese {
            // "Kelvin 你好，收到。@陆远 …": a first name opening the message
            // addresses that person.
            let first = base(&person.name);
            let opens = first.chars().count() >= 3
                && first
                    .chars()
                    .all(|c| c.is_alphabetic() && !('\u{2E80}'..='\u{9FFF}').contains(&c))
                && opening
                    .strip_prefix(first.as_str())
                    .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()));
            if opens {
                named_at_start.push(person);
            }
            continue;
        }
        if opening.starts_with(name) {
            named_at_start.push(person);
        } else if !person.staff && folded.contains(name) {
            named_in_passing.push(person.identity.clone());
        }
    }
    let mut resolve = |found: Vec<&Person>| {
        if found.is_empty() {
            unknown += 1;
        } else if found.iter().any(|p| !p.staff) {
            requesters.extend(found.iter().filter(|p| !p.staff).map(|p| p.identity.clone()));
        } else {
            colleagues += 1;
        }
    };
    for mention in &addressed.mentions {
        let found = people
            .iter()
            .filter(|p| {
                let name = base(&p.name);
                !name.is_empty()
                    && (name == *mention || mention.starts_with(&name) || name.starts_with(mention.as_str()))
            })
            .collect();
        resolve(found);
    }
    for surname in &addressed.surnames {
        let found = people
            .iter()
            .filter(|p| base(&p.name).starts_with(*surname) && p.identity != sender_identity(message))
            .collect();
        resolve(found);
    }
    for first in &addressed.first_names {
        let found = people
            .iter()
            .filter(|p| base(&p.name).split_whitespace().next() == Some(first.as_str()))
            .collect();
        resolve(found);
    }
    if !named_at_start.is_empty() {
        resolve(named_at_start);
    }
    // "@白露 你先跟卢经理说一声": a message that calls on a colleague and
    // names a requester only in passing talks about them, not to them.
    let calls_colleague = colleagues > 0 && !addressed.mentions.is_empty() && requesters.is_empty();
    // A name further on counts for requesters only: talking about a
    // colleague in passing does not make the message theirs.
    for surname in &addressed.named {
        requesters.extend(
            people
                .iter()
                .filter(|p| {
                    !p.staff && base(&p.name).starts_with(*surname) && p.identity != sender_identity(message)
                })
                .map(|p| p.identity.clone()),
        );
    }
    requesters.extend(named_in_passing);
    requesters.sort();
    requesters.dedup();
    // Mentions of people never seen are colleagues more often than not
    // (a requester is seen when they raise); titled addresses are not.
    let only_colleagues = !addressed.everyone
        && (calls_colleague
            || (requesters.is_empty()
                && (colleagues > 0 || (unknown > 0 && !addressed.mentions.is_empty()))));
    (requesters, only_colleagues)
}

fn sender_identity(message: &Message) -> String {
    identity(&message.platform, &message.sender_id)
}
