//! The moving parts: the ingest writer (group commit) and the timer, the
//! outbox dispatcher, the daily digest, the Alertmanager re-send, retention
//! and the compliance report. They persist and schedule what `domain`
//! decides.
//!
//! The write path's modules form a line; each uses only those after it
//! (`tests/architecture.rs` checks it):
//! `inbox` (a chat message's request side) → `timer` → `ingest` (the
//! writer's queue and loop) → `batch` (one group commit) →
//! `classification` (a message's writer side) → `command` (what the writer
//! is asked and answers) → `signal` (writer ↔ timer wake-ups).

pub mod alerts;
mod batch;
pub mod classification;
pub mod command;
pub mod compliance;
pub mod digest;
pub mod dispatch;
pub mod inbox;
pub mod ingest;
pub mod report;
pub mod retention;
pub mod signal;
pub mod timer;

use crate::config::chat::ChatConfig;
use crate::domain::notice::Routing;
use crate::domain::policy::PolicySet;
use chrono::TimeDelta;
use std::sync::Arc;

/// What the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    pub policies: Arc<PolicySet>,
    pub grace: TimeDelta,
    /// Who hears about breaches, warnings and escalations.
    pub routing: Arc<Routing>,
    /// Chats, staff and command words, for classifying chat messages.
    pub chat: Arc<ChatConfig>,
    /// How far ahead of the clock a message's time may be.
    pub max_future_skew: TimeDelta,
}
