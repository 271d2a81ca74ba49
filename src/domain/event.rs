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
mod tests {
    use super::*;
    use serde_json::json;

    fn receipt() -> Receipt {
        Receipt {
            received_at: "2024-05-30T02:10:00Z".parse().unwrap(),
            source: "group-bot".into(),
            max_future_skew: chrono::TimeDelta::minutes(5),
        }
    }

    fn parse(value: Value) -> Result<Event, Invalid> {
        Event::parse(&value, &receipt(), "")
    }

    #[test]
    fn a_full_raised_event_parses() {
        let event = parse(json!({
            "id": "evt-1", "issue": "zhongtai-water-0530", "kind": "raised",
            "at": "2024-05-30T10:02:00+08:00", "project": "zhongtai", "priority": "normal",
            "title": "工地因管道抢修停水", "text": "急需用水",
            "actor": {"id": "wang-yz", "name": "王永忠", "role": "requester"},
            "resolution": null, "attributes": {"floor": 3}
        }))
        .unwrap();
        assert_eq!(event.kind, EventKind::Raised);
        assert_eq!(event.at, "2024-05-30T02:02:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(event.actor.unwrap().role, Some(Role::Requester));
        assert_eq!(event.source, "group-bot");
    }

    #[test]
    fn at_defaults_to_receipt_and_is_not_content() {
        let event = parse(json!({"id": "e", "issue": "i", "kind": "acknowledged"})).unwrap();
        assert_eq!(event.at, receipt().received_at);
        assert!(!event.content().contains("\"at\""));
    }

    #[test]
    fn equal_instants_in_other_offsets_have_equal_content() {
        let a = parse(
            json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T10:02:00+08:00"}),
        )
        .unwrap();
        let b = parse(json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T02:02:00Z"}))
            .unwrap();
        assert_eq!(a.content(), b.content());
    }

    #[test]
    fn content_round_trips() {
        let event = parse(
            json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "withdrawn",
            "at": "2024-05-30T10:02:00+08:00", "actor": {"id": "x"}, "attributes": {"a": [1, 2]}}),
        )
        .unwrap();
        let back = Event::from_content(&event.content(), event.at, 7, "s".into(), event.received_at).unwrap();
        assert_eq!(back.content(), event.content());
        assert_eq!(back.arrival, 7);
    }

    /// The content as earlier versions stored it: every field put in a
    /// `serde_json` map (which orders keys), then printed. Stored contents
    /// are compared byte for byte to tell duplicates from conflicts, so the
    /// text must not change.
    fn content_through_a_map(event: &Event) -> String {
        let mut map = Map::new();
        map.insert("id".into(), event.id.clone().into());
        map.insert("issue".into(), event.issue.clone().into());
        map.insert("kind".into(), event.kind.as_str().into());
        if event.at_given {
            map.insert("at".into(), format_utc(event.at).into());
        }
        let optional = [
            ("project", &event.project),
            ("priority", &event.priority),
            ("title", &event.title),
            ("text", &event.text),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), value.clone().into());
            }
        }
        if let Some(actor) = &event.actor {
            map.insert("actor".into(), serde_json::to_value(actor).unwrap());
        }
        if let Some(resolution) = event.resolution {
            map.insert("resolution".into(), resolution.as_str().into());
        }
        if !event.attributes.is_empty() {
            map.insert("attributes".into(), Value::Object(event.attributes.clone()));
        }
        Value::Object(map).to_string()
    }

    #[test]
    fn content_is_the_text_earlier_versions_stored() {
        let bodies = [
            json!({"id": "e", "issue": "i", "kind": "acknowledged"}),
            json!({"id": "evt-1", "issue": "bench-1", "kind": "raised", "at": "2024-05-30T10:02:00+08:00",
                "project": "p", "priority": "high", "title": "工地因管道抢修停水",
                "text": "quote \" backslash \\ tab \t newline \n nul \u{0000} emoji 🚰",
                "actor": {"id": "wang", "name": "王永忠", "role": "requester"},
                "attributes": {"z": {"b": [1, 2.5, null], "a": true}, "a": "x"}}),
            json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "duplicate",
                "actor": {"name": "n"}, "attributes": {}}),
            json!({"id": "e", "issue": "i", "kind": "paused", "actor": {}, "text": ""}),
        ];
        for body in bodies {
            let event = parse(body).unwrap();
            assert_eq!(event.content(), content_through_a_map(&event));
        }
    }

    proptest::proptest! {
        #[test]
        fn content_matches_the_earlier_text_for_any_strings(
            title in proptest::option::of(".{0,40}"),
            text in proptest::option::of("\\PC{0,40}"),
            name in proptest::option::of(".{0,10}"),
            attribute in ".{0,10}",
        ) {
            let mut body = json!({"id": "e", "issue": "i", "kind": "raised", "project": "p",
                "attributes": {attribute.clone(): attribute}});
            if let Some(title) = title { body["title"] = json!(title); }
            if let Some(text) = text { body["text"] = json!(text); }
            if let Some(name) = name { body["actor"] = json!({"name": name}); }
            if let Ok(event) = parse(body) {
                proptest::prop_assert_eq!(event.content(), content_through_a_map(&event));
            }
        }
    }

    #[test]
    fn invalid_fields_are_named() {
        let cases = [
            (json!({"issue": "i", "kind": "raised", "project": "p"}), "id"),
            (json!({"id": "e", "kind": "raised", "project": "p"}), "issue"),
            (
                json!({"id": "e", "issue": "a/b", "kind": "acknowledged"}),
                "issue",
            ),
            (json!({"id": "e", "issue": "i", "kind": "exploded"}), "kind"),
            (json!({"id": "e", "issue": "i", "kind": "raised"}), "project"),
            (
                json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "yesterday"}),
                "at",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T10:02:00"}),
                "at",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2030-01-01T00:00:00Z"}),
                "at",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "fixed"}),
                "resolution",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "resolution": "resolved"}),
                "resolution",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"role": "boss"}}),
                "actor.role",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "attributes": []}),
                "attributes",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "colour": "red"}),
                "colour",
            ),
            (json!({"id": 5, "issue": "i", "kind": "handled"}), "id"),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "title": "a\u{0}b"}),
                "title",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "at": "0000-01-01T00:00:00+14:00"}),
                "at",
            ),
            (
                json!({"id": "e", "issue": "i", "kind": "handled", "at": "1969-12-31T23:59:59Z"}),
                "at",
            ),
        ];
        for (value, field) in cases {
            let error = parse(value.clone()).expect_err(&value.to_string());
            assert_eq!(error.field, field, "{value}: {}", error.message);
        }
    }

    #[test]
    fn limits_are_enforced() {
        let long_key = "k".repeat(MAX_KEY_CHARS + 1);
        assert!(parse(json!({"id": long_key, "issue": "i", "kind": "handled"})).is_err());
        let big = "x".repeat(MAX_ATTRIBUTES_BYTES);
        assert_eq!(
            parse(json!({"id": "e", "issue": "i", "kind": "handled", "attributes": {"big": big}}))
                .unwrap_err()
                .field,
            "attributes"
        );
        let text = "字".repeat(MAX_TEXT_BYTES / 3 + 1);
        assert_eq!(
            parse(json!({"id": "e", "issue": "i", "kind": "handled", "text": text}))
                .unwrap_err()
                .field,
            "text"
        );
    }

    #[test]
    fn array_items_carry_their_index() {
        let error = Event::parse(
            &json!({"id": "e", "issue": "i", "kind": "nope"}),
            &receipt(),
            "[3].",
        )
        .unwrap_err();
        assert_eq!(error.field, "[3].kind");
    }

    /// Each reason of [`INVALID_REASONS`] is given by some invalid event, and
    /// parsing gives no other: the metric's label set is the whole set.
    #[test]
    fn invalid_reasons_are_exactly_the_ones_parsing_gives() {
        let ok = json!({"id": "e", "issue": "i", "kind": "acknowledged"});
        let with = |key: &str, value: Value| {
            let mut event = ok.clone();
            event[key] = value;
            event
        };
        let cases = [
            json!([1]),
            with("colour", json!("red")),
            with("kind", json!(1)),
            json!({"issue": "i", "kind": "raised"}),
            json!({"id": "e", "issue": "i", "kind": "raised"}),
            with("id", json!("")),
            with("issue", json!("a/b")),
            with("priority", json!("")),
            with("title", json!("t".repeat(MAX_TITLE_CHARS + 1))),
            with("kind", json!("escalated")),
            with("at", json!("yesterday")),
            with("at", json!("2099-01-01T00:00:00Z")),
            with("resolution", json!("resolved")),
            json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "fixed"}),
            with("actor", json!({"role": "boss"})),
        ];
        let mut given: Vec<&str> = cases
            .iter()
            .map(|case| parse(case.clone()).expect_err("invalid").reason)
            .collect();
        given.sort_unstable();
        let mut expected = INVALID_REASONS.to_vec();
        expected.sort_unstable();
        assert_eq!(given, expected);
    }

    #[test]
    fn an_event_without_at_happens_at_receipt_to_the_millisecond() {
        let received_at: Timestamp = "2024-05-30T10:59:33.264805757Z".parse().unwrap();
        let receipt = Receipt {
            received_at,
            ..receipt()
        };
        let event = Event::parse(
            &json!({"id": "e", "issue": "i", "kind": "acknowledged"}),
            &receipt,
            "",
        )
        .unwrap();
        let millis: Timestamp = "2024-05-30T10:59:33.264Z".parse().unwrap();
        assert_eq!(
            (event.at, event.received_at, event.at_given),
            (millis, millis, false)
        );
    }
}
