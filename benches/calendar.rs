//! Deadline arithmetic micro-benchmark: `cargo bench --bench calendar`.
//!
//! The target (issue 3) is a median of at most 2 µs per `deadline()` for
//! targets up to 30 working days, so recomputing a million open issues after
//! a calendar change takes seconds. Plain `std::time::Instant`, no framework:
//! every call is timed on its own over start instants spread across 2025 and
//! 2026 (holidays, make-up days and weekends included), and the median and
//! 99th percentile are printed together with the cost of reading the clock,
//! which is included in them.

use slawatch::config::calendars::{build_calendars, CalendarSpec, CN_WORKDAYS};
use slawatch::domain::calendar::Calendar;
use slawatch::domain::duration::Target;
use slawatch::domain::Timestamp;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

/// Timed calls per calendar and target.
const CALLS: usize = 200_000;
/// Distinct start instants the calls cycle through.
const STARTS: usize = 4_096;
/// Untimed calls first, so caches and branch predictors settle.
const WARM_UP_CALLS: usize = 20_000;
const TARGETS: [&str; 5] = ["10m", "2h", "1d", "5d", "30d"];

fn main() {
    // `cn-workdays` as shipped: Mon–Fri 09:00–17:00 Asia/Shanghai.
    let shipped = build_calendars(&BTreeMap::new(), None).expect("the built-in calendar is valid");
    // The same holidays with a lunch break: a `[calendars.cn-workdays]`
    // table reconfigures the built-in and keeps the shipped data.
    let split_day: Vec<String> = ["08:30-12:00", "13:30-17:30"].map(String::from).to_vec();
    let split_spec = CalendarSpec {
        weekdays: Some(
            ["mon", "tue", "wed", "thu", "fri"]
                .into_iter()
                .map(|day| (day.to_string(), split_day.clone()))
                .collect(),
        ),
        ..CalendarSpec::default()
    };
    let split = build_calendars(&BTreeMap::from([(CN_WORKDAYS.to_string(), split_spec)]), None)
        .expect("the split-day calendar is valid");
    // A zone with daylight saving time, for the cost of the switch handling.
    let berlin_spec = CalendarSpec {
        time_zone: Some("Europe/Berlin".to_string()),
        ..CalendarSpec::default()
    };
    let berlin = build_calendars(&BTreeMap::from([("berlin".to_string(), berlin_spec)]), None)
        .expect("the Berlin calendar is valid");
    let calendars: [(&str, &dyn Calendar); 3] = [
        (CN_WORKDAYS, shipped[CN_WORKDAYS].as_ref()),
        ("split-day", split[CN_WORKDAYS].as_ref()),
        ("berlin", berlin["berlin"].as_ref()),
    ];

    let starts = start_instants();
    println!(
        "clock read overhead: {} ns (median, included below)",
        clock_overhead()
    );
    println!(
        "{:<12} {:>6} {:>10} {:>10}",
        "calendar", "target", "median ns", "p99 ns"
    );
    for (name, calendar) in calendars {
        for text in TARGETS {
            let target = Target::parse(text).expect("benchmark targets parse");
            let (median, p99) = measure(calendar, target, &starts);
            println!("{name:<12} {text:>6} {median:>10} {p99:>10}");
        }
    }
}

/// Start instants at pseudo-random milliseconds across 2025 and 2026.
fn start_instants() -> Vec<Timestamp> {
    let first = Timestamp::from_timestamp(1_735_660_800, 0).expect("2025-01-01 is a valid instant");
    let span_millis: u64 = 2 * 365 * 86_400_000;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..STARTS)
        .map(|_| {
            // xorshift64: reproducible and free of dependencies.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let offset = i64::try_from(state % span_millis).expect("fits in i64");
            first + chrono::TimeDelta::milliseconds(offset)
        })
        .collect()
}

/// Median and 99th percentile in nanoseconds of one `deadline()` call.
fn measure(calendar: &dyn Calendar, target: Target, starts: &[Timestamp]) -> (u128, u128) {
    for index in 0..WARM_UP_CALLS {
        black_box(calendar.deadline(black_box(starts[index % starts.len()]), target));
    }
    let mut samples: Vec<u128> = Vec::with_capacity(CALLS);
    for index in 0..CALLS {
        let start = starts[index % starts.len()];
        let clock = Instant::now();
        black_box(calendar.deadline(black_box(start), black_box(target)));
        samples.push(clock.elapsed().as_nanos());
    }
    samples.sort_unstable();
    (samples[CALLS / 2], samples[CALLS * 99 / 100])
}

/// What timing an empty body costs, to read the numbers above against.
fn clock_overhead() -> u128 {
    let mut samples: Vec<u128> = (0..CALLS)
        .map(|_| {
            let clock = Instant::now();
            black_box(());
            clock.elapsed().as_nanos()
        })
        .collect();
    samples.sort_unstable();
    samples[CALLS / 2]
}
