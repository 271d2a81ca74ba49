use super::*;
use crate::domain::event::{Event, EventKind};
use crate::domain::issue::fold;
use crate::domain::policy::{PolicySet, Stage};
use crate::store::rows::{BreachRow, IssueRow};
use std::sync::Arc;

fn t(minutes: i64) -> Timestamp {
    "2024-05-30T02:02:00Z".parse::<Timestamp>().unwrap() + TimeDelta::minutes(minutes)
}

fn event(kind: EventKind, minutes: i64, arrival: i64) -> Event {
    Event {
        id: format!("e{arrival}"),
        issue: "water".into(),
        kind,
        at: t(minutes),
        at_given: true,
        arrival,
        project: (kind == EventKind::Raised).then(|| "zhongtai".to_string()),
        priority: None,
        title: None,
        text: None,
        actor: None,
        resolution: None,
        attributes: Default::default(),
        source: "test".into(),
        received_at: t(minutes),
    }
}

fn rules() -> Rules {
    Rules {
        policies: Arc::new(PolicySet::default()),
        grace: TimeDelta::seconds(30),
        routing: Default::default(),
        chat: Default::default(),
        max_future_skew: TimeDelta::minutes(5),
    }
}

/// What the store would hold after applying `actions` to `existing`.
fn apply(existing: &[BreachRow], actions: &[BreachAction]) -> Vec<BreachRow> {
    let mut rows = existing.to_vec();
    for action in actions {
        let (id, change) = match action {
            BreachAction::Insert(change, _) => (rows.len() as i64 + 1, change),
            BreachAction::Update(id, change, _) => (*id, change),
        };
        let row = BreachRow {
            id,
            issue: change.issue.clone(),
            seq: None,
            project: change.project.clone(),
            stage: change.stage,
            cycle: change.cycle,
            cycle_start: change.cycle_start,
            deadline: change.deadline,
            met_at: change.met_at,
            detected_at: change.detected_at,
            detected_late: change.detected_late,
            retracted_at: change.retracted_at,
            escalation_step: change.escalation_step,
        };
        rows.retain(|r| r.id != id);
        rows.push(row);
    }
    rows
}

fn notices(actions: &[BreachAction]) -> Vec<BreachNotice> {
    actions
        .iter()
        .filter_map(|a| match a {
            BreachAction::Insert(_, notice) => Some(notice.clone()),
            BreachAction::Update(_, _, notice) => notice.clone(),
        })
        .collect()
}

#[test]
fn nothing_is_recorded_before_deadline_plus_grace() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &rules().policies);
    let at_deadline = t(10) + TimeDelta::seconds(29);
    assert!(reconcile_breaches("water", &state, &[], &rules(), at_deadline).is_empty());
}

#[test]
fn running_timer_records_a_breach_on_time() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &rules().policies);
    let now = t(10) + TimeDelta::seconds(31);
    let actions = reconcile_breaches("water", &state, &[], &rules(), now);
    assert_eq!(notices(&actions), vec![BreachNotice::Recorded]);
    let rows = apply(&[], &actions);
    assert_eq!(rows[0].stage, Stage::Ack);
    assert_eq!(rows[0].deadline, t(10));
    assert!(!rows[0].detected_late);
}

#[test]
fn a_breach_found_after_downtime_is_detected_late() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &rules().policies);
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], &rules(), t(60)));
    assert!(rows.iter().all(|r| r.detected_late));
}

#[test]
fn each_breach_is_recorded_once() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &rules().policies);
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], &rules(), t(11)));
    assert_eq!(rows.len(), 1);
    assert!(reconcile_breaches("water", &state, &rows, &rules(), t(12)).is_empty());
}

#[test]
fn late_arriving_on_time_ack_retracts_the_breach() {
    let raised = event(EventKind::Raised, 0, 1);
    let state = fold(std::slice::from_ref(&raised), &rules().policies);
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], &rules(), t(11)));
    // The bot's reply was sent at minute 9 but arrives at minute 12.
    let state = fold(
        &[raised.clone(), event(EventKind::Acknowledged, 9, 2)],
        &rules().policies,
    );
    let actions = reconcile_breaches("water", &state, &rows, &rules(), t(12));
    assert_eq!(notices(&actions), vec![BreachNotice::Retracted]);
    let rows = apply(&rows, &actions);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].retracted_at, Some(t(12)));
    // Nothing more to do on the next visit.
    assert!(reconcile_breaches("water", &state, &rows, &rules(), t(13)).is_empty());
}

#[test]
fn a_retracted_breach_is_reinstated_not_duplicated() {
    let raised = event(EventKind::Raised, 0, 1);
    let late_ack = event(EventKind::Acknowledged, 12, 3);
    let state = fold(&[raised.clone(), late_ack.clone()], &rules().policies);
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], &rules(), t(13)));
    assert_eq!(rows[0].met_at, Some(t(12)));
    let mut retracted = rows.clone();
    retracted[0].retracted_at = Some(t(14));
    let actions = reconcile_breaches("water", &state, &retracted, &rules(), t(15));
    assert_eq!(notices(&actions), vec![BreachNotice::Reinstated]);
    let rows = apply(&retracted, &actions);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].retracted_at, None);
}

#[test]
fn outcomes_are_counted_once_when_they_settle() {
    let raised = event(EventKind::Raised, 0, 1);
    let state = fold(std::slice::from_ref(&raised), &rules().policies);
    assert!(
        newly_settled(None, &state).is_empty(),
        "running stages are not settled"
    );
    let row = IssueRow::from_state("water", 1, &state, t(0), t(0), None);

    let state = fold(
        &[raised.clone(), event(EventKind::Acknowledged, 5, 2)],
        &rules().policies,
    );
    let settled = newly_settled(Some(&row), &state);
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].stage, Stage::Ack);
    assert_eq!(settled[0].outcome, "met");
    assert_eq!(settled[0].clock_time, Some(TimeDelta::minutes(5)));

    let row = IssueRow::from_state("water", 1, &state, t(0), t(5), None);
    assert!(
        newly_settled(Some(&row), &state).is_empty(),
        "a second fold counts nothing again"
    );
}

#[test]
fn late_handling_settles_as_breached_with_its_overrun() {
    let state = fold(
        &[event(EventKind::Raised, 0, 1), event(EventKind::Handled, 150, 2)],
        &rules().policies,
    );
    let settled = newly_settled(None, &state);
    let handle = settled.iter().find(|s| s.stage == Stage::Handle).unwrap();
    assert_eq!(handle.outcome, "breached");
    assert_eq!(handle.clock_time, Some(TimeDelta::minutes(150)));
    let ack = settled.iter().find(|s| s.stage == Stage::Ack).unwrap();
    assert_eq!(ack.outcome, "breached", "handled at 150 min also meets ack, late");
}
