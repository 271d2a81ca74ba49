//! One message classified in its context, and what is stored of it: its
//! actions as typed events (checked like events posted over HTTP), its
//! record, and the words it adds to the issues it acted on.

use super::super::command::ActionTaken;
use super::super::Rules;
use super::keys::{event_id, issue_key_n};
use super::Classified;
use crate::domain::classify::{self, identity, Action, ActionKind, Classification, Context, Message};
use crate::domain::event::{
    ActorInput, Event, EventInput, EventKind, Receipt, Received, Role, MAX_TEXT_BYTES,
};
use crate::domain::reading::Because;
use crate::domain::Timestamp;
use crate::store::chat::{MessageRecord, MessageRow};
use serde_json::Map;
use std::collections::HashMap;

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
pub(super) fn classify_one(
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
