//! A stage's outcome: running, paused, met, met late, breached or waived;
//! which outcomes are final, and when a fold settles one.

use super::calendar::Calendar;
use super::issue::{IssueState, StageClock, StageState};
use super::policy::Stage;
use super::Timestamp;
use chrono::TimeDelta;

/// A stage clock's time-independent outcome (kept in `stages.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageOutcome {
    Running,
    Paused,
    PausedAtRisk,
    Met,
    MetLate,
    Breached,
    Waived,
}

impl StageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StageOutcome::Running => "running",
            StageOutcome::Paused => "paused",
            StageOutcome::PausedAtRisk => "paused_at_risk",
            StageOutcome::Met => "met",
            StageOutcome::MetLate => "met_late",
            StageOutcome::Breached => "breached",
            StageOutcome::Waived => "waived",
        }
    }

    /// The outcome as the metrics count it: met, breached (met late or
    /// closed unmet past its deadline) or waived; `None` while open.
    pub fn settled(self) -> Option<FinalOutcome> {
        match self {
            StageOutcome::Met => Some(FinalOutcome::Met),
            StageOutcome::MetLate | StageOutcome::Breached => Some(FinalOutcome::Breached),
            StageOutcome::Waived => Some(FinalOutcome::Waived),
            StageOutcome::Running | StageOutcome::Paused | StageOutcome::PausedAtRisk => None,
        }
    }
}

impl StageClock {
    /// The clock's outcome, whatever the time.
    pub fn outcome(&self) -> StageOutcome {
        if self.waived_at.is_some() {
            StageOutcome::Waived
        } else if let Some(met_at) = self.met_at {
            // Any instant will do: a met stage's state no longer depends on it.
            match self.state(met_at) {
                StageState::Met => StageOutcome::Met,
                _ => StageOutcome::MetLate,
            }
        } else if self.final_breach {
            StageOutcome::Breached
        } else if self.paused_remaining.is_some() {
            if self.paused_at_risk {
                StageOutcome::PausedAtRisk
            } else {
                StageOutcome::Paused
            }
        } else {
            StageOutcome::Running
        }
    }
}

/// A stage's final outcome, as the metrics and reports count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinalOutcome {
    Met,
    Breached,
    Waived,
}

impl FinalOutcome {
    /// `met`, `breached` or `waived`: the metrics' label.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalOutcome::Met => "met",
            FinalOutcome::Breached => "breached",
            FinalOutcome::Waived => "waived",
        }
    }
}

/// The cycle an issue's stored row holds: its start and stage clocks.
#[derive(Debug, Clone, Copy)]
pub struct StoredCycle<'a> {
    pub start: Timestamp,
    pub stages: &'a [StageClock],
}

/// A stage that reached its final outcome in this fold.
#[derive(Debug, Clone, PartialEq)]
pub struct SettledStage {
    pub stage: Stage,
    pub cycle_start: Timestamp,
    pub outcome: FinalOutcome,
    /// SLA-clock time from cycle start to met, when it was met (on time or late).
    pub clock_time: Option<TimeDelta>,
}

/// Stages whose outcome became final between the stored row's cycle
/// (`before`) and the new state, so each outcome is counted once. Cycles
/// that ended before the stored cycle were counted when they ended.
pub fn newly_settled(before: Option<StoredCycle<'_>>, state: &IssueState) -> Vec<SettledStage> {
    let Some(policy) = &state.policy else {
        return Vec::new();
    };
    let calendar = policy.calendar.as_ref();
    let mut settled = Vec::new();
    for cycle in &state.cycles {
        let previous: &[StageClock] = match before {
            Some(stored) if stored.start == cycle.start => stored.stages,
            Some(stored) if cycle.start < stored.start => continue,
            _ => &[],
        };
        for clock in &cycle.stages {
            let now_outcome = final_outcome(clock);
            let was_final = previous
                .iter()
                .find(|s| s.stage == clock.stage)
                .is_some_and(|s| final_outcome(s).is_some());
            if let (Some(outcome), false) = (now_outcome, was_final) {
                settled.push(SettledStage {
                    stage: clock.stage,
                    cycle_start: cycle.start,
                    outcome,
                    clock_time: clock_time_to_met(clock, cycle.start, calendar),
                });
            }
        }
    }
    settled
}

/// A stage's final outcome as the metrics count it: met, breached (met
/// late or closed unmet past its deadline) or waived; `None` while open.
pub fn final_outcome(clock: &StageClock) -> Option<FinalOutcome> {
    clock.outcome().settled()
}

/// Working time the stage's clock ran before it was met: the target's length
/// less what remained at the (pause-adjusted) deadline, or plus the overrun.
pub fn clock_time_to_met(
    clock: &StageClock,
    cycle_start: Timestamp,
    calendar: &dyn Calendar,
) -> Option<TimeDelta> {
    let met = clock.met_at?;
    let length = calendar.working_time(cycle_start, calendar.deadline(cycle_start, clock.target));
    Some(match (clock.deadline, clock.paused_remaining) {
        (Some(deadline), _) if met <= deadline => length - calendar.working_time(met, deadline),
        (Some(deadline), _) => length + calendar.working_time(deadline, met),
        (None, Some(remaining)) => length - remaining,
        (None, None) => calendar.working_time(cycle_start, met),
    })
}

#[cfg(test)]
mod tests;
