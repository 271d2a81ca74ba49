//! The moving parts: the ingest writer (group commit) and the timer.

pub mod evaluate;
pub mod ingest;
pub mod timer;

use crate::domain::policy::PolicySet;
use chrono::TimeDelta;
use std::sync::Arc;

/// What the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    pub policies: Arc<PolicySet>,
    pub grace: TimeDelta,
}
