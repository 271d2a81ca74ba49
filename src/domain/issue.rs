//! Folding an issue's events into its state: cycles, stage clocks, outcomes.
//!
//! The state is a pure function of the events ordered by (`at`, arrival);
//! time-dependent readings (`at_risk`, `breached`, remaining time) take `now`.

use super::duration::Target;
use super::event::Resolution;
use super::policy::{Audience, Policy, Stage};
use super::Timestamp;
use chrono::TimeDelta;
use serde::Serialize;
use std::sync::Arc;

mod clocks;
mod fold;

pub use clocks::{running_clock, RunningClock};
pub use fold::fold;

/// Where an issue stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Events arrived but its `raised` has not.
    Unraised,
    Open,
    Paused,
    Closed,
}

/// Where one stage of a cycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Pending,
    AtRisk,
    Met,
    /// Deadline passed unmet, or met late (then `met_at` is set).
    Breached,
    Waived,
}

impl StageState {
    /// The state as the API and the pages name it.
    pub fn as_str(self) -> &'static str {
        match self {
            StageState::Pending => "pending",
            StageState::AtRisk => "at_risk",
            StageState::Met => "met",
            StageState::Breached => "breached",
            StageState::Waived => "waived",
        }
    }
}

/// One stage's clock within a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct StageClock {
    pub stage: Stage,
    pub target: Target,
    /// `None` while the clock is paused (SPEC §1: a running stage's deadline
    /// is null while paused).
    pub deadline: Option<Timestamp>,
    /// When the stage becomes `at_risk`; `None` while paused.
    pub at_risk_at: Option<Timestamp>,
    pub met_at: Option<Timestamp>,
    pub waived_at: Option<Timestamp>,
    /// Working time left when the clock was paused; `Some` only while paused.
    pub paused_remaining: Option<TimeDelta>,
    /// Whether the stage was at risk when its clock was paused.
    pub paused_at_risk: bool,
    /// Set when the cycle ended (closed) with this stage unmet and past its
    /// deadline: the outcome is final, breached without `met_at`.
    pub final_breach: bool,
}

/// One raised-or-reopened-to-closed interval, with its own clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// 1 for the first cycle, +1 per reopen.
    pub number: u32,
    pub start: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub resolution: Option<Resolution>,
    pub stages: Vec<StageClock>,
}

/// The derived state of one issue.
#[derive(Debug, Clone)]
pub struct IssueState {
    pub status: IssueStatus,
    /// From the earliest `raised` (by `at`); `None` while unraised.
    pub project: Option<String>,
    pub priority: Option<String>,
    pub title: Option<String>,
    pub policy: Option<Arc<Policy>>,
    /// Start of the first cycle.
    pub raised_at: Option<Timestamp>,
    /// Every cycle in order; the last one is the current one.
    pub cycles: Vec<Cycle>,
}

/// A breach that should be on record: identified by (issue, stage, cycle start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachFact {
    pub stage: Stage,
    pub cycle: u32,
    pub cycle_start: Timestamp,
    pub deadline: Timestamp,
    pub met_at: Option<Timestamp>,
}

/// Something that falls due at an instant: the timer's agenda for one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The stage becomes at risk.
    Warning { stage: Stage, cycle_start: Timestamp },
    /// Deadline + grace of a stage still unmet.
    Breach { stage: Stage, cycle_start: Timestamp },
    /// Escalation step `step` (numbered from 1) of a breached, unmet stage.
    Escalation {
        stage: Stage,
        cycle_start: Timestamp,
        step: u32,
        to: Audience,
    },
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod props;
