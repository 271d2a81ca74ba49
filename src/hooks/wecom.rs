//! WeCom (企业微信) callbacks: a self-built app's message callback (XML, or
//! JSON in JSON mode) and an intelligent robot's callback (JSON).
//!
//! Every request carries `msg_signature`, `timestamp` and `nonce` in the
//! query; the signature covers the ciphertext, which is checked before it is
//! decrypted (see `wecom_crypt` for the scheme). `GET` is the URL check:
//! decrypt `echostr` and answer its plaintext as is, within a second.
//! `POST` bodies are `<xml>…<Encrypt><![CDATA[…]]></Encrypt>…</xml>` or
//! `{"encrypt": "…"}`; the envelope is read only to find the ciphertext the
//! signature covers. WeCom documents no replay window; [`REPLAY_WINDOW`] is
//! ours. It retries a request it had no answer to within five seconds, up to
//! three times, with the same `MsgId` / `msgid`: the delivery id.
//!
//! Mapping (SPEC §4). A self-built app's plaintext (`MsgType` text) gives
//! `MsgId`, `FromUserName` (sender), `CreateTime` (seconds) and `Content`;
//! an app conversation is one person's, so the chat is `ChatId` when present
//! and otherwise the sender. An intelligent robot's plaintext gives `msgid`,
//! `chatid` (absent in a one-to-one chat: the sender's id stands in),
//! `from.userid`, and `text.content` (or the text items of a `mixed`
//! message); it has no creation time, so the signed `timestamp` is used. A
//! robot's `quote` holds only the quoted content, no message id, so
//! `reply_to` is always `None`. Events and other message types are ignored.

use super::{check_window, id_string, json_error, parse_unix_seconds, Challenge, ChatMessage};
use super::{HookError, HookOutcome, HookRequest};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::time::Duration;

pub use super::wecom_crypt::WecomSecrets;

/// The platform name in routes, issue keys and identities.
pub const PLATFORM: &str = "wecom";

/// How far the signed `timestamp` may be from our clock (our choice: WeCom
/// documents none).
pub const REPLAY_WINDOW: TimeDelta = TimeDelta::hours(1);

/// WeCom drops the connection and retries after five seconds.
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(5);

/// `GET` answers the URL check; `POST` delivers a message.
pub fn handle(request: &HookRequest, secrets: &WecomSecrets) -> Result<HookOutcome, HookError> {
    let url_check = match request.method {
        http::Method::GET => true,
        http::Method::POST => false,
        _ => return Err(HookError::MethodNotAllowed),
    };
    let signed = SignedQuery::read(request)?;
    if url_check {
        let echo = request
            .query("echostr")
            .ok_or(HookError::Malformed("missing echostr".into()))?;
        let plaintext = signed.open(secrets, echo, request.now)?;
        let body =
            String::from_utf8(plaintext).map_err(|_| HookError::Malformed("echostr is not UTF-8".into()))?;
        return Ok(HookOutcome::Challenge(Challenge {
            content_type: "text/plain; charset=utf-8",
            body,
        }));
    }
    let encrypted = envelope_ciphertext(request.body)?;
    let plaintext = signed.open(secrets, &encrypted, request.now)?;
    let Some((message, delivery_id)) = map_plaintext(&plaintext, signed.sent_at)? else {
        return Ok(HookOutcome::Ignore);
    };
    Ok(HookOutcome::Message {
        message,
        delivery_id,
        retry: false,
    })
}

/// The signed query parameters.
struct SignedQuery<'a> {
    signature: &'a str,
    timestamp: &'a str,
    nonce: &'a str,
    sent_at: DateTime<Utc>,
}

impl<'a> SignedQuery<'a> {
    fn read(request: &'a HookRequest) -> Result<Self, HookError> {
        let signature = request
            .query("msg_signature")
            .ok_or(HookError::BadSignature("missing msg_signature"))?;
        let timestamp = request
            .query("timestamp")
            .ok_or(HookError::BadSignature("missing timestamp"))?;
        let nonce = request
            .query("nonce")
            .ok_or(HookError::BadSignature("missing nonce"))?;
        let sent_at =
            parse_unix_seconds(timestamp).ok_or(HookError::BadSignature("timestamp is not Unix seconds"))?;
        Ok(SignedQuery {
            signature,
            timestamp,
            nonce,
            sent_at,
        })
    }

    /// Verifies the signature over `encrypted`, the window, then decrypts.
    fn open(
        &self,
        secrets: &WecomSecrets,
        encrypted: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, HookError> {
        secrets.verify(self.signature, self.timestamp, self.nonce, encrypted)?;
        check_window(now, self.sent_at, REPLAY_WINDOW)?;
        secrets.decrypt(encrypted)
    }
}

/// The ciphertext of an XML (`<Encrypt>`) or JSON (`encrypt`) envelope.
fn envelope_ciphertext(body: &[u8]) -> Result<String, HookError> {
    let text = std::str::from_utf8(body).map_err(|_| HookError::Malformed("the body is not UTF-8".into()))?;
    let encrypted = if text.trim_start().starts_with('<') {
        let document =
            roxmltree::Document::parse(text).map_err(|_| HookError::Malformed("invalid XML".into()))?;
        xml_field(&document, "Encrypt")
    } else {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(alias = "Encrypt")]
            encrypt: Option<String>,
        }
        serde_json::from_str::<Envelope>(text)
            .map_err(json_error)?
            .encrypt
    };
    encrypted
        .filter(|encrypted| !encrypted.is_empty())
        .ok_or(HookError::Malformed("missing Encrypt".into()))
}

/// The text of a child of the root element (CDATA included).
fn xml_field(document: &roxmltree::Document, name: &str) -> Option<String> {
    let element = document
        .root_element()
        .children()
        .find(|node| node.has_tag_name(name))?;
    Some(element.children().filter_map(|node| node.text()).collect())
}

/// A self-built app's message, whether it came as XML or as JSON.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AppMessage {
    content: Option<String>,
    from_user_name: String,
    #[serde(default)]
    create_time: serde_json::Value,
    #[serde(default)]
    msg_id: serde_json::Value,
    chat_id: Option<String>,
}

/// An intelligent robot's message.
#[derive(Deserialize)]
struct RobotMessage {
    msgid: String,
    chatid: Option<String>,
    from: RobotSender,
    msgtype: String,
    text: Option<RobotText>,
    mixed: Option<RobotMixed>,
    create_time: Option<i64>,
}

#[derive(Deserialize)]
struct RobotSender {
    userid: String,
}

#[derive(Deserialize)]
struct RobotText {
    content: String,
}

#[derive(Deserialize)]
struct RobotMixed {
    #[serde(default)]
    msg_item: Vec<RobotItem>,
}

#[derive(Deserialize)]
struct RobotItem {
    msgtype: String,
    text: Option<RobotText>,
}

/// The message and its delivery id, or `None` for what is not a text message.
/// The type is looked at first, so that an event of a shape we do not model
/// is ignored rather than refused (a refusal only makes WeCom retry it).
fn map_plaintext(
    plaintext: &[u8],
    sent_at: DateTime<Utc>,
) -> Result<Option<(ChatMessage, String)>, HookError> {
    let text = std::str::from_utf8(plaintext)
        .map_err(|_| HookError::Malformed("the plaintext is not UTF-8".into()))?;
    if text.trim_start().starts_with('<') {
        let document =
            roxmltree::Document::parse(text).map_err(|_| HookError::Malformed("invalid XML".into()))?;
        let field = |name: &str| xml_field(&document, name);
        if field("MsgType").as_deref() != Some("text") {
            return Ok(None);
        }
        let message = AppMessage {
            content: field("Content"),
            from_user_name: field("FromUserName")
                .ok_or(HookError::Malformed("missing FromUserName".into()))?,
            create_time: field("CreateTime")
                .map(serde_json::Value::String)
                .unwrap_or_default(),
            msg_id: field("MsgId").map(serde_json::Value::String).unwrap_or_default(),
            chat_id: field("ChatId"),
        };
        return map_app(message).map(Some);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(json_error)?;
    // A robot's keys are lower case; an app in JSON mode keeps the XML names.
    let robot_type = value.get("msgtype").and_then(serde_json::Value::as_str);
    let app_type = value.get("MsgType").and_then(serde_json::Value::as_str);
    match (robot_type, app_type) {
        (Some("text" | "mixed"), _) => map_robot(serde_json::from_value(value).map_err(json_error)?, sent_at),
        (_, Some("text")) => map_app(serde_json::from_value(value).map_err(json_error)?).map(Some),
        (Some(_), _) | (_, Some(_)) => Ok(None),
        (None, None) => Err(HookError::Malformed("neither msgtype nor MsgType".into())),
    }
}

fn map_app(message: AppMessage) -> Result<(ChatMessage, String), HookError> {
    let message_id = id_string(&message.msg_id).ok_or(HookError::Malformed("missing MsgId".into()))?;
    let at = id_string(&message.create_time)
        .and_then(|seconds| parse_unix_seconds(&seconds))
        .ok_or(HookError::Malformed("CreateTime is not Unix seconds".into()))?;
    let chat_id = message
        .chat_id
        .filter(|chat| !chat.is_empty())
        .unwrap_or_else(|| message.from_user_name.clone());
    let chat = ChatMessage {
        platform: PLATFORM.to_string(),
        message_id: message_id.clone(),
        chat_id,
        sender_id: message.from_user_name,
        sender_name: None,
        text: message.content.unwrap_or_default(),
        at,
        reply_to: None,
        mentions: Vec::new(),
    };
    Ok((chat, message_id))
}

fn map_robot(
    message: RobotMessage,
    sent_at: DateTime<Utc>,
) -> Result<Option<(ChatMessage, String)>, HookError> {
    let text = match message.msgtype.as_str() {
        "text" => message.text.map(|text| text.content),
        "mixed" => message.mixed.map(|mixed| {
            let texts = mixed.msg_item.into_iter().filter(|item| item.msgtype == "text");
            texts
                .filter_map(|item| item.text.map(|text| text.content))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        _ => None,
    };
    // A mixed message of pictures only has nothing to read.
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let at = match message.create_time {
        Some(seconds) => {
            DateTime::from_timestamp(seconds, 0).ok_or(HookError::Malformed("create_time".into()))?
        }
        None => sent_at,
    };
    let chat = ChatMessage {
        platform: PLATFORM.to_string(),
        message_id: message.msgid.clone(),
        chat_id: message
            .chatid
            .filter(|chat| !chat.is_empty())
            .unwrap_or_else(|| message.from.userid.clone()),
        sender_id: message.from.userid,
        sender_name: None,
        text,
        at,
        reply_to: None,
        mentions: Vec::new(),
    };
    Ok(Some((chat, message.msgid)))
}

#[cfg(test)]
mod tests;
