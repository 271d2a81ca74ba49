//! Feishu / Lark (飞书) event subscription, schema 2.0, event
//! `im.message.receive_v1`, and the `url_verification` handshake.
//!
//! Two ways to authenticate, as the app is configured ("接收事件",
//! <https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/encrypt-key-encryption-configuration-case>):
//! - **Encrypt Key** (recommended). The body is `{"encrypt": Base64(iv ‖
//!   AES-256-CBC(key = SHA-256(encrypt key), iv, PKCS#7(json)))}` and
//!   `X-Lark-Signature` = hex(SHA-256(`X-Lark-Request-Timestamp` ‖
//!   `X-Lark-Request-Nonce` ‖ encrypt key ‖ raw body)). The signature is
//!   checked before anything is decrypted. Feishu does not sign the URL
//!   check; an unsigned request is accepted only when it decrypts with our
//!   key to a `url_verification` carrying our verification token, and every
//!   way it can fail answers the same 401 so that the answers cannot be used
//!   as a padding oracle. A plaintext body is refused once a key is set.
//! - **Verification Token** only. The body is plaintext JSON and carries the
//!   token (`header.token`, or `token` in the handshake); it has to be
//!   parsed before it can be checked, so a forged body that is not JSON is
//!   answered 400, not 401.
//!
//! The token is checked in both modes, in constant time.
//!
//! Feishu documents no replay window; signed requests are held to an hour
//! either way ([`REPLAY_WINDOW`]), and retries keep `header.event_id`, the
//! delivery id.
//!
//! Mapping (SPEC §4): `message.message_id`, `message.chat_id`,
//! `sender.sender_id.open_id`, `message.create_time` (ms), `message.parent_id`
//! as `reply_to`; `content` is itself a JSON string, `{"text": "…"}` for
//! text messages, where a mention appears as a placeholder (`@_user_1`) that
//! `message.mentions[]` resolves to a name and an `open_id`. Placeholders are
//! replaced by `@name`. Non-text messages and messages sent by apps are
//! ignored.

use super::crypto::{aes256_cbc_decrypt, constant_time_eq, hex_decode, sha256, AES_BLOCK};
use super::{check_window, json_error, parse_unix_millis, parse_unix_seconds, Challenge, ChatMessage};
use super::{HookError, HookOutcome, HookRequest, Secret};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::TimeDelta;
use serde::Deserialize;
use std::time::Duration;

/// The platform name in routes, issue keys and identities.
pub const PLATFORM: &str = "feishu";

/// How far `X-Lark-Request-Timestamp` may be from our clock (our choice:
/// Feishu documents none).
pub const REPLAY_WINDOW: TimeDelta = TimeDelta::hours(1);

/// Feishu wants the `challenge` back within one second.
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(1);

/// What every failure of an unsigned encrypted request answers.
const UNSIGNED: HookError = HookError::BadSignature("missing X-Lark-Signature");

/// `[hooks.feishu]`.
#[derive(Debug, Clone)]
pub struct FeishuSecrets {
    /// The app's Verification Token.
    pub verification_token: Secret,
    /// The app's Encrypt Key, when one is set in the developer console.
    pub encrypt_key: Option<Secret>,
}

impl FeishuSecrets {
    /// Reads the secrets from the variables the config names; `None` when
    /// the verification token is missing.
    pub fn from_env(verification_token_env: &str, encrypt_key_env: Option<&str>) -> Option<Self> {
        Some(FeishuSecrets {
            verification_token: Secret::from_env(verification_token_env)?,
            encrypt_key: encrypt_key_env.and_then(Secret::from_env),
        })
    }
}

/// Verifies (and decrypts), then answers the handshake or maps a message.
pub fn handle(request: &HookRequest, secrets: &FeishuSecrets) -> Result<HookOutcome, HookError> {
    request.require_post()?;
    if secrets.verification_token.expose().is_empty() {
        return Err(HookError::NotConfigured);
    }
    let Some(key) = secrets
        .encrypt_key
        .as_ref()
        .map(Secret::expose)
        .filter(|key| !key.is_empty())
    else {
        let envelope: Envelope = serde_json::from_slice(request.body).map_err(json_error)?;
        return answer(envelope, secrets);
    };
    let signed = verify_signature(request, key)?;
    let opened = serde_json::from_slice::<Encrypted>(request.body)
        .map_err(json_error)
        .and_then(|encrypted| decrypt(key, &encrypted.encrypt))
        .and_then(|plaintext| serde_json::from_slice::<Envelope>(&plaintext).map_err(json_error));
    match (signed, opened) {
        (true, opened) => answer(opened?, secrets),
        (false, Ok(envelope)) if envelope.kind.as_deref() == Some("url_verification") => {
            answer(envelope, secrets).map_err(|_| UNSIGNED)
        }
        (false, _) => Err(UNSIGNED),
    }
}

/// Base64(iv ‖ AES-256-CBC(SHA-256(encrypt key), iv, PKCS#7(plaintext))).
pub fn decrypt(encrypt_key: &str, encrypted: &str) -> Result<Vec<u8>, HookError> {
    let bytes = BASE64
        .decode(encrypted)
        .map_err(|_| HookError::Malformed("encrypt is not Base64".into()))?;
    let (iv, ciphertext) = bytes
        .split_first_chunk::<AES_BLOCK>()
        .ok_or_else(|| HookError::Malformed("encrypt is shorter than an IV".into()))?;
    let key = sha256(&[encrypt_key.as_bytes()]);
    aes256_cbc_decrypt(&key, iv, ciphertext, AES_BLOCK)
        .ok_or_else(|| HookError::Malformed("encrypt does not decrypt with the configured key".into()))
}

/// hex(SHA-256(timestamp ‖ nonce ‖ encrypt key ‖ body)), `X-Lark-Signature`.
pub fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    super::crypto::hex_encode(&sha256(&[
        timestamp.as_bytes(),
        nonce.as_bytes(),
        encrypt_key.as_bytes(),
        body,
    ]))
}

/// `Ok(true)` for a valid signature, `Ok(false)` when there is none at all.
fn verify_signature(request: &HookRequest, key: &str) -> Result<bool, HookError> {
    let Some(presented) = request.header("x-lark-signature") else {
        return Ok(false);
    };
    let timestamp = request
        .header("x-lark-request-timestamp")
        .ok_or(HookError::BadSignature("missing X-Lark-Request-Timestamp"))?;
    let nonce = request
        .header("x-lark-request-nonce")
        .ok_or(HookError::BadSignature("missing X-Lark-Request-Nonce"))?;
    let sent_at = parse_unix_seconds(timestamp).ok_or(HookError::BadSignature(
        "X-Lark-Request-Timestamp is not Unix seconds",
    ))?;
    let expected = sha256(&[
        timestamp.as_bytes(),
        nonce.as_bytes(),
        key.as_bytes(),
        request.body,
    ]);
    let matches = hex_decode(presented).is_some_and(|digest| constant_time_eq(&digest, &expected));
    if !matches {
        return Err(HookError::BadSignature("X-Lark-Signature does not match"));
    }
    check_window(request.now, sent_at, REPLAY_WINDOW)?;
    Ok(true)
}

/// The token check and the answer, once the envelope is in plaintext.
fn answer(envelope: Envelope, secrets: &FeishuSecrets) -> Result<HookOutcome, HookError> {
    let token = envelope
        .header
        .as_ref()
        .and_then(|header| header.token.as_deref())
        .or(envelope.token.as_deref());
    let expected = secrets.verification_token.expose().as_bytes();
    if !token.is_some_and(|token| constant_time_eq(token.as_bytes(), expected)) {
        return Err(HookError::BadSignature("verification token does not match"));
    }
    if envelope.kind.as_deref() == Some("url_verification") {
        let challenge = envelope.challenge.ok_or_else(|| missing("challenge"))?;
        return Ok(HookOutcome::Challenge(Challenge::json(&challenge)));
    }
    event_outcome(envelope)
}

/// Maps an event as the long connection delivers it: the same schema 2.0
/// JSON as event subscription, in plaintext (the connection is
/// authenticated by the App ID and App Secret, so nothing is verified here).
pub fn event(body: &[u8]) -> Result<HookOutcome, HookError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(json_error)?;
    if envelope.kind.as_deref() == Some("url_verification") {
        return Ok(HookOutcome::Ignore);
    }
    event_outcome(envelope)
}

fn event_outcome(envelope: Envelope) -> Result<HookOutcome, HookError> {
    let Some(header) = envelope.header else {
        return Ok(HookOutcome::Ignore); // a schema 1.0 event: not a message we subscribe to
    };
    if header.event_type != "im.message.receive_v1" {
        return Ok(HookOutcome::Ignore);
    }
    let event: ReceiveEvent = serde_json::from_value(envelope.event).map_err(json_error)?;
    let Some(message) = map_message(event)? else {
        return Ok(HookOutcome::Ignore);
    };
    Ok(HookOutcome::Message {
        message,
        delivery_id: header.event_id,
        retry: false,
    })
}

#[derive(Deserialize)]
struct Encrypted {
    encrypt: String,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    challenge: Option<String>,
    token: Option<String>,
    header: Option<Header>,
    #[serde(default)]
    event: serde_json::Value,
}

#[derive(Deserialize)]
struct Header {
    event_id: String,
    event_type: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct ReceiveEvent {
    sender: Sender,
    message: Message,
}

#[derive(Deserialize)]
struct Sender {
    sender_id: Option<UserIds>,
    sender_type: Option<String>,
}

#[derive(Deserialize)]
struct UserIds {
    open_id: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    message_id: String,
    parent_id: Option<String>,
    create_time: String,
    chat_id: String,
    message_type: String,
    content: String,
    #[serde(default)]
    mentions: Vec<Mention>,
}

#[derive(Deserialize)]
struct Mention {
    key: String,
    id: Option<UserIds>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct TextContent {
    text: String,
}

fn map_message(event: ReceiveEvent) -> Result<Option<ChatMessage>, HookError> {
    let message = event.message;
    if message.message_type != "text" || event.sender.sender_type.as_deref() == Some("app") {
        return Ok(None);
    }
    let sender_id = event
        .sender
        .sender_id
        .and_then(|ids| ids.open_id)
        .ok_or_else(|| missing("sender.sender_id.open_id"))?;
    let content: TextContent = serde_json::from_str(&message.content).map_err(json_error)?;
    let mut text = content.text;
    // Longest placeholder first, so that `@_user_1` cannot eat the start of
    // `@_user_10`.
    let mut named: Vec<(&str, &str)> = (message.mentions.iter())
        .filter_map(|mention| Some((mention.key.as_str(), mention.name.as_deref()?)))
        .filter(|(key, _)| !key.is_empty())
        .collect();
    named.sort_by_key(|(key, _)| std::cmp::Reverse(key.len()));
    for (key, name) in named {
        text = text.replace(key, &format!("@{name}"));
    }
    let mut mentions: Vec<String> = Vec::new();
    for open_id in message
        .mentions
        .iter()
        .filter_map(|mention| mention.id.as_ref()?.open_id.clone())
    {
        if !mentions.contains(&open_id) {
            mentions.push(open_id);
        }
    }
    Ok(Some(ChatMessage {
        platform: PLATFORM.to_string(),
        at: parse_unix_millis(&message.create_time)
            .ok_or_else(|| HookError::Malformed("message.create_time is not Unix milliseconds".into()))?,
        message_id: message.message_id,
        chat_id: message.chat_id,
        sender_id,
        sender_name: None,
        text,
        reply_to: message.parent_id.filter(|parent| !parent.is_empty()),
        mentions,
    }))
}

fn missing(field: &str) -> HookError {
    HookError::Malformed(format!("missing {field}"))
}

#[cfg(test)]
mod tests;
