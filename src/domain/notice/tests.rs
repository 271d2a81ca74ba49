use super::*;
use crate::domain::event::{Event, EventKind};
use crate::domain::fixtures::{self, t};
use crate::domain::issue::fold;
use crate::domain::policy::{EscalationStep, Policy, PolicySet};
use chrono::TimeDelta;

/// Issue `water` (#1) as the timer sees it, never visited before.
fn subject<'a>(state: &'a IssueState, events: &'a [Event]) -> Subject<'a> {
    Subject {
        issue: "water",
        seq: 1,
        state,
        events,
        last_visit: None,
    }
}

/// An event with the requester's name and, when raised, a title.
fn event(kind: EventKind, minutes: i64, arrival: i64) -> Event {
    let actor = crate::domain::event::Actor {
        name: Some("王永忠".into()),
        ..Default::default()
    };
    Event {
        title: (kind == EventKind::Raised).then(|| "工地停水".to_string()),
        actor: Some(actor),
        ..fixtures::event(kind, minutes, arrival)
    }
}

fn policies() -> PolicySet {
    PolicySet::new(vec![Policy {
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

fn routing() -> Routing {
    let route = ProjectRoute {
        name: "中泰环保".into(),
        team: vec!["team-a".into(), "team-b".into()],
        lead: vec!["leaders".into()],
        ..ProjectRoute::default()
    };
    Routing {
        projects: [("zhongtai".to_string(), route)].into_iter().collect(),
        zone: vec!["zone".into()],
        public_url: "https://sla.example.cn".into(),
        ..Routing::default()
    }
}

fn breach<'a>(state: &IssueState, stage: Stage, notice: Option<&'a BreachNotice>) -> BreachEvent<'a> {
    let cycle = state.current_cycle().unwrap();
    let clock = cycle.stages.iter().find(|s| s.stage == stage).unwrap();
    BreachEvent {
        stage,
        cycle_start: cycle.start,
        cycle: 1,
        deadline: clock.deadline.unwrap(),
        met_at: clock.met_at,
        notice,
        stood_before: false,
    }
}

#[test]
fn a_breach_goes_to_every_team_channel_with_its_facts() {
    let events = [event(EventKind::Raised, 0, 1)];
    let state = fold(&events, &policies());
    let subject = Subject {
        issue: "water",
        seq: 12,
        state: &state,
        events: &events,
        last_visit: None,
    };
    let recorded = BreachNotice::Recorded;
    let (entries, steps) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, Some(&recorded)), 0)],
        &routing(),
        t(11),
    );
    let breaches: Vec<_> = entries
        .iter()
        .filter(|e| e.notification.kind == NotificationKind::Breach)
        .collect();
    assert_eq!(
        breaches.iter().map(|e| e.channel.as_str()).collect::<Vec<_>>(),
        ["team-a", "team-b"]
    );
    let facts = &breaches[0].notification;
    assert_eq!(
        (facts.seq, facts.title.as_str(), facts.project_name.as_str()),
        (12, "工地停水", "中泰环保")
    );
    assert_eq!(facts.raised_by.as_deref(), Some("王永忠"));
    assert_eq!(facts.stage.as_deref(), Some("ack"));
    assert_eq!(facts.target.as_deref(), Some("10m"));
    assert!(
        facts.url.starts_with("https://sla.example.cn/i/water?exp="),
        "alerts link to the signed issue page: {}",
        facts.url
    );
    assert_eq!(facts.time_zone.name(), "Asia/Shanghai");
    assert_ne!(
        breaches[0].notification.delivery, breaches[1].notification.delivery,
        "one delivery per channel"
    );
    assert_eq!(steps, [0], "no escalation before deadline + 30m");
}

#[test]
fn escalation_steps_fire_at_their_time_and_only_once() {
    let events = [event(EventKind::Raised, 0, 1)];
    let state = fold(&events, &policies());
    let subject = subject(&state, &events);
    // Deadline at 10 min: step 1 at 40 min, step 2 at 130 min.
    let (entries, steps) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, None), 0)],
        &routing(),
        t(41),
    );
    let escalations: Vec<_> = entries
        .iter()
        .filter(|e| e.notification.kind == NotificationKind::Escalation)
        .collect();
    assert_eq!(escalations.len(), 1);
    assert_eq!(
        (
            escalations[0].channel.as_str(),
            escalations[0].notification.escalation_step
        ),
        ("leaders", 1)
    );
    assert_eq!(steps, [1]);
    let (entries, steps) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, None), 1)],
        &routing(),
        t(60),
    );
    assert!(
        entries
            .iter()
            .all(|e| e.notification.kind != NotificationKind::Escalation),
        "step 1 is not sent twice"
    );
    assert_eq!(steps, [1]);
    let (entries, steps) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, None), 1)],
        &routing(),
        t(131),
    );
    assert_eq!(entries.iter().filter(|e| e.channel == "zone").count(), 1);
    assert_eq!(steps, [2]);
}

#[test]
fn a_late_detection_fires_every_step_already_due() {
    let events = [event(EventKind::Raised, 0, 1)];
    let state = fold(&events, &policies());
    let subject = subject(&state, &events);
    let recorded = BreachNotice::Recorded;
    let (entries, steps) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, Some(&recorded)), 0)],
        &routing(),
        t(300),
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.notification.kind == NotificationKind::Escalation)
            .count(),
        2
    );
    assert_eq!(steps, [2]);
}

#[test]
fn no_escalation_once_the_stage_is_met() {
    let events = [
        event(EventKind::Raised, 0, 1),
        event(EventKind::Acknowledged, 35, 2),
    ];
    let state = fold(&events, &policies());
    let subject = subject(&state, &events);
    let (entries, steps) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, None), 0)],
        &routing(),
        t(60),
    );
    assert!(entries
        .iter()
        .all(|e| e.notification.kind != NotificationKind::Escalation));
    assert_eq!(steps, [0]);
}

#[test]
fn a_retraction_goes_to_the_team_and_resolves_the_alert() {
    let events = [
        event(EventKind::Raised, 0, 1),
        event(EventKind::Acknowledged, 9, 2),
    ];
    let state = fold(&events, &policies());
    let subject = subject(&state, &events);
    let retracted = BreachNotice::Retracted;
    let (entries, _) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, Some(&retracted)), 0)],
        &routing(),
        t(12),
    );
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .all(|e| e.notification.kind == NotificationKind::Retraction && e.notification.resolved));
}

#[test]
fn a_warning_is_sent_once_when_a_stage_becomes_at_risk() {
    let events = [event(EventKind::Raised, 0, 1)];
    let state = fold(&events, &policies());
    let subject = subject(&state, &events);
    // ack is at risk from minute 8 (0.8 × 10 min).
    let (entries, _) = notices(&subject, &[], &routing(), t(7));
    assert!(entries.is_empty());
    let (entries, _) = notices(&subject, &[], &routing(), t(8));
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.notification.kind == NotificationKind::Warning)
            .count(),
        2
    );
    // The issue's row was written at minute 8.
    let visited = t(8);
    let later = Subject {
        last_visit: Some(visited),
        ..subject
    };
    let (entries, _) = notices(&later, &[], &routing(), t(9));
    assert!(entries.is_empty(), "already warned at the previous visit");
}

#[test]
fn delivery_ids_are_stable_and_header_safe() {
    let id = delivery_id("breach\u{0}水\u{0}ack\u{0}team");
    assert_eq!(id, delivery_id("breach\u{0}水\u{0}ack\u{0}team"));
    assert!(id.starts_with("msg_") && id.len() == 36 && id.is_ascii());
    assert_eq!(
        crate::domain::link::path_segment("wechat:grp 1/水"),
        "wechat:grp%201%2F%E6%B0%B4"
    );
}

#[test]
fn a_standing_breach_met_late_is_resolved_on_alertmanager_channels_only() {
    let events = [
        event(EventKind::Raised, 0, 1),
        event(EventKind::Acknowledged, 45, 2),
    ];
    let state = fold(&events, &policies());
    let subject = subject(&state, &events);
    let mut routing = routing();
    routing.alerting = ["team-b".to_string(), "leaders".to_string()]
        .into_iter()
        .collect();
    let mut stood = breach(&state, Stage::Ack, None);
    stood.stood_before = true;
    // Step 1 (to the leaders) had fired before the late reply.
    let (entries, steps) = notices(&subject, &[(stood, 1)], &routing, t(46));
    let resolved: Vec<_> = entries.iter().filter(|e| e.notification.resolved).collect();
    assert_eq!(
        resolved.iter().map(|e| e.channel.as_str()).collect::<Vec<_>>(),
        ["leaders", "team-b"],
        "team-a is a chat channel: it hears nothing"
    );
    assert!(resolved
        .iter()
        .all(|e| e.notification.kind == NotificationKind::Breach && e.notification.escalation_step == 1));
    assert_eq!(steps, [1], "no escalation once met");

    // A record that did not stand before (already met) resolves nothing again.
    let (entries, _) = notices(
        &subject,
        &[(breach(&state, Stage::Ack, None), 1)],
        &routing,
        t(47),
    );
    assert!(entries.iter().all(|e| !e.notification.resolved), "{entries:#?}");
}
