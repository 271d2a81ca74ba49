use super::*;
use crate::domain::event::Receipt;
use crate::domain::issue::fold;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

fn at(text: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn event(id: &str, issue: &str, kind: &str, when: &str, actor: Option<&str>) -> Event {
    let mut value = json!({"id": id, "issue": issue, "kind": kind, "at": when, "project": "zhongtai"});
    if let Some(actor) = actor {
        value["actor"] = json!({"id": actor, "name": actor.to_uppercase(), "role": "staff"});
    }
    let receipt = Receipt {
        received_at: at("2027-01-01T00:00:00Z"),
        source: "test".into(),
        max_future_skew: TimeDelta::minutes(5),
    };
    Event::parse(&value, &receipt, "").unwrap()
}

/// The cycles of these issues (each a list of events) under the built-in
/// 10m / 2h / 1d policy.
fn cycles(issues: &[Vec<Event>], period: &Period) -> Vec<ReportCycle> {
    let policies = PolicySet::new(Vec::new());
    issues
        .iter()
        .enumerate()
        .flat_map(|(index, events)| {
            let state = fold(events, &policies);
            cycles_of_state(&events[0].issue, index as i64 + 1, &state, period)
        })
        .collect()
}

const NOVEMBER: Period = Period::Dates {
    from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    to: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
};

/// Four issues raised on 2026-11-02 (Shanghai), judged on 2026-11-10:
/// - a: acknowledged after 5 min (on time), handled after 3 h (late),
///   planned after 2 h (on time);
/// - b: acknowledged after 20 min (late), closed as resolved after 30 min:
///   handle met at close, plan waived;
/// - c: withdrawn after 5 min: every stage waived;
/// - d: nothing happened: all three stages breached, unmet.
fn history() -> Vec<Vec<Event>> {
    vec![
        vec![
            event("a1", "a", "raised", "2026-11-02T10:00:00+08:00", None),
            event("a2", "a", "acknowledged", "2026-11-02T10:05:00+08:00", Some("li")),
            event("a3", "a", "planned", "2026-11-02T12:00:00+08:00", Some("wang")),
        ],
        vec![
            event("b1", "b", "raised", "2026-11-02T11:00:00+08:00", None),
            event("b2", "b", "acknowledged", "2026-11-02T11:20:00+08:00", Some("li")),
            event("b3", "b", "closed", "2026-11-02T11:30:00+08:00", Some("li")),
        ],
        vec![event("c1", "c", "raised", "2026-11-02T12:00:00+08:00", None), {
            let mut withdrawn = event("c2", "c", "closed", "2026-11-02T12:05:00+08:00", None);
            withdrawn.resolution = Some(crate::domain::event::Resolution::Withdrawn);
            withdrawn
        }],
        vec![event("d1", "d", "raised", "2026-11-02T13:00:00+08:00", None)],
    ]
}

#[test]
fn a_hand_built_history_counts_as_checked_by_hand() {
    let now = at("2026-11-10T00:00:00Z");
    let report = compliance(
        &cycles(&history(), &NOVEMBER),
        GroupBy::Project,
        &MetBy::new(),
        now,
    );
    let figures = |stage| report.figures[&("zhongtai".to_string(), stage)].clone();

    let ack = figures(Stage::Ack);
    // a on time; b late; c waived; d unmet.
    assert_eq!(
        (
            ack.raised,
            ack.met,
            ack.met_late,
            ack.breached,
            ack.waived,
            ack.open
        ),
        (4, 1, 1, 2, 1, 0)
    );
    assert_eq!(ack.unmet(), 1);
    assert_eq!(ack.met_percent(), Some(100.0 / 3.0));
    assert_eq!(ack.seconds_to_meet, vec![300, 1200]);
    assert_eq!(
        (ack.median(), ack.p90(), ack.max()),
        (Some(300), Some(1200), Some(1200))
    );

    let handle = figures(Stage::Handle);
    // a met by the plan at 2 h (on time: the deadline is 2 h); b met at
    // close after 30 min; c waived; d unmet.
    assert_eq!(
        (handle.met, handle.met_late, handle.breached, handle.waived),
        (2, 0, 1, 1)
    );
    assert_eq!(handle.seconds_to_meet, vec![1800, 7200]);

    let plan = figures(Stage::Plan);
    // a on time; b and c waived; d unmet past its 1-day deadline.
    assert_eq!((plan.met, plan.breached, plan.waived, plan.open), (1, 1, 2, 0));
    assert_eq!(plan.met_percent(), Some(50.0));

    // Every breached stage is listed: ack of b and d, handle and plan of d.
    assert_eq!(report.breached.len(), 4);
}

#[test]
fn a_stage_within_its_deadline_is_open_and_in_no_percentage() {
    let now = at("2026-11-02T13:05:00+08:00");
    let report = compliance(
        &cycles(&history()[3..], &NOVEMBER),
        GroupBy::Project,
        &MetBy::new(),
        now,
    );
    let ack = &report.figures[&("zhongtai".to_string(), Stage::Ack)];
    assert_eq!((ack.open, ack.breached, ack.met_percent()), (1, 0, None));
}

#[test]
fn periods_start_at_midnight_in_the_policy_time_zone() {
    let raised = |id: &str, when: &str| vec![event(id, id, "raised", when, None)];
    let issues = vec![
        // 2026-10-31 23:59:59 in Shanghai: October.
        raised("last-october", "2026-10-31T15:59:59Z"),
        // 2026-11-01 00:00 in Shanghai, still October 31 in UTC: November.
        raised("first-november", "2026-10-31T16:00:00Z"),
        // 2026-11-30 23:59 in Shanghai: November.
        raised("last-november", "2026-11-30T15:59:00Z"),
        // 2026-12-01 00:00 in Shanghai, still November 30 in UTC: December.
        raised("first-december", "2026-11-30T16:00:00Z"),
    ];
    let counted: Vec<String> = cycles(&issues, &NOVEMBER)
        .into_iter()
        .map(|cycle| cycle.issue)
        .collect();
    assert_eq!(counted, vec!["first-november", "last-november"]);

    // The store is read wide enough to see all of them.
    let (from, to) = NOVEMBER.bounds();
    assert!(from <= at("2026-10-31T16:00:00Z") && at("2026-11-30T16:00:00Z") < to);
}

#[test]
fn weeks_and_months_are_those_of_the_local_cycle_start() {
    let raised = |id: &str, when: &str| vec![event(id, id, "raised", when, None)];
    let issues = vec![
        // Sunday 2026-11-01 00:30 in Shanghai: ISO week 44, November.
        raised("sunday", "2026-10-31T16:30:00Z"),
        // Monday 2026-11-02 00:30 in Shanghai: ISO week 45.
        raised("monday", "2026-11-01T16:30:00Z"),
    ];
    let all = Period::Dates {
        from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    };
    let now = at("2026-11-10T00:00:00Z");
    let cycles = cycles(&issues, &all);
    let weeks = compliance(&cycles, GroupBy::Week, &MetBy::new(), now);
    let keys: Vec<&str> = weeks.figures.keys().map(|(group, _)| group.as_str()).collect();
    assert_eq!(
        keys,
        vec!["2026-W44", "2026-W44", "2026-W44", "2026-W45", "2026-W45", "2026-W45"]
    );
    let months = compliance(&cycles, GroupBy::Month, &MetBy::new(), now);
    assert_eq!(months.figures[&("2026-11".to_string(), Stage::Ack)].raised, 2);
    let stages = compliance(&cycles, GroupBy::Stage, &MetBy::new(), now);
    assert_eq!(stages.figures[&("*".to_string(), Stage::Plan)].raised, 2);
}

#[test]
fn staff_are_counted_for_the_stages_their_events_met() {
    let history = history();
    let now = at("2026-11-10T00:00:00Z");
    let cycles = cycles(&history, &NOVEMBER);
    let events: HashMap<String, Vec<Event>> = history
        .iter()
        .map(|events| (events[0].issue.clone(), events.clone()))
        .collect();
    let met_by = staff_who_met(&cycles, &events);
    let report = compliance(&cycles, GroupBy::Staff, &met_by, now);
    let li = |stage| report.figures.get(&("LI (li)".to_string(), stage)).cloned();
    let wang = |stage| report.figures.get(&("WANG (wang)".to_string(), stage)).cloned();
    // Li acknowledged a on time and b late, and met b's handle by closing it.
    let ack = li(Stage::Ack).unwrap();
    assert_eq!((ack.met, ack.met_late), (1, 1));
    assert_eq!(li(Stage::Handle).unwrap().met, 1);
    // Wang's plan met a's handle and plan.
    assert_eq!(wang(Stage::Plan).unwrap().met, 1);
    assert_eq!(wang(Stage::Handle).unwrap().met, 1);
    assert!(wang(Stage::Ack).is_none());
    assert!(report.breached.is_empty(), "no breach list by staff");
}

#[test]
fn periods_parse_dates_or_instants_and_name_the_field_at_fault() {
    assert_eq!(Period::parse("2026-11-01", "2026-12-01", Some(400)), Ok(NOVEMBER));
    assert!(matches!(
        Period::parse(
            "2026-11-01T00:00:00+08:00",
            "2026-12-01T00:00:00+08:00",
            Some(400)
        ),
        Ok(Period::Instants { .. })
    ));
    assert_eq!(Period::parse("soon", "2026-12-01", None).unwrap_err().0, "from");
    assert_eq!(Period::parse("2026-11-01", "later", None).unwrap_err().0, "to");
    assert_eq!(
        Period::parse("2026-11-01", "2026-12-01T00:00:00Z", None)
            .unwrap_err()
            .0,
        "to"
    );
    assert_eq!(
        Period::parse("2026-12-01", "2026-11-01", None).unwrap_err().0,
        "to"
    );
    assert_eq!(
        Period::parse("2026-11-01", "2026-11-01", None).unwrap_err().0,
        "to"
    );
    assert!(Period::parse("2025-01-01", "2026-12-01", Some(400)).is_err());
}

#[test]
fn csv_fields_are_quoted_and_never_formulas() {
    assert_eq!(field("中泰"), "中泰");
    assert_eq!(field("a,b"), "\"a,b\"");
    assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
}

#[test]
fn percentiles_are_nearest_rank() {
    let values: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&values, 50), Some(5));
    assert_eq!(percentile(&values, 90), Some(9));
    assert_eq!(percentile(&[7], 90), Some(7));
    assert_eq!(percentile(&[], 50), None);
}
