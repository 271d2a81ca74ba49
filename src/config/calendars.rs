//! Working-time calendars from configuration (SPEC §2 and §11).
//!
//! A `[calendars.NAME]` table names a time zone, working periods per weekday,
//! holidays and make-up working days, and may `include` yearly data files
//! such as `calendars/cn-2025.toml`. The built-in `cn-workdays` carries the
//! shipped Chinese schedules inside the binary, so it works from any working
//! directory; a `[calendars.cn-workdays]` table reconfigures it.
//!
//! Every problem is reported at once, each naming its key (`calendars.office.
//! weekdays.mon[1]`) or its file and line (`calendars/cn-2027.toml:14`).

mod show;

pub use show::{describe_calendar, describe_periods};

use crate::domain::calendar::AlwaysOn;
use crate::domain::workdays::{sorted_periods, DayKind, Period, WorkingCalendar, WEEKDAY_KEYS};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The built-in working calendar: Mon–Fri 09:00–17:00 Asia/Shanghai plus the
/// shipped public-holiday schedules.
pub const CN_WORKDAYS: &str = "cn-workdays";

/// The time zone of a calendar that names none.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// The hours of Monday to Friday in a calendar that lists no `weekdays`.
const DEFAULT_PERIOD: &str = "09:00-17:00";

/// The shipped holiday data, built into the binary; the names are how
/// messages refer to them.
const SHIPPED_DATA: [(&str, &str); 2] = [
    (
        "config/calendars/cn-2025.toml (built in)",
        include_str!("../../config/calendars/cn-2025.toml"),
    ),
    (
        "config/calendars/cn-2026.toml (built in)",
        include_str!("../../config/calendars/cn-2026.toml"),
    ),
];

/// One `[calendars.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA time zone; `Asia/Shanghai` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Periods per day, keys `mon` to `sun`: `{ mon = ["08:30-12:00", "13:30-17:30"] }`.
    /// Days not listed have no working time; absent, Monday to Friday work 09:00–17:00.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<BTreeMap<String, Vec<String>>>,
    /// Periods of a make-up working day; Monday's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub makeup_hours: Option<Vec<String>>,
    /// Dates off, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Make-up working days (调休), `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<String>,
    /// Yearly data files, relative to the config file's directory or absolute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
}

/// Everything wrong with the calendars of a config, one problem a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarError {
    pub problems: Vec<String>,
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for CalendarError {}

/// One yearly data file: `year`, `holidays`, `workdays`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataFile {
    year: i32,
    #[serde(default)]
    holidays: Vec<toml::Spanned<String>>,
    #[serde(default)]
    workdays: Vec<toml::Spanned<String>>,
}

/// Builds every configured calendar plus the built-in `cn-workdays` (which
/// a spec of that name reconfigures). Relative `include` paths resolve
/// against `config_dir`, or the working directory when there is no config
/// file.
pub fn build_calendars(
    specs: &BTreeMap<String, CalendarSpec>,
    config_dir: Option<&Path>,
) -> Result<BTreeMap<String, Arc<WorkingCalendar>>, CalendarError> {
    let builtin = CalendarSpec::default();
    let missing_builtin = (!specs.contains_key(CN_WORKDAYS)).then_some((CN_WORKDAYS, &builtin));
    let mut calendars = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, spec) in specs
        .iter()
        .map(|(name, spec)| (name.as_str(), spec))
        .chain(missing_builtin)
    {
        if name == AlwaysOn::NAME {
            problems.push(format!(
                "calendars.{name}: the name belongs to the built-in 24x7 calendar"
            ));
            continue;
        }
        match build_calendar(name, spec, config_dir) {
            Ok(calendar) => {
                calendars.insert(name.to_string(), Arc::new(calendar));
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(calendars)
    } else {
        Err(CalendarError { problems })
    }
}

/// Builds one calendar, or lists every problem with its key or file and line.
/// The calendar named `cn-workdays` starts from the shipped holiday data and
/// adds what the spec lists.
pub fn build_calendar(
    name: &str,
    spec: &CalendarSpec,
    config_dir: Option<&Path>,
) -> Result<WorkingCalendar, Vec<String>> {
    let key = format!("calendars.{name}");
    let mut problems = Vec::new();
    let zone_name = spec.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE);
    let time_zone = zone_name.parse::<Tz>().map_err(|_| {
        problems.push(format!(
            "{key}.time_zone: unknown time zone `{zone_name}` (use an IANA name such as \
             Asia/Shanghai or Europe/Berlin)"
        ))
    });
    let week = week_periods(&key, spec.weekdays.as_ref(), &mut problems);
    let makeup_hours = spec
        .makeup_hours
        .as_ref()
        .map(|list| day_periods(&format!("{key}.makeup_hours"), list, &mut problems));

    let mut dates = DateBook::default();
    if name == CN_WORKDAYS {
        for (file, text) in SHIPPED_DATA {
            dates.add_file(file, text, &mut problems);
        }
    }
    dates.add_listed(
        &format!("{key}.holidays"),
        &spec.holidays,
        DayKind::Holiday,
        &mut problems,
    );
    dates.add_listed(
        &format!("{key}.workdays"),
        &spec.workdays,
        DayKind::MakeUp,
        &mut problems,
    );
    for (index, include) in spec.include.iter().enumerate() {
        let path = resolve(config_dir, include);
        match std::fs::read_to_string(&path) {
            Ok(text) => dates.add_file(&path.display().to_string(), &text, &mut problems),
            Err(error) => problems.push(format!(
                "{key}.include[{index}]: cannot read {}: {error}",
                path.display()
            )),
        }
    }

    if spec.weekdays.is_some() && week.iter().all(Vec::is_empty) {
        problems.push(format!("{key}.weekdays: no day has working hours"));
    }
    let has_makeup_days = dates.dates.values().any(|(kind, _)| *kind == DayKind::MakeUp);
    if makeup_hours.is_none() && week[0].is_empty() && has_makeup_days {
        problems.push(format!(
            "{key}.makeup_hours: Monday has no working hours, so the make-up working days \
             need `makeup_hours`"
        ));
    }
    let Ok(time_zone) = time_zone else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let (holidays, workdays) = dates.split();
    WorkingCalendar::new(name, time_zone, week)
        .and_then(|calendar| match makeup_hours {
            Some(periods) => calendar.with_makeup_hours(periods),
            None => Ok(calendar),
        })
        .and_then(|calendar| calendar.with_special_days(holidays, workdays))
        .map(|calendar| calendar.with_holiday_data_through(dates.last_year))
        .map_err(|error| vec![format!("{key}: {error}")])
}

/// The periods of each weekday, Monday first.
fn week_periods(
    key: &str,
    weekdays: Option<&BTreeMap<String, Vec<String>>>,
    problems: &mut Vec<String>,
) -> [Vec<Period>; 7] {
    let mut week: [Vec<Period>; 7] = Default::default();
    let Some(weekdays) = weekdays else {
        let office = Period::parse(DEFAULT_PERIOD).ok();
        for day in week.iter_mut().take(5) {
            day.extend(office);
        }
        return week;
    };
    for (day, list) in weekdays {
        match WEEKDAY_KEYS.iter().position(|known| known == day) {
            Some(index) => week[index] = day_periods(&format!("{key}.weekdays.{day}"), list, problems),
            None => problems.push(format!(
                "{key}.weekdays: unknown day `{day}` (use mon, tue, wed, thu, fri, sat or sun)"
            )),
        }
    }
    week
}

/// Parses one day's periods; `key` names the list in messages.
fn day_periods(key: &str, list: &[String], problems: &mut Vec<String>) -> Vec<Period> {
    let mut periods = Vec::with_capacity(list.len());
    for (index, text) in list.iter().enumerate() {
        match Period::parse(text) {
            Ok(period) => periods.push(period),
            Err(error) => problems.push(format!("{key}[{index}]: {error}")),
        }
    }
    sorted_periods(periods).unwrap_or_else(|error| {
        problems.push(format!("{key}: {error}"));
        Vec::new()
    })
}

fn resolve(config_dir: Option<&Path>, include: &str) -> PathBuf {
    let path = Path::new(include);
    match config_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date (write YYYY-MM-DD)"))
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Holidays and make-up days from every source, each remembering where it
/// was listed so a conflict names both places.
#[derive(Default)]
struct DateBook {
    dates: BTreeMap<NaiveDate, (DayKind, String)>,
    /// The last year a data file covers.
    last_year: Option<i32>,
}

impl DateBook {
    fn add(&mut self, date: NaiveDate, kind: DayKind, place: String, problems: &mut Vec<String>) {
        match self.dates.get(&date) {
            Some((listed, first)) if *listed != kind => problems.push(format!(
                "{place}: {date} is listed both as {} ({first}) and as {}",
                describe(*listed),
                describe(kind)
            )),
            // Listed twice the same way (say, inline and in a file): harmless.
            Some(_) => {}
            None => {
                self.dates.insert(date, (kind, place));
            }
        }
    }

    fn add_listed(&mut self, key: &str, list: &[String], kind: DayKind, problems: &mut Vec<String>) {
        for (index, text) in list.iter().enumerate() {
            match parse_date(text) {
                Ok(date) => self.add(date, kind, format!("{key}[{index}]"), problems),
                Err(error) => problems.push(format!("{key}[{index}]: {error}")),
            }
        }
    }

    /// Adds a yearly data file; `file` names it in messages.
    fn add_file(&mut self, file: &str, text: &str, problems: &mut Vec<String>) {
        let data: DataFile = match toml::from_str(text) {
            Ok(data) => data,
            Err(error) => {
                let place = match error.span() {
                    Some(span) => format!("{file}:{}", line_of(text, span.start)),
                    None => file.to_string(),
                };
                // toml's message may run over lines; one problem is one line.
                let message = error.message().trim_end().replace('\n', ": ");
                problems.push(format!("{place}: {message}"));
                return;
            }
        };
        let year = data.year;
        for (list, kind) in [
            (&data.holidays, DayKind::Holiday),
            (&data.workdays, DayKind::MakeUp),
        ] {
            for entry in list {
                let place = format!("{file}:{}", line_of(text, entry.span().start));
                match parse_date(entry.get_ref()) {
                    Ok(date) if date.year() != year => {
                        problems.push(format!("{place}: {date} is not in the file's year {year}"))
                    }
                    Ok(date) => self.add(date, kind, place, problems),
                    Err(error) => problems.push(format!("{place}: {error}")),
                }
            }
        }
        self.last_year = Some(self.last_year.map_or(year, |last| last.max(year)));
    }

    fn split(&self) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
        let of_kind = |wanted: DayKind| {
            self.dates
                .iter()
                .filter(move |(_, (kind, _))| *kind == wanted)
                .map(|(date, _)| *date)
                .collect()
        };
        (of_kind(DayKind::Holiday), of_kind(DayKind::MakeUp))
    }
}

fn describe(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "a holiday",
        DayKind::MakeUp => "a make-up working day",
        DayKind::Regular => "a regular day",
    }
}

#[cfg(test)]
mod tests;
