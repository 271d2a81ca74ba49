//! The SLA rules: pure code with no I/O, no async and no SQL.
//!
//! Everything here is a function of its inputs (events, policies, a clock
//! reading passed in as `now`), so it can be tested exhaustively.

pub mod breach;
pub mod calendar;
pub mod classify;
pub mod digest;
pub mod duration;
pub mod event;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod input;
pub mod issue;
pub mod link;
pub mod message;
pub mod notice;
pub mod notification;
pub mod outcome;
pub mod policy;
pub mod reading;
pub mod workdays;

/// An instant in time. Stored as Unix milliseconds, shown in a policy's time zone.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// 32 hex digits of a SHA-256 of `text`: a stable, short, header- and
/// key-safe stand-in for an arbitrary string.
pub fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Unix milliseconds of an instant.
pub fn to_ms(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

/// The instant of Unix milliseconds (clamped into chrono's range).
pub fn from_ms(ms: i64) -> Timestamp {
    Timestamp::from_timestamp_millis(ms).unwrap_or_default()
}
