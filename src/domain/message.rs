//! The generic chat message of `POST /v1/messages` (SPEC §4):
//! [`MessageInput`] is both the parser and the OpenAPI schema; `TryFrom`
//! checks its limits into a [`Message`], with errors that name the field.

mod refusal;

use super::classify::Message;
use super::event::{Invalid, MAX_ACTOR_CHARS, MAX_KEY_CHARS, MAX_TEXT_BYTES};
use super::input;
use chrono::{DateTime, TimeDelta, Utc};
use refusal::{
    bad_mentions, bad_name, bad_time, first_in_field_order, first_unknown, missing, refusal, sender_missing,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Longest platform name (`wechat`, `feishu`, a bridge's own name…).
pub const MAX_PLATFORM_CHARS: usize = 32;
/// Most mentions kept from one message.
pub const MAX_MENTIONS: usize = 100;

/// A chat message as a bot forwards it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// `wechat`, `feishu`…: 1–32 of a-z, 0-9, `_`, `-`.
    pub platform: String,
    /// The platform's id of the message, 1–128 printable characters; with
    /// `platform` and `chat_id` the idempotency key.
    pub message_id: String,
    /// The group the message was posted in (1–128 printable characters).
    pub chat_id: String,
    pub sender: SenderInput,
    /// ≤ 16 KiB; empty for an image or a sticker.
    pub text: Option<String>,
    /// RFC 3339 with offset; the time of receipt when absent.
    pub at: Option<String>,
    /// The id of the message this one replies to or quotes.
    pub reply_to: Option<String>,
    /// User ids mentioned (at most 100).
    pub mentions: Option<Vec<String>>,
}

/// Who posted a message.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderInput {
    /// The platform user id, 1–128 printable characters.
    pub id: String,
    /// The display name, at most 128 printable characters.
    pub name: Option<String>,
}

/// The fields of [`MessageInput`], as errors list them.
pub const KNOWN_FIELDS: [&str; 8] = [
    "platform",
    "message_id",
    "chat_id",
    "sender",
    "text",
    "at",
    "reply_to",
    "mentions",
];

/// A message with when it was received and how far ahead of that its `at`
/// may be.
pub struct ReceivedMessage {
    pub input: MessageInput,
    pub received_at: DateTime<Utc>,
    pub max_future_skew: TimeDelta,
}

/// Parses and checks one message; `at` defaults to `received_at` and may be
/// at most `max_future_skew` ahead of it.
pub fn parse_message(
    value: &Value,
    received_at: DateTime<Utc>,
    max_future_skew: TimeDelta,
) -> Result<Message, Invalid> {
    let read = |value: &Value| parse_message(value, received_at, max_future_skew);
    let input =
        MessageInput::from_value(value).map_err(|invalid| first_in_field_order(value, invalid, &read))?;
    Message::try_from(ReceivedMessage {
        input,
        received_at,
        max_future_skew,
    })
}

impl MessageInput {
    /// Reads a message from a JSON value; errors name the field.
    pub fn from_value(value: &Value) -> Result<Self, Invalid> {
        // serde also reads a struct from an array of its fields in order;
        // on the wire a message and its sender are objects only.
        if !value.is_object() {
            return Err(Invalid::new("", "not_an_object", "a message is a JSON object"));
        }
        if value.get("sender").is_some_and(Value::is_array) {
            return Err(first_unknown(value).unwrap_or_else(sender_missing));
        }
        input::deserialize(value)
            .map_err(|misfit| first_unknown(value).unwrap_or_else(|| refusal(&misfit, value)))
    }
}

impl TryFrom<ReceivedMessage> for Message {
    type Error = Invalid;

    /// Checks every limit, in the order of the fields.
    fn try_from(received: ReceivedMessage) -> Result<Message, Invalid> {
        let ReceivedMessage {
            input,
            received_at,
            max_future_skew,
        } = received;
        let platform = required(input.platform, "platform")?;
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
        let message_id = id(required(input.message_id, "message_id")?, "message_id")?;
        let chat_id = id(required(input.chat_id, "chat_id")?, "chat_id")?;
        let sender_id = id(required(input.sender.id, "sender.id")?, "sender.id")?;
        let sender_name = match input.sender.name {
            Some(name) if name.chars().count() > MAX_ACTOR_CHARS || name.chars().any(char::is_control) => {
                return Err(bad_name())
            }
            name => name,
        };
        let text = input.text.unwrap_or_default();
        if text.len() > MAX_TEXT_BYTES {
            return Err(Invalid::new(
                "text",
                "too_long",
                format!("`text` is longer than {MAX_TEXT_BYTES} bytes"),
            ));
        }
        if text.contains('\0') {
            return Err(Invalid::new(
                "text",
                "bad_characters",
                "`text` must not contain NUL",
            ));
        }
        let at = match input.at {
            None => crate::domain::event::to_millis(received_at),
            Some(text) => DateTime::parse_from_rfc3339(&text)
                .map_err(|_| bad_time())?
                .with_timezone(&Utc),
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
        let reply_to = input.reply_to.map(|text| id(text, "reply_to")).transpose()?;
        let mentions = input.mentions.unwrap_or_default();
        if mentions.len() > MAX_MENTIONS {
            return Err(bad_mentions());
        }
        let mentions = mentions
            .into_iter()
            .enumerate()
            .map(|(index, mention)| id(mention, &format!("mentions[{index}]")))
            .collect::<Result<_, _>>()?;
        Ok(Message {
            platform,
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
}

/// A required id given as an empty string counts as missing.
fn required(text: String, field: &str) -> Result<String, Invalid> {
    if text.is_empty() {
        return Err(missing(field));
    }
    Ok(text)
}

/// A platform id: 1 to 128 printable characters.
fn id(text: String, field: &str) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS || text.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "bad_id",
            format!("`{field}` must be 1 to {MAX_KEY_CHARS} printable characters"),
        ));
    }
    Ok(text)
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

    /// What serde finds wrong is said as before: the field named, the
    /// fields listed, the same reason.
    #[test]
    fn misfits_are_said_in_our_words() {
        let cases = [
            ("extra", json!(1), "extra", "unknown_field", "unknown field `extra`; fields are platform, message_id, chat_id, sender, text, at, reply_to, mentions"),
            ("sender", json!({"id": "a", "x": 1}), "sender.x", "unknown_field", "unknown field `sender.x`; fields are id, name"),
            ("sender", json!(["a"]), "sender", "missing", "`sender` is required: {\"id\", \"name\"}"),
            ("sender", json!({"id": 7}), "sender.id", "wrong_type", "`sender.id` is a string"),
            ("platform", json!(7), "platform", "wrong_type", "`platform` is a string"),
            ("platform", json!(true), "platform", "missing", "`platform` is required"),
            ("chat_id", json!(""), "chat_id", "missing", "`chat_id` is required"),
            ("text", json!(1), "text", "wrong_type", "`text` is a string"),
            ("at", json!(1), "at", "bad_time", "`at` is an RFC 3339 time with offset"),
            ("reply_to", json!([]), "reply_to", "wrong_type", "`reply_to` is a message id or null"),
            ("mentions", json!("a"), "mentions", "bad_mentions", "`mentions` is an array of at most 100 user ids"),
            ("mentions", json!(["a", null]), "mentions[1]", "wrong_type", "a mention is a user id"),
        ];
        for (field, value, named, reason, text) in cases {
            let mut message = spec_example();
            message[field] = value;
            let error = parse(message).unwrap_err();
            assert_eq!(
                (error.field.as_str(), error.reason, error.message.as_str()),
                (named, reason, text),
                "{field}"
            );
        }
        let error = parse(json!([spec_example()])).unwrap_err();
        assert_eq!((error.field.as_str(), error.reason), ("", "not_an_object"));
    }

    /// Of several faults, the one in the first field is named, as it
    /// always was, not the first serde meets in key order.
    #[test]
    fn of_several_faults_the_first_field_is_named() {
        let cases = [
            (json!({"platform": "", "chat_id": 5}), "platform"),
            (json!({"sender": {"id": 5, "x": 1}}), "sender.x"),
            (json!({"at": 1, "text": 2}), "text"),
            (json!({"mentions": ["", 5]}), "mentions[0]"),
        ];
        for (faults, named) in cases {
            let mut message = spec_example();
            for (field, value) in faults.as_object().unwrap() {
                message[field] = value.clone();
            }
            assert_eq!(parse(message).unwrap_err().field, named, "{faults}");
        }
    }
}
