//! What serde finds wrong with an event, said as slawatch has always said
//! it: the field named, the valid fields or values listed, and of several
//! faults the first in the order of the fields.

use super::{shorten, Event, EventKind, Invalid, Receipt, Resolution, Role, KNOWN_FIELDS};
use crate::domain::input::{Fault, Misfit};
use serde_json::Value;
use std::fmt::Display;

/// An unknown field is named before anything else is wrong, as it always
/// was (serde names whichever fault it meets first in key order).
pub(super) fn first_unknown(value: &Value, prefix: &dyn Display) -> Option<Invalid> {
    let unknown = value
        .as_object()?
        .keys()
        .find(|key| !KNOWN_FIELDS.contains(&key.as_str()))?;
    Some(Invalid::new(
        format!("{prefix}{unknown}"),
        "unknown_field",
        format!(
            "unknown field `{unknown}`; known fields: {}",
            KNOWN_FIELDS.join(", ")
        ),
    ))
}

pub(super) fn not_an_object(prefix: &dyn Display) -> Invalid {
    let field = prefix.to_string();
    Invalid::new(
        field.trim_end_matches('.'),
        "not_an_object",
        "an event must be a JSON object",
    )
}

pub(super) fn actor_not_an_object(field: String) -> Invalid {
    Invalid::new(field, "wrong_type", "`actor` must be an object")
}

/// Says in slawatch's words what serde found wrong.
pub(super) fn refusal(misfit: &Misfit, value: &Value, prefix: &dyn Display) -> Invalid {
    let field = format!("{prefix}{}", misfit.path);
    let path = misfit.path.as_str();
    if path.is_empty() {
        return not_an_object(prefix);
    }
    let found = misfit.found.and_then(Value::as_str).unwrap_or_default();
    match (misfit.fault, path) {
        // A part of an actor was always checked to be a string first.
        (Fault::Unknown, _) if path != misfit.name && !misfit.found.is_some_and(Value::is_string) => {
            Invalid::new(field, "wrong_type", format!("`{path}` must be a string"))
        }
        (Fault::Unknown, _) if path != misfit.name => Invalid::new(
            field,
            "unknown_field",
            format!("unknown field `{path}`; known fields: id, name, role"),
        ),
        (Fault::Unknown, _) => Invalid::new(
            field,
            "unknown_field",
            format!(
                "unknown field `{path}`; known fields: {}",
                KNOWN_FIELDS.join(", ")
            ),
        ),
        (Fault::Missing, _) => Invalid::new(field, "missing_field", format!("`{path}` is required")),
        (Fault::UnknownValue, "kind") => Invalid::new(
            field,
            "unknown_kind",
            format!(
                "unknown kind `{}`; one of: {}",
                shorten(found),
                EventKind::NAMES.join(", ")
            ),
        ),
        // A resolution on another kind is refused for being there at all.
        (Fault::UnknownValue, "resolution") if value.get("kind") != Some(&Value::from("closed")) => {
            unexpected_resolution(field)
        }
        (Fault::UnknownValue, "resolution") => Invalid::new(
            field,
            "unknown_resolution",
            format!(
                "unknown resolution `{}`; one of: {}",
                shorten(found),
                Resolution::NAMES.join(", ")
            ),
        ),
        (Fault::UnknownValue, _) => Invalid::new(
            field,
            "unknown_role",
            format!(
                "unknown role `{}`; one of: {}",
                shorten(found),
                Role::NAMES.join(", ")
            ),
        ),
        (Fault::WrongType, "actor") => actor_not_an_object(field),
        (Fault::WrongType, "attributes") => {
            Invalid::new(field, "wrong_type", "`attributes` must be a JSON object")
        }
        (Fault::WrongType, _) => Invalid::new(field, "wrong_type", format!("`{path}` must be a string")),
    }
}

/// The order in which an event's fields are checked: of several faults,
/// the one named is in the first field of this list.
const FIELD_ORDER: [&str; 11] = [
    "id",
    "issue",
    "kind",
    "at",
    "project",
    "priority",
    "title",
    "text",
    "resolution",
    "actor",
    "attributes",
];

/// serde stops at the first fault it meets in key order, before any limit
/// is checked; slawatch names the first fault in [`FIELD_ORDER`] (an actor's
/// parts in key order), as it always has. So, on the error path only, the
/// faulty field is left out (or, if it is missing, given a valid stand-in)
/// and the event read again: a fault in an earlier field is named instead.
pub(super) fn first_in_field_order(
    value: &Value,
    receipt: &Receipt,
    prefix: &dyn Display,
    invalid: Invalid,
) -> Invalid {
    let prefix_text = prefix.to_string();
    let Some(field) = invalid.field.strip_prefix(prefix_text.as_str()) else {
        return invalid;
    };
    let top_level_unknown = invalid.reason == "unknown_field" && !field.contains('.');
    if field.is_empty() || top_level_unknown {
        return invalid;
    }
    let mut copy = value.clone();
    let (Some(object), Some(position)) = (copy.as_object_mut(), position_of(field)) else {
        return invalid;
    };
    match field.split_once('.') {
        Some((_, part)) => {
            if let Some(Value::Object(actor)) = object.get_mut("actor") {
                actor.remove(part);
            }
        }
        None if invalid.reason == "missing_field" => {
            let stand_in = if field == "kind" { "acknowledged" } else { "x" };
            object.insert(field.to_string(), stand_in.into());
        }
        None => {
            object.remove(field);
        }
    }
    match Event::from_value(&copy, receipt, prefix) {
        Err(earlier)
            if earlier
                .field
                .strip_prefix(prefix_text.as_str())
                .and_then(position_of)
                .is_some_and(|at| at < position) =>
        {
            earlier
        }
        _ => invalid,
    }
}

/// Where a field comes in [`FIELD_ORDER`], then its part's name.
pub(super) fn position_of(field: &str) -> Option<(usize, &str)> {
    let (top, part) = field.split_once('.').unwrap_or((field, ""));
    Some((FIELD_ORDER.iter().position(|name| *name == top)?, part))
}

pub(super) fn unexpected_resolution(field: String) -> Invalid {
    Invalid::new(
        field,
        "unexpected_field",
        "`resolution` is only allowed on `closed` events",
    )
}
