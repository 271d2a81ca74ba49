use super::*;
use crate::domain::event::EventKind;
use crate::domain::fixtures::event;
use crate::domain::issue::fold;
use crate::domain::policy::{PolicySet, Stage};

fn policies() -> PolicySet {
    PolicySet::default()
}

/// The current cycle as the issue's row stores it after a fold.
fn stored(state: &IssueState) -> (Timestamp, Vec<StageClock>) {
    let cycle = state.current_cycle().unwrap();
    (cycle.start, cycle.stages.clone())
}

#[test]
fn outcomes_are_counted_once_when_they_settle() {
    let raised = event(EventKind::Raised, 0, 1);
    let state = fold(std::slice::from_ref(&raised), &policies());
    assert!(
        newly_settled(None, &state).is_empty(),
        "running stages are not settled"
    );
    let (start, clocks) = stored(&state);

    let state = fold(
        &[raised.clone(), event(EventKind::Acknowledged, 5, 2)],
        &policies(),
    );
    let settled = newly_settled(
        Some(StoredCycle {
            start,
            stages: &clocks,
        }),
        &state,
    );
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].stage, Stage::Ack);
    assert_eq!(settled[0].outcome, FinalOutcome::Met);
    assert_eq!(settled[0].clock_time, Some(TimeDelta::minutes(5)));

    let (start, clocks) = stored(&state);
    assert!(
        newly_settled(
            Some(StoredCycle {
                start,
                stages: &clocks
            }),
            &state
        )
        .is_empty(),
        "a second fold counts nothing again"
    );
}

#[test]
fn late_handling_settles_as_breached_with_its_overrun() {
    let state = fold(
        &[event(EventKind::Raised, 0, 1), event(EventKind::Handled, 150, 2)],
        &policies(),
    );
    let settled = newly_settled(None, &state);
    let handle = settled.iter().find(|s| s.stage == Stage::Handle).unwrap();
    assert_eq!(handle.outcome, FinalOutcome::Breached);
    assert_eq!(handle.clock_time, Some(TimeDelta::minutes(150)));
    let ack = settled.iter().find(|s| s.stage == Stage::Ack).unwrap();
    assert_eq!(
        ack.outcome,
        FinalOutcome::Breached,
        "handled at 150 min also meets ack, late"
    );
}
