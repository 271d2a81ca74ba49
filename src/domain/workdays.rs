//! Working-time calendars: office hours per weekday, public holidays and
//! make-up working days (调休), in any IANA time zone (SPEC §2).
//!
//! Arithmetic walks day by day. A date's working periods are written in local
//! wall-clock minutes and turned into instants once per date, so a deadline
//! 30 working days out costs a few dozen date look-ups, never a
//! minute-by-minute scan, and daylight-saving switches come out exact: a
//! period that spans a spring-forward gap is shorter in real time, one that
//! spans a fall-back overlap is longer.

use super::calendar::Calendar;
use super::duration::Target;
use super::Timestamp;
use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};

/// Minutes in a day; `24:00` may end a period.
const MINUTES_PER_DAY: u16 = 24 * 60;

/// How many days in a row without working time a walk crosses before giving
/// up. A calendar always has a working weekday, so only a walk that runs off
/// chrono's last date, or a decade of listed holidays, gets this far.
const MAX_IDLE_DAYS: u32 = 3_700;

/// What a deadline is when the calendar never reaches it.
const NEVER: Timestamp = DateTime::<Utc>::MAX_UTC;

/// Weekday names as written in config, Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One working period of a day: `[start, end)` in local wall-clock minutes
/// since midnight, so `08:30-12:00` is minutes 510 to 720.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    start: u16,
    end: u16,
}

impl Period {
    /// A period from `start_minute` to `end_minute` (at most 1440, i.e. `24:00`).
    pub fn new(start_minute: u16, end_minute: u16) -> Result<Self, String> {
        if end_minute > MINUTES_PER_DAY {
            return Err(format!("{} is past 24:00", clock(end_minute)));
        }
        if end_minute <= start_minute {
            return Err(format!(
                "`{}-{}` must end after it starts",
                clock(start_minute),
                clock(end_minute)
            ));
        }
        Ok(Self {
            start: start_minute,
            end: end_minute,
        })
    }

    /// Parses `HH:MM-HH:MM` (an en dash works too); `24:00` may end a period.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (start, end) = text
            .split_once(['-', '–'])
            .ok_or_else(|| format!("`{text}` is not a period like `09:00-17:00`"))?;
        Self::new(parse_clock(start.trim())?, parse_clock(end.trim())?)
    }

    pub fn start_minute(self) -> u16 {
        self.start
    }

    pub fn end_minute(self) -> u16 {
        self.end
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", clock(self.start), clock(self.end))
    }
}

fn clock(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Parses `HH:MM` (or `H:MM`) into minutes since midnight; `24:00` is 1440.
fn parse_clock(text: &str) -> Result<u16, String> {
    let well_formed = |hours: &str, minutes: &str| {
        (1..=2).contains(&hours.len())
            && minutes.len() == 2
            && hours.bytes().chain(minutes.bytes()).all(|b| b.is_ascii_digit())
    };
    let (hours, minutes) = text
        .split_once(':')
        .filter(|(h, m)| well_formed(h, m))
        .ok_or_else(|| format!("`{text}` is not a time like 08:30"))?;
    let (hours, minutes): (u16, u16) = (hours.parse().unwrap_or(99), minutes.parse().unwrap_or(99));
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(format!("`{text}` is not a time of day (00:00 to 24:00)"));
    }
    Ok(hours * 60 + minutes)
}

/// Sorts a day's periods and refuses overlapping ones (touching is fine).
pub fn sorted_periods(mut periods: Vec<Period>) -> Result<Vec<Period>, String> {
    periods.sort();
    match periods.windows(2).find(|pair| pair[1].start < pair[0].end) {
        Some(pair) => Err(format!("`{}` and `{}` overlap", pair[0], pair[1])),
        None => Ok(periods),
    }
}

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
    /// Periods per weekday, Monday first, sorted and disjoint.
    week: [Vec<Period>; 7],
    makeup_hours: Vec<Period>,
    /// Holidays and make-up days sorted by date, one entry per date.
    special_days: Vec<(NaiveDate, DayKind)>,
    /// The last year with holiday data; `None` when the calendar has none,
    /// so there is nothing to warn about.
    data_through: Option<i32>,
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
            makeup_hours: checked[0].clone(),
            week: checked,
            special_days: Vec::new(),
            data_through: None,
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
        let mut days: Vec<(NaiveDate, DayKind)> = holidays
            .into_iter()
            .map(|date| (date, DayKind::Holiday))
            .chain(workdays.into_iter().map(|date| (date, DayKind::MakeUp)))
            .collect();
        days.sort_unstable();
        days.dedup();
        if let Some(pair) = days.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(format!(
                "{} is listed both as a holiday and as a make-up working day",
                pair[0].0
            ));
        }
        self.special_days = days;
        Ok(self)
    }

    /// The last year with holiday data: later dates follow the weekly
    /// pattern only, and the first look at each such year logs a warning.
    pub fn with_holiday_data_through(mut self, year: Option<i32>) -> Self {
        self.data_through = year;
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
        match self.special_days.binary_search_by_key(&date, |(day, _)| *day) {
            Ok(index) => self.special_days[index].1,
            Err(_) => DayKind::Regular,
        }
    }

    /// The local periods `date` works (empty on holidays and weekends).
    pub fn local_periods(&self, date: NaiveDate) -> &[Period] {
        self.note_year(date.year());
        match self.day_kind(date) {
            DayKind::Holiday => &[],
            DayKind::MakeUp => &self.makeup_hours,
            DayKind::Regular => &self.week[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// Warns once per year when a date lies beyond the holiday data, so
    /// operators know to add the next year's file.
    fn note_year(&self, year: i32) {
        let Some(last) = self.data_through else { return };
        if year <= last || self.last_warned_year.load(Ordering::Relaxed) == year {
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

    fn local_date(&self, instant: Timestamp) -> NaiveDate {
        instant.with_timezone(&self.time_zone).date_naive()
    }

    /// The non-empty working periods of `date` as instants, in order.
    fn instants(&self, date: NaiveDate) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let periods = self.local_periods(date);
        let base = self.fixed_base(date, periods);
        periods.iter().filter_map(move |period| {
            let (start, end) = match base {
                Some(base) => (
                    base + TimeDelta::minutes(i64::from(period.start)),
                    base + TimeDelta::minutes(i64::from(period.end)),
                ),
                None => (
                    self.instant(date, period.start),
                    self.instant(date, period.end),
                ),
            };
            (end > start).then_some((start, end))
        })
    }

    /// The instant of `date`'s local midnight as if one offset held all day,
    /// when it holds from the first period's start to the last one's end
    /// (every day but a daylight-saving switch): then each bound costs an
    /// addition instead of a time-zone look-up.
    fn fixed_base(&self, date: NaiveDate, periods: &[Period]) -> Option<Timestamp> {
        let offset_at = |minute: u16| match self
            .time_zone
            .offset_from_local_datetime(&local_datetime(date, minute))
        {
            LocalResult::Single(offset) => Some(offset.fix().local_minus_utc()),
            _ => None,
        };
        let first = offset_at(periods.first()?.start)?;
        let last = offset_at(periods.last()?.end)?;
        (first == last).then(|| {
            (local_datetime(date, 0) - TimeDelta::seconds(i64::from(first))).and_utc()
        })
    }

    /// The instant a local wall-clock minute of `date` names: the earliest of
    /// two in a fall-back overlap, the instant the clock jumps at when a
    /// spring-forward gap skips it.
    fn instant(&self, date: NaiveDate, minute: u16) -> Timestamp {
        let local = local_datetime(date, minute);
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => {
                instant.with_timezone(&Utc)
            }
            LocalResult::None => self.end_of_gap(local),
        }
    }

    /// The switch instant of the gap that skips `local`. Read with the offset
    /// before the switch, `local` lies after it; read with the offset after,
    /// before it; a binary search over seconds finds the switch in between.
    fn end_of_gap(&self, local: NaiveDateTime) -> Timestamp {
        let offset_at = |seconds: i64| {
            DateTime::from_timestamp(seconds, 0).map(|instant| {
                self.time_zone
                    .offset_from_utc_datetime(&instant.naive_utc())
                    .fix()
                    .local_minus_utc()
            })
        };
        let wall = local.and_utc().timestamp();
        let fallback = local.and_utc();
        let Some(before) = offset_at(wall - 86_400) else { return fallback };
        let mut high = wall - i64::from(before);
        let Some(after) = offset_at(high) else { return fallback };
        let mut low = wall - i64::from(after);
        if low >= high || offset_at(low) != Some(before) {
            return DateTime::from_timestamp(high, 0).unwrap_or(fallback);
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if offset_at(middle) == Some(before) {
                low = middle;
            } else {
                high = middle;
            }
        }
        DateTime::from_timestamp(high, 0).unwrap_or(fallback)
    }

    /// Where a clock started at `start` stands: the date of its first working
    /// instant and the working time that date had already done before it.
    fn position(&self, start: Timestamp) -> Option<(NaiveDate, TimeDelta)> {
        let mut date = self.local_date(start);
        for _ in 0..MAX_IDLE_DAYS {
            let mut elapsed = TimeDelta::zero();
            for (period_start, period_end) in self.instants(date) {
                if period_end <= start {
                    elapsed += period_end - period_start;
                } else {
                    return Some((date, elapsed + (start - period_start).max(TimeDelta::zero())));
                }
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// The next date after `date` with working hours. Only the local
    /// periods are read: no time-zone look-up, which keeps long walks cheap.
    fn next_working_date(&self, mut date: NaiveDate) -> Option<NaiveDate> {
        for _ in 0..MAX_IDLE_DAYS {
            date = date.succ_opt()?;
            if !self.local_periods(date).is_empty() {
                return Some(date);
            }
        }
        None
    }

    /// The end of the last working period before `date`'s first one: the
    /// earliest instant at which working-time position zero of `date` is
    /// reached.
    fn last_end_before(&self, mut date: NaiveDate) -> Option<Timestamp> {
        for _ in 0..MAX_IDLE_DAYS {
            date = date.pred_opt()?;
            if let Some((_, end)) = self.instants(date).last() {
                return Some(end);
            }
        }
        None
    }

    /// `Nd`: the same working-time position `days` working days later,
    /// capped at the end of a shorter day.
    fn deadline_in_days(&self, start: Timestamp, days: u32) -> Option<Timestamp> {
        let (mut date, position) = self.position(start)?;
        for _ in 0..days {
            date = self.next_working_date(date)?;
        }
        // A period swallowed whole by a spring-forward gap leaves a date with
        // hours on paper and none in fact: the next working date stands in.
        while self.instants(date).next().is_none() {
            date = self.next_working_date(date)?;
        }
        if position.is_zero() {
            return self.last_end_before(date);
        }
        let mut remaining = position;
        let mut last_end = None;
        for (period_start, period_end) in self.instants(date) {
            if remaining <= period_end - period_start {
                return Some(period_start + remaining);
            }
            remaining -= period_end - period_start;
            last_end = Some(period_end);
        }
        last_end
    }
}

/// The local date-time `minute` minutes after `date`'s midnight (1440 is the
/// next midnight).
fn local_datetime(date: NaiveDate, minute: u16) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + TimeDelta::minutes(i64::from(minute))
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
            Target::Days(days) => self.deadline_in_days(start, days).unwrap_or(NEVER),
        }
    }

    fn working_time(&self, from: Timestamp, to: Timestamp) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if to <= from {
            return total;
        }
        // A date's periods lie between its local midnights, so the dates of
        // `from` and `to` bound the walk.
        let last = self.local_date(to);
        let mut date = self.local_date(from);
        while date <= last {
            for (start, end) in self.instants(date) {
                let (start, end) = (start.max(from), end.min(to));
                if end > start {
                    total += end - start;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total
    }

    fn add_working_time(&self, from: Timestamp, amount: TimeDelta) -> Timestamp {
        if amount <= TimeDelta::zero() {
            return from;
        }
        let mut remaining = amount;
        let mut date = self.local_date(from);
        let mut idle_days = 0;
        loop {
            let mut worked = false;
            for (start, end) in self.instants(date) {
                if end <= from {
                    continue;
                }
                let start = start.max(from);
                worked = true;
                // `<=`: the deadline is the earliest instant the amount is
                // reached, so the end of a period, not the next one's start.
                if remaining <= end - start {
                    return start + remaining;
                }
                remaining -= end - start;
            }
            idle_days = if worked { 0 } else { idle_days + 1 };
            match date.succ_opt() {
                Some(next) if idle_days < MAX_IDLE_DAYS => date = next,
                _ => return NEVER,
            }
        }
    }

    fn periods_on(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)> {
        self.instants(date).collect()
    }
}

#[cfg(test)]
#[path = "workdays_tests.rs"]
mod tests;
