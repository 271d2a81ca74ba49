//! The moving parts: the ingest writer (group commit) and the timer.

pub mod alerts;
mod batch;
pub mod compliance;
pub mod digest;
pub mod dispatch;
pub mod ingest;
pub mod messages;
pub mod report;
pub mod retention;
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
