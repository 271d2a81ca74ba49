//! DingTalk (钉钉) custom robot: `POST` JSON to
//! `https://oapi.dingtalk.com/robot/send?access_token=…`.
//!
//! The message goes as `msgtype: markdown` with `title` (shown in the
//! notification preview) and `text`, and `at: {atMobiles, atUserIds,
//! isAtAll}`; DingTalk only alerts a mentioned member whose `@mobile` or
//! `@userId` also appears in the text, so they are appended. With signing
//! ("加签") on, the URL gets `&timestamp=<ms>&sign=<urlencoded Base64(
//! HmacSHA256(key = secret, message = timestamp + "\n" + secret))>`. The
//! reply is `{"errcode":0,"errmsg":"ok"}`.

use super::render::{self, neutralize_markup};
use super::{
    base64_encode, hmac_sha256, json_post, reply_code, snippet, truncate_chars, Channel, Notification,
    OutgoingRequest, ReplyVerdict, Templates,
};
use serde_json::json;

/// The length DingTalk documents for a markdown field (error 34016).
pub const MARKDOWN_LIMIT_CHARS: usize = 5000;

/// `send too fast, exceed 20 times per minute`: throttled for 10 minutes.
const SEND_TOO_FAST: i64 = 130101;
/// Flow control ("发送速度太快而限流").
const THROTTLED: i64 = 410100;
/// System busy.
const BUSY: i64 = -1;

pub(super) fn build(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> OutgoingRequest {
    let rendered = render::render(
        templates,
        channel.language,
        notification,
        now_unix_ms,
        neutralize_markup,
    );
    let mut text = truncate_chars(&rendered.text, MARKDOWN_LIMIT_CHARS);
    let mentioned: Vec<String> = channel
        .mention_mobiles
        .iter()
        .chain(&channel.mention_user_ids)
        .map(|who| format!("@{who}"))
        .collect();
    if !mentioned.is_empty() {
        text = format!("{text}\n\n{}", mentioned.join(" "));
    }
    let body = json!({
        "msgtype": "markdown",
        "markdown": { "title": rendered.title, "text": text },
        "at": {
            "atMobiles": channel.mention_mobiles,
            "atUserIds": channel.mention_user_ids,
            "isAtAll": channel.mention_all,
        },
    });
    let url = match channel.secret.as_deref() {
        Some(secret) => signed_url(&channel.url, now_unix_ms, secret),
        None => channel.url.clone(),
    };
    json_post(url, &body)
}

/// Base64(HmacSHA256(key = secret, message = "{timestamp}\n{secret}")),
/// before URL encoding; the timestamp is in milliseconds and must be within
/// an hour of DingTalk's clock.
pub fn sign(timestamp_ms: i64, secret: &str) -> String {
    let message = format!("{timestamp_ms}\n{secret}");
    base64_encode(&hmac_sha256(secret.as_bytes(), message.as_bytes()))
}

/// The robot URL with `timestamp` and `sign` appended to its query.
pub fn signed_url(url: &str, timestamp_ms: i64, secret: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    let sign = url_encode(&sign(timestamp_ms, secret));
    format!("{url}{separator}timestamp={timestamp_ms}&sign={sign}")
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so the
/// `+`, `/` and `=` of Base64 survive the query string.
pub fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub(super) fn judge(body: &[u8]) -> ReplyVerdict {
    match reply_code(body, "errcode", "errmsg") {
        Some((0, _)) => ReplyVerdict::Delivered,
        Some((code @ (SEND_TOO_FAST | THROTTLED | BUSY), message)) => {
            ReplyVerdict::Retry(format!("errcode {code}: {message}"))
        }
        // 310000 sign not match / keywords not in content / invalid
        // timestamp, 300001 unknown token, 4301xx unsafe content: a fresh
        // attempt would be refused the same way.
        Some((code, message)) => ReplyVerdict::Failed(format!("errcode {code}: {message}")),
        None => ReplyVerdict::Retry(format!("unexpected reply: {}", snippet(body))),
    }
}

#[cfg(test)]
mod tests;
