//! From a chat message to stored events (SPEC §4): look up what the message
//! may touch, classify it (pure, `domain::classify`), and hand the message
//! and its events to the writer as one transaction.
//!
//! Messages of one chat are taken one at a time (a striped lock), so a
//! requester's message and the staff reply right after it see each other.
//! A message already stored gets its stored answer again: platforms and
//! bots retry, and a retry must not act twice.

use super::ingest::{Outcome, Writer};
use crate::config::chat::ChatConfig;
use crate::domain::classify::{
    self, identity, parse_text, Action, ActionKind, Classification, Context, IssueState, KnownIssue, Message,
};
use crate::domain::event::{Event, EventKind, Invalid, Receipt, Role, MAX_KEY_CHARS, MAX_TEXT_BYTES};
use crate::domain::issue::IssueStatus;
use crate::domain::policy::Stage;
use crate::store::chat::{MessageRecord, MessageRow};
use crate::store::rows::IssueRow;
use crate::store::{Store, StoreError};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Locks chats are spread over: enough that messages of different chats
/// almost never wait for each other's commit.
const LOCK_STRIPES: usize = 4096;

/// One thing a message did, as the answer lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionTaken {
    pub issue: String,
    /// Filled in from the store when answering.
    #[serde(default)]
    pub seq: Option<i64>,
    /// An event kind, or `joined`.
    pub kind: String,
}

/// What receiving a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipted {
    /// False when the message had been stored before (a retry).
    pub new: bool,
    pub actions: Vec<ActionTaken>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", .0.message)]
    Invalid(Invalid),
}

/// Everything chat ingestion needs.
#[derive(Clone)]
pub struct Inbox {
    pub store: Store,
    pub writer: Writer,
    pub chat: Arc<ChatConfig>,
    pub max_future_skew: TimeDelta,
    locks: Arc<Vec<Mutex<()>>>,
}

impl Inbox {
    pub fn new(store: Store, writer: Writer, chat: Arc<ChatConfig>, max_future_skew: TimeDelta) -> Self {
        Inbox {
            store,
            writer,
            chat,
            max_future_skew,
            locks: Arc::new((0..LOCK_STRIPES).map(|_| Mutex::new(())).collect()),
        }
    }

    /// Stores `message` and the events it calls for; `source` names the
    /// token or hook that delivered it.
    pub async fn receive(&self, message: Message, source: &str) -> Result<Receipted, ReceiveError> {
        let stripe = stripe(&message.platform, &message.chat_id);
        let _turn = self.locks[stripe].lock().await;
        let store = &self.store;
        if let Some(stored) = store
            .message_actions(&message.platform, &message.chat_id, &message.message_id)
            .await?
        {
            let actions: Vec<ActionTaken> = serde_json::from_str(&stored).unwrap_or_default();
            return Ok(Receipted {
                new: false,
                actions: self.with_seqs(actions).await?,
            });
        }

        let directory = &self.chat.directory;
        let project = directory
            .project_of(&message.platform, &message.chat_id)
            .map(str::to_string);
        let sender = identity(&message.platform, &message.sender_id);
        let mut open_issues = Vec::new();
        let mut replied = None;
        let mut named = None;
        if let Some(project) = &project {
            for chat_issue in store
                .chat_open_issues(&message.platform, &message.chat_id)
                .await?
            {
                open_issues.extend(known(&chat_issue.row, chat_issue.raised_by));
            }
            if let Some(reply_to) = &message.reply_to {
                let rows = store
                    .message_issues(&message.platform, &message.chat_id, reply_to)
                    .await?;
                let row = rows
                    .iter()
                    .find(|row| matches!(row.status, IssueStatus::Open | IssueStatus::Paused))
                    .or(rows.first());
                replied = row.and_then(|row| known(row, None));
            }
            if let Some(seq) = parse_text(&message.text, directory.commands()).seq {
                named = store
                    .issue_by_seq(project, seq)
                    .await?
                    .and_then(|row| known(&row, None));
            }
        }
        let context = Context {
            open_issues: &open_issues,
            replied: replied.as_ref(),
            named: named.as_ref(),
        };
        let (role, mut actions) = match classify::classify(&message, directory, &context) {
            Classification::Ignored(_) => (None, Vec::new()),
            Classification::Actions { role, actions, .. } => (Some(role), actions),
        };
        for action in &mut actions {
            if matches!(action.kind, ActionKind::Raised { .. }) {
                action.issue = issue_key(&message);
            }
        }

        let receipt = Receipt {
            received_at: chrono::Utc::now(),
            source: source.to_string(),
            max_future_skew: self.max_future_skew,
        };
        let mut events = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            let Some(value) = event_json(&message, action, index, project.as_deref(), role) else {
                continue;
            };
            events.push(Event::parse(&value, &receipt, "").map_err(ReceiveError::Invalid)?);
        }
        let taken: Vec<ActionTaken> = actions
            .iter()
            .map(|action| ActionTaken {
                issue: action.issue.clone(),
                seq: action.seq,
                kind: action_kind(action).to_string(),
            })
            .collect();
        let raised = actions
            .iter()
            .find(|a| matches!(a.kind, ActionKind::Raised { .. }))
            .map(|a| (a.issue.clone(), sender.clone()));
        let mut issues: Vec<String> = actions.iter().map(|a| a.issue.clone()).collect();
        issues.sort_unstable();
        issues.dedup();
        let record = MessageRecord {
            row: MessageRow {
                message,
                source: source.to_string(),
                received_at: receipt.received_at,
            },
            actions: serde_json::to_string(&taken).unwrap_or_else(|_| "[]".into()),
            issues,
            raised,
        };
        let event_ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        let outcomes = self.writer.ingest_message(events, record).await?;

        // Seqs come from the fold; an event the issue's state refused (a pause
        // its policy forbids) is left out of the answer.
        let mut answer = Vec::with_capacity(taken.len());
        let mut outcomes = event_ids.iter().zip(outcomes);
        for mut action in taken {
            if action.kind != "joined" {
                match outcomes.next() {
                    Some((_, Outcome::Accepted(row))) => action.seq = Some(row.seq),
                    Some((_, Outcome::Duplicate(Some(row)))) => action.seq = Some(row.seq),
                    Some((_, Outcome::Duplicate(None))) => {}
                    Some((id, Outcome::Rejected(invalid))) => {
                        tracing::info!(event = %id, reason = invalid.reason, "a chat command was refused");
                        continue;
                    }
                    Some((_, Outcome::Conflict)) | None => continue,
                }
            }
            answer.push(action);
        }
        Ok(Receipted {
            new: true,
            actions: answer,
        })
    }

    async fn with_seqs(&self, mut actions: Vec<ActionTaken>) -> Result<Vec<ActionTaken>, StoreError> {
        let issues: Vec<String> = actions.iter().map(|a| a.issue.clone()).collect();
        let seqs = self.store.seqs_of(&issues).await?;
        for action in &mut actions {
            action.seq = seqs.get(&action.issue).copied();
        }
        Ok(actions)
    }
}

fn stripe(platform: &str, chat_id: &str) -> usize {
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&(platform, chat_id), &mut hasher);
    std::hash::Hasher::finish(&hasher) as usize % LOCK_STRIPES
}

/// What classification needs to know of a stored issue.
fn known(row: &IssueRow, raised_by: Option<String>) -> Option<KnownIssue> {
    let state = match row.status {
        IssueStatus::Open => IssueState::Open,
        IssueStatus::Paused => IssueState::Paused,
        IssueStatus::Closed => IssueState::Closed,
        IssueStatus::Unraised => return None,
    };
    // No `ack` stage in the policy: nothing is waiting for a reply.
    let acknowledged = row
        .stages
        .iter()
        .find(|s| s.stage == Stage::Ack)
        .is_none_or(|ack| ack.met.is_some() || ack.waived.is_some());
    Some(KnownIssue {
        issue: row.issue.clone(),
        seq: row.seq,
        state,
        raised_by,
        raised_at: row.raised_at.unwrap_or(row.first_seen),
        acknowledged,
    })
}

/// `{platform}:{chat_id}:{message_id}`, or, when that is no valid issue key
/// (too long, or holding `/`), `{platform}:#` and a hash of it.
pub fn issue_key(message: &Message) -> String {
    key_or_hash(message, "")
}

/// `{platform}:{chat_id}:{message_id}{suffix}` when that is a valid key,
/// else `{platform}:#` and a hash of it.
fn key_or_hash(message: &Message, suffix: &str) -> String {
    let key = format!(
        "{}:{}:{}{suffix}",
        message.platform, message.chat_id, message.message_id
    );
    if key.chars().count() <= MAX_KEY_CHARS && !key.contains('/') {
        key
    } else {
        format!("{}:#{}", message.platform, super::short_hash(&key))
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
fn event_json(
    message: &Message,
    action: &Action,
    index: usize,
    project: Option<&str>,
    role: Option<Role>,
) -> Option<Value> {
    let kind = match &action.kind {
        ActionKind::Joined => return None,
        ActionKind::Raised { .. } => EventKind::Raised,
        ActionKind::Event { kind, .. } => *kind,
    };
    let id = key_or_hash(message, &format!(":{index}"));
    let mut text = message.text.clone();
    if text.len() > MAX_TEXT_BYTES {
        text = crate::notify::truncate_bytes(&text, MAX_TEXT_BYTES);
    }
    let mut event = json!({
        "id": id,
        "issue": action.issue,
        "kind": kind.as_str(),
        "at": crate::domain::event::format_utc(message.at),
        "actor": {
            "id": identity(&message.platform, &message.sender_id),
            "role": role.map_or("requester", |r| r.as_str()),
        },
    });
    if let Some(name) = &message.sender_name {
        event["actor"]["name"] = name.clone().into();
    }
    if !text.is_empty() {
        event["text"] = text.into();
    }
    match &action.kind {
        ActionKind::Raised { title } => {
            event["project"] = project.unwrap_or_default().into();
            event["title"] = title.clone().into();
        }
        ActionKind::Event {
            resolution: Some(resolution),
            ..
        } => event["resolution"] = resolution.as_str().into(),
        _ => {}
    }
    Some(event)
}
