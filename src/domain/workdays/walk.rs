//! Walking a calendar day by day: the local day of an instant, a day's
//! working periods as instants, where a clock stands, a deadline some working
//! days out, and an amount of working time added.

use super::{seconds_of, Day, Nanos, WorkingCalendar, MAX_IDLE_DAYS, NANOS_PER_SECOND, SECONDS_PER_DAY};

impl WorkingCalendar {
    /// The local date of an instant.
    pub(super) fn day_at(&self, instant: Nanos) -> Day {
        let utc = seconds_of(instant);
        let local = utc.saturating_add(i64::from(self.zone.offset_at(utc)));
        local
            .div_euclid(SECONDS_PER_DAY)
            .clamp(Day::MIN.into(), Day::MAX.into()) as Day
    }

    /// The non-empty working periods of a day as instants, in order.
    pub(super) fn instants(&self, day: Day) -> impl Iterator<Item = (Nanos, Nanos)> + '_ {
        let midnight = i64::from(day) * SECONDS_PER_DAY;
        let at = move |minute: u16| {
            Nanos::from(self.zone.resolve(midnight + i64::from(minute) * 60)) * NANOS_PER_SECOND
        };
        self.periods_of(day).iter().filter_map(move |period| {
            let (start, end) = (at(period.start), at(period.end));
            (end > start).then_some((start, end))
        })
    }

    /// The next day after `day` with working hours on paper (a period can
    /// still vanish in a spring-forward gap; callers check the instants).
    pub(super) fn next_working_day(&self, mut day: Day) -> Option<Day> {
        for _ in 0..MAX_IDLE_DAYS {
            day = day.checked_add(1)?;
            if !self.periods_of(day).is_empty() {
                return Some(day);
            }
        }
        None
    }

    /// Where a clock started at `start` stands: the day of its first working
    /// instant and the working time that day had done before it.
    pub(super) fn position(&self, start: Nanos) -> Option<(Day, Nanos)> {
        let mut day = self.day_at(start);
        for _ in 0..MAX_IDLE_DAYS {
            let mut elapsed = 0;
            for (period_start, period_end) in self.instants(day) {
                if period_end <= start {
                    elapsed += period_end - period_start;
                } else {
                    return Some((day, elapsed + (start - period_start).max(0)));
                }
            }
            day = day.checked_add(1)?;
        }
        None
    }

    /// The end of the last working period before `day`'s first one: the
    /// earliest instant at which working-time position zero of `day` is
    /// reached.
    pub(super) fn last_end_before(&self, mut day: Day) -> Option<Nanos> {
        for _ in 0..MAX_IDLE_DAYS {
            day = day.checked_sub(1)?;
            if let Some((_, end)) = self.instants(day).last() {
                return Some(end);
            }
        }
        None
    }

    /// `Nd`: the same working-time position `days` working days later,
    /// capped at the end of a shorter day.
    pub(super) fn deadline_in_days(&self, start: Nanos, days: u32) -> Option<Nanos> {
        let (mut day, position) = self.position(start)?;
        for _ in 0..days {
            day = self.next_working_day(day)?;
        }
        loop {
            let mut periods = self.instants(day).peekable();
            if periods.peek().is_none() {
                // Hours on paper swallowed by a spring-forward gap: the next
                // working day stands in.
                day = self.next_working_day(day)?;
                continue;
            }
            if position == 0 {
                return self.last_end_before(day);
            }
            let mut remaining = position;
            let mut last_end = None;
            for (period_start, period_end) in periods {
                if remaining <= period_end - period_start {
                    return Some(period_start + remaining);
                }
                remaining -= period_end - period_start;
                last_end = Some(period_end);
            }
            return last_end;
        }
    }

    /// The earliest instant with `amount` of working time after `from`.
    pub(super) fn add(&self, from: Nanos, amount: Nanos) -> Option<Nanos> {
        if amount <= 0 {
            return Some(from);
        }
        let mut remaining = amount;
        let mut day = self.day_at(from);
        let mut idle_days = 0;
        while idle_days < MAX_IDLE_DAYS {
            idle_days += 1;
            for (start, end) in self.instants(day) {
                if end <= from {
                    continue;
                }
                let start = start.max(from);
                idle_days = 0;
                // `<=`: the deadline is the earliest instant the amount is
                // reached, so a period's end, not the next period's start.
                if remaining <= end - start {
                    return Some(start + remaining);
                }
                remaining -= end - start;
            }
            day = day.checked_add(1)?;
        }
        None
    }
}
