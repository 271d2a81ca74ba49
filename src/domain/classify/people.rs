//! The people seen in each chat, learnt from the messages classified: their
//! names, whether they are staff, and when a colleague last called on them.

use super::{identity, Message};
use crate::domain::reading::addressed;
use crate::domain::Timestamp;
use std::collections::HashMap;

/// Someone seen in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `platform:id`.
    pub identity: String,
    /// Their display name as the platform sent it.
    pub name: String,
    pub staff: bool,
}

/// The people seen in each chat (by `platform:chat_id`), learnt from the
/// messages classified: mentions and addresses name people, and the
/// configuration knows only their ids. Kept in memory, at most
/// [`ChatPeople::PER_CHAT`] a chat; after a restart it fills again.
#[derive(Debug, Clone, Default)]
pub struct ChatPeople(std::sync::Arc<std::sync::Mutex<HashMap<String, Roster>>>);

/// One chat's people, and when each was last called on by a colleague.
#[derive(Debug, Clone, Default)]
struct Roster {
    people: std::sync::Arc<Vec<Person>>,
    /// Identity, or `@` name as written, → when a staff member last
    /// `@`-mentioned them (a name: they may not have spoken yet).
    called: HashMap<String, Timestamp>,
}

impl ChatPeople {
    /// People remembered per chat; the least recently seen go first.
    pub const PER_CHAT: usize = 100;

    /// Notes the sender of `message` (and, for staff, whom it calls on) and
    /// returns the chat's people and, for staff, when a colleague last
    /// called on the sender, before this message.
    pub fn see(&self, message: &Message, staff: bool) -> (std::sync::Arc<Vec<Person>>, Option<Timestamp>) {
        let mut chats = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let roster = chats
            .entry(identity(&message.platform, &message.chat_id))
            .or_default();
        let who = identity(&message.platform, &message.sender_id);
        let name = message.sender_name.as_deref().unwrap_or_default();
        let known = roster
            .people
            .last()
            .is_some_and(|p| p.identity == who && p.name == name && p.staff == staff);
        if !known {
            // Copied only while an earlier message still holds the list.
            let people = std::sync::Arc::make_mut(&mut roster.people);
            people.retain(|p| p.identity != who);
            people.push(Person {
                identity: who.clone(),
                name: name.to_string(),
                staff,
            });
            if people.len() > Self::PER_CHAT {
                people.remove(0);
            }
        }
        // Only a staff member answers a colleague's call, or calls on one.
        if !staff {
            return (roster.people.clone(), None);
        }
        // "Jin Peng 金鹏（专班）" is called as "@Jin" or as "@金鹏".
        let names: Vec<String> = name
            .split(['（', '(', ' ', '/', ')', '）'])
            .filter(|word| !word.is_empty())
            .take(4)
            .map(|word| format!("@{}", word.to_lowercase()))
            .collect();
        let called = names
            .iter()
            .filter_map(|name| roster.called.get(name))
            .chain(roster.called.get(&who))
            .max()
            .copied();
        let mentioned = message
            .mentions
            .iter()
            .map(|id| identity(&message.platform, id))
            .chain(
                addressed(&message.text)
                    .mentions
                    .into_iter()
                    .map(|mention| format!("@{}", mention.to_lowercase())),
            );
        for identity in mentioned.filter(|identity| *identity != who && !names.contains(identity)) {
            if roster.called.len() >= Self::PER_CHAT && !roster.called.contains_key(&identity) {
                roster.called.clear();
            }
            roster.called.insert(identity, message.at);
        }
        (roster.people.clone(), called)
    }
}
