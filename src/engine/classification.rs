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

use super::command::{ActionTaken, MessageOutcome, Outcome};
use super::Rules;
use crate::domain::classify::{
    self, identity, parse_text, Action, ActionKind, Classification, Context, Message, OpenIssues,
};
use crate::domain::event::{
    ActorInput, Event, EventInput, EventKind, Invalid, Receipt, Received, Role, MAX_KEY_CHARS, MAX_TEXT_BYTES,
};
use crate::domain::reading::Because;
use crate::domain::Timestamp;
use crate::store::chat::{MessageRecord, MessageRow};
use crate::store::write::WriteTx;
use crate::store::StoreResult;
use serde_json::Map;
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

/// What the message tells of the issues it acted on, for matching later
/// messages to them: a raised matter's whole text, a requester's message
/// that joined one issue, a staff message about one issue alone.
fn remember_words(
    words: &classify::IssueWords,
    message: &Message,
    role: Option<Role>,
    actions: &[classify::Action],
) {
    let mut issues: Vec<&str> = actions.iter().map(|action| action.issue.as_str()).collect();
    issues.dedup();
    for action in actions {
        match (&action.kind, role) {
            (ActionKind::Raised { matter, .. }, _) => words.note(&action.issue, matter),
            (ActionKind::Joined, Some(Role::Requester)) if issues.len() == 1 => {
                words.note(&action.issue, &message.text)
            }
            (ActionKind::Event { .. }, Some(Role::Staff)) if issues.len() == 1 => {
                words.note(&action.issue, &message.text);
                break;
            }
            _ => {}
        }
    }
}

/// Classifies one message in its context and builds its events and record.
fn classify_one(
    message: &Message,
    source: &str,
    project: Option<&str>,
    context: &Context,
    rules: &Rules,
    now: Timestamp,
) -> Classified {
    // The rules are pure and tested never to panic on any text; should one
    // still do, the message is kept unread rather than the writer lost.
    let classified = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        classify::classify(message, &rules.chat.directory, context)
    }))
    .unwrap_or_else(|_| {
        tracing::error!(
            platform = %message.platform,
            chat = %message.chat_id,
            message = %message.message_id,
            "classifying the message panicked; it is stored without events"
        );
        Classification::Ignored(classify::IgnoreReason::Empty)
    });
    let (role, mut actions, unplaced) = match classified {
        Classification::Ignored(_) => (None, Vec::new(), Vec::new()),
        Classification::Actions {
            role,
            actions,
            unplaced,
            ..
        } => (Some(role), actions, unplaced),
    };
    // The keys of raised issues as the store takes them (a key too long or
    // holding `/` is replaced), for the raise and the events that follow it.
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut raised_count = 0;
    for action in &mut actions {
        if matches!(action.kind, ActionKind::Raised { .. }) {
            let key = issue_key_n(message, raised_count);
            raised_count += 1;
            renamed.insert(action.issue.clone(), key);
        }
        if let Some(key) = renamed.get(&action.issue) {
            action.issue = key.clone();
        }
    }

    let receipt = Receipt {
        received_at: now,
        source: source.to_string(),
        max_future_skew: rules.max_future_skew,
    };
    let mut events = Vec::new();
    for (index, action) in actions.iter().enumerate() {
        let Some(input) = event_input(message, action, index, project, role) else {
            continue;
        };
        let checked = Event::try_from(Received {
            input,
            receipt: &receipt,
            prefix: &"",
        });
        match checked {
            Ok(event) => events.push(event),
            Err(invalid) => return Classified::Invalid(invalid),
        }
    }
    remember_words(&rules.chat.words, message, role, &actions);
    let taken: Vec<ActionTaken> = actions
        .iter()
        .map(|action| ActionTaken {
            issue: action.issue.clone(),
            seq: action.seq,
            kind: action_kind(action).to_string(),
            rule: action.because.as_ref().map(|b| b.rule.to_string()),
            words: action.because.as_ref().map(|b| b.words.clone()),
        })
        .collect();
    let raised = actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Raised { .. }))
        .map(|a| (a.issue.clone(), identity(&message.platform, &message.sender_id)))
        .collect();
    let mut issues: Vec<(String, Option<i64>)> = actions.iter().map(|a| (a.issue.clone(), a.seq)).collect();
    issues.sort_unstable();
    issues.dedup_by(|a, b| a.0 == b.0);
    let record = MessageRecord {
        row: MessageRow {
            message: message.clone(),
            source: source.to_string(),
            received_at: now,
        },
        actions: serde_json::to_string(&taken).unwrap_or_else(|_| "[]".into()),
        issues,
        raised,
    };
    Classified::New {
        events,
        record: Box::new(record),
        taken,
        unplaced,
    }
}

/// `{platform}:{chat_id}:{message_id}` (SPEC §4) in the key encoding of
/// [`encode_key`], or, when that is longer than a key may be,
/// `{platform}:#` and a hash of it.
pub fn issue_key(message: &Message) -> String {
    issue_key_n(message, 0)
}

/// The key of the `n`th issue (from 0) a message raises: [`issue_key`], then
/// `…:2`, `…:3` for a message that names several matters.
pub fn issue_key_n(message: &Message, n: usize) -> String {
    valid_or_hashed(&message.platform, classify::raised_key(message, n))
}

/// The id of the `index`th event a message records:
/// `{platform}:{message_id}:{chat_id}:{index}`, or its hashed form. The
/// message id comes first because most platforms number messages in time
/// order, so new ids land at the end of the events' id index rather than at
/// a random place in it by chat (docs/benchmarks.md). The chat stays in the
/// id: Slack and Telegram number messages per chat.
fn event_id(message: &Message, index: usize) -> String {
    valid_or_hashed(
        &message.platform,
        format!(
            "{}:{}:{}:{index}",
            message.platform, message.message_id, message.chat_id
        ),
    )
}

/// `key` in the key encoding when it fits in a key, else `{platform}:#` and
/// a hash of it.
fn valid_or_hashed(platform: &str, key: String) -> String {
    let encoded = encode_key(&key);
    if encoded.chars().count() <= MAX_KEY_CHARS {
        encoded
    } else {
        format!("{platform}:#{}", crate::domain::short_hash(&key))
    }
}

/// The key encoding of platform ids (docs/chat-platforms.md): a key holds no
/// `/`, and DingTalk's base64 ids often do, so `/` is written `%2F` and `%`
/// itself `%25`, as in a URL; every other character stays. Reversible:
/// [`decode_key`] gives the ids back.
pub fn encode_key(text: &str) -> String {
    text.replace('%', "%25").replace('/', "%2F")
}

/// The text [`encode_key`] encoded.
pub fn decode_key(key: &str) -> String {
    let mut decoded = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(at) = rest.find('%') {
        decoded.push_str(&rest[..at]);
        let (character, skip) = match &rest[at..] {
            tail if tail.starts_with("%2F") => ('/', 3),
            tail if tail.starts_with("%25") => ('%', 3),
            _ => ('%', 1),
        };
        decoded.push(character);
        rest = &rest[at + skip..];
    }
    decoded.push_str(rest);
    decoded
}

fn action_kind(action: &Action) -> &'static str {
    match &action.kind {
        ActionKind::Joined => "joined",
        ActionKind::Raised { .. } => EventKind::Raised.as_str(),
        ActionKind::Event { kind, .. } => kind.as_str(),
    }
}

/// The event an action records (none for `joined`), with an id derived from
/// the message, so a message re-sent under the same id stays a duplicate.
/// It is typed wire input, checked into an [`Event`] by the same `TryFrom`
/// as an event posted over HTTP, so the same limits hold.
fn event_input(
    message: &Message,
    action: &Action,
    index: usize,
    project: Option<&str>,
    role: Option<Role>,
) -> Option<EventInput> {
    let kind = match &action.kind {
        ActionKind::Joined => return None,
        ActionKind::Raised { .. } => EventKind::Raised,
        ActionKind::Event { kind, .. } => *kind,
    };
    let mut text = message.text.clone();
    if text.len() > MAX_TEXT_BYTES {
        text = crate::notify::truncate_bytes(&text, MAX_TEXT_BYTES);
    }
    let mut attributes = Map::new();
    if let Some(Because { rule, words }) = &action.because {
        attributes.insert("rule".into(), rule.to_string().into());
        attributes.insert("words".into(), words.clone().into());
    }
    if let Some(into) = &action.merged_into {
        attributes.insert("merged_into".into(), into.clone().into());
    }
    if !action.undoes.is_empty() {
        attributes.insert("undoes".into(), action.undoes.clone().into());
    }
    let mut input = EventInput {
        id: event_id(message, index),
        issue: action.issue.clone(),
        kind,
        at: Some(crate::domain::event::format_utc(message.at)),
        project: None,
        priority: None,
        title: None,
        text: (!text.is_empty()).then_some(text),
        actor: Some(ActorInput {
            id: Some(identity(&message.platform, &message.sender_id)),
            name: message.sender_name.clone(),
            role: Some(role.unwrap_or(Role::Requester)),
        }),
        resolution: None,
        attributes: None,
    };
    match &action.kind {
        ActionKind::Raised { title, .. } => {
            input.project = Some(project.unwrap_or_default().to_string());
            input.title = Some(title.clone());
            // The platform's own ids, as they are, whatever the key became.
            attributes.insert("platform".into(), message.platform.clone().into());
            attributes.insert("chat_id".into(), message.chat_id.clone().into());
            attributes.insert("message_id".into(), message.message_id.clone().into());
        }
        ActionKind::Event {
            resolution: Some(resolution),
            ..
        } => input.resolution = Some(*resolution),
        _ => {}
    }
    input.attributes = (!attributes.is_empty()).then_some(attributes);
    Some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(chat_id: &str, message_id: &str) -> Message {
        Message {
            platform: "wechat".into(),
            chat_id: chat_id.into(),
            message_id: message_id.into(),
            sender_id: "wang-yz".into(),
            sender_name: None,
            text: "停水了".into(),
            at: chrono::Utc::now(),
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn issue_keys_lead_with_the_chat_and_event_ids_with_the_message() {
        let message = message("grp-zhongtai", "m-88121");
        assert_eq!(issue_key(&message), "wechat:grp-zhongtai:m-88121");
        assert_eq!(event_id(&message, 0), "wechat:m-88121:grp-zhongtai:0");
        assert_eq!(event_id(&message, 1), "wechat:m-88121:grp-zhongtai:1");
    }

    #[test]
    fn keys_that_are_too_long_are_hashed() {
        let long = message(&"g".repeat(120), "m-1");
        for key in [issue_key(&long), event_id(&long, 0)] {
            assert!(key.starts_with("wechat:#"), "{key}");
            assert_eq!(key.len(), "wechat:#".len() + 32, "{key}");
        }
        assert_ne!(issue_key(&long), event_id(&long, 0));
        assert_ne!(event_id(&long, 0), event_id(&long, 1));
    }

    #[test]
    fn keys_with_a_slash_stay_readable_and_decode_to_the_platform_ids() {
        let mut dingtalk = message("cidSGS2Krr9YWH4JyWJq/iSAg==", "msgqYw3y0w/Z4jJd%hx+LqH6Q==");
        dingtalk.platform = "dingtalk".into();
        let key = issue_key(&dingtalk);
        assert_eq!(
            key,
            "dingtalk:cidSGS2Krr9YWH4JyWJq%2FiSAg==:msgqYw3y0w%2FZ4jJd%25hx+LqH6Q=="
        );
        assert_eq!(
            decode_key(&key),
            "dingtalk:cidSGS2Krr9YWH4JyWJq/iSAg==:msgqYw3y0w/Z4jJd%hx+LqH6Q=="
        );
        assert!(!event_id(&dingtalk, 0).contains('/'));
        assert!(event_id(&dingtalk, 0).starts_with("dingtalk:msgqYw3y0w%2FZ4jJd"));
        // `%2F` in an id stays what it was: `%` is encoded too.
        let literal = message("grp%2F1", "m-1");
        assert_ne!(issue_key(&literal), issue_key(&message("grp/1", "m-1")));
        assert_eq!(decode_key(&issue_key(&literal)), "wechat:grp%2F1:m-1");
        for text in ["%/", "%252F", "a%b/c%2", "%%2F%25/"] {
            assert_eq!(decode_key(&encode_key(text)), text, "{text}");
        }
    }
}
