//! A daily digest's figures: yesterday's issues per stage (met on time,
//! breached, still running, waived) and every issue still open past a
//! deadline. The engine compiles a [`Digest`] once; `notify::digest` renders
//! it in each channel's language.

use serde::{Deserialize, Serialize};

/// Overdue issues listed by name; the rest are counted.
pub const OVERDUE_LISTED: usize = 20;

/// One day's figures for a project or for the whole zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The local day reported, `YYYY-MM-DD`.
    pub day: String,
    /// Issues raised that day.
    pub raised: i64,
    /// Outcomes so far of the stages of the issues raised that day.
    pub stages: Vec<StageFigures>,
    /// Open issues with a stage past its deadline and unmet, oldest deadline first.
    pub overdue: Vec<Overdue>,
    /// All of them, listed or not.
    pub overdue_total: i64,
    /// The zone digest's line per project (empty in a project's digest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageFigures {
    pub stage: String,
    pub met: i64,
    pub breached: i64,
    pub running: i64,
    pub waived: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overdue {
    pub seq: i64,
    pub issue: String,
    pub title: String,
    pub project_name: String,
    pub stage: String,
    pub deadline_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectLine {
    pub project_name: String,
    pub raised: i64,
    pub breached: i64,
    pub overdue: i64,
}
