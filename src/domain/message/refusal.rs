//! What serde finds wrong with a message, said as slawatch has always said
//! it: the field named, the valid fields listed, and of several faults the
//! first in the order of the fields.

use super::{Message, KNOWN_FIELDS, MAX_MENTIONS};
use crate::domain::event::{Invalid, MAX_ACTOR_CHARS};
use crate::domain::input::{Fault, Misfit};
use serde_json::Value;

pub(super) fn sender_missing() -> Invalid {
    Invalid::new("sender", "missing", "`sender` is required: {\"id\", \"name\"}")
}

pub(super) fn bad_name() -> Invalid {
    Invalid::new(
        "sender.name",
        "bad_name",
        format!("`sender.name` is a string of at most {MAX_ACTOR_CHARS} printable characters"),
    )
}

pub(super) fn bad_time() -> Invalid {
    Invalid::new("at", "bad_time", "`at` is an RFC 3339 time with offset")
}

pub(super) fn bad_mentions() -> Invalid {
    Invalid::new(
        "mentions",
        "bad_mentions",
        format!("`mentions` is an array of at most {MAX_MENTIONS} user ids"),
    )
}

/// Says in slawatch's words what serde found wrong.
pub(super) fn refusal(misfit: &Misfit, value: &Value) -> Invalid {
    let path = misfit.path.as_str();
    let too_many_mentions = value
        .get("mentions")
        .and_then(Value::as_array)
        .is_some_and(|mentions| mentions.len() > MAX_MENTIONS);
    match (misfit.fault, path) {
        (_, "") => Invalid::new("", "not_an_object", "a message is a JSON object"),
        (Fault::Unknown, _) if path != misfit.name => Invalid::new(
            path,
            "unknown_field",
            format!("unknown field `{path}`; fields are id, name"),
        ),
        (Fault::Unknown, _) => Invalid::new(
            path,
            "unknown_field",
            format!("unknown field `{path}`; fields are {}", KNOWN_FIELDS.join(", ")),
        ),
        (_, "sender") => sender_missing(),
        (_, "sender.name") => bad_name(),
        (_, "text") => Invalid::new("text", "wrong_type", "`text` is a string"),
        (_, "at") => bad_time(),
        (_, "reply_to") => Invalid::new("reply_to", "wrong_type", "`reply_to` is a message id or null"),
        (_, "mentions") => bad_mentions(),
        _ if path.starts_with("mentions[") && too_many_mentions => bad_mentions(),
        _ if path.starts_with("mentions[") => Invalid::new(path, "wrong_type", "a mention is a user id"),
        // `platform`, `message_id`, `chat_id`, `sender.id`: a number is of
        // the wrong type; anything else that is not a string is missing.
        (Fault::WrongType, _) if misfit.found.is_some_and(Value::is_number) => {
            Invalid::new(path, "wrong_type", format!("`{path}` is a string"))
        }
        _ => missing(path),
    }
}

pub(super) fn missing(field: &str) -> Invalid {
    Invalid::new(field, "missing", format!("`{field}` is required"))
}

/// An unknown field is named before anything else is wrong, as it always
/// was (serde names whichever fault it meets first in key order).
pub(super) fn first_unknown(value: &Value) -> Option<Invalid> {
    let unknown = value
        .as_object()?
        .keys()
        .find(|key| !KNOWN_FIELDS.contains(&key.as_str()))?;
    Some(Invalid::new(
        unknown.as_str(),
        "unknown_field",
        format!(
            "unknown field `{unknown}`; fields are {}",
            KNOWN_FIELDS.join(", ")
        ),
    ))
}

/// serde stops at the first fault it meets in key order, before any limit
/// is checked; slawatch names the first fault in the order of the fields
/// (`KNOWN_FIELDS`; in `sender`, an unknown part, then `id`, then `name`;
/// mentions in their order), as it always has. So, on the error path only,
/// the faulty field is left out or given a valid stand-in and the message
/// read again (`read`): a fault in an earlier field is named instead.
pub(super) fn first_in_field_order(
    value: &Value,
    invalid: Invalid,
    read: &dyn Fn(&Value) -> Result<Message, Invalid>,
) -> Invalid {
    let field = invalid.field.as_str();
    let top_level_unknown = invalid.reason == "unknown_field" && !field.contains('.');
    let Some(position) = position_of(field).filter(|_| !top_level_unknown) else {
        return invalid;
    };
    let mut copy = value.clone();
    let Some(object) = copy.as_object_mut() else {
        return invalid;
    };
    match field {
        "platform" | "message_id" | "chat_id" => {
            object.insert(field.to_string(), "x".into());
        }
        "sender" => {
            object.insert(field.to_string(), serde_json::json!({"id": "x"}));
        }
        _ => match (field.split_once('.'), field.strip_prefix("mentions[")) {
            (Some(("sender", part)), _) => {
                if let Some(Value::Object(sender)) = object.get_mut("sender") {
                    match part {
                        "id" => drop(sender.insert(part.to_string(), "x".into())),
                        _ => drop(sender.remove(part)),
                    }
                }
            }
            (_, Some(index)) => {
                let index: usize = index.trim_end_matches(']').parse().unwrap_or(0);
                if let Some(mention) = object.get_mut("mentions").and_then(|m| m.get_mut(index)) {
                    *mention = "x".into();
                }
            }
            _ => drop(object.remove(field)),
        },
    }
    match read(&copy) {
        Err(earlier) if position_of(&earlier.field).is_some_and(|at| at < position) => earlier,
        _ => invalid,
    }
}

/// Where a field comes in the order of the fields, then within it.
fn position_of(field: &str) -> Option<(usize, usize)> {
    if let Some(index) = field.strip_prefix("mentions[") {
        let index: usize = index.trim_end_matches(']').parse().ok()?;
        return Some((KNOWN_FIELDS.len() - 1, index + 1));
    }
    let (top, part) = field.split_once('.').unwrap_or((field, ""));
    let within = match (top, part) {
        (_, "") => 0,
        ("sender", "id") => 2,
        ("sender", "name") => 3,
        _ => 1,
    };
    Some((KNOWN_FIELDS.iter().position(|name| *name == top)?, within))
}
