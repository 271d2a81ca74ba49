//! Slack Socket Mode ("Using Socket Mode",
//! <https://api.slack.com/apis/socket-mode>; `apps.connections.open`,
//! <https://api.slack.com/methods/apps.connections.open>).
//!
//! 1. `POST apps.connections.open` with the app-level token (`xapp-…`,
//!    scope `connections:write`) as a bearer token answers `{"ok":true,
//!    "url":"wss://…"}`, a URL for one connection.
//! 2. Slack first sends `{"type":"hello", "debug_info":
//!    {"approximate_connection_time": seconds}, …}`; then envelopes
//!    `{"type":"events_api","envelope_id":…,"payload":{Events API
//!    payload},"retry_attempt":…}`, each acknowledged by sending
//!    `{"envelope_id":…}` (within 3 s, or Slack delivers it again, possibly
//!    on another connection).
//! 3. `{"type":"disconnect","reason":"warning"|"refresh_requested"}` comes
//!    before Slack closes a connection (they last a few hours): connect
//!    again. `link_disabled` means Socket Mode was turned off for the app.
//!    The receiver also reconnects on its own shortly before the
//!    `approximate_connection_time` of the `hello` is up.
//!
//! With several connections (replicas), Slack spreads envelopes across
//! them; an envelope retried on another connection carries the same event,
//! acted on once.

use super::ws::{self, Liveness, Read};
use super::{Ended, Failure, Link, SessionResult, Sink, Verdict};
use crate::config::receivers::Credentials;
use crate::hooks;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Slack pings each connection; ours goes out when it has been quiet.
const PING_AFTER: Duration = Duration::from_secs(30);
const DEAD_AFTER: Duration = Duration::from_secs(90);
/// How early to reconnect before the connection's announced lifetime ends.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// How long to wait for `hello` after connecting.
const HELLO_WITHIN: Duration = Duration::from_secs(15);
const WHAT: &str = "Slack Socket Mode";

#[derive(Deserialize)]
struct Opened {
    ok: bool,
    url: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type", default)]
    kind: String,
    envelope_id: Option<String>,
    #[serde(default)]
    payload: Value,
    #[serde(default)]
    retry_attempt: u32,
    reason: Option<String>,
    debug_info: Option<DebugInfo>,
}

#[derive(Deserialize)]
struct DebugInfo {
    approximate_connection_time: Option<u64>,
}

pub(super) async fn session<S: Sink>(link: &Link<S>) -> SessionResult {
    let url = open(link).await?;
    let mut socket = ws::connect(&url, WHAT).await?;
    let mut liveness = Liveness::new(PING_AFTER, DEAD_AFTER);
    let hello_by = tokio::time::Instant::now() + HELLO_WITHIN;
    // Until `hello`, the connection is not up yet.
    let mut refresh_at: Option<tokio::time::Instant> = None;
    let mut said_hello = false;
    loop {
        let deadline = if said_hello { refresh_at } else { Some(hello_by) };
        let read = match deadline {
            Some(deadline) => {
                match tokio::time::timeout_at(
                    deadline,
                    ws::next(&mut socket, &mut liveness, &link.shutdown, WHAT),
                )
                .await
                {
                    Ok(read) => read?,
                    Err(_) if said_hello => {
                        ws::close(socket).await;
                        return Ok(Ended::Reconnect("the connection's lifetime is nearly up"));
                    }
                    Err(_) => return Err(Failure::unavailable("Slack sent no hello")),
                }
            }
            None => ws::next(&mut socket, &mut liveness, &link.shutdown, WHAT).await?,
        };
        let text = match read {
            Read::Shutdown => return Ok(Ended::Shutdown),
            Read::Message(Message::Text(text)) => text,
            Read::Message(_) => continue,
        };
        let Ok(envelope) = serde_json::from_str::<Envelope>(&text) else {
            tracing::warn!(receiver = %link.name(), "a Slack Socket Mode message is not JSON; ignored");
            continue;
        };
        match envelope.kind.as_str() {
            "hello" => {
                said_hello = true;
                link.connected();
                refresh_at = envelope
                    .debug_info
                    .and_then(|info| info.approximate_connection_time)
                    .map(|seconds| Duration::from_secs(seconds).saturating_sub(REFRESH_MARGIN))
                    .filter(|lifetime| !lifetime.is_zero())
                    .map(|lifetime| tokio::time::Instant::now() + lifetime);
            }
            "disconnect" => {
                ws::close(socket).await;
                return match envelope.reason.as_deref() {
                    Some("link_disabled") => Err(Failure::refused(
                        "Slack disabled Socket Mode for this app (Settings → Socket Mode)",
                    )),
                    _ => Ok(Ended::Reconnect("Slack sent disconnect")),
                };
            }
            _ => {
                let Some(envelope_id) = envelope.envelope_id.clone() else {
                    continue;
                };
                let verdict = match envelope.kind.as_str() {
                    "events_api" => {
                        let retry = envelope.retry_attempt > 0;
                        link.deliver(hooks::slack::events_api(&envelope.payload, retry))
                            .await
                    }
                    // Slash commands and interactions are not chat messages;
                    // acknowledged so that Slack shows no error.
                    _ => Verdict::Acknowledge,
                };
                if verdict == Verdict::Acknowledge {
                    let ack = json!({ "envelope_id": envelope_id }).to_string();
                    ws::send(&mut socket, Message::Text(ack.into()), WHAT).await?;
                }
            }
        }
    }
}

/// `apps.connections.open`: the WebSocket URL of a new connection.
async fn open<S: Sink>(link: &Link<S>) -> Result<String, Failure> {
    let Credentials::Slack { app_token } = &link.config.credentials else {
        return Err(Failure::refused("not a Slack receiver"));
    };
    let response = link
        .http
        .post(link.url("/apps.connections.open"))
        .bearer_auth(app_token.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .map_err(|error| Failure::http("apps.connections.open", error))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| Failure::http("apps.connections.open", error))?;
    let opened: Opened = serde_json::from_slice(&bytes).map_err(|_| {
        Failure::unavailable(format!("apps.connections.open answered {status}, not its JSON"))
    })?;
    match (opened.ok, opened.url) {
        (true, Some(url)) if url.starts_with("wss://") || url.starts_with("ws://") => Ok(url),
        (true, _) => Err(Failure::unavailable(
            "apps.connections.open answered no WebSocket URL",
        )),
        (false, _) => {
            let error = opened.error.unwrap_or_else(|| status.to_string());
            let message = format!("apps.connections.open: {error}");
            Err(match error.as_str() {
                "invalid_auth"
                | "not_authed"
                | "account_inactive"
                | "token_revoked"
                | "token_expired"
                | "not_allowed_token_type"
                | "missing_scope" => Failure::credentials(message),
                _ => Failure::unavailable(message),
            })
        }
    }
}
