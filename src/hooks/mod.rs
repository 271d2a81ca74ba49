//! Platform hooks: `POST /v1/hooks/{platform}` (and `GET` where the platform
//! verifies its URL that way), SPEC §3 and §4.
//!
//! Each platform module exposes a secrets struct and one pure function,
//! `handle(&HookRequest, &Secrets) -> Result<HookOutcome, HookError>`: it
//! verifies the platform's signature from the raw bytes before it trusts
//! anything in them, answers the URL-verification handshake, and maps a chat
//! message to [`ChatMessage`]. No I/O and no clock of its own (`now` comes in
//! with the request), so each rule is tested against the platforms' own
//! documented examples.
//!
//! What the caller (the axum route) still owns:
//! - **Deduplication.** Platforms retry a delivery they think failed. Every
//!   [`HookOutcome::Message`] carries a `delivery_id` that stays the same
//!   across the platform's retries (Slack `event_id`, Telegram `update_id`,
//!   Feishu `header.event_id`, DingTalk `msgId`, WeCom `MsgId` / `msgid`):
//!   use it to answer a retry with 200 without processing it again. The
//!   store's unique key for messages must be `(platform, chat_id,
//!   message_id)`, not `(platform, message_id)`: Telegram message ids and
//!   Slack `ts` values are only unique within one chat.
//! - **The deadline.** Answer within the platform's time limit (constants
//!   `RESPONSE_DEADLINE` in the modules that document one) and do slow work
//!   after the durable write.
//! - **Errors.** [`HookError::status`] and [`HookError::body`] give the SPEC
//!   error answer; nothing is stored on an error.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

mod crypto;
pub mod dingtalk;
pub mod feishu;
pub mod slack;
pub mod telegram;
pub mod wecom;
mod wecom_crypt;

#[cfg(test)]
mod test_support;

/// One chat message in the generic shape of SPEC §4, as a platform hook
/// received it (`platform` is the hook's name).
pub use crate::domain::classify::Message as ChatMessage;

/// The body to answer a URL-verification handshake with (status 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `application/json` or `text/plain; charset=utf-8`.
    pub content_type: &'static str,
    /// The exact bytes the platform expects back.
    pub body: String,
}

impl Challenge {
    fn json(challenge: &str) -> Self {
        Challenge {
            content_type: "application/json",
            body: json!({ "challenge": challenge }).to_string(),
        }
    }
}

/// The body of the `200` that takes a delivery: a message stored, a retry of
/// one, or a request that is ignored. Feishu and WeCom count any status but
/// 200 as a failed push and send it again; every platform gets 200 for one
/// rule, with the body its documentation expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// `None` for an empty body.
    pub content_type: Option<&'static str>,
    /// The exact bytes to answer with.
    pub body: String,
}

/// The answer to a delivery on `platform`'s hook. The one place that builds
/// it: a reply message for the group goes here (DingTalk's outgoing robot
/// takes a `msgtype` message, Telegram a `sendMessage` method call, WeCom an
/// encrypted passive reply); without one each platform gets what it
/// documents for "received": Feishu a JSON object, the others an empty body
/// (WeCom's documented answer; Slack, Telegram and DingTalk ignore it).
pub fn delivery_answer(platform: &str) -> Answer {
    match platform {
        feishu::PLATFORM => Answer {
            content_type: Some("application/json"),
            body: "{}".into(),
        },
        _ => Answer {
            content_type: None,
            body: String::new(),
        },
    }
}

/// Whether `platform`'s hook answer can say a reply in the group (see
/// [`delivery_answer_with`]); elsewhere a project's group robot says it.
pub fn answer_can_reply(platform: &str) -> bool {
    matches!(platform, dingtalk::PLATFORM | telegram::PLATFORM)
}

/// [`delivery_answer`] carrying `reply` into the group where the platform
/// lets the answer do it: DingTalk's outgoing robot takes a `text` message,
/// Telegram a `sendMessage` call to the chat. Elsewhere the reply is left
/// to the bot (the `/v1/messages` answer carries it).
pub fn delivery_answer_with(platform: &str, chat_id: &str, reply: Option<&str>) -> Answer {
    let Some(reply) = reply else {
        return delivery_answer(platform);
    };
    let body = match platform {
        dingtalk::PLATFORM => serde_json::json!({ "msgtype": "text", "text": { "content": reply } }),
        telegram::PLATFORM => {
            let chat: serde_json::Value = chat_id
                .parse::<i64>()
                .map_or_else(|_| chat_id.into(), serde_json::Value::from);
            serde_json::json!({ "method": "sendMessage", "chat_id": chat, "text": reply })
        }
        _ => return delivery_answer(platform),
    };
    Answer {
        content_type: Some("application/json"),
        body: body.to_string(),
    }
}

/// What a verified request amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// A URL-verification handshake: answer 200 with this body, store nothing.
    Challenge(Challenge),
    /// A chat message to store and classify.
    Message {
        /// The message in the generic shape.
        message: ChatMessage,
        /// Stays the same when the platform retries this delivery; see the
        /// module docs for which id each platform uses.
        delivery_id: String,
        /// The platform marked this request as a retry (Slack's
        /// `X-Slack-Retry-Num`). The caller answers 200 and skips the work
        /// when `delivery_id` was seen; a retry whose first try never
        /// arrived is still processed.
        retry: bool,
    },
    /// A genuine request that is not a chat message we track (a bot's own
    /// post, an edit, a join, a reaction, a non-text message): answer 200.
    Ignore,
}

/// Why a hook request was refused. Nothing is stored on any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// The signature, token or secret is missing or does not match.
    #[error("bad or missing signature: {0}")]
    BadSignature(&'static str),
    /// The signed timestamp is outside the platform's replay window.
    #[error("the request timestamp is outside the accepted window")]
    Stale,
    /// The request is genuine (or cannot be judged yet) but its payload is
    /// not what the platform documents.
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// No secret is configured for this platform, or no such platform.
    #[error("this platform hook is not configured")]
    NotConfigured,
    /// The platform never sends this method to a hook.
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl HookError {
    /// The HTTP status SPEC §3 gives this error.
    pub fn status(&self) -> u16 {
        match self {
            HookError::BadSignature(_) | HookError::Stale => 401,
            HookError::Malformed(_) => 400,
            HookError::NotConfigured => 404,
            HookError::MethodNotAllowed => 405,
        }
    }

    /// The `error.code` of the SPEC error body.
    pub fn code(&self) -> &'static str {
        match self {
            HookError::BadSignature(_) => "bad_signature",
            HookError::Stale => "stale_request",
            HookError::Malformed(_) => "malformed_payload",
            HookError::NotConfigured => "hook_not_configured",
            HookError::MethodNotAllowed => "method_not_allowed",
        }
    }
}

pub use crate::secret::Secret;

/// The parts of an HTTP request a hook needs, borrowed from the handler.
#[derive(Clone)]
pub struct HookRequest<'a> {
    /// `GET` or `POST`.
    pub method: http::Method,
    /// Query parameters, already percent-decoded (WeCom's `echostr` must be).
    pub query: &'a [(String, String)],
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The raw body, exactly as received: signatures cover these bytes.
    pub body: &'a [u8],
    /// The time of receipt, for replay windows and missing message times.
    pub now: DateTime<Utc>,
}

/// Shows the shape of the request, never its body: bodies hold people's
/// messages and must not reach the logs.
impl std::fmt::Debug for HookRequest<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HookRequest")
            .field("method", &self.method)
            .field(
                "query_keys",
                &self.query.iter().map(|(key, _)| key).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl HookRequest<'_> {
    /// A header's value, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The first query parameter with this name.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn require_post(&self) -> Result<(), HookError> {
        if self.method == http::Method::POST {
            Ok(())
        } else {
            Err(HookError::MethodNotAllowed)
        }
    }
}

/// The configured hooks; a platform whose secrets are absent answers
/// [`HookError::NotConfigured`].
#[derive(Debug, Clone, Default)]
pub struct HookSecrets {
    /// `[hooks.feishu]`.
    pub feishu: Option<feishu::FeishuSecrets>,
    /// `[hooks.dingtalk]`.
    pub dingtalk: Option<dingtalk::DingtalkSecrets>,
    /// `[hooks.wecom]`.
    pub wecom: Option<wecom::WecomSecrets>,
    /// `[hooks.slack]`.
    pub slack: Option<slack::SlackSecrets>,
    /// `[hooks.telegram]`.
    pub telegram: Option<telegram::TelegramSecrets>,
}

/// Routes `/v1/hooks/{platform}` to its handler.
pub fn dispatch(
    platform: &str,
    request: &HookRequest,
    secrets: &HookSecrets,
) -> Result<HookOutcome, HookError> {
    fn with<S>(
        secrets: &Option<S>,
        handle: impl FnOnce(&S) -> Result<HookOutcome, HookError>,
    ) -> Result<HookOutcome, HookError> {
        secrets.as_ref().map_or(Err(HookError::NotConfigured), handle)
    }
    match platform {
        feishu::PLATFORM => with(&secrets.feishu, |s| feishu::handle(request, s)),
        dingtalk::PLATFORM => with(&secrets.dingtalk, |s| dingtalk::handle(request, s)),
        wecom::PLATFORM => with(&secrets.wecom, |s| wecom::handle(request, s)),
        slack::PLATFORM => with(&secrets.slack, |s| slack::handle(request, s)),
        telegram::PLATFORM => with(&secrets.telegram, |s| telegram::handle(request, s)),
        _ => Err(HookError::NotConfigured),
    }
}

/// A serde error as a [`HookError::Malformed`] that names the place, never
/// the content: serde's own messages can quote the payload, and payloads
/// hold people's messages.
fn json_error(error: serde_json::Error) -> HookError {
    let kind = match error.classify() {
        serde_json::error::Category::Data => "unexpected JSON shape",
        _ => "invalid JSON",
    };
    HookError::Malformed(format!(
        "{kind} at line {}, column {}",
        error.line(),
        error.column()
    ))
}

/// Rejects a signed timestamp more than `window` away from `now`, in either
/// direction: a clock ahead of ours is as suspicious as an old request.
fn check_window(now: DateTime<Utc>, sent_at: DateTime<Utc>, window: TimeDelta) -> Result<(), HookError> {
    if (now - sent_at).abs() > window {
        Err(HookError::Stale)
    } else {
        Ok(())
    }
}

/// Unix seconds as sent in headers and query strings.
fn parse_unix_seconds(text: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(text.trim().parse().ok()?, 0)
}

/// Unix milliseconds as sent in headers and payloads.
fn parse_unix_millis(text: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(text.trim().parse().ok()?)
}

/// A JSON id that some platforms send as a number and others as a string.
fn id_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
