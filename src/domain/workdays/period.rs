//! Working periods as operators write them: `08:30-12:00`, minute precision.

use std::fmt;

/// Minutes in a day; `24:00` may end a period.
const MINUTES_PER_DAY: u16 = 24 * 60;

/// One working period of a day: `[start, end)` in local wall-clock minutes
/// since midnight, so `08:30-12:00` is minutes 510 to 720.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub(super) start: u16,
    pub(super) end: u16,
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
        .filter(|(hours, minutes)| well_formed(hours, minutes))
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
