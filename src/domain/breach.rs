//! Breach records follow the derived state: which to record, which to
//! retract, which to reinstate, and the notice each change calls for.

use super::issue::{BreachFact, IssueState};
use super::policy::Stage;
use super::Timestamp;
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

/// A breach record: a stage of one cycle that missed its deadline, as
/// `breaches` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachRecord {
    pub issue: String,
    pub project: Option<String>,
    pub stage: Stage,
    pub cycle_start: Timestamp,
    pub cycle: i64,
    pub deadline: Timestamp,
    pub met_at: Option<Timestamp>,
    pub detected_at: Timestamp,
    pub detected_late: bool,
    pub retracted_at: Option<Timestamp>,
    pub escalation_step: i64,
}

/// A breach record as stored, with its row id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBreach {
    pub id: i64,
    pub record: BreachRecord,
}

/// A change to write to `breaches`.
#[derive(Debug, Clone)]
pub enum BreachAction {
    Insert(BreachRecord, BreachNotice),
    Update(i64, BreachRecord, Option<BreachNotice>),
}

/// Brings an issue's breach records in line with its derived state at `now`.
///
/// A new record needs deadline + grace to have passed (or a final outcome);
/// an existing record stays while the stage reads breached at all, so a
/// deadline moved into the grace window does not retract and reinstate it.
pub fn reconcile_breaches(
    issue: &str,
    state: &IssueState,
    existing: &[StoredBreach],
    grace: TimeDelta,
    now: Timestamp,
) -> Vec<BreachAction> {
    let to_record = state.breaches(now, grace);
    let still_breached = state.breaches(now, TimeDelta::zero());
    let same = |fact: &BreachFact, stored: &StoredBreach| {
        stored.record.stage == fact.stage && stored.record.cycle_start == fact.cycle_start
    };
    let mut actions = Vec::new();

    for fact in &to_record {
        if existing.iter().any(|row| same(fact, row)) {
            continue;
        }
        let change = BreachRecord {
            issue: issue.to_string(),
            project: state.project.clone(),
            stage: fact.stage,
            cycle_start: fact.cycle_start,
            cycle: i64::from(fact.cycle),
            deadline: fact.deadline,
            met_at: fact.met_at,
            detected_at: now,
            detected_late: now > fact.deadline + grace + LATE_DETECTION,
            retracted_at: None,
            escalation_step: 0,
        };
        actions.push(BreachAction::Insert(change, BreachNotice::Recorded));
    }

    for stored in existing {
        let fact = still_breached.iter().find(|fact| same(fact, stored));
        let row = &stored.record;
        let mut change = row.clone();
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
            actions.push(BreachAction::Update(stored.id, change, notice));
        }
    }
    actions
}

#[cfg(test)]
mod tests;
