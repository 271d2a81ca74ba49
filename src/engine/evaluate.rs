//! Turning a folded issue into rows to write: the issue row, its next timer
//! visit, and the breach records that must follow the derived state.
//! Pure: no I/O, so every case is unit-tested.

use super::Rules;
use crate::domain::calendar::Calendar;
use crate::domain::issue::{BreachFact, IssueState, StageClock};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use crate::store::rows::BreachRow;
use crate::store::rows::{IssueRow, StageSnapshot};
use crate::store::write::BreachChange;

use chrono::TimeDelta;

/// A breach recorded more than this after deadline + grace was not caught
/// by a running timer (downtime, backfill).
pub const LATE_DETECTION: TimeDelta = TimeDelta::seconds(5);

/// What happened to breach records; the notification feature turns these
/// into messages inside the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum BreachNotice {
    Recorded,
    Retracted,
    Reinstated,
}

/// A change to write to `breaches`.
#[derive(Debug, Clone)]
pub enum BreachAction {
    Insert(BreachChange, BreachNotice),
    Update(i64, BreachChange, Option<BreachNotice>),
}

/// Brings an issue's breach records in line with its derived state at `now`.
///
/// A new record needs deadline + grace to have passed (or a final outcome);
/// an existing record stays while the stage reads breached at all, so a
/// deadline moved into the grace window does not retract and reinstate it.
pub fn reconcile_breaches(
    issue: &str,
    state: &IssueState,
    existing: &[BreachRow],
    rules: &Rules,
    now: Timestamp,
) -> Vec<BreachAction> {
    let to_record = state.breaches(now, rules.grace);
    let still_breached = state.breaches(now, TimeDelta::zero());
    let same =
        |fact: &BreachFact, row: &BreachRow| row.stage == fact.stage && row.cycle_start == fact.cycle_start;
    let mut actions = Vec::new();

    for fact in &to_record {
        if existing.iter().any(|row| same(fact, row)) {
            continue;
        }
        let change = BreachChange {
            issue: issue.to_string(),
            project: state.project.clone(),
            stage: fact.stage,
            cycle_start: fact.cycle_start,
            cycle: i64::from(fact.cycle),
            deadline: fact.deadline,
            met_at: fact.met_at,
            detected_at: now,
            detected_late: now > fact.deadline + rules.grace + LATE_DETECTION,
            retracted_at: None,
            escalation_step: 0,
        };
        actions.push(BreachAction::Insert(change, BreachNotice::Recorded));
    }

    for row in existing {
        let fact = still_breached.iter().find(|fact| same(fact, row));
        let mut change = BreachChange::from_row(row);
        let notice = match (fact, row.retracted_at) {
            (None, None) => {
                change.retracted_at = Some(now);
                Some(BreachNotice::Retracted)
            }
            (None, Some(_)) => None,
            (Some(fact), retracted) => {
                change.cycle = i64::from(fact.cycle);
                change.deadline = fact.deadline;
                change.met_at = fact.met_at;
                change.project = state.project.clone();
                change.retracted_at = None;
                retracted.map(|_| BreachNotice::Reinstated)
            }
        };
        let changed = change.retracted_at != row.retracted_at
            || change.cycle != row.cycle
            || change.deadline != row.deadline
            || change.met_at != row.met_at
            || change.project != row.project;
        if changed {
            actions.push(BreachAction::Update(row.id, change, notice));
        }
    }
    actions
}

/// A stage that reached its final outcome in this fold.
#[derive(Debug, Clone, PartialEq)]
pub struct SettledStage {
    pub stage: Stage,
    pub cycle_start: Timestamp,
    /// `met`, `breached` or `waived`.
    pub outcome: &'static str,
    /// SLA-clock time from cycle start to met, when it was met (on time or late).
    pub clock_time: Option<TimeDelta>,
}

/// Stages whose outcome became final between the stored row (`before`) and
/// the new state, so each outcome is counted once. Cycles that ended before
/// the stored row's cycle were counted when they ended.
pub fn newly_settled(before: Option<&IssueRow>, state: &IssueState) -> Vec<SettledStage> {
    let Some(policy) = &state.policy else {
        return Vec::new();
    };
    let calendar = policy.calendar.as_ref();
    let stored_start = before.and_then(|row| row.cycle_start);
    let mut settled = Vec::new();
    for cycle in &state.cycles {
        let previous: &[StageSnapshot] = match (before, stored_start) {
            (Some(row), Some(start)) if start == cycle.start => &row.stages,
            (_, Some(start)) if cycle.start < start => continue,
            _ => &[],
        };
        for clock in &cycle.stages {
            let now_outcome = final_outcome(&StageSnapshot::from_clock(clock));
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

/// A stage's final outcome as the metrics count it: `met`, `breached` (met
/// late or closed unmet past its deadline) or `waived`; `None` while open.
pub fn final_outcome(snapshot: &StageSnapshot) -> Option<&'static str> {
    match snapshot.outcome() {
        "met" => Some("met"),
        "met_late" | "breached" => Some("breached"),
        "waived" => Some("waived"),
        _ => None,
    }
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
