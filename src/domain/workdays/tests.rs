//! Tests of working-time arithmetic: real cases as tables, then properties.

use super::*;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::America::New_York;
use chrono_tz::Asia::Shanghai;
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

/// A calendar working `periods` Monday to Friday.
fn office(time_zone: Tz, periods: &[&str]) -> WorkingCalendar {
    let day: Vec<Period> = periods.iter().map(|text| Period::parse(text).unwrap()).collect();
    let mut week: [Vec<Period>; 7] = Default::default();
    for slot in week.iter_mut().take(5) {
        *slot = day.clone();
    }
    WorkingCalendar::new("office", time_zone, week).unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Mon–Fri 09:00–17:00 Asia/Shanghai with the 2025 Spring Festival and
/// National Day blocks of the official schedule.
fn cn_2025() -> WorkingCalendar {
    let holidays = [
        "2025-01-28",
        "2025-01-29",
        "2025-01-30",
        "2025-01-31",
        "2025-02-03",
    ]
    .into_iter()
    .chain([
        "2025-02-04",
        "2025-10-01",
        "2025-10-02",
        "2025-10-03",
        "2025-10-06",
    ])
    .chain(["2025-10-07", "2025-10-08"])
    .map(date);
    let workdays = ["2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11"].map(date);
    office(Shanghai, &["09:00-17:00"])
        .with_special_days(holidays, workdays)
        .unwrap()
        .with_holiday_data_through(Some(2025))
}

/// `2025-09-30 17:00` (optionally with seconds and milliseconds) in `time_zone`.
fn at(time_zone: Tz, text: &str) -> Timestamp {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .unwrap();
    time_zone
        .from_local_datetime(&local)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn local(calendar: &WorkingCalendar, instant: Timestamp) -> String {
    instant
        .with_timezone(&calendar.time_zone())
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn target(text: &str) -> Target {
    Target::parse(text).unwrap()
}

/// Checks (start, target, expected deadline) rows, all in local time.
fn check_deadlines(calendar: &WorkingCalendar, rows: &[(&str, &str, &str)]) {
    let zone = calendar.time_zone();
    for (start, amount, expected) in rows {
        let deadline = calendar.deadline(at(zone, start), target(amount));
        assert_eq!(
            local(calendar, deadline),
            local(calendar, at(zone, expected)),
            "{start} + {amount}"
        );
    }
}

#[test]
fn raised_friday_1600_with_one_day_is_due_monday_1600() {
    check_deadlines(
        &office(Shanghai, &["09:00-17:00"]),
        &[
            ("2025-06-13 16:00", "1d", "2025-06-16 16:00"),
            ("2025-06-13 16:00", "5d", "2025-06-20 16:00"),
            ("2025-06-13 16:00", "2h", "2025-06-16 10:00"),
        ],
    );
}

#[test]
fn a_make_up_sunday_counts_as_working_time() {
    let calendar = cn_2025();
    check_deadlines(
        &calendar,
        &[
            ("2025-01-26 10:00", "10m", "2025-01-26 10:10"),
            ("2025-01-26 16:00", "2h", "2025-01-27 10:00"),
            // Jan 27 is the last working day before the Spring Festival.
            ("2025-01-27 16:00", "2h", "2025-02-05 10:00"),
            ("2025-01-27 16:00", "1d", "2025-02-05 16:00"),
            // Saturday Feb 8 works, Sunday Feb 9 does not.
            ("2025-02-07 16:00", "1d", "2025-02-08 16:00"),
            ("2025-02-08 16:00", "1d", "2025-02-10 16:00"),
        ],
    );
    let sunday = at(Shanghai, "2025-01-26 10:00");
    assert_eq!(
        calendar.working_time(sunday, sunday + TimeDelta::hours(1)),
        TimeDelta::hours(1)
    );
}

#[test]
fn raised_on_the_eve_of_national_day_is_due_after_the_holiday() {
    check_deadlines(
        &cn_2025(),
        &[
            ("2025-09-30 17:00", "2h", "2025-10-09 11:00"),
            ("2025-09-30 16:00", "2h", "2025-10-09 10:00"),
            ("2025-09-30 16:00", "1d", "2025-10-09 16:00"),
            ("2025-09-28 12:00", "3d", "2025-10-09 12:00"),
            ("2025-10-03 10:00", "10m", "2025-10-09 09:10"),
        ],
    );
}

#[test]
fn the_lunch_break_is_skipped() {
    check_deadlines(
        &office(Shanghai, &["08:30-12:00", "13:30-17:30"]),
        &[
            ("2025-06-16 11:30", "1h", "2025-06-16 14:00"),
            ("2025-06-16 12:45", "10m", "2025-06-16 13:40"),
            ("2025-06-16 17:00", "2h", "2025-06-17 10:00"),
            // 1d keeps the position: 3.5 h into the day is 12:00, not 13:30.
            ("2025-06-16 12:30", "1d", "2025-06-17 12:00"),
            ("2025-06-16 14:00", "1d", "2025-06-17 14:00"),
        ],
    );
}

#[test]
fn a_deadline_at_a_period_end_is_that_end_not_the_next_start() {
    check_deadlines(
        &office(Shanghai, &["08:30-12:00", "13:30-17:30"]),
        &[
            ("2025-06-16 11:00", "1h", "2025-06-16 12:00"),
            ("2025-06-16 16:30", "1h", "2025-06-16 17:30"),
            ("2025-06-20 16:30", "1h", "2025-06-20 17:30"),
            // Position zero is reached at the end of the previous working day.
            ("2025-06-16 08:00", "1d", "2025-06-16 17:30"),
            ("2025-06-20 18:00", "1d", "2025-06-23 17:30"),
            ("2025-06-21 10:00", "2d", "2025-06-24 17:30"),
        ],
    );
}

#[test]
fn a_clock_started_outside_working_time_starts_at_the_next_working_instant() {
    check_deadlines(
        &office(Shanghai, &["09:00-17:00"]),
        &[
            ("2025-06-14 10:00", "10m", "2025-06-16 09:10"),
            ("2025-06-16 06:00", "10m", "2025-06-16 09:10"),
            ("2025-06-16 18:00", "2h", "2025-06-17 11:00"),
            ("2025-06-15 23:59", "1d", "2025-06-16 17:00"),
        ],
    );
}

#[test]
fn a_day_target_is_capped_at_the_end_of_a_shorter_day() {
    let mut week: [Vec<Period>; 7] = Default::default();
    week[4] = vec![Period::parse("09:00-17:00").unwrap()];
    week[5] = vec![Period::parse("09:00-12:00").unwrap()];
    let calendar = WorkingCalendar::new("short-saturday", Shanghai, week).unwrap();
    check_deadlines(
        &calendar,
        &[
            ("2025-06-13 16:00", "1d", "2025-06-14 12:00"),
            ("2025-06-13 10:00", "1d", "2025-06-14 10:00"),
            ("2025-06-14 11:00", "1d", "2025-06-20 11:00"),
        ],
    );
}

#[test]
fn make_up_days_work_monday_hours_unless_told_otherwise() {
    let workdays = [date("2025-01-26")];
    let split = office(Shanghai, &["08:30-12:00", "13:30-17:30"]);
    let calendar = split.with_special_days([], workdays).unwrap();
    let sunday = date("2025-01-26");
    assert_eq!(calendar.local_periods(sunday).len(), 2);
    let calendar = calendar
        .with_makeup_hours(vec![Period::parse("10:00-12:00").unwrap()])
        .unwrap();
    assert_eq!(calendar.local_periods(sunday), [Period::new(600, 720).unwrap()]);
}

#[test]
fn millisecond_starts_keep_their_milliseconds() {
    check_deadlines(
        &office(Shanghai, &["09:00-17:00"]),
        &[("2025-06-16 10:00:00.123", "10m", "2025-06-16 10:10:00.123")],
    );
    let calendar = office(Shanghai, &["09:00-17:00"]);
    let start = at(Shanghai, "2025-06-16 16:59:59.750");
    let deadline = calendar.deadline(start, Target::Working(TimeDelta::seconds(1)));
    assert_eq!(deadline, at(Shanghai, "2025-06-17 09:00:00.750"));
}

#[test]
fn berlin_spring_forward_shortens_a_period_over_the_gap() {
    // 2025-03-30: clocks jump from 02:00 to 03:00 CEST.
    let mut week: [Vec<Period>; 7] = Default::default();
    week = week.map(|_| vec![Period::parse("01:30-03:30").unwrap()]);
    let calendar = WorkingCalendar::new("night", Berlin, week).unwrap();
    let switch_day = date("2025-03-30");
    let periods = calendar.periods_on(switch_day);
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].1 - periods[0].0, TimeDelta::hours(1));
    check_deadlines(
        &calendar,
        &[
            ("2025-03-30 01:30", "1h", "2025-03-30 03:30"),
            ("2025-03-30 01:30", "90m", "2025-03-31 02:00"),
            ("2025-03-29 03:00", "1h", "2025-03-30 03:00"),
        ],
    );
    // A period inside the gap starts where the clock lands.
    let mut week: [Vec<Period>; 7] = Default::default();
    week = week.map(|_| vec![Period::parse("02:15-04:00").unwrap()]);
    let calendar = WorkingCalendar::new("gap", Berlin, week).unwrap();
    let periods = calendar.periods_on(switch_day);
    assert_eq!(periods[0].0, at(Berlin, "2025-03-30 03:00"));
    assert_eq!(periods[0].1 - periods[0].0, TimeDelta::hours(1));
}

#[test]
fn berlin_office_hours_across_both_switches() {
    check_deadlines(
        &office(Berlin, &["09:00-17:00"]),
        &[
            ("2025-03-28 16:00", "2h", "2025-03-31 10:00"),
            ("2025-03-28 16:00", "1d", "2025-03-31 16:00"),
            ("2025-10-24 16:00", "1d", "2025-10-27 16:00"),
            ("2025-10-24 16:00", "9h", "2025-10-27 17:00"),
            ("2025-10-24 16:00", "10h", "2025-10-28 10:00"),
        ],
    );
    let calendar = office(Berlin, &["09:00-17:00"]);
    let (friday, monday) = (at(Berlin, "2025-03-28 16:00"), at(Berlin, "2025-03-31 16:00"));
    // 71 hours of wall clock pass (the night of the switch is short), and 8 h of work.
    assert_eq!(monday - friday, TimeDelta::hours(71));
    assert_eq!(calendar.working_time(friday, monday), TimeDelta::hours(8));
}

#[test]
fn new_york_switch_days_have_the_real_length() {
    let mut week: [Vec<Period>; 7] = Default::default();
    week = week.map(|_| vec![Period::parse("01:00-03:00").unwrap()]);
    let calendar = WorkingCalendar::new("night", New_York, week).unwrap();
    let length = |day: &str| -> TimeDelta {
        calendar
            .periods_on(date(day))
            .iter()
            .map(|(start, end)| *end - *start)
            .sum()
    };
    assert_eq!(length("2025-03-08"), TimeDelta::hours(2));
    assert_eq!(length("2025-03-09"), TimeDelta::hours(1));
    // Fall back: 01:00 EDT to 03:00 EST is three hours.
    assert_eq!(length("2025-11-02"), TimeDelta::hours(3));
    let start = at(New_York, "2025-11-02 01:00");
    let deadline = calendar.deadline(start, target("150m"));
    assert_eq!(deadline, start + TimeDelta::minutes(150));
    assert_eq!(local(&calendar, deadline), "2025-11-02 02:30 EST");
    check_deadlines(&calendar, &[("2025-03-09 01:30", "1h", "2025-03-10 01:30")]);
}

#[test]
fn dates_beyond_the_holiday_data_warn_once_per_year() {
    let calendar = cn_2025();
    let start = at(Shanghai, "2025-12-30 10:00");
    for _ in 0..3 {
        calendar.deadline(start, target("5d"));
        calendar.deadline(at(Shanghai, "2027-06-01 10:00"), target("2h"));
    }
    let warned = calendar.warned_years.lock().unwrap().clone();
    assert_eq!(warned, HashSet::from([2026, 2027]));
    // The weekly pattern still applies.
    check_deadlines(&calendar, &[("2026-01-01 10:00", "1d", "2026-01-02 10:00")]);
    assert!(calendar.lacks_holiday_data(2026) && !calendar.lacks_holiday_data(2025));
    assert!(!office(Shanghai, &["09:00-17:00"]).lacks_holiday_data(2030));
}

#[test]
fn absurd_day_targets_are_never_reached_and_cost_nothing() {
    let calendar = office(Shanghai, &["09:00-17:00"]);
    let start = at(Shanghai, "2025-06-16 10:00");
    assert_eq!(calendar.deadline(start, Target::Days(u32::MAX)), NEVER);
    assert_eq!(calendar.deadline(start, Target::Days(0)), start);
    assert_eq!(calendar.add_working_time(start, -TimeDelta::hours(1)), start);
}

#[test]
fn periods_parse_as_written_and_bad_ones_are_refused() {
    assert_eq!(Period::parse("08:30-12:00"), Period::new(510, 720));
    assert_eq!(Period::parse(" 8:30 – 12:00 "), Period::new(510, 720));
    assert_eq!(Period::parse("13:00-24:00"), Period::new(780, 1440));
    assert_eq!(Period::parse("08:30-12:00").unwrap().to_string(), "08:30-12:00");
    for bad in [
        "",
        "08:30",
        "12:00-08:30",
        "09:00-09:00",
        "25:00-26:00",
        "8:3-9:00",
        "09:60-10:00",
    ] {
        assert!(Period::parse(bad).is_err(), "{bad} should be refused");
    }
    let overlapping = ["08:30-12:00", "11:00-13:00"].map(|text| Period::parse(text).unwrap());
    let error = sorted_periods(overlapping.to_vec()).unwrap_err();
    assert_eq!(error, "`08:30-12:00` and `11:00-13:00` overlap");
    assert!(sorted_periods(
        ["12:00-13:00", "08:00-12:00"]
            .map(|t| Period::parse(t).unwrap())
            .to_vec()
    )
    .is_ok());
}

#[test]
fn a_calendar_needs_a_working_weekday_and_distinct_special_days() {
    assert!(WorkingCalendar::new("never", Shanghai, Default::default()).is_err());
    let day = date("2025-10-01");
    let error = office(Shanghai, &["09:00-17:00"])
        .with_special_days([day], [day])
        .unwrap_err();
    assert!(error.contains("2025-10-01"), "{error}");
}

/// Calendars the properties run on: a split day with holidays and make-up
/// days, and DST zones with periods that cross the switch hours.
fn calendars() -> Vec<WorkingCalendar> {
    let split = office(Shanghai, &["08:30-12:00", "13:30-17:30"]);
    let holidays = ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06"].map(date);
    let split = split.with_special_days(holidays, [date("2025-09-28")]).unwrap();
    let mut night: [Vec<Period>; 7] = Default::default();
    night = night.map(|_| {
        ["01:30-03:30", "09:00-12:00"]
            .iter()
            .map(|t| Period::parse(t).unwrap())
            .collect()
    });
    vec![
        split,
        cn_2025(),
        WorkingCalendar::new("berlin-night", Berlin, night.clone()).unwrap(),
        WorkingCalendar::new("new-york-night", New_York, night).unwrap(),
        office(Berlin, &["00:00-08:00", "20:00-24:00"]),
    ]
}

/// Any millisecond from 2025 to the end of 2026 (both DST switches, both
/// years of Chinese holidays).
fn any_start() -> impl Strategy<Value = Timestamp> {
    let first = at(Shanghai, "2025-01-01 00:00").timestamp_millis();
    let last = at(Shanghai, "2026-12-31 00:00").timestamp_millis();
    (first..last).prop_map(|millis| DateTime::from_timestamp_millis(millis).unwrap())
}

/// True when `instant` lies in a working period or exactly at its end.
fn in_working_time_or_at_period_end(calendar: &WorkingCalendar, instant: Timestamp) -> bool {
    let today = instant.with_timezone(&calendar.time_zone()).date_naive();
    [today.pred_opt().unwrap(), today].iter().any(|day| {
        calendar
            .periods_on(*day)
            .iter()
            .any(|(start, end)| *start < instant && instant <= *end)
    })
}

/// Working time the slow, obvious way, as an oracle: each local date's
/// periods turned into instants by chrono-tz alone (the earlier of two
/// repeated times, the landing instant for a skipped one), overlaps summed.
fn reference_working_time(calendar: &WorkingCalendar, from: Timestamp, to: Timestamp) -> TimeDelta {
    let zone = calendar.time_zone();
    let instant = |date: NaiveDate, minute: u16| {
        let local = date.and_time(chrono::NaiveTime::MIN) + TimeDelta::minutes(minute.into());
        match zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(instant) | chrono::LocalResult::Ambiguous(instant, _) => {
                instant.with_timezone(&Utc)
            }
            chrono::LocalResult::None => {
                let gap = chrono_tz::GapInfo::new(&local, &zone).unwrap();
                gap.end.unwrap().with_timezone(&Utc)
            }
        }
    };
    let first = from.with_timezone(&zone).date_naive().pred_opt().unwrap();
    let last = to.with_timezone(&zone).date_naive();
    let mut total = TimeDelta::zero();
    for date in first.iter_days().take_while(|date| *date <= last) {
        for period in calendar.local_periods(date) {
            let start = instant(date, period.start_minute()).max(from);
            let end = instant(date, period.end_minute()).min(to);
            if end > start {
                total += end - start;
            }
        }
    }
    total
}

proptest! {
    #[test]
    fn deadlines_compose(which in 0..5usize, start in any_start(), a in 1..3_000i64, b in 1..3_000i64) {
        let calendar = &calendars()[which];
        let (a, b) = (TimeDelta::minutes(a), TimeDelta::minutes(b));
        let whole = calendar.deadline(start, Target::Working(a + b));
        let halves = calendar.deadline(calendar.deadline(start, Target::Working(a)), Target::Working(b));
        prop_assert_eq!(whole, halves);
    }

    #[test]
    fn a_deadline_is_working_time_or_a_period_end(which in 0..5usize, start in any_start(), minutes in 1..5_000i64, days in 1..31u32) {
        let calendar = &calendars()[which];
        for target in [Target::Working(TimeDelta::minutes(minutes)), Target::Days(days)] {
            let deadline = calendar.deadline(start, target);
            prop_assert!(deadline > start);
            prop_assert!(in_working_time_or_at_period_end(calendar, deadline), "{} + {} = {}", start, target, deadline);
        }
    }

    #[test]
    fn the_working_time_up_to_a_deadline_is_the_target(which in 0..5usize, start in any_start(), minutes in 1..5_000i64) {
        let calendar = &calendars()[which];
        let amount = TimeDelta::minutes(minutes);
        let deadline = calendar.deadline(start, Target::Working(amount));
        prop_assert_eq!(calendar.working_time(start, deadline), amount);
        prop_assert_eq!(reference_working_time(calendar, start, deadline), amount);
    }

    #[test]
    fn adding_and_measuring_working_time_agree(which in 0..5usize, from in any_start(), to in any_start(), middle in 0..1_000u32) {
        let calendar = &calendars()[which];
        let (from, to) = (from.min(to), from.max(to));
        let between = calendar.working_time(from, to);
        prop_assert_eq!(between, reference_working_time(calendar, from, to));
        let reached = calendar.add_working_time(from, between);
        // The earliest instant with that much working time is no later than `to`
        // and has no working time left before `to`.
        prop_assert!(reached <= to);
        prop_assert_eq!(calendar.working_time(reached, to), TimeDelta::zero());
        // Working time adds up over any split point.
        let split = from + (to - from) * i32::try_from(middle).unwrap() / 1_000;
        prop_assert_eq!(calendar.working_time(from, split) + calendar.working_time(split, to), between);
        prop_assert_eq!(calendar.add_working_time(from, TimeDelta::zero()), from);
    }

    #[test]
    fn more_days_never_come_sooner(which in 0..5usize, start in any_start(), days in 1..30u32) {
        let calendar = &calendars()[which];
        let sooner = calendar.deadline(start, Target::Days(days));
        let later = calendar.deadline(start, Target::Days(days + 1));
        prop_assert!(sooner < later, "{} then {}", sooner, later);
    }
}
