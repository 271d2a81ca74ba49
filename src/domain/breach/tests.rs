use super::*;
use crate::domain::event::EventKind;
use crate::domain::fixtures::{event, t};
use crate::domain::issue::fold;
use crate::domain::policy::{PolicySet, Stage};

const GRACE: TimeDelta = TimeDelta::seconds(30);

fn policies() -> PolicySet {
    PolicySet::default()
}

/// What the store would hold after applying `actions` to `existing`.
fn apply(existing: &[StoredBreach], actions: &[BreachAction]) -> Vec<StoredBreach> {
    let mut rows = existing.to_vec();
    for action in actions {
        let (id, change) = match action {
            BreachAction::Insert(change, _) => (rows.len() as i64 + 1, change),
            BreachAction::Update(id, change, _) => (*id, change),
        };
        let row = StoredBreach {
            id,
            record: change.clone(),
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
    let state = fold(&[event(EventKind::Raised, 0, 1)], &policies());
    let at_deadline = t(10) + TimeDelta::seconds(29);
    assert!(reconcile_breaches("water", &state, &[], GRACE, at_deadline).is_empty());
}

#[test]
fn running_timer_records_a_breach_on_time() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &policies());
    let now = t(10) + TimeDelta::seconds(31);
    let actions = reconcile_breaches("water", &state, &[], GRACE, now);
    assert_eq!(notices(&actions), vec![BreachNotice::Recorded]);
    let rows = apply(&[], &actions);
    assert_eq!(rows[0].record.stage, Stage::Ack);
    assert_eq!(rows[0].record.deadline, t(10));
    assert!(!rows[0].record.detected_late);
}

#[test]
fn a_breach_found_after_downtime_is_detected_late() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &policies());
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], GRACE, t(60)));
    assert!(rows.iter().all(|r| r.record.detected_late));
}

#[test]
fn each_breach_is_recorded_once() {
    let state = fold(&[event(EventKind::Raised, 0, 1)], &policies());
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], GRACE, t(11)));
    assert_eq!(rows.len(), 1);
    assert!(reconcile_breaches("water", &state, &rows, GRACE, t(12)).is_empty());
}

#[test]
fn late_arriving_on_time_ack_retracts_the_breach() {
    let raised = event(EventKind::Raised, 0, 1);
    let state = fold(std::slice::from_ref(&raised), &policies());
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], GRACE, t(11)));
    // The bot's reply was sent at minute 9 but arrives at minute 12.
    let state = fold(
        &[raised.clone(), event(EventKind::Acknowledged, 9, 2)],
        &policies(),
    );
    let actions = reconcile_breaches("water", &state, &rows, GRACE, t(12));
    assert_eq!(notices(&actions), vec![BreachNotice::Retracted]);
    let rows = apply(&rows, &actions);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record.retracted_at, Some(t(12)));
    // Nothing more to do on the next visit.
    assert!(reconcile_breaches("water", &state, &rows, GRACE, t(13)).is_empty());
}

#[test]
fn a_retracted_breach_is_reinstated_not_duplicated() {
    let raised = event(EventKind::Raised, 0, 1);
    let late_ack = event(EventKind::Acknowledged, 12, 3);
    let state = fold(&[raised.clone(), late_ack.clone()], &policies());
    let rows = apply(&[], &reconcile_breaches("water", &state, &[], GRACE, t(13)));
    assert_eq!(rows[0].record.met_at, Some(t(12)));
    let mut retracted = rows.clone();
    retracted[0].record.retracted_at = Some(t(14));
    let actions = reconcile_breaches("water", &state, &retracted, GRACE, t(15));
    assert_eq!(notices(&actions), vec![BreachNotice::Reinstated]);
    let rows = apply(&retracted, &actions);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record.retracted_at, None);
}
