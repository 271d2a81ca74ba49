//! What `slawatch calendar` prints: a calendar's days, what kind each is
//! and its working periods, for an operator to check.

use crate::domain::calendar::{AlwaysOn, Calendar};
use crate::domain::workdays::{DayKind, WorkingCalendar};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What `slawatch calendar NAME --from DATE --days N` prints: a heading with
/// the calendar's time zone, then [`describe_periods`]. `24x7` has no
/// periods to show; an unknown name is refused with the names there are.
pub fn describe_calendar(
    calendars: &BTreeMap<String, Arc<WorkingCalendar>>,
    name: &str,
    from: NaiveDate,
    days: u32,
) -> Result<String, String> {
    if name == AlwaysOn::NAME {
        return Ok(format!(
            "{name}: every instant is working time; a day is 24 hours\n"
        ));
    }
    match calendars.get(name) {
        Some(calendar) => Ok(format!(
            "{name} ({})\n{}",
            calendar.time_zone(),
            describe_periods(calendar, from, days)
        )),
        None => {
            let known: Vec<&str> = std::iter::once(AlwaysOn::NAME)
                .chain(calendars.keys().map(String::as_str))
                .collect();
            Err(format!("unknown calendar `{name}` (known: {})", known.join(", ")))
        }
    }
}

/// The periods of `days` dates from `from`: one line per
/// date with its weekday, what kind of day it is and its working periods in
/// local time, e.g. `2025-09-28 Sun  make-up working day  09:00–17:00`.
pub fn describe_periods(calendar: &WorkingCalendar, from: NaiveDate, days: u32) -> String {
    let time_zone = calendar.time_zone();
    let mut text = String::new();
    for date in from.iter_days().take(days as usize) {
        let periods = calendar.periods_on(date);
        let label = match calendar.day_kind(date) {
            DayKind::Holiday => "holiday",
            DayKind::MakeUp => "make-up working day",
            DayKind::Regular if periods.is_empty() => "weekend",
            DayKind::Regular => "",
        };
        let hours: Vec<String> = periods
            .iter()
            .map(|(start, end)| {
                let start = start.with_timezone(&time_zone);
                let end = end.with_timezone(&time_zone);
                // A period that runs to midnight ends at 24:00 of its own date.
                let end_clock = if end.date_naive() > date {
                    "24:00".to_string()
                } else {
                    end.format("%H:%M").to_string()
                };
                format!("{}–{end_clock}", start.format("%H:%M"))
            })
            .collect();
        let mut line = format!("{date} {}  {label:<19}  {}", date.format("%a"), hours.join(", "));
        if calendar.lacks_holiday_data(date.year()) {
            line.push_str(&format!("  (no holiday data for {})", date.year()));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}
