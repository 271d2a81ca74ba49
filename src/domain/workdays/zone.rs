//! A time zone's UTC offsets as a table of switches, built once per zone and
//! process, so that turning a local period bound into an instant is a short
//! binary search over integers instead of chrono-tz's general look-up and
//! chrono's date arithmetic (which together cost most of a deadline).
//!
//! The table covers 2000 to 2100; chrono-tz answers outside it, with the same
//! rules: a local time the clock skips is the instant the clock jumps at, and
//! a local time it shows twice is the earlier instant.

use chrono::{DateTime, LocalResult, Offset, TimeZone};
use chrono_tz::{GapInfo, Tz};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z, in seconds since 1970.
const WINDOW_START: i64 = 946_684_800;
const WINDOW_END: i64 = 4_102_444_800;

/// How far apart the offset is probed while building. Real zones never
/// switch twice within a day, so a day apart finds every switch (a unit test
/// checks the table against chrono-tz for every zone it knows).
const PROBE_STEP: i64 = 86_400;

/// Offsets stay within a day of UTC, so every instant whose local time is
/// some wall-clock second lies within this many seconds of it.
const MAX_OFFSET: i64 = 86_400;

#[derive(Debug)]
pub(super) struct ZoneTable {
    time_zone: Tz,
    /// Span `i` runs from `starts[i]` to `starts[i + 1]` (or the window's
    /// end) in UTC seconds, with `offsets[i]` seconds east of UTC.
    starts: Vec<i64>,
    offsets: Vec<i32>,
}

impl ZoneTable {
    /// The table of `time_zone`, built on first use and shared after.
    pub(super) fn of(time_zone: Tz) -> Arc<ZoneTable> {
        static TABLES: OnceLock<Mutex<HashMap<Tz, Arc<ZoneTable>>>> = OnceLock::new();
        let mut tables = TABLES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let table = tables
            .entry(time_zone)
            .or_insert_with(|| Arc::new(Self::build(time_zone)));
        Arc::clone(table)
    }

    fn build(time_zone: Tz) -> Self {
        let offset_at = |utc| chrono_offset(time_zone, utc);
        let mut starts = vec![WINDOW_START];
        let mut offsets = vec![offset_at(WINDOW_START)];
        let mut probe = WINDOW_START;
        while probe < WINDOW_END {
            let next = (probe + PROBE_STEP).min(WINDOW_END - 1);
            let current = offsets[offsets.len() - 1];
            if offset_at(next) == current {
                probe = next + 1;
                continue;
            }
            // The first second with another offset lies in (probe, next].
            let (mut low, mut high) = (probe, next);
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if offset_at(middle) == current {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            starts.push(high);
            offsets.push(offset_at(high));
            probe = high;
        }
        Self {
            time_zone,
            starts,
            offsets,
        }
    }

    fn span(&self, utc: i64) -> usize {
        self.starts
            .partition_point(|start| *start <= utc)
            .saturating_sub(1)
    }

    fn span_end(&self, span: usize) -> i64 {
        self.starts.get(span + 1).copied().unwrap_or(WINDOW_END)
    }

    /// The offset east of UTC, in seconds, at a UTC second.
    pub(super) fn offset_at(&self, utc: i64) -> i32 {
        if (WINDOW_START..WINDOW_END).contains(&utc) {
            self.offsets[self.span(utc)]
        } else {
            chrono_offset(self.time_zone, utc)
        }
    }

    /// The UTC second that a local wall-clock second (seconds since 1970 as
    /// if local time were UTC) names.
    pub(super) fn resolve(&self, local: i64) -> i64 {
        if local - MAX_OFFSET < WINDOW_START || local + MAX_OFFSET >= WINDOW_END {
            return chrono_resolve(self.time_zone, local);
        }
        let first = self.span(local - MAX_OFFSET);
        let last = self.span(local + MAX_OFFSET);
        // Spans run in time order, so the first fit is the earliest.
        for span in first..=last {
            let utc = local - i64::from(self.offsets[span]);
            if self.starts[span] <= utc && utc < self.span_end(span) {
                return utc;
            }
        }
        // No fit: a spring-forward gap skips `local`, and the clock lands at
        // the first switch whose new local time is past it.
        for span in first + 1..=last {
            if local < self.starts[span] + i64::from(self.offsets[span]) {
                return self.starts[span];
            }
        }
        chrono_resolve(self.time_zone, local)
    }
}

/// A local date and time in `time_zone` as an instant, by the rules above: a
/// time the clock skips is the instant it jumps at, a time it shows twice the
/// earlier one. Whole seconds.
pub fn local_instant(time_zone: Tz, local: chrono::NaiveDateTime) -> DateTime<chrono::Utc> {
    let seconds = chrono_resolve(time_zone, local.and_utc().timestamp());
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn chrono_offset(time_zone: Tz, utc: i64) -> i32 {
    let instant = DateTime::from_timestamp(utc, 0).unwrap_or_default();
    time_zone
        .offset_from_utc_datetime(&instant.naive_utc())
        .fix()
        .local_minus_utc()
}

fn chrono_resolve(time_zone: Tz, local: i64) -> i64 {
    let naive = DateTime::from_timestamp(local, 0).unwrap_or_default().naive_utc();
    match time_zone.from_local_datetime(&naive) {
        LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => instant.timestamp(),
        LocalResult::None => GapInfo::new(&naive, &time_zone)
            .and_then(|gap| gap.end)
            .map(|end| end.timestamp())
            .unwrap_or(local - i64::from(chrono_offset(time_zone, local))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table agrees with chrono-tz on the offset around each switch,
    /// and on how each local time around a switch resolves, including
    /// skipped and repeated ones.
    fn assert_agrees_with_chrono_tz(time_zone: Tz) {
        let table = ZoneTable::build(time_zone);
        let mut probes: Vec<i64> = table.starts.iter().skip(1).copied().collect();
        probes.extend((0..40).map(|year| WINDOW_START + year * 31_556_952 + 12_345));
        for switch in probes {
            for step in -12..=12 {
                let utc = switch + step * 1_800 - 1;
                assert_eq!(
                    table.offset_at(utc),
                    chrono_offset(time_zone, utc),
                    "{time_zone} {utc}"
                );
                for offset in [table.offset_at(switch - 1), table.offset_at(switch)] {
                    let local = utc + i64::from(offset);
                    assert_eq!(
                        table.resolve(local),
                        chrono_resolve(time_zone, local),
                        "{time_zone} {local}"
                    );
                }
            }
        }
    }

    /// Zones with every kind of switch: none, northern and southern DST,
    /// midnight switches, half-hour DST, negative DST, a skipped day
    /// (Apia 2011), Ramadan pauses (Casablanca), DST abolished or restored.
    #[test]
    fn tables_agree_with_chrono_tz_in_zones_with_odd_switches() {
        use chrono_tz::{Africa, America, Antarctica, Asia, Australia, Europe, Pacific};
        for time_zone in [
            Asia::Shanghai,
            Europe::Berlin,
            America::New_York,
            America::Santiago,
            America::Sao_Paulo,
            America::Havana,
            Australia::Lord_Howe,
            Australia::Sydney,
            Pacific::Apia,
            Pacific::Chatham,
            Africa::Casablanca,
            Africa::Cairo,
            Asia::Tehran,
            Asia::Gaza,
            Europe::Moscow,
            Europe::Dublin,
            Antarctica::Troll,
            America::St_Johns,
        ] {
            assert_agrees_with_chrono_tz(time_zone);
        }
    }

    /// Every zone chrono-tz knows (about half a minute unoptimised):
    /// `cargo test --release -- --ignored tables_agree`.
    #[test]
    #[ignore]
    fn tables_agree_with_chrono_tz_for_every_zone() {
        chrono_tz::TZ_VARIANTS
            .into_iter()
            .for_each(assert_agrees_with_chrono_tz);
    }

    #[test]
    fn tables_outside_the_window_defer_to_chrono_tz() {
        let table = ZoneTable::of(chrono_tz::Europe::Berlin);
        // 1990-03-25 02:30 local was skipped; 2150-10-27 is past the window.
        assert_eq!(table.resolve(638_332_200), 638_326_800);
        assert_eq!(
            table.offset_at(5_700_000_000),
            chrono_offset(chrono_tz::Europe::Berlin, 5_700_000_000)
        );
    }
}
