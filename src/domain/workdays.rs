//! Working-time calendars: office hours per weekday, public holidays and
//! make-up working days (调休), in any IANA time zone (SPEC §2).
//!
//! Arithmetic walks day by day. A date's working periods are written in local
//! wall-clock minutes and turned into instants per date through the zone's
//! table of switches, so a deadline 30 working days out costs a few dozen
//! integer steps, never a minute-by-minute scan, and daylight-saving switches
//! come out exact: a period over a spring-forward gap is shorter in real
//! time, one over a fall-back overlap longer. Inside, days are numbered from
//! 1970-01-01 and instants are nanoseconds, so millisecond inputs stay exact.

use super::calendar::Calendar;
use super::duration::Target;
use super::Timestamp;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::HashSet;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

mod period;
mod walk;
mod zone;

pub use period::{sorted_periods, Period};
pub use zone::local_instant;
use zone::ZoneTable;

/// Weekday names as written in config, Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_SECOND: i128 = 1_000_000_000;
/// chrono counts days from 0001-01-01; ours count from 1970-01-01.
const UNIX_EPOCH_DAY_FROM_CE: i32 = 719_163;

/// How many days in a row without working time a walk crosses before giving
/// up. A calendar always has a working weekday, so only a decade of listed
/// holidays or a walk off the end of chrono's dates gets this far.
const MAX_IDLE_DAYS: u32 = 3_700;

/// The longest span of special days kept as one entry per day (a century).
const MAX_DENSE_DAYS: i64 = 36_600;

/// Day targets beyond this many working days (a century and more) are never
/// reached: walking to them would only burn time.
const MAX_TARGET_DAYS: u32 = 36_600;

/// What a deadline is when the calendar never reaches it.
const NEVER: Timestamp = DateTime::<Utc>::MAX_UTC;

/// An instant as nanoseconds since 1970-01-01 UTC: exact for every
/// `Timestamp`, and plain integer arithmetic in the walks.
type Nanos = i128;

/// A date as days since 1970-01-01.
type Day = i32;

/// What a date is before its hours apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DayKind {
    /// The weekly pattern applies (a working day or a weekend).
    Regular,
    /// A public or company holiday: no working time.
    Holiday,
    /// A make-up working day (调休): works the calendar's `makeup_hours`.
    MakeUp,
}

/// A working-time calendar: periods per weekday, holidays and make-up
/// working days in one time zone.
#[derive(Debug)]
pub struct WorkingCalendar {
    name: String,
    time_zone: Tz,
    zone: Arc<ZoneTable>,
    /// Periods per weekday, Monday first, sorted and disjoint.
    week: [Vec<Period>; 7],
    makeup_hours: Vec<Period>,
    /// Holidays and make-up days sorted by day, one entry per day.
    special_days: Vec<(Day, DayKind)>,
    /// The same as one entry per day from the first special day to the
    /// last, so a look-up is an index; `None` for an implausibly long span.
    dense_days: Option<(Day, Vec<DayKind>)>,
    /// The last year with holiday data; `None` when the calendar has none,
    /// so there is nothing to warn about.
    data_through: Option<i32>,
    /// The first day past the holiday data (`Day::MAX` without data).
    first_day_without_data: Day,
    warned_years: Mutex<HashSet<i32>>,
    /// The year warned about last: a lock-free check, since one walk asks
    /// about the same year dozens of times.
    last_warned_year: AtomicI32,
}

impl WorkingCalendar {
    /// A calendar with `week` (Monday first) and no holidays. Make-up days
    /// work Monday's periods until [`Self::with_makeup_hours`] says otherwise.
    pub fn new(name: &str, time_zone: Tz, week: [Vec<Period>; 7]) -> Result<Self, String> {
        let mut checked: [Vec<Period>; 7] = Default::default();
        for ((slot, periods), day) in checked.iter_mut().zip(week).zip(WEEKDAY_KEYS) {
            *slot = sorted_periods(periods).map_err(|error| format!("{day}: {error}"))?;
        }
        if checked.iter().all(Vec::is_empty) {
            return Err("no weekday has working hours".to_string());
        }
        Ok(Self {
            name: name.to_string(),
            time_zone,
            zone: ZoneTable::of(time_zone),
            makeup_hours: checked[0].clone(),
            week: checked,
            special_days: Vec::new(),
            dense_days: None,
            data_through: None,
            first_day_without_data: Day::MAX,
            warned_years: Mutex::new(HashSet::new()),
            last_warned_year: AtomicI32::new(i32::MIN),
        })
    }

    /// The periods of a make-up working day.
    pub fn with_makeup_hours(mut self, periods: Vec<Period>) -> Result<Self, String> {
        self.makeup_hours = sorted_periods(periods)?;
        Ok(self)
    }

    /// Sets the holidays and make-up working days; a date in both is refused.
    pub fn with_special_days(
        mut self,
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, String> {
        let mut days: Vec<(Day, DayKind)> = holidays
            .into_iter()
            .map(|date| (day_of(date), DayKind::Holiday))
            .chain(workdays.into_iter().map(|date| (day_of(date), DayKind::MakeUp)))
            .collect();
        days.sort_unstable();
        days.dedup();
        if let Some(pair) = days.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(format!(
                "{} is listed both as a holiday and as a make-up working day",
                date_of(pair[0].0).unwrap_or_default()
            ));
        }
        self.dense_days = match (days.first(), days.last()) {
            (Some(&(first, _)), Some(&(last, _))) if i64::from(last - first) < MAX_DENSE_DAYS => {
                let mut kinds = vec![DayKind::Regular; (last - first) as usize + 1];
                for &(day, kind) in &days {
                    kinds[(day - first) as usize] = kind;
                }
                Some((first, kinds))
            }
            _ => None,
        };
        self.special_days = days;
        Ok(self)
    }

    /// The last year with holiday data: later dates follow the weekly
    /// pattern only, and the first look at each such year logs a warning.
    pub fn with_holiday_data_through(mut self, year: Option<i32>) -> Self {
        self.data_through = year;
        self.first_day_without_data = year
            .and_then(|year| NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1))
            .map_or(Day::MAX, day_of);
        self
    }

    pub fn holiday_data_through(&self) -> Option<i32> {
        self.data_through
    }

    /// True when `year` lies beyond the calendar's holiday data.
    pub fn lacks_holiday_data(&self, year: i32) -> bool {
        self.data_through.is_some_and(|last| year > last)
    }

    /// Whether `date` is a holiday, a make-up working day or a regular day.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        self.kind_of(day_of(date))
    }

    /// The local periods `date` works (empty on holidays and weekends).
    pub fn local_periods(&self, date: NaiveDate) -> &[Period] {
        self.periods_of(day_of(date))
    }

    fn kind_of(&self, day: Day) -> DayKind {
        if let Some((first, kinds)) = &self.dense_days {
            let index = usize::try_from(day.wrapping_sub(*first)).ok();
            return index
                .and_then(|index| kinds.get(index))
                .copied()
                .unwrap_or(DayKind::Regular);
        }
        match self
            .special_days
            .binary_search_by_key(&day, |(special, _)| *special)
        {
            Ok(index) => self.special_days[index].1,
            Err(_) => DayKind::Regular,
        }
    }

    fn periods_of(&self, day: Day) -> &[Period] {
        if day >= self.first_day_without_data {
            self.note_year_without_data(day);
        }
        match self.kind_of(day) {
            DayKind::Holiday => &[],
            DayKind::MakeUp => &self.makeup_hours,
            // 1970-01-01 was a Thursday, index 3 from Monday.
            DayKind::Regular => &self.week[(day + 3).rem_euclid(7) as usize],
        }
    }

    /// Warns once per year past the holiday data, so operators know to add
    /// the next year's file.
    fn note_year_without_data(&self, day: Day) {
        let (Some(last), Some(date)) = (self.data_through, date_of(day)) else {
            return;
        };
        let year = date.year();
        if self.last_warned_year.load(Ordering::Relaxed) == year {
            return;
        }
        let mut warned = self.warned_years.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.insert(year) {
            tracing::warn!(
                calendar = %self.name,
                year,
                last_year_with_data = last,
                "no holiday data for this year: the weekly pattern applies; add the year's \
                 holiday file to the calendar's `include`"
            );
        }
        self.last_warned_year.store(year, Ordering::Relaxed);
    }
}

fn day_of(date: NaiveDate) -> Day {
    date.num_days_from_ce() - UNIX_EPOCH_DAY_FROM_CE
}

fn date_of(day: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(UNIX_EPOCH_DAY_FROM_CE)?)
}

fn nanos_of(instant: Timestamp) -> Nanos {
    Nanos::from(instant.timestamp()) * NANOS_PER_SECOND + Nanos::from(instant.timestamp_subsec_nanos())
}

fn seconds_of(instant: Nanos) -> i64 {
    i64::try_from(instant.div_euclid(NANOS_PER_SECOND)).unwrap_or(i64::MAX)
}

fn timestamp_of(instant: Nanos) -> Timestamp {
    let nanos = instant.rem_euclid(NANOS_PER_SECOND) as u32;
    DateTime::from_timestamp(seconds_of(instant), nanos).unwrap_or(NEVER)
}

fn delta_nanos(delta: TimeDelta) -> Nanos {
    Nanos::from(delta.num_seconds()) * NANOS_PER_SECOND + Nanos::from(delta.subsec_nanos())
}

fn delta_of(nanos: Nanos) -> TimeDelta {
    let seconds = seconds_of(nanos);
    TimeDelta::new(seconds, nanos.rem_euclid(NANOS_PER_SECOND) as u32).unwrap_or(TimeDelta::MAX)
}

impl Calendar for WorkingCalendar {
    fn name(&self) -> &str {
        &self.name
    }

    fn time_zone(&self) -> Tz {
        self.time_zone
    }

    fn deadline(&self, start: Timestamp, target: Target) -> Timestamp {
        match target {
            Target::Working(amount) => self.add_working_time(start, amount),
            Target::Days(0) => start,
            Target::Days(days) if days > MAX_TARGET_DAYS => NEVER,
            Target::Days(days) => self
                .deadline_in_days(nanos_of(start), days)
                .map_or(NEVER, timestamp_of),
        }
    }

    fn working_time(&self, from: Timestamp, to: Timestamp) -> TimeDelta {
        let (from, to) = (nanos_of(from), nanos_of(to));
        let mut total = 0;
        // A day's periods lie between its local midnights, so the local days
        // of `from` and `to` bound the walk.
        for day in self.day_at(from)..=self.day_at(to) {
            for (start, end) in self.instants(day) {
                total += (end.min(to) - start.max(from)).max(0);
            }
        }
        delta_of(total)
    }

    fn add_working_time(&self, from: Timestamp, amount: TimeDelta) -> Timestamp {
        self.add(nanos_of(from), delta_nanos(amount))
            .map_or(NEVER, timestamp_of)
    }

    fn periods_on(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)> {
        self.instants(day_of(date))
            .map(|(start, end)| (timestamp_of(start), timestamp_of(end)))
            .collect()
    }
}

#[cfg(test)]
mod tests;
