//! Events in one line: `raised("water-cut", 30.0)` is an issue raised 30
//! minutes ago in project `zhongtai`. Times are real: tests date events in
//! the past so that deadlines fall due while they watch.

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Value};

pub type Timestamp = DateTime<Utc>;

/// The project events are raised in unless a test says otherwise.
pub const PROJECT: &str = "zhongtai";

/// Now, to the millisecond (what the store keeps).
pub fn now() -> Timestamp {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("a valid clock")
}

pub fn minutes(amount: impl Into<f64>) -> TimeDelta {
    TimeDelta::milliseconds((amount.into() * 60_000.0).round() as i64)
}

pub fn seconds(amount: impl Into<f64>) -> TimeDelta {
    TimeDelta::milliseconds((amount.into() * 1_000.0).round() as i64)
}

pub fn minutes_ago(amount: f64) -> Timestamp {
    now() - minutes(amount)
}

/// RFC 3339 in UTC with milliseconds, as a client would send it.
pub fn rfc3339(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// How the service shows an instant: Asia/Shanghai, `+08:00`.
pub fn shanghai(at: Timestamp) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    at.with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// An event of `kind` on `issue` at `at`; its id is derived from all three,
/// and a `raised` carries the project.
pub fn event(kind: &str, issue: &str, at: Timestamp) -> Value {
    let mut event = json!({
        "id": format!("{issue}.{kind}.{}", at.timestamp_millis()),
        "issue": issue,
        "kind": kind,
        "at": rfc3339(at),
    });
    if kind == "raised" {
        event["project"] = PROJECT.into();
    }
    event
}

pub fn raised(issue: &str, minutes_ago_: f64) -> Value {
    event("raised", issue, minutes_ago(minutes_ago_))
}

pub fn acknowledged(issue: &str, minutes_ago_: f64) -> Value {
    event("acknowledged", issue, minutes_ago(minutes_ago_))
}

pub fn handled(issue: &str, minutes_ago_: f64) -> Value {
    event("handled", issue, minutes_ago(minutes_ago_))
}

pub fn planned(issue: &str, minutes_ago_: f64) -> Value {
    event("planned", issue, minutes_ago(minutes_ago_))
}

pub fn closed(issue: &str, minutes_ago_: f64, resolution: &str) -> Value {
    event("closed", issue, minutes_ago(minutes_ago_)).with("resolution", resolution)
}

pub fn reopened(issue: &str, minutes_ago_: f64) -> Value {
    event("reopened", issue, minutes_ago(minutes_ago_))
}

pub fn paused(issue: &str, minutes_ago_: f64) -> Value {
    event("paused", issue, minutes_ago(minutes_ago_))
}

pub fn resumed(issue: &str, minutes_ago_: f64) -> Value {
    event("resumed", issue, minutes_ago(minutes_ago_))
}

/// Small edits of an event in a builder style.
pub trait EventExt {
    /// Sets `key` (e.g. `project`, `priority`, `title`, `id`).
    fn with(self, key: &str, value: impl Into<Value>) -> Value;
    /// Removes `key`.
    fn without(self, key: &str) -> Value;
}

impl EventExt for Value {
    fn with(mut self, key: &str, value: impl Into<Value>) -> Value {
        self[key] = value.into();
        self
    }

    fn without(mut self, key: &str) -> Value {
        if let Some(object) = self.as_object_mut() {
            object.remove(key);
        }
        self
    }
}

/// The instant of an RFC 3339 string value.
pub fn instant(value: &Value) -> Timestamp {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a timestamp, got {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("`{text}` is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// The instant of an event's `at`.
pub fn at_of(event: &Value) -> Timestamp {
    instant(&event["at"])
}

/// Asserts that `value` shows `expected` with the `+08:00` offset.
#[track_caller]
pub fn assert_shown(value: &Value, expected: Timestamp) {
    assert_eq!(
        value.as_str(),
        Some(shanghai(expected).as_str()),
        "expected {expected}"
    );
}
