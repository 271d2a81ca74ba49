//! Turning a folded issue into rows to write: the issue row, its next timer
//! visit, and the breach records that must follow the derived state.
//! Pure: no I/O, so every case is unit-tested.

use super::Rules;
use crate::domain::issue::{BreachFact, IssueState};
use crate::domain::Timestamp;
use crate::store::rows::BreachRow;
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
            stage: fact.stage.as_str(),
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
        let mut change = BreachChange {
            issue: row.issue.clone(),
            project: row.project.clone(),
            stage: row.stage.as_str(),
            cycle_start: row.cycle_start,
            cycle: row.cycle,
            deadline: row.deadline,
            met_at: row.met_at,
            detected_at: row.detected_at,
            detected_late: row.detected_late,
            retracted_at: row.retracted_at,
            escalation_step: row.escalation_step,
        };
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

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
