//! Quiet hours of a channel (`quiet_hours = "22:00-08:00"`): the local hours
//! during which messages that can wait (warnings, daily digests) are held
//! back until the period ends. Breaches, escalations and retractions are
//! sent at any hour: a breach is what the group must hear at once, and a
//! retraction corrects a breach message that already went out.

use super::NotificationKind;
use crate::domain::workdays::local_instant;
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use std::fmt;

/// A daily local period; `start > end` wraps over midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub zone: Tz,
}

impl QuietHours {
    /// Parses `HH:MM-HH:MM` (start and end differ).
    pub fn parse(text: &str, zone: Tz) -> Result<QuietHours, String> {
        let malformed = || format!("`{text}` is not a period like 22:00-08:00");
        let (start, end) = text.trim().split_once('-').ok_or_else(malformed)?;
        let time = |part: &str| NaiveTime::parse_from_str(part.trim(), "%H:%M").map_err(|_| malformed());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(format!("`{text}` is empty: start and end are the same"));
        }
        Ok(QuietHours { start, end, zone })
    }

    /// Whether a notification of this kind waits out quiet hours.
    pub fn holds(kind: NotificationKind) -> bool {
        matches!(kind, NotificationKind::Warning | NotificationKind::DailyDigest)
    }

    /// When the quiet period containing `now` ends, or `None` outside one.
    pub fn until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.zone);
        let (date, time) = (local.date_naive(), local.time());
        let end_date = if self.start < self.end {
            (self.start <= time && time < self.end).then_some(date)?
        } else if time >= self.start {
            date.succ_opt()?
        } else if time < self.end {
            date
        } else {
            return None;
        };
        Some(local_instant(self.zone, end_date.and_time(self.end)).max(now))
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{} {}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M"),
            self.zone
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai(text: &str) -> QuietHours {
        QuietHours::parse(text, chrono_tz::Asia::Shanghai).unwrap()
    }

    fn at(local: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(local).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_period_over_midnight_holds_until_its_end_the_next_morning() {
        let quiet = shanghai("22:00-08:00");
        assert_eq!(
            quiet.until(at("2025-03-03T23:30:00+08:00")),
            Some(at("2025-03-04T08:00:00+08:00"))
        );
        assert_eq!(
            quiet.until(at("2025-03-04T07:59:00+08:00")),
            Some(at("2025-03-04T08:00:00+08:00"))
        );
        assert_eq!(
            quiet.until(at("2025-03-04T22:00:00+08:00")),
            Some(at("2025-03-05T08:00:00+08:00"))
        );
        assert_eq!(quiet.until(at("2025-03-04T08:00:00+08:00")), None);
        assert_eq!(quiet.until(at("2025-03-04T21:59:59+08:00")), None);
    }

    #[test]
    fn a_period_within_a_day_holds_only_inside_it() {
        let quiet = shanghai("12:00-13:30");
        assert_eq!(
            quiet.until(at("2025-03-03T12:10:00+08:00")),
            Some(at("2025-03-03T13:30:00+08:00"))
        );
        assert_eq!(quiet.until(at("2025-03-03T11:59:00+08:00")), None);
        assert_eq!(quiet.until(at("2025-03-03T13:30:00+08:00")), None);
    }

    #[test]
    fn the_end_is_taken_in_the_channel_time_zone_across_a_clock_change() {
        // Berlin springs forward on 30 March 2025, 02:00 → 03:00.
        let quiet = QuietHours::parse("22:00-02:30", chrono_tz::Europe::Berlin).unwrap();
        let until = quiet.until(at("2025-03-29T23:00:00+01:00")).unwrap();
        assert_eq!(until, at("2025-03-30T03:00:00+02:00"));
    }

    #[test]
    fn only_warnings_and_digests_wait() {
        assert!(QuietHours::holds(NotificationKind::Warning));
        assert!(QuietHours::holds(NotificationKind::DailyDigest));
        assert!(!QuietHours::holds(NotificationKind::Breach));
        assert!(!QuietHours::holds(NotificationKind::Escalation));
        assert!(!QuietHours::holds(NotificationKind::Retraction));
    }

    #[test]
    fn malformed_periods_are_refused_with_the_expected_form() {
        for text in ["", "22:00", "22:00-25:00", "ab-cd", "08:00-08:00"] {
            assert!(QuietHours::parse(text, chrono_tz::UTC).is_err(), "{text}");
        }
    }
}
