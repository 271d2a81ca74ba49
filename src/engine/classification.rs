//! The writer side of chat ingestion: from a chat message to stored events
//! (SPEC §4). The writer classifies each message inside its group commit:
//! it looks up what the message may touch (has it been stored? which issues
//! of its chat are open?) in the same transaction that stores the message
//! and its events, batched for all messages of the commit, and classifies
//! it (pure, `domain::classify`). The request side is `inbox`.
//!
//! Messages of one chat are taken one at a time, in the order they reach
//! the writer, so a requester's message and the staff reply right after it
//! see each other. A message already stored gets its stored answer again:
//! platforms and bots retry, and a retry must not act twice.

mod keys;
mod one_message;

pub use keys::{decode_key, encode_key, issue_key, issue_key_n};

use super::command::{ActionTaken, MessageOutcome, Outcome};
use super::Rules;
use crate::domain::classify::{self, identity, parse_text, Context, Message, OpenIssues};
use crate::domain::event::{Event, Invalid};
use crate::domain::Timestamp;
use crate::store::chat::MessageRecord;
use crate::store::write::WriteTx;
use crate::store::StoreResult;
use keys::event_id;
use one_message::classify_one;
use std::collections::HashMap;

/// A message classified inside the writer's transaction.
pub(super) enum Classified {
    Known(String),
    Invalid(Invalid),
    New {
        events: Vec<Event>,
        record: Box<MessageRecord>,
        taken: Vec<ActionTaken>,
        unplaced: Vec<i64>,
    },
}

impl Classified {
    /// The events to store with the message.
    pub(super) fn events(&self) -> &[Event] {
        match self {
            Classified::New { events, .. } => events,
            _ => &[],
        }
    }

    /// The answer, given the outcomes of [`Classified::events`].
    pub(super) fn outcome(self, outcomes: Vec<Outcome>) -> MessageOutcome {
        match self {
            Classified::Known(stored) => MessageOutcome::Known(stored),
            Classified::Invalid(invalid) => MessageOutcome::Invalid(invalid),
            Classified::New {
                events,
                taken,
                unplaced,
                ..
            } => MessageOutcome::Stored {
                taken,
                event_ids: events.into_iter().map(|e| e.id).collect(),
                outcomes,
                unplaced,
            },
        }
    }
}

/// The lock that keeps replicas from classifying messages of one chat at the
/// same time (PostgreSQL advisory locks share one key space with issues).
fn chat_lock(message: &Message) -> String {
    format!("\u{1}chat\u{1}{}\u{1}{}", message.platform, message.chat_id)
}

/// Classifies a group commit's messages, in order, against the store as this
/// transaction sees it: two statements for the whole batch (stored answers,
/// the chats' open issues), plus one per reply and per `#seq` command. The
/// writer puts at most one message of a chat in a batch, so no message here
/// needs to see another one's effects.
pub(super) async fn classify_batch(
    tx: &mut WriteTx<'_>,
    rules: &Rules,
    messages: &[(&Message, &str)],
    now: Timestamp,
) -> StoreResult<Vec<Classified>> {
    let locks: Vec<String> = messages.iter().map(|(message, _)| chat_lock(message)).collect();
    tx.lock_issues(&locks).await?;
    let keys: Vec<(&str, &str, &str)> = messages
        .iter()
        .map(|(m, _)| (m.platform.as_str(), m.chat_id.as_str(), m.message_id.as_str()))
        .collect();
    let mut stored = tx.stored_answers(&keys).await?;
    // Each message's stored answer, if it was stored before: a retry is not
    // classified again.
    let answers: Vec<Option<String>> = messages
        .iter()
        .map(|(m, _)| stored.remove(&(m.platform.clone(), m.chat_id.clone(), m.message_id.clone())))
        .collect();
    let directory = &rules.chat.directory;
    let needed: Vec<(&str, &str, Option<String>)> = messages
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| answer.is_none())
        .filter_map(|((m, _), _)| {
            let raised_by = match directory.open_issues_needed(m) {
                OpenIssues::None => return None,
                OpenIssues::All => None,
                OpenIssues::RaisedBy(requester) => Some(requester),
            };
            Some((m.platform.as_str(), m.chat_id.as_str(), raised_by))
        })
        .collect();
    let mut open = if needed.is_empty() {
        HashMap::new()
    } else {
        tx.open_chat_issues(&needed).await?
    };

    let mut classified = Vec::with_capacity(messages.len());
    for ((message, source), answer) in messages.iter().zip(answers) {
        if let Some(answer) = answer {
            classified.push(Classified::Known(answer));
            continue;
        }
        let project = directory.project_of(&message.platform, &message.chat_id);
        let mut replied = None;
        let mut replied_raised = false;
        let mut named = None;
        let mut named_other = None;
        let mut replied_events = Vec::new();
        let (people, called) = if project.is_some() {
            let sender = identity(&message.platform, &message.sender_id);
            let staff = directory.is_staff_in(&message.platform, &message.chat_id, &sender);
            rules.chat.people.see(message, staff)
        } else {
            Default::default()
        };
        let mut open_issues = open
            .remove(&(message.platform.clone(), message.chat_id.clone()))
            .unwrap_or_default();
        open_issues.sort_unstable_by_key(|issue| std::cmp::Reverse(issue.seq));
        open_issues.truncate(classify::MAX_OPEN_ISSUES);
        if let Some(project) = project {
            if let Some(reply_to) = &message.reply_to {
                let issues = tx
                    .message_issues(&message.platform, &message.chat_id, reply_to)
                    .await?;
                let live = classify::replied_issue(&issues, &message.text, directory);
                replied = issues.into_iter().nth(live.unwrap_or(0));
                // The replied-to message raised its issue if the issue's key
                // is that message's own.
                let replied_key = classify::raised_key(
                    &Message {
                        message_id: reply_to.clone(),
                        ..(*message).clone()
                    },
                    0,
                );
                replied_raised = replied.as_ref().is_some_and(|issue| issue.issue == replied_key);
            }
            let parsed = parse_text(&message.text, directory.commands());
            if let (Some(classify::Command::Undo), Some(reply_to)) = (parsed.command, &message.reply_to) {
                replied_events = events_of(tx, message, reply_to).await?;
            }
            if let Some(seq) = parsed.seq {
                named = tx.issue_by_seq(project, seq).await?;
            }
            if let Some(seq) = parsed.second_seq {
                named_other = tx.issue_by_seq(project, seq).await?;
            }
        }
        rules.chat.words.fill(&mut open_issues);
        if let Some(replied) = replied.as_mut() {
            rules.chat.words.fill(std::slice::from_mut(replied));
        }
        rules.chat.topics.fill(&open_issues);
        let context = Context {
            open_issues: &open_issues,
            replied: replied.as_ref(),
            named: named.as_ref(),
            named_other: named_other.as_ref(),
            replied_raised,
            replied_events: &replied_events,
            people: &people,
            called,
        };
        classified.push(classify_one(message, source, project, &context, rules, now));
        rules.chat.topics.keep(&open_issues);
    }
    Ok(classified)
}

/// The events a stored message recorded, as (event id, issue, kind), read
/// from its stored answer: the `n`th action's event has the `n`th id.
async fn events_of(
    tx: &mut WriteTx<'_>,
    message: &Message,
    message_id: &str,
) -> StoreResult<Vec<(String, String, String)>> {
    let key = (message.platform.as_str(), message.chat_id.as_str(), message_id);
    let stored = tx.stored_answers(&[key]).await?;
    let Some(answer) = stored.into_values().next() else {
        return Ok(Vec::new());
    };
    let taken: Vec<ActionTaken> = serde_json::from_str(&answer).unwrap_or_default();
    let replied = Message {
        message_id: message_id.to_string(),
        ..message.clone()
    };
    Ok(taken
        .into_iter()
        .enumerate()
        .filter(|(_, action)| action.kind != "joined")
        .map(|(index, action)| (event_id(&replied, index), action.issue, action.kind))
        .collect())
}
