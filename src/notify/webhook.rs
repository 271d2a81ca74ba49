//! The generic `webhook` channel: the notification's facts as JSON (SPEC §6),
//! signed per the Standard Webhooks specification so that receivers can
//! verify it with any Standard Webhooks library.
//!
//! Headers: `webhook-id` (the delivery id, stable across retries, the
//! receiver's idempotency key), `webhook-timestamp` (Unix seconds of this
//! attempt) and, with a secret, `webhook-signature: v1,<base64>` =
//! HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the base64-decoded
//! part of the `whsec_…` secret. Without a secret the request is unsigned.

use super::render::{self, plain};
use super::{base64_encode, hmac_sha256, Channel, Notification, OutgoingRequest, Templates};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The prefix that marks a Standard Webhooks symmetric secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The SPEC §6 body, fields in the order the SPEC lists them.
#[derive(Debug, Serialize)]
struct Body<'a> {
    delivery: &'a str,
    kind: &'static str,
    issue: &'a str,
    seq: i64,
    project: &'a str,
    project_name: &'a str,
    stage: Option<&'a str>,
    cycle: i64,
    title: &'a str,
    raised_at: String,
    deadline: Option<String>,
    detected_at: String,
    escalation_step: i64,
    url: &'a str,
    text: String,
}

pub(super) fn build(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> Result<OutgoingRequest, String> {
    let id = notification.delivery.as_str();
    // The id is part of the signed string `{id}.{timestamp}.{body}`: a `.` in
    // it would make two different messages sign alike.
    if id.is_empty() || id.contains('.') || id.chars().any(char::is_whitespace) {
        return Err(format!(
            "delivery id `{id}` must be non-empty, without `.` or spaces"
        ));
    }
    let key = channel.secret.as_deref().map(decode_secret).transpose()?;

    let rendered = render::render(templates, channel.language, notification, now_unix_ms, plain);
    let zone = notification.time_zone;
    let body = Body {
        delivery: id,
        kind: notification.kind.as_str(),
        issue: &notification.issue,
        seq: notification.seq,
        project: &notification.project,
        project_name: &notification.project_name,
        stage: notification.stage.as_deref(),
        cycle: notification.cycle,
        title: &notification.title,
        raised_at: stamp(notification.raised_at, zone),
        deadline: notification.deadline.map(|d| stamp(d, zone)),
        detected_at: stamp(notification.detected_at, zone),
        escalation_step: notification.escalation_step,
        url: &notification.url,
        text: rendered.text,
    };
    let body = serde_json::to_vec(&body).expect("the body always serializes");

    let timestamp = now_unix_ms.div_euclid(1000);
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("webhook-id".to_string(), id.to_string()),
        ("webhook-timestamp".to_string(), timestamp.to_string()),
    ];
    if let Some(key) = key {
        headers.push(("webhook-signature".to_string(), sign(&key, id, timestamp, &body)));
    }
    Ok(OutgoingRequest {
        method: "POST",
        url: channel.url.clone(),
        headers,
        body,
    })
}

/// The signing key of a `whsec_…` secret: the base64 after the prefix (the
/// prefix is optional, as in the reference libraries).
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
    let key = BASE64
        .decode(encoded)
        .map_err(|_| "the webhook secret must be `whsec_` followed by base64".to_string())?;
    if key.is_empty() {
        return Err("the webhook secret is empty".to_string());
    }
    Ok(key)
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = Vec::with_capacity(id.len() + body.len() + 24);
    signed.extend_from_slice(id.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    format!("v1,{}", base64_encode(&hmac_sha256(key, &signed)))
}

/// RFC 3339 with the policy zone's offset, as the HTTP API writes times.
fn stamp(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

#[cfg(test)]
mod tests;
