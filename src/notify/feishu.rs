//! Feishu (飞书) custom bot: `POST` JSON to
//! `https://open.feishu.cn/open-apis/bot/v2/hook/…`.
//!
//! The message goes as `msg_type: interactive`, a card whose header is the
//! message title and whose `markdown` element is the body (the custom bot has
//! no plain markdown type). With signature checking on, the body carries
//! `timestamp` (Unix seconds, as a string) and `sign` = Base64(HmacSHA256(key
//! = timestamp + "\n" + secret, message = empty)). The reply is
//! `{"code":0,"msg":"success",…}` (older bots: `StatusCode: 0`).

use super::render::{self, neutralize_markup};
use super::{
    base64_encode, hmac_sha256, json_post, reply_code, snippet, truncate_bytes, Channel, Notification,
    NotificationKind, OutgoingRequest, ReplyVerdict, Templates,
};
use serde_json::{json, Value};

/// "请求体的数据大小不能超过 20 KB".
pub const BODY_LIMIT_BYTES: usize = 20 * 1024;

/// Custom bot rate limit (100/min, 5/s per bot) and the platform's limit.
const RATE_LIMITED: [i64; 2] = [11232, 99991400];
/// `Bad Request`, but also what a throttled bot gets with `too many request`.
const BAD_REQUEST: i64 = 9499;

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
    let mut content = rendered.body().to_string();
    let mentions = mentions(channel);
    if !mentions.is_empty() {
        content = format!("{content}\n{mentions}");
    }

    let mut limit = BODY_LIMIT_BYTES;
    loop {
        let mut body = json!({
            "msg_type": "interactive",
            "card": {
                "config": { "wide_screen_mode": true },
                "header": {
                    "title": { "tag": "plain_text", "content": rendered.title },
                    "template": color(notification),
                },
                "elements": [ { "tag": "markdown", "content": truncate_bytes(&content, limit) } ],
            },
        });
        if let Some(secret) = channel.secret.as_deref() {
            let timestamp = now_unix_ms.div_euclid(1000);
            body["timestamp"] = Value::String(timestamp.to_string());
            body["sign"] = Value::String(sign(timestamp, secret));
        }
        let request = json_post(channel.url.clone(), &body);
        // JSON escaping can grow the text; shrink until the whole body fits.
        if request.body.len() <= BODY_LIMIT_BYTES || limit < 64 {
            return request;
        }
        limit = limit * 3 / 4;
    }
}

/// Base64(HmacSHA256(key = "{timestamp}\n{secret}", message = empty)); the
/// timestamp is in seconds and must be within an hour of Feishu's clock.
pub fn sign(timestamp_seconds: i64, secret: &str) -> String {
    let key = format!("{timestamp_seconds}\n{secret}");
    base64_encode(&hmac_sha256(key.as_bytes(), b""))
}

/// Card markdown mentions by open id; Feishu cannot mention by mobile.
fn mentions(channel: &Channel) -> String {
    let mut tags: Vec<String> = channel
        .mention_user_ids
        .iter()
        .map(|id| format!("<at id={}></at>", neutralize_markup(id)))
        .collect();
    if channel.mention_all {
        tags.push("<at id=all></at>".to_string());
    }
    tags.join(" ")
}

fn color(notification: &Notification) -> &'static str {
    match notification.kind {
        NotificationKind::Warning => "orange",
        NotificationKind::Breach => "red",
        NotificationKind::Escalation => "carmine",
        NotificationKind::Retraction => "green",
        NotificationKind::DailyDigest => "blue",
        NotificationKind::Confirmation => "turquoise",
    }
}

pub(super) fn judge(body: &[u8]) -> ReplyVerdict {
    let reply = reply_code(body, "code", "msg").or_else(|| reply_code(body, "StatusCode", "StatusMessage"));
    match reply {
        Some((0, _)) => ReplyVerdict::Delivered,
        Some((code, message)) if RATE_LIMITED.contains(&code) => {
            ReplyVerdict::Retry(format!("code {code}: {message}"))
        }
        Some((BAD_REQUEST, message)) if message.to_ascii_lowercase().contains("too many") => {
            ReplyVerdict::Retry(format!("code {BAD_REQUEST}: {message}"))
        }
        // 19021 sign mismatch or stale timestamp, 19022 IP not allowed,
        // 19024 keyword missing, 9499 bad request: a configuration problem.
        Some((code, message)) => ReplyVerdict::Failed(format!("code {code}: {message}")),
        None => ReplyVerdict::Retry(format!("unexpected reply: {}", snippet(body))),
    }
}

#[cfg(test)]
mod tests;
