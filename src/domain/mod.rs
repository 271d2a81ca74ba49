//! The SLA rules: pure code with no I/O, no async and no SQL.
//!
//! Everything here is a function of its inputs (events, policies, a clock
//! reading passed in as `now`), so it can be tested exhaustively.

pub mod calendar;
pub mod classify;
pub mod duration;
pub mod event;
pub mod input;
pub mod issue;
pub mod message;
pub mod policy;
pub mod reading;
pub mod workdays;

/// An instant in time. Stored as Unix milliseconds, shown in a policy's time zone.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
