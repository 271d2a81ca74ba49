//! Decide: per issue, fold its events and work out its row, its breach
//! records, the notifications they call for and what the metrics count.
//! Pure: everything it needs is read beforehand into [`IssueFacts`].

use super::super::Rules;
use crate::domain::breach::{reconcile_breaches, BreachAction, BreachNotice, BreachRecord, StoredBreach};
use crate::domain::event::Event;
use crate::domain::issue::{fold, IssueStatus};
use crate::domain::notice::{notices, BreachEvent, OutboxEntry, Subject};
use crate::domain::outcome::{newly_settled, FinalOutcome, SettledStage, StoredCycle};
use crate::domain::Timestamp;
use crate::store::rows::IssueRow;

/// What is known of one issue before deciding it.
pub(super) struct IssueFacts<'a> {
    pub issue: &'a str,
    pub seq: i64,
    /// All its events, stored and new.
    pub events: Vec<Event>,
    /// Its row as stored; none for an issue new in this batch.
    pub before: Option<&'a IssueRow>,
    /// Its stored breach records, retracted ones included.
    pub breaches: Vec<StoredBreach>,
    /// The timer sent it back: a breach found now is the timer's catch.
    pub revisited: bool,
}

/// What one issue's fold writes and counts.
pub(super) struct IssueDecision {
    pub row: IssueRow,
    pub inserts: Vec<BreachRecord>,
    pub updates: Vec<(i64, BreachRecord)>,
    pub outbox: Vec<OutboxEntry>,
    /// Stages settled by this fold: (project, stage, whether its outcome
    /// is counted here).
    pub settled: Vec<(Option<String>, SettledStage, bool)>,
    /// Breach records made, reinstated or retracted: (project, stage, what
    /// happened, detection delay in seconds for the timer's catches).
    pub breaches: Vec<(Option<String>, &'static str, BreachNotice, Option<f64>)>,
}

/// One breach record as this fold leaves it.
struct Planned {
    /// Its stored id; none for a record made now.
    id: Option<i64>,
    record: BreachRecord,
    notice: Option<BreachNotice>,
    /// Changed by the fold (written even if its escalation step stays).
    changed: bool,
}

/// Folds one issue and decides its rows, breach records and notifications.
pub(super) fn decide(facts: &IssueFacts, rules: &Rules, now: Timestamp) -> IssueDecision {
    let IssueFacts {
        issue,
        seq,
        ref events,
        before,
        ref breaches,
        revisited,
    } = *facts;
    let state = fold(events, &rules.policies);
    let next_due = state.next_due(now, rules.grace);
    let first_seen = before.map_or(now, |row| row.first_seen);
    let row = IssueRow::from_state(issue, seq, &state, first_seen, now, next_due);
    let actions = reconcile_breaches(issue, &state, breaches, rules.grace, now);

    // Each stage's outcome is counted once: a breach when its record is
    // made, a met or waived stage only if it never had a breach record.
    let stored_clocks = before.map(IssueRow::stage_clocks).unwrap_or_default();
    let stored_cycle = before.and_then(|row| row.cycle_start).map(|start| StoredCycle {
        start,
        stages: &stored_clocks,
    });
    let settled = newly_settled(stored_cycle, &state)
        .into_iter()
        .map(|settled| {
            let recorded = breaches
                .iter()
                .any(|b| b.record.stage == settled.stage && b.record.cycle_start == settled.cycle_start)
                || actions.iter().any(|action| {
                    matches!(action, BreachAction::Insert(change, _)
                    if change.stage == settled.stage && change.cycle_start == settled.cycle_start)
                });
            let counted = settled.outcome != FinalOutcome::Breached && !recorded;
            (state.project.clone(), settled, counted)
        })
        .collect();

    // Every record of the issue, changed or not.
    let mut counted_breaches = Vec::new();
    let mut planned: Vec<Planned> = Vec::new();
    for action in actions {
        match action {
            BreachAction::Insert(record, notice) => {
                // Only the running timer's catches measure detection delay;
                // an event that arrives late says nothing about the timer.
                let delay = revisited
                    .then(|| (now - (record.deadline + rules.grace)).num_milliseconds() as f64 / 1e3);
                counted_breaches.push((
                    record.project.clone(),
                    record.stage.as_str(),
                    notice.clone(),
                    delay,
                ));
                planned.push(Planned {
                    id: None,
                    record,
                    notice: Some(notice),
                    changed: true,
                });
            }
            BreachAction::Update(id, record, notice) => {
                if let Some(notice) = &notice {
                    counted_breaches.push((
                        record.project.clone(),
                        record.stage.as_str(),
                        notice.clone(),
                        None,
                    ));
                }
                planned.push(Planned {
                    id: Some(id),
                    record,
                    notice,
                    changed: true,
                });
            }
        }
    }
    for stored in breaches
        .iter()
        .filter(|stored| stored.record.retracted_at.is_none())
    {
        if !planned.iter().any(|p| p.id == Some(stored.id)) {
            planned.push(Planned {
                id: Some(stored.id),
                record: stored.record.clone(),
                notice: None,
                changed: false,
            });
        }
    }

    let subject = Subject {
        issue,
        seq,
        state: &state,
        events,
        last_visit: before.map(|row| row.updated),
    };
    let breach_events: Vec<_> = planned
        .iter()
        .map(|p| {
            let event = BreachEvent {
                stage: p.record.stage,
                cycle_start: p.record.cycle_start,
                cycle: p.record.cycle,
                deadline: p.record.deadline,
                met_at: p.record.met_at,
                notice: p.notice.as_ref(),
                stood_before: p.id.is_some_and(|id| stood(id, breaches, before)),
            };
            (event, p.record.escalation_step)
        })
        .collect();
    let (outbox, steps) = notices(&subject, &breach_events, &rules.routing, now);

    let mut decision = IssueDecision {
        row,
        inserts: Vec::new(),
        updates: Vec::new(),
        outbox,
        settled,
        breaches: counted_breaches,
    };
    for (mut p, step) in planned.into_iter().zip(steps) {
        let escalated = step != p.record.escalation_step;
        p.record.escalation_step = step;
        match p.id {
            None => decision.inserts.push(p.record),
            Some(id) if p.changed || escalated => decision.updates.push((id, p.record)),
            Some(_) => {}
        }
    }
    decision
}

/// Whether a stored breach record stood before this fold: not met, not
/// retracted, and its cycle the issue's open current one.
fn stood(id: i64, breaches: &[StoredBreach], before: Option<&IssueRow>) -> bool {
    let Some(stored) = breaches.iter().find(|stored| stored.id == id) else {
        return false;
    };
    let open = before.is_some_and(|issue| {
        matches!(issue.status, IssueStatus::Open | IssueStatus::Paused)
            && issue.cycle_start == Some(stored.record.cycle_start)
    });
    open && stored.record.retracted_at.is_none() && stored.record.met_at.is_none()
}
