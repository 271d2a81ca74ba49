//! Calendars turn stage targets into deadlines.
//!
//! Every piece of deadline arithmetic goes through [`Calendar`], so that
//! working-time calendars (office hours, holidays, make-up working days) plug
//! in without touching the SLA rules.

use super::duration::Target;
use super::Timestamp;
use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use std::fmt::Debug;

/// Deadline arithmetic in one calendar. Implementations are pure and cheap:
/// the store recomputes deadlines on every event.
pub trait Calendar: Send + Sync + Debug {
    /// The name policies use for this calendar (`24x7`, `cn-workdays`, ...).
    fn name(&self) -> &str;

    /// The time zone in which this calendar's times are shown.
    fn time_zone(&self) -> Tz;

    /// The deadline of a clock started at `start` with `target`: the earliest
    /// instant at which the target is reached. A clock that starts outside
    /// working time starts at the next working instant.
    fn deadline(&self, start: Timestamp, target: Target) -> Timestamp;

    /// Working time between `from` and `to`; zero when `to <= from`.
    fn working_time(&self, from: Timestamp, to: Timestamp) -> TimeDelta;

    /// The earliest instant at which `amount` of working time has passed
    /// since `from`. `add_working_time(t, 0)` is `t`.
    fn add_working_time(&self, from: Timestamp, amount: TimeDelta) -> Timestamp;

    /// The working periods of one local date, in order, as `[start, end)`
    /// instants (for `slawatch calendar` and for operators checking a file).
    fn periods_on(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)>;
}

/// The `24x7` calendar: every instant is working time; a day is 24 hours.
#[derive(Debug, Clone)]
pub struct AlwaysOn {
    name: String,
    time_zone: Tz,
}

impl AlwaysOn {
    /// The built-in calendar name.
    pub const NAME: &'static str = "24x7";

    pub fn new(time_zone: Tz) -> Self {
        Self::named(Self::NAME, time_zone)
    }

    pub fn named(name: &str, time_zone: Tz) -> Self {
        Self {
            name: name.to_string(),
            time_zone,
        }
    }
}

impl Calendar for AlwaysOn {
    fn name(&self) -> &str {
        &self.name
    }

    fn time_zone(&self) -> Tz {
        self.time_zone
    }

    fn deadline(&self, start: Timestamp, target: Target) -> Timestamp {
        match target {
            Target::Working(amount) => start + amount,
            Target::Days(days) => start + TimeDelta::days(i64::from(days)),
        }
    }

    fn working_time(&self, from: Timestamp, to: Timestamp) -> TimeDelta {
        (to - from).max(TimeDelta::zero())
    }

    fn add_working_time(&self, from: Timestamp, amount: TimeDelta) -> Timestamp {
        from + amount
    }

    fn periods_on(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)> {
        // Local midnights, resolved the way a wall clock would across DST.
        let midnight = |day: NaiveDate| {
            let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
            self.time_zone
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
        };
        let next = date.succ_opt().unwrap_or(date);
        vec![(midnight(date), midnight(next))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_on_counts_wall_clock_time() {
        let calendar = AlwaysOn::new(chrono_tz::Asia::Shanghai);
        let start = chrono::Utc.with_ymd_and_hms(2024, 5, 30, 2, 2, 0).unwrap();
        assert_eq!(
            calendar.deadline(start, Target::Days(1)),
            start + TimeDelta::hours(24)
        );
        assert_eq!(
            calendar.deadline(start, Target::Working(TimeDelta::minutes(10))),
            start + TimeDelta::minutes(10)
        );
        assert_eq!(
            calendar.working_time(start, start + TimeDelta::hours(2)),
            TimeDelta::hours(2)
        );
        assert_eq!(
            calendar.working_time(start, start - TimeDelta::hours(2)),
            TimeDelta::zero()
        );
    }
}
