//! Durations as operators write them: `90s`, `10m`, `2h`, `1d`.

use chrono::TimeDelta;
use std::fmt;

/// A stage target. Minutes, hours and seconds count working time; days mean
/// "the same working-time position N working days later" (SPEC §2). In the
/// `24x7` calendar a day is 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// An amount of working time.
    Working(TimeDelta),
    /// A number of working days.
    Days(u32),
}

impl Target {
    /// Parses `90s`, `10m`, `2h` or `1d`; the amount must be positive.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (amount, unit) = split_amount(text)?;
        if amount == 0 {
            return Err(format!("`{text}` must be longer than zero"));
        }
        match unit {
            'd' => u32::try_from(amount)
                .map(Target::Days)
                .map_err(|_| format!("`{text}` is too long")),
            _ => Ok(Target::Working(unit_delta(amount, unit, text)?)),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Days(days) => write!(f, "{days}d"),
            Target::Working(delta) => f.write_str(&format_delta(*delta)),
        }
    }
}

/// Parses a wall-clock duration (`30s`, `5m`, `2h`, `1d` = 24 h). Zero is allowed.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let (amount, unit) = split_amount(text)?;
    unit_delta(amount, unit, text)
}

/// Formats a duration in the largest unit that divides it: `600s` → `10m`.
pub fn format_delta(delta: TimeDelta) -> String {
    let seconds = delta.num_seconds();
    match seconds {
        0 => "0s".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn split_amount(text: &str) -> Result<(i64, char), String> {
    let text = text.trim();
    let unit = text
        .chars()
        .last()
        .ok_or_else(|| "a duration must not be empty".to_string())?;
    if !matches!(unit, 's' | 'm' | 'h' | 'd') {
        return Err(format!(
            "`{text}` needs a unit: s, m, h or d (e.g. `10m`, `2h`, `1d`)"
        ));
    }
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a whole number followed by s, m, h or d"));
    }
    let amount = digits
        .parse::<i64>()
        .map_err(|_| format!("`{text}` is too long"))?;
    Ok((amount, unit))
}

fn unit_delta(amount: i64, unit: char, text: &str) -> Result<TimeDelta, String> {
    let seconds_per_unit = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        _ => 86_400,
    };
    // Ten years is far beyond any promise and keeps arithmetic far from overflow.
    const LIMIT_SECONDS: i64 = 10 * 366 * 86_400;
    amount
        .checked_mul(seconds_per_unit)
        .filter(|s| *s <= LIMIT_SECONDS)
        .map(TimeDelta::seconds)
        .ok_or_else(|| format!("`{text}` is too long (at most ten years)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_in_every_unit() {
        assert_eq!(Target::parse("90s"), Ok(Target::Working(TimeDelta::seconds(90))));
        assert_eq!(Target::parse("10m"), Ok(Target::Working(TimeDelta::minutes(10))));
        assert_eq!(Target::parse("2h"), Ok(Target::Working(TimeDelta::hours(2))));
        assert_eq!(Target::parse("1d"), Ok(Target::Days(1)));
    }

    #[test]
    fn bad_targets_are_refused_with_a_reason() {
        for bad in [
            "",
            "10",
            "m",
            "-5m",
            "1.5h",
            "0m",
            "10 minutes",
            "99999999999999999d",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn targets_display_as_written() {
        for text in ["90s", "10m", "2h", "1d", "3d"] {
            assert_eq!(Target::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn durations_allow_zero() {
        assert_eq!(parse_duration("0s"), Ok(TimeDelta::zero()));
        assert_eq!(parse_duration("1d"), Ok(TimeDelta::hours(24)));
    }
}
