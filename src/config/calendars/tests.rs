//! Tests of calendar loading: the shipped data, includes and every
//! validation message.

use super::*;
use crate::domain::calendar::Calendar;
use crate::domain::duration::Target;
use crate::domain::Timestamp;
use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir holding `files`, removed
/// when the test ends.
struct ConfigDir(PathBuf);

impl std::ops::Deref for ConfigDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config_dir(files: &[(&str, &str)]) -> ConfigDir {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "slawatch-calendars-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    ConfigDir(dir)
}

/// `[calendars.*]` tables as an operator writes them.
fn specs(toml_text: &str) -> BTreeMap<String, CalendarSpec> {
    #[derive(Deserialize)]
    struct Config {
        calendars: BTreeMap<String, CalendarSpec>,
    }
    toml::from_str::<Config>(toml_text).unwrap().calendars
}

fn problems(toml_text: &str, dir: Option<&Path>) -> Vec<String> {
    build_calendars(&specs(toml_text), dir).unwrap_err().problems
}

fn at(text: &str) -> Timestamp {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    Shanghai.from_local_datetime(&local).unwrap().with_timezone(&Utc)
}

fn due(calendar: &WorkingCalendar, start: &str, target: &str) -> String {
    let deadline = calendar.deadline(at(start), Target::parse(target).unwrap());
    deadline
        .with_timezone(&Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn days(first: &str, last: &str) -> Vec<NaiveDate> {
    date(first)
        .iter_days()
        .take_while(|day| *day <= date(last))
        .collect()
}

/// The repository's `config/` directory, found from this file so the test
/// runs wherever the crate is built.
fn repository_config() -> PathBuf {
    Path::new(file!()).parent().unwrap().join("../../../config")
}

#[test]
fn built_in_cn_workdays_works_with_no_config_dir() {
    let calendars = build_calendars(&BTreeMap::new(), None).unwrap();
    let cn = &calendars[CN_WORKDAYS];
    assert_eq!(cn.time_zone(), Shanghai);
    assert_eq!(cn.holiday_data_through(), Some(2026));
    assert_eq!(due(cn, "2025-09-30 17:00", "2h"), "2025-10-09 11:00");
    assert_eq!(due(cn, "2025-06-13 16:00", "1d"), "2025-06-16 16:00");
    assert_eq!(due(cn, "2025-01-26 10:00", "10m"), "2025-01-26 10:10");
    assert_eq!(due(cn, "2026-02-13 16:00", "2h"), "2026-02-14 10:00");
    assert_eq!(due(cn, "2026-02-14 16:00", "1d"), "2026-02-24 16:00");
    assert_eq!(due(cn, "2026-09-30 16:00", "1d"), "2026-10-08 16:00");
}

#[test]
fn the_shipped_schedules_match_the_state_council_notices() {
    let calendars = build_calendars(&BTreeMap::new(), None).unwrap();
    let cn = &calendars[CN_WORKDAYS];
    let holidays: Vec<NaiveDate> = [
        ("2025-01-01", "2025-01-01"),
        ("2025-01-28", "2025-02-04"),
        ("2025-04-04", "2025-04-06"),
        ("2025-05-01", "2025-05-05"),
        ("2025-05-31", "2025-06-02"),
        ("2025-10-01", "2025-10-08"),
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ]
    .iter()
    .flat_map(|(first, last)| days(first, last))
    .collect();
    let workdays = [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    .map(date);
    for day in days("2025-01-01", "2026-12-31") {
        let expected = if holidays.contains(&day) {
            DayKind::Holiday
        } else if workdays.contains(&day) {
            DayKind::MakeUp
        } else {
            DayKind::Regular
        };
        assert_eq!(cn.day_kind(day), expected, "{day}");
    }
    for workday in workdays {
        assert!(matches!(workday.format("%a").to_string().as_str(), "Sat" | "Sun"));
    }
}

#[test]
fn the_repository_files_load_through_a_relative_include() {
    let calendars = build_calendars(
        &specs(
            r#"
            [calendars.office]
            time_zone = "Asia/Shanghai"
            weekdays = { mon = ["08:30-12:00", "13:30-17:30"], tue = ["08:30-12:00", "13:30-17:30"], wed = ["08:30-12:00", "13:30-17:30"], thu = ["08:30-12:00", "13:30-17:30"], fri = ["08:30-12:00", "13:30-17:30"] }
            include = ["calendars/cn-2025.toml", "calendars/cn-2026.toml"]
            "#,
        ),
        Some(&repository_config()),
    )
    .unwrap();
    let office = &calendars["office"];
    assert_eq!(due(office, "2025-06-16 11:30", "1h"), "2025-06-16 14:00");
    assert_eq!(due(office, "2025-09-30 17:00", "2h"), "2025-10-09 10:00");
    assert_eq!(due(office, "2025-09-28 10:00", "10m"), "2025-09-28 10:10");
    assert_eq!(office.holiday_data_through(), Some(2026));
    assert!(
        calendars.contains_key(CN_WORKDAYS),
        "the built-in calendar is always there"
    );
}

#[test]
fn includes_resolve_against_the_config_dir_or_stand_absolute() {
    let company = "year = 2027\nholidays = [\"2027-01-01\"]\nworkdays = [\"2027-01-02\"]\n";
    let dir = config_dir(&[("calendars/company-2027.toml", company)]);
    let absolute = dir.join("calendars/company-2027.toml");
    let text = format!(
        "[calendars.relative]\ninclude = [\"calendars/company-2027.toml\"]\n\
         [calendars.absolute]\ninclude = [{:?}]\n",
        absolute.display().to_string()
    );
    let calendars = build_calendars(&specs(&text), Some(&dir)).unwrap();
    for name in ["relative", "absolute"] {
        let calendar = &calendars[name];
        assert_eq!(calendar.day_kind(date("2027-01-01")), DayKind::Holiday);
        assert_eq!(calendar.day_kind(date("2027-01-02")), DayKind::MakeUp);
        assert_eq!(calendar.holiday_data_through(), Some(2027));
    }
}

#[test]
fn a_cn_workdays_table_reconfigures_the_built_in_and_keeps_its_data() {
    let text = r#"
        [calendars.cn-workdays]
        weekdays = { mon = ["08:30-12:00", "13:30-17:30"], tue = ["08:30-12:00", "13:30-17:30"], wed = ["08:30-12:00", "13:30-17:30"], thu = ["08:30-12:00", "13:30-17:30"], fri = ["08:30-12:00", "13:30-17:30"] }
        makeup_hours = ["09:00-12:00"]
        holidays = ["2025-12-31"]
        "#;
    let calendars = build_calendars(&specs(text), None).unwrap();
    let cn = &calendars[CN_WORKDAYS];
    assert_eq!(cn.day_kind(date("2025-10-01")), DayKind::Holiday);
    assert_eq!(cn.day_kind(date("2025-12-31")), DayKind::Holiday);
    assert_eq!(due(cn, "2025-09-28 11:30", "1h"), "2025-09-29 09:00");
    assert_eq!(due(cn, "2025-06-16 11:30", "1h"), "2025-06-16 14:00");
}

#[test]
fn bad_periods_name_their_key() {
    let found = problems(
        r#"
        [calendars.office]
        weekdays = { mon = ["08:30-12:00", "11:00-13:00"], tue = ["09:00-17:00", "13:30-12:00"], wed = ["9h-17h"], someday = ["09:00-17:00"] }
        makeup_hours = ["25:00-26:00"]
        "#,
        None,
    );
    let expected = [
        "calendars.office.weekdays.mon: `08:30-12:00` and `11:00-13:00` overlap",
        "calendars.office.weekdays.tue[1]: `13:30-12:00` must end after it starts",
        "calendars.office.weekdays.wed[0]: `9h` is not a time like 08:30",
        "calendars.office.weekdays: unknown day `someday` (use mon, tue, wed, thu, fri, sat or sun)",
        "calendars.office.makeup_hours[0]: `25:00` is not a time of day (00:00 to 24:00)",
    ];
    for message in expected {
        assert!(
            found.iter().any(|problem| problem == message),
            "{message} not in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn an_unknown_time_zone_and_bad_dates_name_their_key() {
    let found = problems(
        r#"
        [calendars.office]
        time_zone = "Asia/Beijing"
        holidays = ["2025-10-01", "2025-02-30"]
        workdays = ["2025-10-01", "tomorrow"]
        "#,
        None,
    );
    assert_eq!(
        found,
        [
            "calendars.office.time_zone: unknown time zone `Asia/Beijing` (use an IANA name \
             such as Asia/Shanghai or Europe/Berlin)",
            "calendars.office.holidays[1]: `2025-02-30` is not a date (write YYYY-MM-DD)",
            "calendars.office.workdays[0]: 2025-10-01 is listed both as a holiday \
             (calendars.office.holidays[0]) and as a make-up working day",
            "calendars.office.workdays[1]: `tomorrow` is not a date (write YYYY-MM-DD)",
        ]
    );
}

#[test]
fn data_file_problems_name_the_file_and_line() {
    let dir = config_dir(&[
        (
            "calendars/clash.toml",
            "year = 2025\nholidays = [\n  \"2025-10-01\",\n  \"2025-13-01\",\n  \"2024-12-31\",\n]\nworkdays = [\"2025-10-01\"]\n",
        ),
        ("calendars/broken.toml", "year = 2025\nholidays = [\"2025-10-01\"\n"),
        ("calendars/typo.toml", "year = 2025\n\nholiday = [\"2025-10-01\"]\n"),
    ]);
    let found = problems(
        r#"
        [calendars.office]
        include = ["calendars/clash.toml", "calendars/broken.toml", "calendars/typo.toml", "calendars/missing.toml"]
        workdays = ["2025-10-01"]
        "#,
        Some(&dir),
    );
    let file = |name: &str| dir.join("calendars").join(name).display().to_string();
    let clash = file("clash.toml");
    let expected_prefixes = [
        format!(
            "{clash}:3: 2025-10-01 is listed both as a make-up working day \
             (calendars.office.workdays[0]) and as a holiday"
        ),
        format!("{clash}:4: `2025-13-01` is not a date"),
        format!("{clash}:5: 2024-12-31 is not in the file's year 2025"),
        format!("{}:3: invalid array: expected `]`", file("broken.toml")),
        format!("{}:3: unknown field `holiday`", file("typo.toml")),
        format!(
            "calendars.office.include[3]: cannot read {}: ",
            file("missing.toml")
        ),
    ];
    for prefix in &expected_prefixes {
        assert!(
            found.iter().any(|problem| problem.starts_with(prefix.as_str())),
            "{prefix} not in {found:#?}"
        );
    }
    // The inline make-up day clashes with the file's holiday, reported once.
    assert_eq!(found.len(), expected_prefixes.len(), "{found:#?}");
}

#[test]
fn a_date_twice_within_one_file_names_both_lines() {
    let dir = config_dir(&[(
        "calendars/both.toml",
        "year = 2025\nholidays = [\"2025-10-01\"]\nworkdays = [\n  \"2025-10-01\",\n]\n",
    )]);
    let found = problems(
        "[calendars.office]\ninclude = [\"calendars/both.toml\"]\n",
        Some(&dir),
    );
    let file = dir.join("calendars/both.toml").display().to_string();
    assert_eq!(
        found,
        [format!(
            "{file}:4: 2025-10-01 is listed both as a holiday ({file}:2) and as a make-up working day"
        )]
    );
}

#[test]
fn calendar_names_and_shapes_that_cannot_work_are_refused() {
    let found = problems(
        r#"
        [calendars.24x7]
        [calendars.idle]
        weekdays = { sat = [] }
        [calendars.weekend-shift]
        weekdays = { sat = ["09:00-17:00"] }
        workdays = ["2025-10-11"]
        "#,
        None,
    );
    assert_eq!(
        found,
        [
            "calendars.24x7: the name belongs to the built-in 24x7 calendar",
            "calendars.idle.weekdays: no day has working hours",
            "calendars.weekend-shift.makeup_hours: Monday has no working hours, so the make-up \
             working days need `makeup_hours`",
        ]
    );
}

#[test]
fn unknown_keys_in_a_calendar_table_are_refused_with_their_line() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Config {
        calendars: BTreeMap<String, CalendarSpec>,
    }
    let error = toml::from_str::<Config>("[calendars.office]\n\nholiday = [\"2025-10-01\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("line 3") && error.contains("unknown field `holiday`"),
        "{error}"
    );
}

#[test]
fn describe_periods_shows_each_day_as_the_operator_checks_it() {
    let calendars = build_calendars(&BTreeMap::new(), None).unwrap();
    let text = describe_periods(&calendars[CN_WORKDAYS], date("2025-09-27"), 5);
    assert_eq!(
        text,
        "2025-09-27 Sat  weekend\n\
         2025-09-28 Sun  make-up working day  09:00–17:00\n\
         2025-09-29 Mon                       09:00–17:00\n\
         2025-09-30 Tue                       09:00–17:00\n\
         2025-10-01 Wed  holiday\n"
    );
    let text = describe_periods(&calendars[CN_WORKDAYS], date("2026-12-31"), 2);
    assert_eq!(
        text,
        "2026-12-31 Thu                       09:00–17:00\n\
         2027-01-01 Fri                       09:00–17:00  (no holiday data for 2027)\n"
    );
}

#[test]
fn describe_periods_shows_split_days_midnight_ends_and_dst_switches() {
    let text = r#"
        [calendars.berlin]
        time_zone = "Europe/Berlin"
        weekdays = { sat = ["01:30-03:30", "20:00-24:00"], sun = ["01:30-03:30", "20:00-24:00"] }
        "#;
    let calendars = build_calendars(&specs(text), None).unwrap();
    let text = describe_periods(&calendars["berlin"], date("2025-03-29"), 3);
    assert_eq!(
        text,
        "2025-03-29 Sat                       01:30–03:30, 20:00–24:00\n\
         2025-03-30 Sun                       01:30–03:30, 20:00–24:00\n\
         2025-03-31 Mon  weekend\n"
    );
}

#[test]
fn describe_calendar_heads_the_periods_and_knows_every_name() {
    let calendars = build_calendars(&BTreeMap::new(), None).unwrap();
    let text = describe_calendar(&calendars, CN_WORKDAYS, date("2026-02-14"), 2).unwrap();
    assert_eq!(
        text,
        "cn-workdays (Asia/Shanghai)\n\
         2026-02-14 Sat  make-up working day  09:00–17:00\n\
         2026-02-15 Sun  holiday\n"
    );
    let always = describe_calendar(&calendars, "24x7", date("2026-02-14"), 2).unwrap();
    assert_eq!(always, "24x7: every instant is working time; a day is 24 hours\n");
    let unknown = describe_calendar(&calendars, "office", date("2026-02-14"), 2).unwrap_err();
    assert_eq!(unknown, "unknown calendar `office` (known: 24x7, cn-workdays)");
}
