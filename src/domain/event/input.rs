//! An event as posted (SPEC §3): [`EventInput`] is both the parser and the
//! OpenAPI schema; `TryFrom` turns it into an [`Event`] whose every limit
//! holds, with errors that name the field and list the valid values.

use super::keys::{bounded_chars, label, EventId, FieldPath, IssueKey, ProjectKey};
use super::refusal::{
    actor_not_an_object, first_in_field_order, first_unknown, not_an_object, refusal, unexpected_resolution,
};
use super::{
    earliest_at, to_millis, undoes, Actor, Event, EventKind, Invalid, Receipt, Resolution, Role,
    MAX_ACTOR_CHARS, MAX_ATTRIBUTES_BYTES, MAX_TEXT_BYTES, MAX_TITLE_CHARS,
};
use crate::domain::input::{self, Fault};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt::Display;
use utoipa::ToSchema;

/// An event as posted. `id`, `issue` and `kind` are required; `project` is
/// required on `raised`; `at` defaults to the time of receipt.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// Idempotency key, 1–128 printable characters without `/`.
    pub id: String,
    /// The issue's external key, 1–128 printable characters without `/`.
    pub issue: String,
    /// `undone` is a correction: the events whose ids `attributes.undoes`
    /// lists no longer count.
    pub kind: EventKind,
    /// RFC 3339 with offset; at most `max_future_skew` (5 min) ahead. May be
    /// left out: the event then happens at its receipt (to the millisecond).
    pub at: Option<String>,
    /// Project key (≤ 64 characters); required on `raised`.
    pub project: Option<String>,
    /// Priority (≤ 64 characters); chooses the policy with `project`.
    pub priority: Option<String>,
    /// ≤ 256 characters, one line.
    pub title: Option<String>,
    /// ≤ 16 KiB.
    pub text: Option<String>,
    pub actor: Option<ActorInput>,
    /// Only on `closed`: `resolved` when left out.
    pub resolution: Option<Resolution>,
    /// Any JSON object up to 8 KiB. Chat classification records `rule` and
    /// `words` (why it decided), `merged_into`, and on `undone` `undoes`.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// Who did it: each part may be left out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorInput {
    /// ≤ 128 characters.
    pub id: Option<String>,
    /// ≤ 128 characters.
    pub name: Option<String>,
    pub role: Option<Role>,
}

/// The fields of [`EventInput`], as errors list them.
pub const KNOWN_FIELDS: [&str; 11] = [
    "id",
    "issue",
    "kind",
    "at",
    "project",
    "priority",
    "title",
    "text",
    "actor",
    "resolution",
    "attributes",
];

/// An input with what its conversion needs besides: the receipt, and the
/// prefix put before field names in errors (`[3].` for the fourth event of
/// an array; written only when there is an error).
pub struct Received<'a> {
    pub input: EventInput,
    pub receipt: &'a Receipt,
    pub prefix: &'a dyn Display,
}

impl EventInput {
    /// Reads an event from a JSON value; errors name the field (after
    /// `prefix`) as [`Event::parse`] always has.
    pub fn from_value(value: &Value, prefix: &dyn Display) -> Result<Self, Invalid> {
        // serde also reads a struct from an array of its fields in order;
        // on the wire an event and its actor are objects only.
        if !value.is_object() {
            return Err(not_an_object(prefix));
        }
        if value.get("actor").is_some_and(Value::is_array) {
            return Err(
                first_unknown(value, prefix).unwrap_or_else(|| actor_not_an_object(format!("{prefix}actor")))
            );
        }
        match input::deserialize(value) {
            Ok(input) => Ok(input),
            // A null part of an actor was always left out before its name
            // was looked at: an unknown one is still ignored.
            Err(misfit)
                if misfit.fault == Fault::Unknown
                    && misfit.path != misfit.name
                    && misfit.found.is_some_and(Value::is_null) =>
            {
                let mut copy = value.clone();
                if let Some(Value::Object(actor)) = copy.get_mut("actor") {
                    actor.retain(|_, part| !part.is_null());
                }
                Self::from_value(&copy, prefix)
            }
            Err(misfit) => {
                Err(first_unknown(value, prefix).unwrap_or_else(|| refusal(&misfit, value, prefix)))
            }
        }
    }
}

impl Event {
    /// Reads one event object into an [`EventInput`], then checks it into an
    /// event. `prefix` goes before field names in errors (`[3].` for the
    /// fourth event of an array) and is written out only for an error.
    pub fn from_value(value: &Value, receipt: &Receipt, prefix: &dyn Display) -> Result<Event, Invalid> {
        let input = EventInput::from_value(value, prefix)
            .map_err(|invalid| first_in_field_order(value, receipt, prefix, invalid))?;
        Event::try_from(Received {
            input,
            receipt,
            prefix,
        })
    }
}

impl TryFrom<Received<'_>> for Event {
    type Error = Invalid;

    /// Checks every limit, in the order of the fields.
    fn try_from(received: Received<'_>) -> Result<Event, Invalid> {
        let Received {
            input,
            receipt,
            prefix,
        } = received;
        let path = |name| FieldPath(prefix, name);
        let field = |name| path(name).to_string();
        let id = EventId::parse(input.id, &path("id"))?;
        let issue = IssueKey::parse(input.issue, &path("issue"))?;
        let kind = input.kind;
        let (at, at_given) = match input.at {
            // The time of receipt, to the millisecond like every stored time.
            None => (to_millis(receipt.received_at), false),
            Some(text) => (at(&text, receipt, &path("at"))?, true),
        };
        let project = input
            .project
            .map(|project| ProjectKey::parse(project, &path("project")))
            .transpose()?;
        if kind == EventKind::Raised && project.is_none() {
            return Err(Invalid::new(
                field("project"),
                "missing_project",
                "`project` is required on `raised`",
            ));
        }
        let priority = input
            .priority
            .map(|priority| label(priority, &path("priority"), "priority"))
            .transpose()?;
        let title = input
            .title
            .map(|title| bounded_chars(title, MAX_TITLE_CHARS, &path("title")))
            .transpose()?;
        if title.as_deref().is_some_and(|t| t.chars().any(char::is_control)) {
            return Err(Invalid::new(
                field("title"),
                "bad_characters",
                "`title` must be one line of printable text",
            ));
        }
        if input
            .text
            .as_ref()
            .is_some_and(|text| text.len() > MAX_TEXT_BYTES)
        {
            return Err(Invalid::new(
                field("text"),
                "too_long",
                format!("`text` is longer than {MAX_TEXT_BYTES} bytes"),
            ));
        }
        if input.resolution.is_some() && kind != EventKind::Closed {
            return Err(unexpected_resolution(field("resolution")));
        }
        let actor = input.actor.map(|actor| actor_of(actor, prefix)).transpose()?;
        let attributes = input.attributes.unwrap_or_default();
        if !attributes.is_empty() && input::json_len(&attributes) > MAX_ATTRIBUTES_BYTES {
            return Err(Invalid::new(
                field("attributes"),
                "too_long",
                format!("`attributes` is larger than {MAX_ATTRIBUTES_BYTES} bytes"),
            ));
        }
        if kind == EventKind::Undone && undoes(&attributes).is_empty() {
            return Err(Invalid::new(
                field("attributes.undoes"),
                "missing_field",
                "`undone` needs `attributes.undoes`: the ids of the events it takes back",
            ));
        }
        Ok(Event {
            id: id.into(),
            issue: issue.into(),
            kind,
            at,
            at_given,
            arrival: 0,
            project: project.map(String::from),
            priority,
            title,
            text: input.text,
            actor,
            resolution: input.resolution,
            attributes,
            source: receipt.source.clone(),
            received_at: to_millis(receipt.received_at),
        })
    }
}

/// A given `at`: RFC 3339 with offset, kept to the millisecond, not before
/// the epoch and not further ahead of the server clock than allowed.
fn at(text: &str, receipt: &Receipt, field: &dyn Display) -> Result<DateTime<Utc>, Invalid> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            Invalid::new(
                field.to_string(),
                "bad_timestamp",
                "`at` must be an RFC 3339 timestamp with an offset, e.g. 2024-05-30T10:02:00+08:00",
            )
        })?
        .with_timezone(&Utc);
    // Keep millisecond precision: that is what the store keeps.
    let at = to_millis(at);
    if at < earliest_at() {
        return Err(Invalid::new(
            field.to_string(),
            "bad_timestamp",
            "`at` must not be before 1970-01-01T00:00:00Z",
        ));
    }
    if at > receipt.received_at + receipt.max_future_skew {
        return Err(Invalid::new(
            field.to_string(),
            "future_timestamp",
            format!(
                "`at` is more than {} ahead of the server clock",
                crate::domain::duration::format_delta(receipt.max_future_skew)
            ),
        ));
    }
    Ok(at)
}

fn actor_of(actor: ActorInput, prefix: &dyn Display) -> Result<Actor, Invalid> {
    let bounded = |text: Option<String>, name| {
        text.map(|text| bounded_chars(text, MAX_ACTOR_CHARS, &FieldPath(prefix, name)))
            .transpose()
    };
    Ok(Actor {
        id: bounded(actor.id, "actor.id")?,
        name: bounded(actor.name, "actor.name")?,
        role: actor.role,
    })
}

#[cfg(test)]
mod tests;
