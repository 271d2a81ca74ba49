//! WeCom (企业微信) group robot: `POST` JSON to the robot's webhook URL
//! (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`).
//!
//! The message goes as `msgtype: markdown`, whose `content` is at most 4096
//! bytes of UTF-8. Markdown cannot @mention by mobile or `@all`, so where the
//! channel lists mentions a second, short `msgtype: text` message carries
//! `mentioned_list` / `mentioned_mobile_list`. The reply is
//! `{"errcode":0,"errmsg":"ok"}`; any other `errcode` is not a delivery.

use super::render::{self, neutralize_markup};
use super::{
    json_post, reply_code, snippet, truncate_bytes, Channel, Notification, OutgoingRequest, ReplyVerdict,
    Templates,
};
use serde_json::json;

/// `markdown.content`: "最长不超过4096个字节，必须是utf8编码".
pub const MARKDOWN_LIMIT_BYTES: usize = 4096;
/// `text.content`: "最长不超过2048个字节".
pub const TEXT_LIMIT_BYTES: usize = 2048;

/// `api freq out of limit`: the robot's 20 messages a minute are spent.
const RATE_LIMITED: i64 = 45009;
/// System busy.
const BUSY: i64 = -1;

pub(super) fn build(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> Vec<OutgoingRequest> {
    let rendered = render::render(
        templates,
        channel.language,
        notification,
        now_unix_ms,
        neutralize_markup,
    );
    let markdown = json!({
        "msgtype": "markdown",
        "markdown": { "content": truncate_bytes(&rendered.text, MARKDOWN_LIMIT_BYTES) },
    });
    let mut requests = vec![json_post(channel.url.clone(), &markdown)];

    let mut mentioned: Vec<&str> = channel.mention_user_ids.iter().map(String::as_str).collect();
    if channel.mention_all {
        mentioned.push("@all");
    }
    if !mentioned.is_empty() || !channel.mention_mobiles.is_empty() {
        let text = json!({
            "msgtype": "text",
            "text": {
                "content": truncate_bytes(&rendered.title, TEXT_LIMIT_BYTES),
                "mentioned_list": mentioned,
                "mentioned_mobile_list": channel.mention_mobiles,
            },
        });
        requests.push(json_post(channel.url.clone(), &text));
    }
    requests
}

pub(super) fn judge(body: &[u8]) -> ReplyVerdict {
    match reply_code(body, "errcode", "errmsg") {
        Some((0, _)) => ReplyVerdict::Delivered,
        Some((code @ (RATE_LIMITED | BUSY), message)) => {
            ReplyVerdict::Retry(format!("errcode {code}: {message}"))
        }
        // 93000 invalid webhook url, 40058 bad parameter, …: sending again will not help.
        Some((code, message)) => ReplyVerdict::Failed(format!("errcode {code}: {message}")),
        None => ReplyVerdict::Retry(format!("unexpected reply: {}", snippet(body))),
    }
}

#[cfg(test)]
mod tests;
