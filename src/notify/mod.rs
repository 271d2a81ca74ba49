//! Breach alerts to chat groups: the pure part.
//!
//! Given one notification and one channel, [`build_requests`] produces the
//! exact HTTP request(s) the platform documents, and [`judge_reply`] reads the
//! platform's answer. Nothing here does I/O or reads the clock: the
//! dispatcher passes `now_unix_ms` in, sends what comes out, and feeds the
//! reply back. One module per channel kind; messages are rendered from the
//! template files in `config/templates/` (see [`templates`] and [`render`]).

pub mod alertmanager;
pub mod confirm;
pub mod digest;
pub mod dingtalk;
pub mod feishu;
pub mod quiet;
pub mod render;
pub mod slack;
pub mod templates;
pub mod webhook;
pub mod wecom;

#[cfg(test)]
mod test_support;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

pub use crate::domain::notification::{Notification, NotificationKind};
pub use templates::{TemplateProblem, Templates};

/// The platform a channel speaks to (`[channels.NAME] kind = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// Generic JSON, signed per the Standard Webhooks specification.
    Webhook,
    /// WeCom (企业微信) group robot.
    Wecom,
    /// Feishu (飞书) custom bot.
    Feishu,
    /// DingTalk (钉钉) custom robot.
    Dingtalk,
    /// Slack incoming webhook.
    Slack,
    /// Prometheus Alertmanager, API v2.
    Alertmanager,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 6] = [
        ChannelKind::Webhook,
        ChannelKind::Wecom,
        ChannelKind::Feishu,
        ChannelKind::Dingtalk,
        ChannelKind::Slack,
        ChannelKind::Alertmanager,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Slack => "slack",
            ChannelKind::Alertmanager => "alertmanager",
        }
    }

    /// Parses the config string; the error names the accepted values.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text).ok_or_else(|| {
            format!("unknown channel kind `{text}`: use webhook, wecom, feishu, dingtalk, slack or alertmanager")
        })
    }
}

/// The language messages are written in; Chinese unless a channel says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    Zh,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Zh, Language::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }

    /// Parses the config string (`zh` or `en`).
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|language| language.as_str() == text)
            .ok_or_else(|| format!("unknown language `{text}`: use zh or en"))
    }
}

/// One configured destination (`[channels.NAME]`), secrets already read from
/// the environment.
#[derive(Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// The platform's webhook URL; for Alertmanager, its base URL.
    pub url: String,
    /// `whsec_…` for webhooks; the signing secret for Feishu and DingTalk.
    pub secret: Option<String>,
    pub language: Language,
    /// WeCom and DingTalk: mobiles to @mention.
    pub mention_mobiles: Vec<String>,
    /// WeCom user ids, DingTalk user ids, Feishu open ids, Slack member ids.
    pub mention_user_ids: Vec<String>,
    /// @everyone in the group.
    pub mention_all: bool,
}

impl fmt::Debug for Channel {
    // URLs of chat robots carry their access token and secrets are secrets:
    // neither may end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &redact_url(&self.url))
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("language", &self.language)
            .field("mention_mobiles", &self.mention_mobiles.len())
            .field("mention_user_ids", &self.mention_user_ids.len())
            .field("mention_all", &self.mention_all)
            .finish()
    }
}

/// An HTTP request ready to send. Header names are lowercase.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutgoingRequest {
    /// The value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

impl fmt::Debug for OutgoingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingRequest")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What a platform's reply means for the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyVerdict {
    Delivered,
    /// Transient: 408, 429, 5xx, a platform's rate-limit or busy code.
    Retry(String),
    /// Permanent: other 3xx/4xx, bad signature, unknown robot, bad request.
    Failed(String),
}

/// Builds the request(s) that deliver `notification` to `channel`. Usually
/// one; WeCom adds a text message carrying the @mentions (its markdown cannot
/// mention). An empty list means the channel has nothing to say about this
/// kind (Alertmanager and daily digests): the delivery is done.
///
/// Signatures use `now_unix_ms`, so every attempt is built afresh.
pub fn build_requests(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> Result<Vec<OutgoingRequest>, String> {
    if channel.url.trim().is_empty() {
        return Err(format!("channel `{}` has no url", channel.name));
    }
    match channel.kind {
        ChannelKind::Webhook => {
            webhook::build(channel, notification, now_unix_ms, templates).map(|r| vec![r])
        }
        ChannelKind::Wecom => Ok(wecom::build(channel, notification, now_unix_ms, templates)),
        ChannelKind::Feishu => Ok(vec![feishu::build(channel, notification, now_unix_ms, templates)]),
        ChannelKind::Dingtalk => Ok(vec![dingtalk::build(
            channel,
            notification,
            now_unix_ms,
            templates,
        )]),
        ChannelKind::Slack => Ok(vec![slack::build(channel, notification, now_unix_ms, templates)]),
        ChannelKind::Alertmanager => Ok(alertmanager::build(channel, notification, now_unix_ms, templates)),
    }
}

/// Reads a platform's reply. A 200 is not enough where the platform reports
/// errors in the body: WeCom and DingTalk `errcode`, Feishu `code`, Slack's
/// `ok` text.
pub fn judge_reply(kind: ChannelKind, status: u16, body: &[u8]) -> ReplyVerdict {
    if let Some(verdict) = judge_status(status, body) {
        return verdict;
    }
    match kind {
        ChannelKind::Webhook | ChannelKind::Alertmanager => ReplyVerdict::Delivered,
        ChannelKind::Wecom => wecom::judge(body),
        ChannelKind::Feishu => feishu::judge(body),
        ChannelKind::Dingtalk => dingtalk::judge(body),
        ChannelKind::Slack => slack::judge(body),
    }
}

/// The HTTP status alone decides everything but a 2xx.
fn judge_status(status: u16, body: &[u8]) -> Option<ReplyVerdict> {
    let reason = || format!("HTTP {status}: {}", snippet(body));
    match status {
        200..=299 => None,
        // Timeouts, "too early" and rate limits pass; so do server errors.
        408 | 425 | 429 | 500..=599 => Some(ReplyVerdict::Retry(reason())),
        // A redirect means the URL should be updated, not followed (Standard Webhooks).
        300..=499 => Some(ReplyVerdict::Failed(reason())),
        _ => Some(ReplyVerdict::Retry(reason())),
    }
}

/// The start of a reply body, on one line, for a delivery's `last_error`.
fn snippet(body: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Reads `{"<code_field>": n, "<msg_field>": "…"}` from a JSON reply.
fn reply_code(body: &[u8], code_field: &str, message_field: &str) -> Option<(i64, String)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = value.get(code_field)?.as_i64()?;
    let message = value
        .get(message_field)
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_string();
    Some((code, message))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// A JSON POST. Chinese platforms insist on an explicit UTF-8 charset.
fn json_post(url: String, body: &serde_json::Value) -> OutgoingRequest {
    OutgoingRequest {
        method: "POST",
        url,
        headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
        body: serde_json::to_vec(body).expect("a JSON value always serializes"),
    }
}

/// Cuts `text` to at most `max_bytes` bytes of UTF-8, never inside a
/// character, marking the cut with `…`.
pub fn truncate_bytes(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    const MARK: &str = "…";
    let (budget, mark) = if max_bytes >= MARK.len() {
        (max_bytes - MARK.len(), MARK)
    } else {
        (max_bytes, "")
    };
    let mut cut = budget;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{mark}", &text[..cut])
}

/// Cuts `text` to at most `max_chars` characters, marking the cut with `…`.
fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((cut, _)) if text[cut..].chars().count() > 1 => format!("{}…", &text[..cut]),
        _ => text.to_string(),
    }
}

/// Keeps the scheme and host of a URL: robot URLs carry access tokens in
/// their path or query.
fn redact_url(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find(['/', '?']) {
        Some(end) => format!("{}/…", &url[..after_scheme + end]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
