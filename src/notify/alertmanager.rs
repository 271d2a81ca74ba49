//! Prometheus Alertmanager, API v2: `POST {base}/api/v2/alerts` with a JSON
//! array of `{labels, annotations, startsAt, endsAt, generatorURL}`.
//!
//! Labels identify an alert, so they stay the same for as long as a stage's
//! alert lives: `alertname="SlawatchBreach"`, `project`, `stage`, `issue`
//! and `severity` — `warning` while a stage is at risk, `critical` once it
//! is breached (escalation steps re-send the critical alert with the step in
//! the annotations, which also serves Alertmanager's re-send requirement).
//!
//! A firing alert carries `endsAt` = now + [`FIRING_VALIDITY_SECONDS`]:
//! Alertmanager expects clients to re-send active alerts (the engine's
//! `alerts` worker re-sends every standing breach every
//! [`RESEND_INTERVAL_SECONDS`]) and resolves one that stops coming. A
//! retracted breach, or one met late or closed (a `resolved` notification),
//! sends both severities with `endsAt` = now. Daily digests are not alerts:
//! nothing is sent.

use super::render::{self, plain};
use super::{json_post, Channel, Notification, NotificationKind, OutgoingRequest, Templates};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Value};

pub const ALERT_NAME: &str = "SlawatchBreach";
/// How often the dispatcher should re-send an alert that is still firing.
pub const RESEND_INTERVAL_SECONDS: i64 = 5 * 60;
/// How long a firing alert stays up without being re-sent (as Prometheus
/// does, four re-send intervals, so one lost re-send does not resolve it).
pub const FIRING_VALIDITY_SECONDS: i64 = 4 * RESEND_INTERVAL_SECONDS;
const API_PATH: &str = "/api/v2/alerts";

pub(super) fn build(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> Vec<OutgoingRequest> {
    let alerts = alerts(channel, notification, now_unix_ms, templates);
    if alerts.is_empty() {
        return Vec::new();
    }
    vec![post(channel, &alerts)]
}

/// The alerts one notification sets or clears.
pub fn alerts(
    channel: &Channel,
    notification: &Notification,
    now_unix_ms: i64,
    templates: &Templates,
) -> Vec<Value> {
    let now = DateTime::<Utc>::from_timestamp_millis(now_unix_ms).unwrap_or(notification.detected_at);
    let rendered = render::render(templates, channel.language, notification, now_unix_ms, plain);
    let alert = |severity: &str, ends_at: DateTime<Utc>| {
        let starts_at = match severity {
            "critical" => notification.deadline.unwrap_or(notification.detected_at),
            _ => notification.detected_at,
        };
        json!({
            "labels": {
                "alertname": ALERT_NAME,
                "project": notification.project,
                "stage": notification.stage.as_deref().unwrap_or_default(),
                "issue": notification.issue,
                "severity": severity,
            },
            "annotations": annotations(notification, &rendered.title, &rendered.text),
            "startsAt": stamp(starts_at.min(ends_at)),
            "endsAt": stamp(ends_at),
            "generatorURL": notification.url,
        })
    };

    let firing_until = now + TimeDelta::seconds(FIRING_VALIDITY_SECONDS);
    match notification.kind {
        NotificationKind::DailyDigest | NotificationKind::Confirmation => Vec::new(),
        _ if notification.resolved => vec![alert("critical", now), alert("warning", now)],
        NotificationKind::Retraction => vec![alert("critical", now), alert("warning", now)],
        NotificationKind::Warning => vec![alert("warning", firing_until)],
        // The at-risk alert gives way to the breach.
        NotificationKind::Breach | NotificationKind::Escalation => {
            vec![alert("critical", firing_until), alert("warning", now)]
        }
    }
}

/// One `POST /api/v2/alerts` carrying `alerts`.
pub fn post(channel: &Channel, alerts: &[Value]) -> OutgoingRequest {
    json_post(endpoint(&channel.url), &Value::Array(alerts.to_vec()))
}

/// `{base}/api/v2/alerts`, whether or not the configured URL already ends so.
pub fn endpoint(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with(API_PATH) {
        base.to_string()
    } else {
        format!("{base}{API_PATH}")
    }
}

fn annotations(notification: &Notification, summary: &str, description: &str) -> Value {
    let zone = notification.time_zone;
    json!({
        "summary": summary,
        "description": description,
        "title": notification.title,
        "project_name": notification.project_name,
        "seq": notification.seq.to_string(),
        "cycle": notification.cycle.to_string(),
        "kind": notification.kind.as_str(),
        "escalation_step": notification.escalation_step.to_string(),
        "deadline": notification.deadline.map(|d| d.with_timezone(&zone).to_rfc3339()).unwrap_or_default(),
        "url": notification.url,
    })
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests;
