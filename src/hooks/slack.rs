//! Slack Events API: `event_callback` envelopes carrying `message` events,
//! and the `url_verification` handshake.
//!
//! Every request is signed: `X-Slack-Signature: v0=` + hex(HMAC-SHA256(key =
//! signing secret, message = `v0:{X-Slack-Request-Timestamp}:{raw body}`)),
//! and a timestamp more than five minutes from our clock is refused
//! ("Verifying requests from Slack",
//! <https://api.slack.com/authentication/verifying-requests-from-slack>).
//! The handshake is signed too, so it is verified like everything else.
//!
//! Slack retries a delivery it got no 2xx for within three seconds and
//! marks the retry with `X-Slack-Retry-Num`; the retry keeps its `event_id`.
//!
//! Mapping (SPEC §4): `event.ts` is the message id, `event.channel` the chat,
//! `event.user` the sender, `event.thread_ts` the message replied to — except
//! on a thread's root, whose `thread_ts` equals its own `ts`. `<@U…>` in the
//! text are the mentions. Only messages people typed count: events with a
//! `bot_id`, and subtypes other than `thread_broadcast` and `file_share`
//! (`bot_message`, `message_changed`, `message_deleted`, `channel_join`, …)
//! are ignored, as is `app_mention`, which repeats a `message` event.

use super::crypto::{hex_decode, hex_encode, hmac_sha256};
use super::{check_window, json_error, parse_unix_seconds, Challenge, ChatMessage, HookError, HookOutcome};
use super::{HookRequest, Secret};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::Mac;
use serde::Deserialize;
use std::time::Duration;

/// The platform name in routes, issue keys and identities.
pub const PLATFORM: &str = "slack";

/// How far the signed timestamp may be from our clock.
pub const REPLAY_WINDOW: TimeDelta = TimeDelta::minutes(5);

/// Slack retries a delivery that has no 2xx answer after this long.
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(3);

/// Message subtypes that are still a person's message.
const USER_SUBTYPES: [&str; 2] = ["thread_broadcast", "file_share"];

/// `[hooks.slack]`: the app's signing secret (Basic Information → App
/// Credentials).
#[derive(Debug, Clone)]
pub struct SlackSecrets {
    /// The signing secret, used as the HMAC key as written (not decoded).
    pub signing_secret: Secret,
}

impl SlackSecrets {
    /// Reads the secret from the variable `signing_secret_env` names.
    pub fn from_env(signing_secret_env: &str) -> Option<Self> {
        Some(SlackSecrets {
            signing_secret: Secret::from_env(signing_secret_env)?,
        })
    }
}

/// Verifies, then answers the handshake or maps a message event.
pub fn handle(request: &HookRequest, secrets: &SlackSecrets) -> Result<HookOutcome, HookError> {
    request.require_post()?;
    verify(request, secrets)?;
    let retry = request.header("x-slack-retry-num").is_some();
    let envelope: Envelope = serde_json::from_slice(request.body).map_err(json_error)?;
    match envelope.kind.as_str() {
        "url_verification" => {
            let challenge = envelope.challenge.ok_or_else(|| missing("challenge"))?;
            Ok(HookOutcome::Challenge(Challenge::json(&challenge)))
        }
        "event_callback" => event_callback(envelope, retry),
        _ => Ok(HookOutcome::Ignore),
    }
}

/// Maps the Events API payload a Socket Mode `events_api` envelope carries
/// (the same JSON as the HTTP delivery; the connection is authenticated by
/// the app-level token, so nothing is verified here).
pub fn events_api(payload: &serde_json::Value, retry: bool) -> Result<HookOutcome, HookError> {
    let envelope = Envelope::deserialize(payload).map_err(json_error)?;
    match envelope.kind.as_str() {
        "event_callback" => event_callback(envelope, retry),
        _ => Ok(HookOutcome::Ignore),
    }
}

fn event_callback(envelope: Envelope, retry: bool) -> Result<HookOutcome, HookError> {
    let event = envelope.event.ok_or_else(|| missing("event"))?;
    let Some(message) = map_message(event)? else {
        return Ok(HookOutcome::Ignore);
    };
    let delivery_id = envelope.event_id.ok_or_else(|| missing("event_id"))?;
    Ok(HookOutcome::Message {
        message,
        delivery_id,
        retry,
    })
}

/// `v0=` + hex(HMAC-SHA256(secret, `v0:{timestamp}:{body}`)).
pub fn signature(signing_secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mac = hmac_sha256(
        signing_secret.as_bytes(),
        &[b"v0:", timestamp.as_bytes(), b":", body],
    );
    format!("v0={}", hex_encode(&mac.finalize().into_bytes()))
}

fn verify(request: &HookRequest, secrets: &SlackSecrets) -> Result<(), HookError> {
    let secret = secrets.signing_secret.expose();
    if secret.is_empty() {
        return Err(HookError::NotConfigured);
    }
    let timestamp = request
        .header("x-slack-request-timestamp")
        .ok_or(HookError::BadSignature("missing X-Slack-Request-Timestamp"))?;
    let sent_at = parse_unix_seconds(timestamp).ok_or(HookError::BadSignature(
        "X-Slack-Request-Timestamp is not Unix seconds",
    ))?;
    let signature = request
        .header("x-slack-signature")
        .ok_or(HookError::BadSignature("missing X-Slack-Signature"))?;
    let digest = signature
        .strip_prefix("v0=")
        .and_then(hex_decode)
        .ok_or(HookError::BadSignature("X-Slack-Signature is not v0=<hex>"))?;
    hmac_sha256(
        secret.as_bytes(),
        &[b"v0:", timestamp.as_bytes(), b":", request.body],
    )
    .verify_slice(&digest)
    .map_err(|_| HookError::BadSignature("X-Slack-Signature does not match"))?;
    // Checked after the signature so that an attacker cannot tell a stale
    // guess from a wrong one; a genuine old request is a replay.
    check_window(request.now, sent_at, REPLAY_WINDOW)
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    event_id: Option<String>,
    event: Option<Event>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    subtype: Option<String>,
    bot_id: Option<String>,
    user: Option<String>,
    text: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    channel: Option<String>,
}

fn map_message(event: Event) -> Result<Option<ChatMessage>, HookError> {
    let typed_by_a_person = match event.subtype.as_deref() {
        None => true,
        Some(subtype) => USER_SUBTYPES.contains(&subtype),
    };
    if event.kind != "message" || !typed_by_a_person || event.bot_id.is_some() {
        return Ok(None);
    }
    let ts = event.ts.ok_or_else(|| missing("event.ts"))?;
    let at = parse_ts(&ts).ok_or_else(|| HookError::Malformed("event.ts is not a Slack timestamp".into()))?;
    let text = event.text.unwrap_or_default();
    Ok(Some(ChatMessage {
        platform: PLATFORM.to_string(),
        chat_id: event.channel.ok_or_else(|| missing("event.channel"))?,
        sender_id: event.user.ok_or_else(|| missing("event.user"))?,
        sender_name: None,
        mentions: mentions(&text),
        text,
        at,
        // A thread's root carries `thread_ts == ts`: it starts the thread
        // rather than replying to anything.
        reply_to: event.thread_ts.filter(|thread| *thread != ts),
        message_id: ts,
    }))
}

/// `"1355517523.000005"`: Unix seconds and microseconds.
fn parse_ts(ts: &str) -> Option<DateTime<Utc>> {
    let (seconds, fraction) = ts.split_once('.').unwrap_or((ts, ""));
    if fraction.len() > 6 || !fraction.bytes().all(|digit| digit.is_ascii_digit()) {
        return None;
    }
    let micros: u32 = format!("{fraction:0<6}").parse().ok()?;
    DateTime::from_timestamp(seconds.parse().ok()?, micros * 1000)
}

/// User ids of `<@U024BE7LH>` and `<@U024BE7LH|name>` in the text, in order,
/// without repeats.
fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for piece in text.split("<@").skip(1) {
        let Some(end) = piece.find('>') else { continue };
        let id = piece[..end].split('|').next().unwrap_or_default();
        if !id.is_empty()
            && id.bytes().all(|byte| byte.is_ascii_alphanumeric())
            && !found.iter().any(|seen| seen == id)
        {
            found.push(id.to_owned());
        }
    }
    found
}

fn missing(field: &str) -> HookError {
    HookError::Malformed(format!("missing {field}"))
}

#[cfg(test)]
mod tests;
