//! The period a report covers, as given on the command line or in a
//! request: instants, or local dates judged in each policy's time zone.

use crate::domain::policy::Policy;
use crate::domain::Timestamp;
use chrono::{NaiveDate, TimeDelta};

/// The period a report covers: cycles that started in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Instants, as given.
    Instants { from: Timestamp, to: Timestamp },
    /// Local dates (`to` excluded), each cycle judged in its own policy's
    /// time zone: a cycle raised at 00:30 on the 1st in Asia/Shanghai
    /// belongs to the 1st, though it is still the 30th in UTC.
    Dates { from: NaiveDate, to: NaiveDate },
}

/// The most a time zone's offset moves a local midnight from UTC midnight.
const WIDEST_OFFSET: TimeDelta = TimeDelta::hours(15);

impl Period {
    /// The instants to read from the store: wide enough for every zone.
    pub fn bounds(&self) -> (Timestamp, Timestamp) {
        match *self {
            Period::Instants { from, to } => (from, to),
            Period::Dates { from, to } => {
                let utc = |date: NaiveDate| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
                (utc(from) - WIDEST_OFFSET, utc(to) + WIDEST_OFFSET)
            }
        }
    }

    /// Parses `from` and `to`: both dates (`2026-11-01`, local midnight in
    /// each policy's time zone) or both RFC 3339 instants; `to` after
    /// `from` by at most `max_days`. An error names the field at fault.
    pub fn parse(from: &str, to: &str, max_days: Option<i64>) -> Result<Period, (&'static str, String)> {
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        let instant = |text: &str| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|at| at.with_timezone(&chrono::Utc))
        };
        let expected = "a date (YYYY-MM-DD) or an RFC 3339 timestamp with offset";
        let valid = |text: &str| date(text).is_some() || instant(text).is_some();
        let period = if let (Some(from), Some(to)) = (date(from), date(to)) {
            Period::Dates { from, to }
        } else if let (Some(from), Some(to)) = (instant(from), instant(to)) {
            Period::Instants { from, to }
        } else if !valid(from) {
            return Err(("from", format!("`from` must be {expected}")));
        } else if !valid(to) {
            return Err(("to", format!("`to` must be {expected}")));
        } else {
            return Err((
                "to",
                "`from` and `to` must both be dates or both be timestamps".into(),
            ));
        };
        let length = match period {
            Period::Dates { from, to } => (to - from).num_days(),
            Period::Instants { from, to } if to > from => (to - from).num_days(),
            Period::Instants { .. } => -1,
        };
        let too_long =
            max_days.is_some_and(|max| length > max || (length == max && period.exceeds_whole_days()));
        if length < 0 || period.is_empty() || too_long {
            let most = max_days
                .map(|max| format!(", by at most {max} days"))
                .unwrap_or_default();
            return Err(("to", format!("`to` must be after `from`{most}")));
        }
        Ok(period)
    }

    fn is_empty(&self) -> bool {
        match *self {
            Period::Dates { from, to } => to <= from,
            Period::Instants { from, to } => to <= from,
        }
    }

    /// An instant period longer than its whole days.
    fn exceeds_whole_days(&self) -> bool {
        match *self {
            Period::Dates { .. } => false,
            Period::Instants { from, to } => (to - from) > TimeDelta::days((to - from).num_days()),
        }
    }

    /// Whether a cycle that started at `start` under `policy` is in the period.
    pub fn contains(&self, start: Timestamp, policy: &Policy) -> bool {
        match *self {
            Period::Instants { from, to } => from <= start && start < to,
            Period::Dates { from, to } => {
                let day = start.with_timezone(&policy.calendar.time_zone()).date_naive();
                from <= day && day < to
            }
        }
    }
}
