//! One test per rule of SPEC §1 and §2, named after it.

use super::*;
use crate::domain::calendar::{AlwaysOn, Calendar};
use crate::domain::event::{Event, EventKind};
use crate::domain::policy::{EscalationStep, PolicySet};
use chrono::{NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

const GRACE: TimeDelta = TimeDelta::seconds(30);

/// The instant `minutes` after the test's origin (2024-05-30 10:00 Shanghai).
fn t(minutes: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 30, 2, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// One event of issue `water`; `arrival` is its position in the store.
fn ev(kind: EventKind, minutes: i64, arrival: i64) -> Event {
    Event {
        id: format!("evt-{arrival}"),
        at: t(minutes),
        title: (kind == EventKind::Raised).then(|| "工地停水".to_string()),
        received_at: t(minutes),
        ..crate::domain::fixtures::event(kind, minutes, arrival)
    }
}

fn closed(minutes: i64, resolution: Resolution, arrival: i64) -> Event {
    Event {
        resolution: Some(resolution),
        ..ev(EventKind::Closed, minutes, arrival)
    }
}

use EventKind::{Acknowledged, Handled, Paused, Planned, Raised, Reopened, Resumed};

/// The built-in 10m / 2h / 1d promise, 24x7, no pausing.
fn default_fold(events: &[Event]) -> IssueState {
    fold(events, &PolicySet::default())
}

/// A 24x7 policy that allows pausing and escalates 30m → lead, 2h → zone.
fn pausable() -> PolicySet {
    PolicySet::new(vec![Policy {
        name: "pausable".into(),
        allow_pause: true,
        escalation: vec![
            EscalationStep {
                after: TimeDelta::minutes(30),
                to: Audience::Lead,
            },
            EscalationStep {
                after: TimeDelta::hours(2),
                to: Audience::Zone,
            },
        ],
        ..Policy::builtin_default()
    }])
}

fn clock(state: &IssueState, cycle: usize, stage: Stage) -> &StageClock {
    state.cycles[cycle].stage(stage).expect("stage in policy")
}

fn ack(state: &IssueState) -> &StageClock {
    clock(state, state.cycles.len() - 1, Stage::Ack)
}

#[test]
fn events_before_their_raised_leave_the_issue_unraised() {
    let state = default_fold(&[ev(Acknowledged, 1, 1)]);
    assert_eq!(state.status, IssueStatus::Unraised);
    assert!(state.cycles.is_empty() && state.policy.is_none());
    assert!(state.agenda(GRACE).is_empty());
    assert!(state.breaches(t(1000), GRACE).is_empty());
}

#[test]
fn raised_starts_a_cycle_with_one_clock_per_stage() {
    let state = default_fold(&[ev(Raised, 0, 1)]);
    assert_eq!(state.status, IssueStatus::Open);
    assert_eq!(state.title.as_deref(), Some("工地停水"));
    assert_eq!(state.raised_at, Some(t(0)));
    let cycle = state.current_cycle().unwrap();
    assert_eq!((cycle.number, cycle.start), (1, t(0)));
    let deadlines: Vec<_> = cycle.stages.iter().map(|c| c.deadline).collect();
    assert_eq!(deadlines, [Some(t(10)), Some(t(120)), Some(t(24 * 60))]);
    // Warnings at 0.8 of each target.
    let warnings: Vec<_> = cycle.stages.iter().map(|c| c.at_risk_at).collect();
    assert_eq!(warnings, [Some(t(8)), Some(t(96)), Some(t(1152))]);
}

#[test]
fn stage_reads_pending_then_at_risk_then_breached() {
    let state = default_fold(&[ev(Raised, 0, 1)]);
    let ack = ack(&state);
    assert_eq!(ack.state(t(7)), StageState::Pending);
    assert_eq!(ack.state(t(8)), StageState::AtRisk);
    assert_eq!(ack.state(t(10)), StageState::AtRisk);
    assert_eq!(
        ack.state(t(10) + TimeDelta::milliseconds(1)),
        StageState::Breached
    );
    assert_eq!(ack.breached_at(t(11)), Some(t(10)));
    assert_eq!(ack.breached_at(t(9)), None);
}

#[test]
fn ack_at_the_deadline_is_met() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Acknowledged, 10, 2)]);
    assert_eq!(ack(&state).state(t(500)), StageState::Met);
    assert_eq!(ack(&state).met_at, Some(t(10)));
}

#[test]
fn late_ack_is_breached_with_met_at() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Acknowledged, 11, 2)]);
    let ack = ack(&state);
    assert_eq!(ack.state(t(11)), StageState::Breached);
    assert_eq!((ack.met_at, ack.deadline), (Some(t(11)), Some(t(10))));
    assert_eq!(ack.breached_at(t(11)), Some(t(10)));
}

#[test]
fn handled_implies_ack() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Handled, 5, 2)]);
    assert_eq!(clock(&state, 0, Stage::Ack).met_at, Some(t(5)));
    assert_eq!(clock(&state, 0, Stage::Handle).met_at, Some(t(5)));
    assert_eq!(clock(&state, 0, Stage::Plan).met_at, None);
}

#[test]
fn handled_keeps_an_earlier_ack() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Acknowledged, 3, 2), ev(Handled, 50, 3)]);
    assert_eq!(clock(&state, 0, Stage::Ack).met_at, Some(t(3)));
}

#[test]
fn planned_implies_ack_and_handle() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Planned, 60, 2)]);
    let met: Vec<_> = state.cycles[0].stages.iter().map(|c| c.met_at).collect();
    assert_eq!(met, [Some(t(60)); 3]);
    assert_eq!(clock(&state, 0, Stage::Ack).state(t(60)), StageState::Breached);
    assert_eq!(clock(&state, 0, Stage::Handle).state(t(60)), StageState::Met);
}

#[test]
fn stages_missing_from_the_policy_are_absent() {
    let policies = PolicySet::new(vec![Policy {
        targets: vec![(Stage::Ack, Target::Working(TimeDelta::minutes(5)))],
        ..Policy::builtin_default()
    }]);
    let state = fold(&[ev(Raised, 0, 1), ev(Planned, 1, 2)], &policies);
    assert_eq!(state.cycles[0].stages.len(), 1);
    assert!(state.cycles[0].stage(Stage::Plan).is_none());
}

#[test]
fn earliest_raised_chooses_the_policy() {
    let urgent = Policy {
        name: "urgent".into(),
        matcher: crate::domain::policy::PolicyMatch {
            projects: vec![],
            priorities: vec!["urgent".into()],
        },
        ..Policy::builtin_default()
    };
    let policies = PolicySet::new(vec![urgent]);
    let first = Event {
        priority: Some("urgent".into()),
        ..ev(Raised, 0, 2)
    };
    // The later raised arrived first; `at` order decides.
    let state = fold(&[ev(Raised, 5, 1), first], &policies);
    assert_eq!(state.policy.unwrap().name, "urgent");
    assert_eq!(state.raised_at, Some(t(0)));
}

#[test]
fn second_raised_is_ignored() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Raised, 30, 2)]);
    assert_eq!(state.cycles.len(), 1);
    assert_eq!(state.cycles[0].start, t(0));
    assert_eq!(ack(&state).state(t(30)), StageState::Breached);
}

#[test]
fn events_before_raised_apply_at_raised() {
    let state = default_fold(&[ev(Acknowledged, -50, 1), ev(Handled, -10, 2), ev(Raised, 0, 3)]);
    assert_eq!(clock(&state, 0, Stage::Ack).met_at, Some(t(0)));
    assert_eq!(clock(&state, 0, Stage::Handle).met_at, Some(t(0)));
    assert_eq!(state.status, IssueStatus::Open);
}

#[test]
fn events_before_raised_keep_their_order() {
    // Closed then reopened, both early: the issue ends up open in cycle 2.
    let state = default_fold(&[
        ev(Reopened, -5, 1),
        closed(-10, Resolution::Withdrawn, 2),
        ev(Raised, 0, 3),
    ]);
    assert_eq!(state.status, IssueStatus::Open);
    assert_eq!(state.cycles.len(), 2);
    assert_eq!(state.cycles[1].start, t(0));
}

#[test]
fn equal_times_are_ordered_by_arrival() {
    let close_then_reopen = default_fold(&[
        ev(Raised, 0, 1),
        closed(5, Resolution::Resolved, 2),
        ev(Reopened, 5, 3),
    ]);
    assert_eq!(close_then_reopen.status, IssueStatus::Open);
    let reopen_then_close = default_fold(&[
        ev(Raised, 0, 1),
        ev(Reopened, 5, 2),
        closed(5, Resolution::Resolved, 3),
    ]);
    assert_eq!(reopen_then_close.status, IssueStatus::Closed);
}

#[test]
fn out_of_order_arrival_gives_the_same_state() {
    let events = [ev(Raised, 0, 1), ev(Acknowledged, 12, 2), ev(Handled, 30, 3)];
    let reversed: Vec<_> = events.iter().rev().cloned().collect();
    assert_eq!(default_fold(&events).cycles, default_fold(&reversed).cycles);
}

#[test]
fn resolved_close_meets_pending_ack_and_handle() {
    let state = default_fold(&[ev(Raised, 0, 1), closed(5, Resolution::Resolved, 2)]);
    assert_eq!(state.status, IssueStatus::Closed);
    assert_eq!(state.cycles[0].closed_at, Some(t(5)));
    assert_eq!(state.cycles[0].resolution, Some(Resolution::Resolved));
    assert_eq!(clock(&state, 0, Stage::Ack).met_at, Some(t(5)));
    assert_eq!(clock(&state, 0, Stage::Handle).state(t(999)), StageState::Met);
}

#[test]
fn close_without_resolution_means_resolved() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(EventKind::Closed, 5, 2)]);
    assert_eq!(state.cycles[0].resolution, Some(Resolution::Resolved));
}

#[test]
fn resolved_close_waives_pending_plan() {
    let state = default_fold(&[ev(Raised, 0, 1), closed(5, Resolution::Resolved, 2)]);
    let plan = clock(&state, 0, Stage::Plan);
    assert_eq!((plan.waived_at, plan.met_at), (Some(t(5)), None));
    assert_eq!(plan.state(t(99_999)), StageState::Waived);
    assert_eq!(plan.remaining(&AlwaysOn::new(Tz::UTC), t(6)), None);
}

#[test]
fn withdrawn_close_waives_every_pending_stage() {
    for resolution in [Resolution::Withdrawn, Resolution::Invalid, Resolution::Duplicate] {
        let state = default_fold(&[ev(Raised, 0, 1), ev(Acknowledged, 2, 2), closed(5, resolution, 3)]);
        let states: Vec<_> = state.cycles[0].stages.iter().map(|c| c.state(t(9999))).collect();
        assert_eq!(states, [StageState::Met, StageState::Waived, StageState::Waived]);
    }
}

#[test]
fn close_after_deadline_keeps_breach() {
    // Resolved after the ack and handle deadlines: met late at close time.
    let state = default_fold(&[ev(Raised, 0, 1), closed(200, Resolution::Resolved, 2)]);
    for stage in [Stage::Ack, Stage::Handle] {
        assert_eq!(clock(&state, 0, stage).met_at, Some(t(200)));
        assert_eq!(clock(&state, 0, stage).state(t(200)), StageState::Breached);
    }
    assert_eq!(clock(&state, 0, Stage::Plan).state(t(200)), StageState::Waived);
}

#[test]
fn resolved_never_meets_a_late_plan() {
    let state = default_fold(&[
        ev(Raised, 0, 1),
        ev(Handled, 5, 2),
        closed(2000, Resolution::Resolved, 3),
    ]);
    let plan = clock(&state, 0, Stage::Plan);
    assert!(plan.final_breach);
    assert_eq!(plan.met_at, None);
    assert_eq!(plan.state(t(2000)), StageState::Breached);
    assert_eq!(plan.remaining(&AlwaysOn::new(Tz::UTC), t(2000)), None);
}

#[test]
fn withdrawn_close_after_deadline_is_a_final_breach() {
    let state = default_fold(&[ev(Raised, 0, 1), closed(30, Resolution::Withdrawn, 2)]);
    let ack = ack(&state);
    assert!(ack.final_breach && ack.met_at.is_none());
    assert_eq!(ack.state(t(30)), StageState::Breached);
    assert_eq!(clock(&state, 0, Stage::Handle).state(t(30)), StageState::Waived);
}

#[test]
fn closed_while_closed_is_ignored() {
    let state = default_fold(&[
        ev(Raised, 0, 1),
        closed(5, Resolution::Withdrawn, 2),
        closed(6, Resolution::Resolved, 3),
    ]);
    assert_eq!(state.cycles[0].resolution, Some(Resolution::Withdrawn));
    assert_eq!(state.cycles[0].closed_at, Some(t(5)));
}

#[test]
fn reopen_starts_fresh_cycle() {
    let state = default_fold(&[
        ev(Raised, 0, 1),
        ev(Acknowledged, 20, 2),
        closed(30, Resolution::Resolved, 3),
        ev(Reopened, 100, 4),
    ]);
    assert_eq!(state.status, IssueStatus::Open);
    assert_eq!(state.cycles.len(), 2);
    let cycle = state.current_cycle().unwrap();
    assert_eq!((cycle.number, cycle.start, cycle.closed_at), (2, t(100), None));
    assert_eq!(ack(&state).deadline, Some(t(110)));
    assert_eq!(ack(&state).met_at, None);
    // Outcomes are kept per cycle.
    assert_eq!(clock(&state, 0, Stage::Ack).state(t(100)), StageState::Breached);
}

#[test]
fn reopened_while_open_is_ignored() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Reopened, 5, 2)]);
    assert_eq!(state.cycles.len(), 1);
}

#[test]
fn events_between_close_and_reopen_change_nothing() {
    let base = [
        ev(Raised, 0, 1),
        closed(5, Resolution::Withdrawn, 2),
        ev(Reopened, 100, 3),
    ];
    let mut noisy = base.to_vec();
    noisy.extend([ev(Planned, 50, 4), ev(Paused, 60, 5)]);
    assert_eq!(default_fold(&noisy).cycles, default_fold(&base).cycles);
}

#[test]
fn stage_event_applies_to_the_cycle_containing_its_at() {
    // An ack sent in cycle 1 that arrives after the reopen.
    let state = default_fold(&[
        ev(Raised, 0, 1),
        closed(30, Resolution::Withdrawn, 2),
        ev(Reopened, 100, 3),
        ev(Acknowledged, 20, 4),
    ]);
    assert_eq!(clock(&state, 0, Stage::Ack).met_at, Some(t(20)));
    assert_eq!(ack(&state).met_at, None);
}

#[test]
fn pause_ignored_without_allow_pause() {
    let state = default_fold(&[ev(Raised, 0, 1), ev(Paused, 2, 2), ev(Resumed, 60, 3)]);
    assert_eq!(state.status, IssueStatus::Open);
    assert_eq!(ack(&state).deadline, Some(t(10)));
}

#[test]
fn paused_stage_has_null_deadline() {
    let state = fold(&[ev(Raised, 0, 1), ev(Paused, 4, 2)], &pausable());
    assert_eq!(state.status, IssueStatus::Paused);
    let ack = ack(&state);
    assert_eq!((ack.deadline, ack.at_risk_at), (None, None));
    assert_eq!(ack.paused_remaining, Some(TimeDelta::minutes(6)));
    // Frozen: still pending and still six minutes left long after.
    assert_eq!(ack.state(t(500)), StageState::Pending);
    assert_eq!(
        ack.remaining(&AlwaysOn::new(Tz::UTC), t(500)),
        Some(TimeDelta::minutes(6))
    );
}

#[test]
fn paused_while_at_risk_reads_at_risk() {
    let state = fold(&[ev(Raised, 0, 1), ev(Paused, 9, 2)], &pausable());
    assert!(ack(&state).paused_at_risk);
    assert_eq!(ack(&state).state(t(500)), StageState::AtRisk);
}

#[test]
fn pause_moves_deadline_by_paused_time() {
    let state = fold(
        &[ev(Raised, 0, 1), ev(Paused, 4, 2), ev(Resumed, 64, 3)],
        &pausable(),
    );
    assert_eq!(state.status, IssueStatus::Open);
    let ack = ack(&state);
    assert_eq!((ack.deadline, ack.at_risk_at), (Some(t(70)), Some(t(68))));
    assert_eq!((ack.paused_remaining, ack.paused_at_risk), (None, false));
    assert_eq!(clock(&state, 0, Stage::Handle).deadline, Some(t(180)));
}

#[test]
fn warning_passed_before_the_pause_stays_put() {
    let state = fold(
        &[ev(Raised, 0, 1), ev(Paused, 9, 2), ev(Resumed, 69, 3)],
        &pausable(),
    );
    assert_eq!(ack(&state).deadline, Some(t(70)));
    assert_eq!(ack(&state).at_risk_at, Some(t(8)));
    assert_eq!(ack(&state).state(t(69)), StageState::AtRisk);
}

#[test]
fn pause_after_met_does_not_move_deadline() {
    let state = fold(
        &[
            ev(Raised, 0, 1),
            ev(Acknowledged, 3, 2),
            ev(Paused, 4, 3),
            ev(Resumed, 64, 4),
        ],
        &pausable(),
    );
    assert_eq!(ack(&state).deadline, Some(t(10)));
    assert_eq!(clock(&state, 0, Stage::Handle).deadline, Some(t(180)));
}

#[test]
fn pause_after_breach_does_not_move_deadline() {
    let state = fold(
        &[ev(Raised, 0, 1), ev(Paused, 20, 2), ev(Resumed, 80, 3)],
        &pausable(),
    );
    assert_eq!(ack(&state).deadline, Some(t(10)));
    assert_eq!(ack(&state).state(t(20)), StageState::Breached);
}

#[test]
fn paused_while_paused_and_resumed_while_running_are_ignored() {
    let state = fold(
        &[
            ev(Raised, 0, 1),
            ev(Resumed, 1, 2),
            ev(Paused, 4, 3),
            ev(Paused, 6, 4),
            ev(Resumed, 64, 5),
        ],
        &pausable(),
    );
    // Paused from minute 4, not 6.
    assert_eq!(ack(&state).deadline, Some(t(70)));
}

#[test]
fn stage_met_during_pause_is_met_on_time() {
    let state = fold(
        &[ev(Raised, 0, 1), ev(Paused, 4, 2), ev(Acknowledged, 40, 3)],
        &pausable(),
    );
    let ack = ack(&state);
    assert_eq!(ack.met_at, Some(t(40)));
    assert_eq!(ack.state(t(40)), StageState::Met);
    assert!(state
        .breaches(t(9999), GRACE)
        .iter()
        .all(|b| b.stage != Stage::Ack));
}

#[test]
fn close_while_paused_counts_running_stages_as_on_time() {
    let state = fold(
        &[
            ev(Raised, 0, 1),
            ev(Paused, 4, 2),
            closed(3000, Resolution::Resolved, 3),
        ],
        &pausable(),
    );
    let states: Vec<_> = state.cycles[0].stages.iter().map(|c| c.state(t(3000))).collect();
    assert_eq!(states, [StageState::Met, StageState::Met, StageState::Waived]);
    // Its clock never ran again, so its deadline stays null.
    assert!(state.cycles[0].stages.iter().all(|c| c.deadline.is_none()));
    assert!(state.breaches(t(9999), GRACE).is_empty());
}

#[test]
fn remaining_counts_down_and_goes_negative() {
    let calendar = AlwaysOn::new(Tz::UTC);
    let state = default_fold(&[ev(Raised, 0, 1)]);
    assert_eq!(
        ack(&state).remaining(&calendar, t(4)),
        Some(TimeDelta::minutes(6))
    );
    assert_eq!(
        ack(&state).remaining(&calendar, t(15)),
        Some(TimeDelta::minutes(-5))
    );
    let met = default_fold(&[ev(Raised, 0, 1), ev(Acknowledged, 2, 2)]);
    assert_eq!(ack(&met).remaining(&calendar, t(4)), None);
}

#[test]
fn breach_recorded_only_after_grace() {
    let state = default_fold(&[ev(Raised, 0, 1)]);
    assert!(state.breaches(t(10) + TimeDelta::seconds(29), GRACE).is_empty());
    let facts = state.breaches(t(10) + GRACE, GRACE);
    assert_eq!(
        facts,
        [BreachFact {
            stage: Stage::Ack,
            cycle: 1,
            cycle_start: t(0),
            deadline: t(10),
            met_at: None,
        }]
    );
}

#[test]
fn late_ack_is_recorded_at_once() {
    // Met 10 s late: within grace, yet the deadline is what counts.
    let late = t(10) + TimeDelta::seconds(10);
    let state = default_fold(&[
        ev(Raised, 0, 1),
        Event {
            at: late,
            ..ev(Acknowledged, 0, 2)
        },
    ]);
    let facts = state.breaches(late, GRACE);
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].met_at, Some(late));
}

#[test]
fn late_on_time_ack_disproves_breach() {
    let before = default_fold(&[ev(Raised, 0, 1)]);
    assert_eq!(before.breaches(t(20), GRACE).len(), 1);
    // The on-time ack arrives after the breach was flagged.
    let after = default_fold(&[ev(Raised, 0, 1), ev(Acknowledged, 9, 2)]);
    assert!(after.breaches(t(20), GRACE).is_empty());
}

#[test]
fn pause_arriving_late_disproves_breach() {
    let policies = pausable();
    let before = fold(&[ev(Raised, 0, 1)], &policies);
    assert_eq!(before.breaches(t(20), GRACE).len(), 1);
    let after = fold(&[ev(Raised, 0, 1), ev(Paused, 5, 2)], &policies);
    assert!(after.breaches(t(20), GRACE).is_empty());
}

#[test]
fn final_breaches_are_recorded_in_every_cycle() {
    let state = default_fold(&[
        ev(Raised, 0, 1),
        closed(30, Resolution::Invalid, 2),
        ev(Reopened, 100, 3),
        ev(Acknowledged, 115, 4),
    ]);
    let facts = state.breaches(t(115), GRACE);
    let found: Vec<_> = facts
        .iter()
        .map(|f| (f.cycle, f.stage, f.cycle_start, f.met_at))
        .collect();
    assert_eq!(
        found,
        [(1, Stage::Ack, t(0), None), (2, Stage::Ack, t(100), Some(t(115)))]
    );
}

#[test]
fn agenda_lists_warning_breach_and_escalations() {
    let state = fold(&[ev(Raised, 0, 1), ev(Handled, 5, 2)], &pausable());
    let agenda = state.agenda(GRACE);
    let cycle_start = t(0);
    let stage = Stage::Plan;
    assert_eq!(
        agenda,
        [
            (t(1152), Due::Warning { stage, cycle_start }),
            (t(1440) + GRACE, Due::Breach { stage, cycle_start }),
            (
                t(1470),
                Due::Escalation {
                    stage,
                    cycle_start,
                    step: 1,
                    to: Audience::Lead
                }
            ),
            (
                t(1560),
                Due::Escalation {
                    stage,
                    cycle_start,
                    step: 2,
                    to: Audience::Zone
                }
            ),
        ]
    );
    assert_eq!(state.next_due(t(1152), GRACE), Some(t(1440) + GRACE));
    assert_eq!(state.next_due(t(2000), GRACE), None);
}

#[test]
fn agenda_keeps_escalations_of_a_breached_unmet_stage() {
    let state = fold(&[ev(Raised, 0, 1), ev(Handled, 200, 2)], &pausable());
    let stages: Vec<_> = state
        .agenda(GRACE)
        .into_iter()
        .filter_map(|(_, due)| match due {
            Due::Escalation { stage, step, .. } => Some((stage, step)),
            _ => None,
        })
        .collect();
    assert_eq!(stages, [(Stage::Plan, 1), (Stage::Plan, 2)]);
}

#[test]
fn agenda_is_empty_once_closed() {
    let state = default_fold(&[ev(Raised, 0, 1), closed(5, Resolution::Resolved, 2)]);
    assert!(state.agenda(GRACE).is_empty());
}

#[test]
fn frozen_clocks_have_nothing_due() {
    let state = fold(&[ev(Raised, 0, 1), ev(Paused, 5, 2)], &pausable());
    assert!(state.agenda(GRACE).is_empty());
    // A stage breached before the pause keeps its breach and escalations.
    let state = fold(&[ev(Raised, 0, 1), ev(Paused, 11, 2)], &pausable());
    let stages: Vec<_> = state.agenda(GRACE).iter().map(|(at, _)| *at).collect();
    assert_eq!(stages, [t(8), t(10) + GRACE, t(40), t(130)]);
}

/// Working time 09:00–17:00 UTC every day: enough to check that stage clocks
/// use working time, without the real working-time calendar.
#[derive(Debug)]
struct OfficeHours;

impl OfficeHours {
    fn day_period(day: NaiveDate) -> (Timestamp, Timestamp) {
        let at = |hour| Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap());
        (at(9), at(17))
    }
}

impl Calendar for OfficeHours {
    fn name(&self) -> &str {
        "office"
    }

    fn time_zone(&self) -> Tz {
        Tz::UTC
    }

    fn deadline(&self, start: Timestamp, target: Target) -> Timestamp {
        match target {
            Target::Working(amount) => self.add_working_time(start, amount),
            Target::Days(days) => self.add_working_time(start, TimeDelta::hours(8 * i64::from(days))),
        }
    }

    fn working_time(&self, from: Timestamp, to: Timestamp) -> TimeDelta {
        let mut total = TimeDelta::zero();
        let mut day = from.date_naive();
        while day <= to.date_naive() {
            let (open, close) = Self::day_period(day);
            let (start, end) = (open.max(from), close.min(to));
            if end > start {
                total += end - start;
            }
            day = day.succ_opt().unwrap();
        }
        total
    }

    fn add_working_time(&self, from: Timestamp, amount: TimeDelta) -> Timestamp {
        if amount <= TimeDelta::zero() {
            return from;
        }
        let (mut left, mut day) = (amount, from.date_naive());
        loop {
            let (open, close) = Self::day_period(day);
            let start = open.max(from);
            if close > start {
                if start + left <= close {
                    return start + left;
                }
                left -= close - start;
            }
            day = day.succ_opt().unwrap();
        }
    }

    fn periods_on(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)> {
        vec![Self::day_period(date)]
    }
}

fn office_policies() -> PolicySet {
    PolicySet::new(vec![Policy {
        calendar: Arc::new(OfficeHours),
        allow_pause: true,
        ..Policy::builtin_default()
    }])
}

#[test]
fn clock_started_outside_working_time_warns_in_working_time() {
    // Raised at 18:00 UTC: the clock starts at 09:00 the next day.
    let evening = Event {
        at: Utc.with_ymd_and_hms(2024, 5, 30, 18, 0, 0).unwrap(),
        ..ev(Raised, 0, 1)
    };
    let state = fold(&[evening], &office_policies());
    let ack = ack(&state);
    let next_morning = Utc.with_ymd_and_hms(2024, 5, 31, 9, 0, 0).unwrap();
    assert_eq!(ack.deadline, Some(next_morning + TimeDelta::minutes(10)));
    assert_eq!(ack.at_risk_at, Some(next_morning + TimeDelta::minutes(8)));
    // A 2h target from 16:00 ends at 10:00 the next day, warned at 09:36.
    let afternoon = Event {
        at: Utc.with_ymd_and_hms(2024, 5, 30, 16, 0, 0).unwrap(),
        ..ev(Raised, 0, 1)
    };
    let handle = fold(&[afternoon], &office_policies()).cycles[0].stages[1].clone();
    assert_eq!(handle.deadline, Some(next_morning + TimeDelta::hours(1)));
    assert_eq!(
        handle.at_risk_at.map(|at| (at.hour(), at.minute())),
        Some((9, 36))
    );
}

#[test]
fn pause_moves_deadline_by_paused_working_time() {
    let at = |day, hour, minute| Utc.with_ymd_and_hms(2024, 5, day, hour, minute, 0).unwrap();
    let events = [
        Event {
            at: at(30, 15, 0),
            ..ev(Raised, 0, 1)
        },
        Event {
            at: at(30, 16, 30),
            ..ev(Paused, 0, 2)
        },
        Event {
            at: at(31, 9, 30),
            ..ev(Resumed, 0, 3)
        },
    ];
    let state = fold(&events, &office_policies());
    // Handle was due 17:00; the pause took an hour of working time.
    assert_eq!(clock(&state, 0, Stage::Handle).deadline, Some(at(31, 10, 0)));
    let remaining = clock(&state, 0, Stage::Handle).remaining(&OfficeHours, at(30, 20, 0));
    assert_eq!(remaining, Some(TimeDelta::minutes(60)));
}

#[test]
fn an_undone_event_no_longer_counts_and_arrival_order_does_not_matter() {
    let mut undo = ev(EventKind::Undone, 20, 4);
    undo.attributes
        .insert("undoes".into(), serde_json::json!(["evt-2", "evt-3"]));
    let events = [
        ev(Raised, 0, 1),
        ev(Acknowledged, 3, 2),
        ev(Handled, 5, 3),
        undo.clone(),
    ];
    let state = default_fold(&events);
    assert_eq!(clock(&state, 0, Stage::Ack).met_at, None);
    assert_eq!(clock(&state, 0, Stage::Handle).met_at, None);
    // The correction may arrive before what it corrects (out of order).
    let mut reversed = events.to_vec();
    reversed.reverse();
    assert_eq!(default_fold(&reversed).cycles, state.cycles);
    // A later acknowledgement meets the stage again.
    let again = default_fold(&[
        ev(Raised, 0, 1),
        ev(Acknowledged, 3, 2),
        undo,
        ev(Acknowledged, 30, 5),
    ]);
    assert_eq!(clock(&again, 0, Stage::Ack).met_at, Some(t(30)));
}
