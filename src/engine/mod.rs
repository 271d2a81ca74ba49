//! The moving parts: the ingest writer (group commit) and the timer.

pub mod alerts;
mod batch;
pub mod compliance;
pub mod digest;
pub mod dispatch;
pub mod evaluate;
pub mod ingest;
pub mod messages;
pub mod notices;
pub mod report;
pub mod retention;
pub mod timer;

use crate::config::chat::ChatConfig;
use crate::domain::policy::PolicySet;
use chrono::TimeDelta;
use std::sync::Arc;

/// What the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    pub policies: Arc<PolicySet>,
    pub grace: TimeDelta,
    /// Who hears about breaches, warnings and escalations.
    pub routing: Arc<notices::Routing>,
    /// Chats, staff and command words, for classifying chat messages.
    pub chat: Arc<ChatConfig>,
    /// How far ahead of the clock a message's time may be.
    pub max_future_skew: TimeDelta,
}

/// 32 hex digits of a SHA-256 of `text`: a stable, short, header- and
/// key-safe stand-in for an arbitrary string.
pub(crate) fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}
