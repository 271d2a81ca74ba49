//! Slack incoming webhook: `POST {"text": …}` to
//! `https://hooks.slack.com/services/…`. The text is Slack's mrkdwn (bold is
//! `*x*`, links are `<url|label>`), converted from the template's markdown;
//! free text is escaped as Slack asks (`&`, `<`, `>`). Slack answers `200`
//! with the body `ok`; errors come as 4xx with a reason (`invalid_payload`,
//! `no_service`, `channel_is_archived`) and 429 when rate limited.

use super::render;
use super::{
    json_post, snippet, truncate_bytes, Channel, Notification, OutgoingRequest, ReplyVerdict, Templates,
};
use serde_json::json;

/// Slack truncates messages over 40,000 characters; stay well under.
pub const TEXT_LIMIT_BYTES: usize = 39_000;

pub(super) fn build(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> OutgoingRequest {
    let rendered = render::render(templates, channel.language, notification, now_unix_ms, escape);
    let mut text = to_mrkdwn(&rendered.text);
    let mut mentions: Vec<String> = channel
        .mention_user_ids
        .iter()
        .map(|id| format!("<@{}>", escape(id)))
        .collect();
    if channel.mention_all {
        mentions.push("<!channel>".to_string());
    }
    if !mentions.is_empty() {
        text = format!("{text}\n{}", mentions.join(" "));
    }
    json_post(
        channel.url.clone(),
        &json!({ "text": truncate_bytes(&text, TEXT_LIMIT_BYTES) }),
    )
}

/// Slack's three control characters, and no line breaks inside a value.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

/// Markdown headings, `**bold**` and `[label](url)` in Slack's syntax.
pub fn to_mrkdwn(markdown: &str) -> String {
    markdown
        .lines()
        .map(|line| {
            let heading = line.trim_start();
            let line = if heading.starts_with('#') {
                format!("**{}**", heading.trim_start_matches('#').trim())
            } else {
                line.to_string()
            };
            links(&line.replace("**", "*"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `[label](url)` → `<url|label>`; anything else is left alone.
fn links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let parsed = after.find("](").and_then(|close| {
            let url_start = close + 2;
            after[url_start..].find(')').map(|end| {
                (
                    &after[..close],
                    &after[url_start..url_start + end],
                    url_start + end + 1,
                )
            })
        });
        match parsed {
            Some((label, url, consumed)) if !url.contains(' ') => {
                out.push_str(&rest[..open]);
                out.push_str(&format!("<{url}|{label}>"));
                rest = &after[consumed..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn judge(body: &[u8]) -> ReplyVerdict {
    if String::from_utf8_lossy(body).trim() == "ok" {
        ReplyVerdict::Delivered
    } else {
        ReplyVerdict::Retry(format!("unexpected reply: {}", snippet(body)))
    }
}

#[cfg(test)]
mod tests;
