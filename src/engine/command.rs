//! What the writer is asked to do ([`Command`]) and what it answers: an
//! [`Outcome`] per event, a [`MessageOutcome`] per chat message.

use crate::domain::classify::Message;
use crate::domain::event::{Event, Invalid};
use crate::store::rows::IssueRow;
use crate::store::StoreResult;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

/// The result for one posted event.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Stored; the issue as it now stands.
    Accepted(Box<IssueRow>),
    /// Already stored with the same content.
    Duplicate(Option<Box<IssueRow>>),
    /// Already stored with different content.
    Conflict,
    /// Invalid against what is known (e.g. a pause the policy forbids).
    Rejected(Invalid),
}

pub(super) enum Command {
    Ingest {
        events: Vec<Event>,
        /// Each event's canonical content, worked out by the request's own
        /// task rather than by the writer, which serves every request.
        contents: Vec<String>,
        reply: oneshot::Sender<StoreResult<Vec<Outcome>>>,
    },
    /// A chat message, classified and stored with its events.
    Message {
        message: Box<Message>,
        source: String,
        reply: oneshot::Sender<StoreResult<MessageOutcome>>,
    },
    Revisit {
        issues: Vec<String>,
        reply: oneshot::Sender<StoreResult<()>>,
    },
}

impl Command {
    pub(super) fn weight(&self) -> usize {
        match self {
            Command::Ingest { events, .. } => events.len(),
            // The message and, usually, one event.
            Command::Message { .. } => 2,
            Command::Revisit { issues, .. } => issues.len(),
        }
    }
}

/// One thing a message did, as the answer lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionTaken {
    pub issue: String,
    /// Filled in from the store when answering.
    #[serde(default)]
    pub seq: Option<i64>,
    /// An event kind, or `joined`.
    pub kind: String,
    /// Which rule decided (`action`, `plan`, `fixed`, `command`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The words of the message that made the rule apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
}

/// What the writer made of a message, once committed.
#[derive(Debug)]
pub enum MessageOutcome {
    /// Stored before: its stored answer, `[{issue, kind}]`.
    Known(String),
    /// It calls for an event that is not valid (e.g. its time is too far
    /// ahead); nothing was stored.
    Invalid(Invalid),
    /// Stored, with the actions it took and each of its events' outcome.
    Stored {
        taken: Vec<ActionTaken>,
        event_ids: Vec<String>,
        outcomes: Vec<Outcome>,
        unplaced: Vec<i64>,
    },
}
