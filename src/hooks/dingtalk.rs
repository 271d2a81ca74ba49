//! DingTalk (钉钉) enterprise robot, outgoing mode: when someone @-mentions
//! the robot, DingTalk `POST`s the message as JSON to our URL.
//!
//! Headers `timestamp` (Unix milliseconds) and `sign` = Base64(HmacSHA256(key
//! = the robot's AppSecret, message = `{timestamp}\n{AppSecret}`)); a request
//! whose timestamp is more than an hour from our clock is refused ("接收消息",
//! <https://open.dingtalk.com/document/orgapp/receive-message>). The sign
//! covers only the timestamp, not the body, so within that hour a captured
//! (timestamp, sign) pair authenticates any body: de-duplicating on `msgId`
//! is what stops a replay of the same message, and TLS what stops tampering.
//! DingTalk has no URL-verification handshake for this mode.
//!
//! Mapping (SPEC §4): `msgId` is the message id, `conversationId` the chat,
//! `senderStaffId` (the organisation's userid) or else `senderId` the sender,
//! `senderNick` the name, `text.content` the text (trimmed: DingTalk leaves
//! the space where the robot's @ was), `createAt` (ms) the time, and
//! `atUsers[].staffId` (or `dingtalkId`) the mentions, less the robot itself.
//! The payload names no replied-to message, so `reply_to` is always `None`.
//! Message types other than `text` are ignored.

use super::crypto::hmac_sha256;
use super::{check_window, id_string, json_error, parse_unix_millis, ChatMessage, HookError, HookOutcome};
use super::{HookRequest, Secret};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::TimeDelta;
use hmac::Mac;
use serde::Deserialize;

/// The platform name in routes, issue keys and identities.
pub const PLATFORM: &str = "dingtalk";

/// How far `timestamp` may be from our clock, as DingTalk documents.
pub const REPLAY_WINDOW: TimeDelta = TimeDelta::hours(1);

/// `[hooks.dingtalk]`: the robot application's AppSecret.
#[derive(Debug, Clone)]
pub struct DingtalkSecrets {
    /// The AppSecret, used as the HMAC key and inside the signed string.
    pub app_secret: Secret,
}

impl DingtalkSecrets {
    /// Reads the secret from the variable `app_secret_env` names.
    pub fn from_env(app_secret_env: &str) -> Option<Self> {
        Some(DingtalkSecrets {
            app_secret: Secret::from_env(app_secret_env)?,
        })
    }
}

/// Verifies `timestamp` and `sign`, then maps a text message.
pub fn handle(request: &HookRequest, secrets: &DingtalkSecrets) -> Result<HookOutcome, HookError> {
    request.require_post()?;
    verify(request, secrets)?;
    robot_message(request.body)
}

/// Maps a robot message as the outgoing robot posts it and as Stream mode
/// carries it in a `CALLBACK` frame's `data` (the same JSON; the Stream
/// connection itself is authenticated, so nothing is verified here).
pub fn robot_message(body: &[u8]) -> Result<HookOutcome, HookError> {
    let callback: Callback = serde_json::from_slice(body).map_err(json_error)?;
    if callback.msgtype != "text" {
        return Ok(HookOutcome::Ignore);
    }
    let delivery_id = callback.msg_id.clone();
    let message = map_message(callback)?;
    Ok(HookOutcome::Message {
        message,
        delivery_id,
        retry: false,
    })
}

fn map_message(callback: Callback) -> Result<ChatMessage, HookError> {
    let at = id_string(&callback.create_at)
        .and_then(|millis| parse_unix_millis(&millis))
        .ok_or_else(|| HookError::Malformed("createAt is not Unix milliseconds".into()))?;
    let sender_id = first_non_empty([callback.sender_staff_id, callback.sender_id])
        .ok_or_else(|| HookError::Malformed("missing senderStaffId and senderId".into()))?;
    let robot = callback.chatbot_user_id.unwrap_or_default();
    let mut mentions: Vec<String> = Vec::new();
    for user in callback.at_users.unwrap_or_default() {
        // DingTalk lists the robot among the @-mentioned users of every
        // message it receives; it is not someone the sender addressed.
        let is_robot = !robot.is_empty() && user.dingtalk_id.as_deref() == Some(robot.as_str());
        let id = first_non_empty([user.staff_id, user.dingtalk_id]);
        if let Some(id) = id.filter(|id| !is_robot && !mentions.contains(id)) {
            mentions.push(id);
        }
    }
    Ok(ChatMessage {
        platform: PLATFORM.to_string(),
        message_id: callback.msg_id,
        chat_id: callback.conversation_id,
        sender_id,
        sender_name: callback.sender_nick.filter(|name| !name.is_empty()),
        text: callback
            .text
            .map(|text| text.content.trim().to_owned())
            .unwrap_or_default(),
        at,
        reply_to: None,
        mentions,
    })
}

fn first_non_empty<const N: usize>(ids: [Option<String>; N]) -> Option<String> {
    ids.into_iter().flatten().find(|id| !id.is_empty())
}

/// Base64(HmacSHA256(key = secret, message = `{timestamp}\n{secret}`)).
pub fn sign(timestamp: &str, app_secret: &str) -> String {
    let mac = hmac_sha256(
        app_secret.as_bytes(),
        &[timestamp.as_bytes(), b"\n", app_secret.as_bytes()],
    );
    BASE64.encode(mac.finalize().into_bytes())
}

fn verify(request: &HookRequest, secrets: &DingtalkSecrets) -> Result<(), HookError> {
    let secret = secrets.app_secret.expose();
    if secret.is_empty() {
        return Err(HookError::NotConfigured);
    }
    let timestamp = request
        .header("timestamp")
        .ok_or(HookError::BadSignature("missing timestamp header"))?;
    let sent_at = parse_unix_millis(timestamp).ok_or(HookError::BadSignature(
        "timestamp header is not Unix milliseconds",
    ))?;
    let sign = request
        .header("sign")
        .ok_or(HookError::BadSignature("missing sign header"))?;
    let digest = BASE64
        .decode(sign)
        .map_err(|_| HookError::BadSignature("sign header is not Base64"))?;
    hmac_sha256(
        secret.as_bytes(),
        &[timestamp.as_bytes(), b"\n", secret.as_bytes()],
    )
    .verify_slice(&digest)
    .map_err(|_| HookError::BadSignature("sign does not match"))?;
    check_window(request.now, sent_at, REPLAY_WINDOW)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Callback {
    msgtype: String,
    msg_id: String,
    conversation_id: String,
    // A number in DingTalk's example, a String in its field table.
    #[serde(default)]
    create_at: serde_json::Value,
    sender_id: Option<String>,
    sender_staff_id: Option<String>,
    sender_nick: Option<String>,
    chatbot_user_id: Option<String>,
    text: Option<Text>,
    at_users: Option<Vec<AtUser>>,
}

#[derive(Deserialize)]
struct Text {
    content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AtUser {
    dingtalk_id: Option<String>,
    staff_id: Option<String>,
}

#[cfg(test)]
mod tests;
