//! Events: what happened to an issue and when. Parsed from untrusted JSON
//! with every limit enforced, so the rest of the code can trust them.

mod input;
mod keys;
mod refusal;

pub use input::{ActorInput, EventInput, Received, KNOWN_FIELDS};
pub use keys::{EventId, IssueKey, ProjectKey};

use super::Timestamp;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use utoipa::ToSchema;

/// Longest event id and issue key, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// Longest project key and priority, in characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// Longest text, in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Longest actor id or name, in characters.
pub const MAX_ACTOR_CHARS: usize = 128;
/// Largest `attributes` object, serialized, in bytes.
pub const MAX_ATTRIBUTES_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Raised,
    Acknowledged,
    Handled,
    Planned,
    Closed,
    Reopened,
    Paused,
    Resumed,
    /// A correction: the events named in `attributes.undoes` no longer count.
    Undone,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Raised,
        EventKind::Acknowledged,
        EventKind::Handled,
        EventKind::Planned,
        EventKind::Closed,
        EventKind::Reopened,
        EventKind::Paused,
        EventKind::Resumed,
        EventKind::Undone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Raised => "raised",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Handled => "handled",
            EventKind::Planned => "planned",
            EventKind::Closed => "closed",
            EventKind::Reopened => "reopened",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::Undone => "undone",
        }
    }

    /// Every name, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 9] = [
        "raised",
        "acknowledged",
        "handled",
        "planned",
        "closed",
        "reopened",
        "paused",
        "resumed",
        "undone",
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl<'de> Deserialize<'de> for EventKind {
    /// Only one of [`Self::NAMES`], as a JSON string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::input::deserialize_name(deserializer, &Self::NAMES, Self::parse)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a `closed` event ended the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The problem was solved: meets pending `ack` and `handle`, waives `plan`.
    Resolved,
    Withdrawn,
    Invalid,
    Duplicate,
}

impl Resolution {
    pub const ALL: [Resolution; 4] = [
        Resolution::Resolved,
        Resolution::Withdrawn,
        Resolution::Invalid,
        Resolution::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Resolved => "resolved",
            Resolution::Withdrawn => "withdrawn",
            Resolution::Invalid => "invalid",
            Resolution::Duplicate => "duplicate",
        }
    }

    /// Every name, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 4] = ["resolved", "withdrawn", "invalid", "duplicate"];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl<'de> Deserialize<'de> for Resolution {
    /// Only one of [`Self::NAMES`], as a JSON string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::input::deserialize_name(deserializer, &Self::NAMES, Self::parse)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Requester,
    Staff,
    Lead,
    System,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Requester, Role::Staff, Role::Lead, Role::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Staff => "staff",
            Role::Lead => "lead",
            Role::System => "system",
        }
    }

    /// Every name, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 4] = ["requester", "staff", "lead", "system"];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl<'de> Deserialize<'de> for Role {
    /// Only one of [`Self::NAMES`], as a JSON string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::input::deserialize_name(deserializer, &Self::NAMES, Self::parse)
    }
}

/// Who did it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Actor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// One event of an issue's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The idempotency key.
    pub id: String,
    /// The issue's external key.
    pub issue: String,
    pub kind: EventKind,
    /// When it happened (defaults to the time of receipt).
    pub at: Timestamp,
    /// Whether `at` was given by the sender (a defaulted `at` is not part of
    /// the event's content, so a retry without `at` is still a duplicate).
    pub at_given: bool,
    /// Position in the store's arrival order; breaks ties between equal `at`.
    /// Zero until the event is stored.
    pub arrival: i64,
    pub project: Option<String>,
    pub priority: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub actor: Option<Actor>,
    pub resolution: Option<Resolution>,
    pub attributes: Map<String, Value>,
    /// The name of the token (or hook) that delivered it.
    pub source: String,
    pub received_at: Timestamp,
}

/// Every [`Invalid::reason`] that [`Event::parse`] gives: the fixed set of
/// `reason` labels that validation adds to `slawatch_events_rejected_total`.
pub const INVALID_REASONS: [&str; 15] = [
    "not_an_object",
    "unknown_field",
    "wrong_type",
    "missing_field",
    "missing_project",
    "bad_length",
    "bad_characters",
    "bad_label",
    "too_long",
    "unknown_kind",
    "bad_timestamp",
    "future_timestamp",
    "unexpected_field",
    "unknown_resolution",
    "unknown_role",
];

/// The event ids an `undone` event takes back (`attributes.undoes`, an id
/// or a list of ids); empty for any other shape.
pub fn undoes(attributes: &Map<String, Value>) -> Vec<&str> {
    match attributes.get("undoes") {
        Some(Value::String(id)) if !id.is_empty() => vec![id.as_str()],
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(Value::as_str)
            .filter(|id| !id.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Why an event was refused, naming the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
    /// A short machine-readable reason, used as a metric label.
    pub reason: &'static str,
}

impl Invalid {
    pub fn new(field: impl Into<String>, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            reason,
        }
    }
}

/// What the parser needs to know besides the JSON itself.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub received_at: Timestamp,
    pub source: String,
    /// How far ahead of `received_at` an `at` may be.
    pub max_future_skew: chrono::TimeDelta,
}

impl Event {
    /// Parses and validates one event object. `prefix` is put before field
    /// names in errors (e.g. `[3].` for the fourth event of an array).
    pub fn parse(value: &Value, receipt: &Receipt, prefix: &str) -> Result<Event, Invalid> {
        Event::from_value(value, receipt, &prefix)
    }

    /// The event's content as sent, in a canonical form: two posts with the
    /// same id are duplicates exactly when their contents are equal.
    pub fn content(&self) -> String {
        /// The content's fields in the order of their names, as serde_json
        /// orders an object's keys: serialized straight from the event
        /// (without building a map of copies first), the text is the same.
        #[derive(Serialize)]
        struct Content<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            actor: Option<&'a Actor>,
            #[serde(skip_serializing_if = "Option::is_none")]
            at: Option<String>,
            #[serde(skip_serializing_if = "Map::is_empty")]
            attributes: &'a Map<String, Value>,
            id: &'a str,
            issue: &'a str,
            kind: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            priority: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            project: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            resolution: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            text: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            title: Option<&'a str>,
        }
        let content = Content {
            actor: self.actor.as_ref(),
            at: self.at_given.then(|| format_utc(self.at)),
            attributes: &self.attributes,
            id: &self.id,
            issue: &self.issue,
            kind: self.kind.as_str(),
            priority: self.priority.as_deref(),
            project: self.project.as_deref(),
            resolution: self.resolution.map(Resolution::as_str),
            text: self.text.as_deref(),
            title: self.title.as_deref(),
        };
        serde_json::to_string(&content).unwrap_or_default()
    }

    /// Rebuilds an event from its stored content.
    pub fn from_content(
        content: &str,
        at: Timestamp,
        arrival: i64,
        source: String,
        received_at: Timestamp,
    ) -> Result<Event, Invalid> {
        let value: Value = serde_json::from_str(content)
            .map_err(|e| Invalid::new("", "bad_content", format!("stored event is not JSON: {e}")))?;
        let receipt = Receipt {
            received_at: at,
            source,
            // A stored event was valid when it arrived; skew no longer applies.
            max_future_skew: chrono::TimeDelta::days(36_500),
        };
        let mut event = Event::parse(&value, &receipt, "")?;
        event.at = at;
        event.arrival = arrival;
        event.received_at = received_at;
        Ok(event)
    }
}

/// The earliest `at` accepted: the Unix epoch. Backfills go back years, not
/// centuries, and every stored instant stays representable.
fn earliest_at() -> Timestamp {
    DateTime::<Utc>::UNIX_EPOCH
}

/// `at` to the millisecond: the precision the store keeps and the API shows.
pub fn to_millis(at: Timestamp) -> Timestamp {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// RFC 3339 in UTC with milliseconds, as used in canonical content.
pub fn format_utc(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Quotes at most a few characters of untrusted input back in messages.
fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

#[cfg(test)]
mod tests;
