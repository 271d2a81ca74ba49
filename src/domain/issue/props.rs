//! Properties of the fold that must hold for any timeline (SPEC §1).

use super::*;
use crate::domain::event::{Event, EventKind};
use crate::domain::policy::{EscalationStep, PolicySet};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

const GRACE: TimeDelta = TimeDelta::seconds(30);

fn t(minutes: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 30, 2, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// Short targets, so that a few hours of events meet, breach and close all stages.
fn policies(allow_pause: bool) -> PolicySet {
    PolicySet::new(vec![Policy {
        targets: vec![
            (Stage::Ack, Target::Working(TimeDelta::minutes(10))),
            (Stage::Handle, Target::Working(TimeDelta::minutes(60))),
            (Stage::Plan, Target::Working(TimeDelta::minutes(180))),
        ],
        allow_pause,
        escalation: vec![EscalationStep {
            after: TimeDelta::minutes(30),
            to: Audience::Lead,
        }],
        ..Policy::builtin_default()
    }])
}

fn event(kind: EventKind, minutes: i64, resolution: Resolution, arrival: i64) -> Event {
    Event {
        id: format!("evt-{arrival}"),
        issue: "water".into(),
        kind,
        at: t(minutes),
        at_given: true,
        arrival,
        project: Some("zhongtai".into()),
        priority: None,
        title: None,
        text: None,
        actor: None,
        resolution: (kind == EventKind::Closed).then_some(resolution),
        attributes: Default::default(),
        source: "test".into(),
        received_at: t(minutes),
    }
}

/// A timeline: one `raised` plus up to 14 other events (possibly more
/// `raised`), spread over five hours, with distinct arrival numbers spaced
/// by 10 so that a copy can be slotted right after its original.
fn timeline() -> impl Strategy<Value = Vec<Event>> {
    let other = (
        prop::sample::select(EventKind::ALL.to_vec()),
        0..300i64,
        prop::sample::select(Resolution::ALL.to_vec()),
    );
    (0..120i64, prop::collection::vec(other, 0..15)).prop_map(|(raised, others)| {
        let mut events = vec![event(EventKind::Raised, raised, Resolution::Resolved, 0)];
        for (kind, minutes, resolution) in others {
            events.push(event(kind, minutes, resolution, 0));
        }
        for (index, event) in events.iter_mut().enumerate() {
            event.arrival = 10 * (index as i64 + 1);
            event.id = format!("evt-{}", event.arrival);
        }
        events
    })
}

type Projection = (IssueStatus, Option<Timestamp>, Option<String>, Vec<Cycle>);

fn projection(state: &IssueState) -> Projection {
    (
        state.status,
        state.raised_at,
        state.project.clone(),
        state.cycles.clone(),
    )
}

proptest! {
    #[test]
    fn state_does_not_depend_on_arrival_order(
        (events, shuffled) in timeline().prop_flat_map(|events| {
            let shuffled = Just(events.clone()).prop_shuffle();
            (Just(events), shuffled)
        }),
        allow_pause in any::<bool>(),
    ) {
        let policies = policies(allow_pause);
        prop_assert_eq!(projection(&fold(&events, &policies)), projection(&fold(&shuffled, &policies)));
    }

    #[test]
    fn a_repeated_event_changes_nothing(
        events in timeline(),
        pick in any::<prop::sample::Index>(),
        allow_pause in any::<bool>(),
    ) {
        let policies = policies(allow_pause);
        let mut repeated = events.clone();
        let original = pick.get(&events);
        repeated.push(Event { id: "copy".into(), arrival: original.arrival + 1, ..original.clone() });
        prop_assert_eq!(fold(&events, &policies).cycles, fold(&repeated, &policies).cycles);
    }

    #[test]
    fn a_later_stage_met_implies_the_earlier_ones(events in timeline(), allow_pause in any::<bool>()) {
        let state = fold(&events, &policies(allow_pause));
        for cycle in &state.cycles {
            let met: Vec<_> = cycle.stages.iter().map(|clock| clock.met_at).collect();
            for pair in met.windows(2) {
                if let Some(later) = pair[1] {
                    prop_assert!(pair[0].is_some_and(|earlier| earlier <= later), "{:?}", met);
                }
            }
        }
    }

    #[test]
    fn closing_never_turns_a_breach_back(
        events in timeline(),
        allow_pause in any::<bool>(),
        resolution in prop::sample::select(Resolution::ALL.to_vec()),
        delay in 0..120i64,
    ) {
        let policies = policies(allow_pause);
        let last = events.iter().map(|event| event.at).max().unwrap();
        let close_at = last + TimeDelta::minutes(delay);
        let before = fold(&events, &policies);
        let mut closing = events.clone();
        closing.push(Event { at: close_at, ..event(EventKind::Closed, 0, resolution, 1_000_000) });
        let after = fold(&closing, &policies);

        for (old, new) in before.cycles.iter().zip(&after.cycles) {
            for (old, new) in old.stages.iter().zip(&new.stages) {
                if old.state(close_at) == StageState::Breached {
                    prop_assert_eq!(new.state(close_at), StageState::Breached, "{:?} became {:?}", old, new);
                }
            }
        }
        // A record is identified by (stage, cycle start); closing may add its `met_at`.
        let kept: Vec<_> = after
            .breaches(close_at, GRACE)
            .into_iter()
            .map(|fact| (fact.stage, fact.cycle_start, fact.deadline))
            .collect();
        for fact in before.breaches(close_at, GRACE) {
            let key = (fact.stage, fact.cycle_start, fact.deadline);
            prop_assert!(kept.contains(&key), "{:?} lost from {:?}", fact, kept);
        }
    }
}
