//! The generic chat message of `POST /v1/messages` (SPEC §4): parsing and
//! its limits, with errors that name the offending field.

use super::classify::Message;
use super::event::{Invalid, MAX_ACTOR_CHARS, MAX_KEY_CHARS, MAX_TEXT_BYTES};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

/// Longest platform name (`wechat`, `feishu`, a bridge's own name…).
pub const MAX_PLATFORM_CHARS: usize = 32;
/// Most mentions kept from one message.
pub const MAX_MENTIONS: usize = 100;

const KNOWN_FIELDS: [&str; 8] = [
    "platform",
    "message_id",
    "chat_id",
    "sender",
    "text",
    "at",
    "reply_to",
    "mentions",
];

/// Parses and checks one message; `at` defaults to `received_at` and may be
/// at most `max_future_skew` ahead of it.
pub fn parse_message(
    value: &Value,
    received_at: DateTime<Utc>,
    max_future_skew: TimeDelta,
) -> Result<Message, Invalid> {
    let Value::Object(object) = value else {
        return Err(Invalid::new("", "not_an_object", "a message is a JSON object"));
    };
    if let Some(unknown) = object.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(Invalid::new(
            unknown.as_str(),
            "unknown_field",
            format!(
                "unknown field `{unknown}`; fields are {}",
                KNOWN_FIELDS.join(", ")
            ),
        ));
    }
    let platform = required(object, "platform")?;
    if platform.chars().count() > MAX_PLATFORM_CHARS
        || !platform
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(Invalid::new(
            "platform",
            "bad_platform",
            format!("`platform` is 1 to {MAX_PLATFORM_CHARS} of a-z, 0-9, `_` and `-`"),
        ));
    }
    let message_id = id(required(object, "message_id")?, "message_id")?;
    let chat_id = id(required(object, "chat_id")?, "chat_id")?;
    let Some(Value::Object(sender)) = object.get("sender") else {
        return Err(Invalid::new(
            "sender",
            "missing",
            "`sender` is required: {\"id\", \"name\"}",
        ));
    };
    if let Some(unknown) = sender.keys().find(|k| !["id", "name"].contains(&k.as_str())) {
        return Err(Invalid::new(
            format!("sender.{unknown}"),
            "unknown_field",
            format!("unknown field `sender.{unknown}`; fields are id, name"),
        ));
    }
    let sender_id = id(
        required(sender, "id").map_err(|e| prefixed(e, "sender."))?,
        "sender.id",
    )?;
    let sender_name = match sender.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name))
            if name.chars().count() <= MAX_ACTOR_CHARS && !name.chars().any(char::is_control) =>
        {
            Some(name.clone())
        }
        Some(_) => {
            return Err(Invalid::new(
                "sender.name",
                "bad_name",
                format!("`sender.name` is a string of at most {MAX_ACTOR_CHARS} printable characters"),
            ))
        }
    };
    let text = match object.get("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) if text.len() > MAX_TEXT_BYTES => {
            return Err(Invalid::new(
                "text",
                "too_long",
                format!("`text` is longer than {MAX_TEXT_BYTES} bytes"),
            ))
        }
        Some(Value::String(text)) if text.contains('\0') => {
            return Err(Invalid::new(
                "text",
                "bad_characters",
                "`text` must not contain NUL",
            ))
        }
        Some(Value::String(text)) => text.clone(),
        Some(_) => return Err(Invalid::new("text", "wrong_type", "`text` is a string")),
    };
    let at = match object.get("at") {
        None | Some(Value::Null) => crate::domain::event::to_millis(received_at),
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| Invalid::new("at", "bad_time", "`at` is an RFC 3339 time with offset"))?
            .with_timezone(&Utc),
        Some(_) => {
            return Err(Invalid::new(
                "at",
                "bad_time",
                "`at` is an RFC 3339 time with offset",
            ))
        }
    };
    if at > received_at + max_future_skew {
        return Err(Invalid::new(
            "at",
            "in_future",
            format!(
                "`at` is more than {}s ahead of the server clock",
                max_future_skew.num_seconds()
            ),
        ));
    }
    if at < DateTime::<Utc>::UNIX_EPOCH {
        return Err(Invalid::new("at", "bad_time", "`at` is before 1970"));
    }
    let reply_to = match object.get("reply_to") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(id(text, "reply_to")?),
        Some(_) => {
            return Err(Invalid::new(
                "reply_to",
                "wrong_type",
                "`reply_to` is a message id or null",
            ))
        }
    };
    let mentions = match object.get("mentions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_MENTIONS => items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(text) => id(text, &format!("mentions[{index}]")),
                _ => Err(Invalid::new(
                    format!("mentions[{index}]"),
                    "wrong_type",
                    "a mention is a user id",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(Invalid::new(
                "mentions",
                "bad_mentions",
                format!("`mentions` is an array of at most {MAX_MENTIONS} user ids"),
            ))
        }
    };
    Ok(Message {
        platform: platform.to_string(),
        message_id,
        chat_id,
        sender_id,
        sender_name,
        text,
        at,
        reply_to,
        mentions,
    })
}

fn required<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, Invalid> {
    match object.get(field) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text),
        Some(Value::Number(_)) => Err(Invalid::new(
            field,
            "wrong_type",
            format!("`{field}` is a string"),
        )),
        _ => Err(Invalid::new(field, "missing", format!("`{field}` is required"))),
    }
}

fn prefixed(mut invalid: Invalid, prefix: &str) -> Invalid {
    invalid.field = format!("{prefix}{}", invalid.field);
    invalid.message = invalid.message.replacen('`', &format!("`{prefix}"), 1);
    invalid
}

/// A platform id: 1 to 128 printable characters.
fn id(text: &str, field: &str) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS || text.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "bad_id",
            format!("`{field}` must be 1 to {MAX_KEY_CHARS} printable characters"),
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Message, Invalid> {
        parse_message(&value, Utc::now(), TimeDelta::minutes(5))
    }

    fn spec_example() -> Value {
        json!({
            "platform": "wechat", "message_id": "m-88121", "chat_id": "grp-zhongtai",
            "sender": { "id": "wang-yz", "name": "王永忠" },
            "text": "工地附近管道抢修，马上停水，主体结构浇筑怎么办？",
            "at": "2024-05-30T10:02:00+08:00", "reply_to": null, "mentions": []
        })
    }

    #[test]
    fn the_spec_example_parses() {
        let message = parse(spec_example()).unwrap();
        assert_eq!(
            (message.platform.as_str(), message.sender_id.as_str()),
            ("wechat", "wang-yz")
        );
        assert_eq!(message.at.to_rfc3339(), "2024-05-30T02:02:00+00:00");
        assert_eq!(message.sender_name.as_deref(), Some("王永忠"));
    }

    #[test]
    fn each_field_is_checked_and_named() {
        let cases = [
            ("platform", json!("WeChat"), "platform"),
            ("message_id", json!(""), "message_id"),
            ("chat_id", json!("x".repeat(129)), "chat_id"),
            ("sender", json!({ "id": "a\u{1}" }), "sender.id"),
            ("sender", json!({ "name": "x" }), "sender.id"),
            ("text", json!("a\u{0}b"), "text"),
            ("text", json!("长".repeat(6000)), "text"),
            ("at", json!("yesterday"), "at"),
            ("at", json!((Utc::now() + TimeDelta::hours(1)).to_rfc3339()), "at"),
            ("mentions", json!([1]), "mentions[0]"),
            ("extra", json!(1), "extra"),
        ];
        for (field, value, named) in cases {
            let mut message = spec_example();
            message[field] = value;
            let error = parse(message).unwrap_err();
            assert_eq!(error.field, named, "{field}: {}", error.message);
        }
    }

    #[test]
    fn at_defaults_to_the_time_of_receipt_and_text_may_be_absent() {
        let received: crate::domain::Timestamp = "2024-05-30T10:59:33.264805757Z".parse().unwrap();
        let mut message = spec_example();
        message.as_object_mut().unwrap().remove("at");
        message.as_object_mut().unwrap().remove("text");
        let parsed = parse_message(&message, received, TimeDelta::minutes(5)).unwrap();
        // To the millisecond, like every time slawatch stores and shows.
        let millis: crate::domain::Timestamp = "2024-05-30T10:59:33.264Z".parse().unwrap();
        assert_eq!((parsed.at, parsed.text.as_str()), (millis, ""));
    }
}
