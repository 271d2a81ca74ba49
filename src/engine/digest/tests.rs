use super::*;
use crate::domain::notice::ProjectRoute;
use crate::domain::policy::Stage;
use crate::domain::to_ms;
use crate::store::rows::StageSnapshot;
use chrono::DateTime;
use chrono::NaiveTime;

fn schedule() -> DigestSchedule {
    DigestSchedule {
        at: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        zone: chrono_tz::Asia::Shanghai,
    }
}

fn at(text: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn routing() -> Routing {
    let route = |name: &str, digest: &[&str]| ProjectRoute {
        name: name.into(),
        digest: digest.iter().map(|c| c.to_string()).collect(),
        ..ProjectRoute::default()
    };
    Routing {
        projects: [
            ("zhongtai".to_string(), route("中泰环保", &["team-zhongtai"])),
            ("chuandong".to_string(), route("川东化工", &[])),
        ]
        .into_iter()
        .collect(),
        zone_digest: vec!["leaders".into()],
        public_url: "https://sla.example.cn".into(),
        ..Routing::default()
    }
}

/// A stage with a deadline; `met` and `waived` as given.
fn stage(stage: Stage, deadline: &str, met: Option<&str>, waived: Option<&str>) -> StageSnapshot {
    StageSnapshot {
        stage,
        target: "10m".into(),
        deadline: Some(to_ms(at(deadline))),
        at_risk: Some(to_ms(at(deadline)) - 120_000),
        met: met.map(|m| to_ms(at(m))),
        waived: waived.map(|w| to_ms(at(w))),
        paused_remaining: None,
        paused_at_risk: false,
        final_breach: false,
    }
}

fn issue(seq: i64, project: &str, raised: &str, status: IssueStatus, stages: Vec<StageSnapshot>) -> IssueRow {
    IssueRow {
        issue: format!("issue-{seq}"),
        seq,
        project: Some(project.into()),
        priority: None,
        title: Some(format!("问题 {seq}")),
        policy: Some("default".into()),
        status,
        cycle: 1,
        cycle_start: Some(at(raised)),
        raised_at: Some(at(raised)),
        closed_at: None,
        resolution: None,
        first_seen: at(raised),
        updated: at(raised),
        next_due: None,
        stages,
    }
}

#[test]
fn the_digest_reports_the_previous_local_day_once_its_time_has_come() {
    let (due, reported) = latest_due(&schedule(), at("2025-03-04T09:00:00+08:00"));
    assert_eq!(
        (due, reported),
        (at("2025-03-04T09:00:00+08:00"), day("2025-03-03"))
    );
    let (due, reported) = latest_due(&schedule(), at("2025-03-04T08:59:00+08:00"));
    assert_eq!(
        (due, reported),
        (at("2025-03-03T09:00:00+08:00"), day("2025-03-02"))
    );
    assert_eq!(
        next_due(&schedule(), at("2025-03-04T09:00:00+08:00")),
        at("2025-03-05T09:00:00+08:00")
    );
    assert_eq!(
        next_due(&schedule(), at("2025-03-04T00:30:00+00:00")),
        at("2025-03-04T09:00:00+08:00")
    );
}

#[test]
fn a_day_is_bounded_by_local_midnights() {
    assert_eq!(
        day_bounds(&schedule(), day("2025-03-03")),
        (at("2025-03-03T00:00:00+08:00"), at("2025-03-04T00:00:00+08:00"))
    );
    // A 23-hour day where the clocks go forward.
    let berlin = DigestSchedule {
        zone: chrono_tz::Europe::Berlin,
        ..schedule()
    };
    let (start, end) = day_bounds(&berlin, day("2025-03-30"));
    assert_eq!(end - start, TimeDelta::hours(23));
}

#[test]
fn figures_count_each_stage_of_the_day_and_list_what_is_still_overdue() {
    let now = at("2025-03-04T09:00:00+08:00");
    let raised = vec![
        // Acknowledged on time, handled late, plan waived.
        issue(
            1,
            "zhongtai",
            "2025-03-03T10:00:00+08:00",
            IssueStatus::Closed,
            vec![
                stage(
                    Stage::Ack,
                    "2025-03-03T10:10:00+08:00",
                    Some("2025-03-03T10:04:00+08:00"),
                    None,
                ),
                stage(
                    Stage::Handle,
                    "2025-03-03T12:00:00+08:00",
                    Some("2025-03-03T13:00:00+08:00"),
                    None,
                ),
                stage(
                    Stage::Plan,
                    "2025-03-04T10:00:00+08:00",
                    None,
                    Some("2025-03-03T13:00:00+08:00"),
                ),
            ],
        ),
        // Never answered: ack breached, plan still running.
        issue(
            2,
            "zhongtai",
            "2025-03-03T16:00:00+08:00",
            IssueStatus::Open,
            vec![
                stage(Stage::Ack, "2025-03-03T16:10:00+08:00", None, None),
                stage(Stage::Plan, "2025-03-04T16:00:00+08:00", None, None),
            ],
        ),
        issue(
            3,
            "chuandong",
            "2025-03-03T11:00:00+08:00",
            IssueStatus::Open,
            vec![stage(
                Stage::Ack,
                "2025-03-03T11:10:00+08:00",
                Some("2025-03-03T11:01:00+08:00"),
                None,
            )],
        ),
    ];
    // Overdue: issue 2, and an older one from the day before.
    let old = issue(
        7,
        "zhongtai",
        "2025-03-01T09:00:00+08:00",
        IssueStatus::Open,
        vec![stage(Stage::Handle, "2025-03-01T11:00:00+08:00", None, None)],
    );
    let overdue = vec![raised[1].clone(), old];

    let digest = compile(
        &routing(),
        day("2025-03-03"),
        &raised,
        &overdue,
        Some("zhongtai"),
        now,
    );
    assert_eq!(digest.day, "2025-03-03");
    assert_eq!(digest.raised, 2);
    let figures = |name: &str| digest.stages.iter().find(|f| f.stage == name).unwrap().clone();
    assert_eq!((figures("ack").met, figures("ack").breached), (1, 1));
    assert_eq!((figures("handle").met, figures("handle").breached), (0, 1));
    assert_eq!((figures("plan").running, figures("plan").waived), (1, 1));
    assert_eq!(digest.overdue_total, 2);
    assert_eq!(
        digest
            .overdue
            .iter()
            .map(|o| (o.seq, o.stage.as_str()))
            .collect::<Vec<_>>(),
        [(7, "handle"), (2, "ack")],
        "oldest deadline first"
    );
    assert!(digest.projects.is_empty());

    let zone = compile(&routing(), day("2025-03-03"), &raised, &overdue, None, now);
    assert_eq!(zone.raised, 3);
    let lines: Vec<_> = zone
        .projects
        .iter()
        .map(|l| (l.project_name.as_str(), l.raised, l.breached, l.overdue))
        .collect();
    assert_eq!(lines, [("川东化工", 1, 0, 0), ("中泰环保", 2, 2, 2)]);
}

#[test]
fn digests_go_to_digest_channels_with_ids_stable_per_day_scope_and_channel() {
    let now = at("2025-03-04T09:00:00+08:00");
    let first = entries(&routing(), &schedule(), day("2025-03-03"), &[], &[], now);
    let channels: Vec<_> = first
        .iter()
        .map(|e| (e.channel.as_str(), e.notification.project.as_str()))
        .collect();
    assert_eq!(
        channels,
        [("team-zhongtai", "zhongtai"), ("leaders", "")],
        "川东化工 has no digest channel"
    );
    assert!(first
        .iter()
        .all(|e| e.notification.kind == NotificationKind::DailyDigest && e.notification.digest.is_some()));
    assert!(
        first[0]
            .notification
            .url
            .starts_with("https://sla.example.cn/board/zhongtai?exp="),
        "a digest links to its project's board, signed: {}",
        first[0].notification.url
    );
    assert!(
        first[1]
            .notification
            .url
            .starts_with("https://sla.example.cn/board?exp="),
        "the zone's digest to the zone's board: {}",
        first[1].notification.url
    );
    let again = entries(
        &routing(),
        &schedule(),
        day("2025-03-03"),
        &[],
        &[],
        now + TimeDelta::hours(1),
    );
    assert_eq!(
        first.iter().map(|e| &e.notification.delivery).collect::<Vec<_>>(),
        again.iter().map(|e| &e.notification.delivery).collect::<Vec<_>>(),
        "a restart writes the same deliveries, which the outbox ignores"
    );
    let next_day = entries(&routing(), &schedule(), day("2025-03-04"), &[], &[], now);
    assert_ne!(first[0].notification.delivery, next_day[0].notification.delivery);
}
