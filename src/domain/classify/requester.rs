//! SPEC §4 rule 2: what a requester's message does. It is ignored as a
//! pleasantry, closes or joins the issue it is about, or raises new ones.

use super::matching::about;
use super::raising::raise_matters;
use super::text::title;
use super::{event, joined, Action, Context, Directory, IgnoreReason, KnownIssue, Message};
use crate::domain::event::{EventKind, Resolution};
use crate::domain::reading::{read, topic, Because};
use chrono::TimeDelta;

/// SPEC §4 rule 2. Command words from requesters are plain text: only staff
/// can move an issue along.
pub(super) fn requester_actions(
    message: &Message,
    sender: &str,
    project: &str,
    directory: &Directory,
    context: &Context,
    live: &[&KnownIssue],
) -> Result<Vec<Action>, IgnoreReason> {
    if message.text.trim().is_empty() {
        return Err(IgnoreReason::Empty);
    }
    let reading = read(&message.text, &directory.lexicon);
    let topic = topic(&message.text, &directory.lexicon);
    let replied = context.replied.filter(|issue| issue.is_live());
    let about = replied.or_else(|| about(&topic, live, Some(sender), &directory.lexicon));

    if let Some(issue) = about {
        if let Some(because) = reading.withdrawn.clone() {
            return Ok(vec![
                joined(issue),
                event(issue, EventKind::Closed, Some(Resolution::Withdrawn), because),
            ]);
        }
        if let Some(because) = reading.fixed.clone().filter(|_| reading.new_matter.is_none()) {
            let mut actions = vec![joined(issue)];
            if directory.closes_on_confirm(project) {
                // The team's work is what the close counts: before any action
                // was reported, the problem went away of itself.
                let resolution = if issue.handled {
                    Resolution::Resolved
                } else {
                    Resolution::Withdrawn
                };
                actions.push(event(issue, EventKind::Closed, Some(resolution), because));
            } else {
                actions[0].because = Some(because);
            }
            return Ok(actions);
        }
    }
    if reading.pleasantry || (reading.good_news && reading.asks.is_none()) {
        return Err(IgnoreReason::Pleasantry);
    }
    if reading.media_only {
        return about.map(|issue| vec![joined(issue)]).ok_or(IgnoreReason::Empty);
    }
    // Something to act on: a question, a need, a fault, or, with nothing
    // open, any message of substance (people state problems without asking).
    let substantive = topic.has_topic() || topic.weight() >= 4;
    // "在吗", "？？", "急": a nudge before the problem is told raises nothing.
    // "另外 招QA 急" is terse, not a nudge: it says a matter follows.
    let terse_matter = reading.new_matter.is_some() && reading.asks.is_some();
    if about.is_none() && !topic.has_topic() && topic.weight() < 2 && !terse_matter {
        return Err(IgnoreReason::Pleasantry);
    }
    let statement = substantive && !reading.thanks && topic.weight() >= 6;
    let wants = reading.asks.is_some()
        || (substantive && reading.new_matter.is_some())
        || (statement && about.is_none());
    // With an issue open, a new matter says so ("另外"), or asks in so many
    // words about something none of the open issues is about.
    // "还有个事，…补贴什么时候到账？": a matter said to be another, and
    // sharing at most a word with the issue it would join, is new though it
    // asks "when".
    let said_new = reading.new_matter.is_some()
        && about.is_none_or(|issue| topic.overlap(issue.title_topic(&directory.lexicon)) < SAID_NEW_OVERLAP);
    // "好，那线下材料要准备哪些？", "孙科那我们要怎么整改": taking up what
    // the team said is a follow-up of the open matter, not a new one.
    // "人才认定证书他有了，租房备案去哪里办？" right after the team answered
    // the sender's matter: a question about the answer, in its words.
    let answered_just_now = live.iter().any(|issue| {
        issue.acknowledged
            && issue.raised_by.as_deref() == Some(sender)
            && message.at - issue.last_active <= TURN
    });
    let raised_own = live
        .iter()
        .any(|issue| issue.raised_by.as_deref() == Some(sender));
    let chance = if raised_own || takes_up_the_matter(&message.text) {
        0
    } else {
        CHANCE_OVERLAP
    };
    let follows_up =
        (reading.follow_up || answered_just_now) && about.is_some() && reading.new_matter.is_none();
    let new_matter = wants
        && !follows_up
        && (reading.progress.is_none() || about.is_none() || said_new)
        && (about.is_none()
            || reading.new_matter.is_some()
            || (replied.is_none()
                && (reading.question
                    || live
                        .iter()
                        .all(|issue| issue.raised_by.as_deref() != Some(sender)))
                && topic.weight() >= 6
                // Someone else's matter shares a word by chance ("宿舍" of a
                // flooded garage and of a fight in the dormitory); the
                // raiser's own follow-ups share none, nor do thanks to the
                // team or a problem said to be back ("这个月已经是第二次了").
                && live
                    .iter()
                    .all(|issue| topic.overlap(issue.title_topic(&directory.lexicon)) <= chance)
                // "退运不行，那两盒是专门定制的" from the raiser's colleague,
                // in the words of the team's answer: taking it up.
                && (raised_own
                    || reading.question
                    || live
                        .iter()
                        .all(|issue| topic.shared_words(issue.topic(&directory.lexicon)) == 0))));
    // "厂门口那个垃圾房三天没人来收了" once the team has acted on the
    // sender's matter: a problem of substance sharing no word with any open
    // matter, not even with what was said of it since, is new.
    let fresh_matter = about.is_some_and(|issue| issue.handled || issue.planned)
        && replied.is_none()
        && topic.weight() >= 6
        && reading.asks.is_some()
        && live.iter().all(|issue| {
            let words = issue.topic(&directory.lexicon);
            // A topic as wide as "staffing" may be shared by chance.
            topic.shared_words(words) == 0 && topic.overlap(words) <= 2
        })
        && reading.progress.is_none()
        && !reading.follow_up
        && reading.fixed.is_none()
        && !reading.thanks
        && !reading.pleasantry
        && !reading.good_news;
    if new_matter || fresh_matter {
        let because = reading
            .asks
            .clone()
            .or_else(|| reading.new_matter.clone())
            .unwrap_or_else(|| Because::new("statement", title(&message.text)));
        return Ok(raise_matters(message, directory, Some(because)));
    }
    match about.or_else(|| {
        live.iter()
            .copied()
            .max_by_key(|issue| (issue.last_active, issue.seq))
    }) {
        Some(issue) => Ok(vec![joined(issue)]),
        None => Err(IgnoreReason::Pleasantry),
    }
}

/// How many shared words (bigrams, a topic counting two) outweigh a message
/// saying it brings another matter ("还有个事"): one bigram in common is
/// chance.
const SAID_NEW_OVERLAP: usize = 2;

/// Whether a message thanks the team or says the problem is back: it
/// speaks of the matter in hand.
fn takes_up_the_matter(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "谢",
        "辛苦",
        "thank",
        "第二次",
        "第二回",
        "又一次",
        "再次",
        "again",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// How much another person's new matter may share with an open issue's
/// title by chance: one bigram. (A shared topic, or two bigrams, took
/// colleagues' questions about the same matter for new ones.)
const CHANCE_OVERLAP: usize = 1;

/// How soon after the team acted on a matter a question of its requester
/// still takes up that answer.
pub(super) const TURN: TimeDelta = TimeDelta::minutes(30);
