//! DingTalk Stream mode ("Stream 模式协议", open-dingtalk developerpedia
//! `docs/learn/stream/protocol.md`; <https://open.dingtalk.com/document/direction/stream-mode-protocol-access-description>).
//!
//! 1. `POST /v1.0/gateway/connections/open` with `clientId`,
//!    `clientSecret` and the subscriptions (here only the robot message
//!    callback, topic `/v1.0/im/bot/messages/get`) answers `endpoint` and a
//!    one-time `ticket` valid for 90 s.
//! 2. A WebSocket to `endpoint?ticket=…` carries JSON frames `{specVersion,
//!    type, headers: {topic, messageId, contentType, time…}, data}`:
//!    - `SYSTEM` `ping`: answered with code 200 and the same `data`
//!      (`{"opaque":…}`);
//!    - `SYSTEM` `disconnect`: the server closes the connection 10 s later;
//!      no answer, open a new one with a fresh ticket;
//!    - `CALLBACK` on the robot topic: `data` is the robot message JSON, the
//!      same as the outgoing robot's webhook body; answered
//!      `{"code":200,"headers":{"contentType":"application/json","messageId":…},
//!      "message":"OK","data":"{\"response\": null}"}` once committed.
//!
//! DingTalk pushes each message to one of the app's connections, chosen at
//! random: with several replicas, each message reaches one of them.

use super::ws::{self, Liveness, Read};
use super::{Ended, Failure, Link, SessionResult, Sink, Verdict};
use crate::config::receivers::Credentials;
use crate::hooks;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// The connection registration call.
pub(super) const OPEN_PATH: &str = "/v1.0/gateway/connections/open";
/// The robot message callback's topic.
pub(super) const ROBOT_TOPIC: &str = "/v1.0/im/bot/messages/get";
/// DingTalk pings every few seconds; the SDKs ping a connection quiet for
/// 120 s themselves.
const PING_AFTER: Duration = Duration::from_secs(60);
const DEAD_AFTER: Duration = Duration::from_secs(150);
const WHAT: &str = "DingTalk Stream";

#[derive(Deserialize)]
struct Opened {
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    ticket: String,
}

/// `{"code":"…","message":"…"}`, DingTalk's OpenAPI error body.
#[derive(Deserialize)]
struct OpenApiError {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    headers: HashMap<String, Value>,
    #[serde(default)]
    data: String,
}

impl Frame {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(Value::as_str).unwrap_or_default()
    }
}

pub(super) async fn session<S: Sink>(link: &Link<S>) -> SessionResult {
    let url = open(link).await?;
    let mut socket = ws::connect(&url, WHAT).await?;
    link.connected();
    let mut liveness = Liveness::new(PING_AFTER, DEAD_AFTER);
    loop {
        let text = match ws::next(&mut socket, &mut liveness, &link.shutdown, WHAT).await? {
            Read::Shutdown => return Ok(Ended::Shutdown),
            Read::Message(Message::Text(text)) => text,
            Read::Message(_) => continue, // the protocol is JSON text
        };
        let frame: Frame = match serde_json::from_str(&text) {
            Ok(frame) => frame,
            Err(error) => {
                tracing::warn!(receiver = %link.name(), line = error.line(), column = error.column(),
                    "a DingTalk frame is not JSON; ignored");
                continue;
            }
        };
        let answer = match (frame.kind.as_str(), frame.header("topic")) {
            ("SYSTEM", "ping") => Some(response(&frame, 200, "OK", &frame.data)),
            ("SYSTEM", "disconnect") => {
                ws::close(socket).await;
                return Ok(Ended::Reconnect("DingTalk sent disconnect"));
            }
            ("CALLBACK", ROBOT_TOPIC) => {
                let verdict = link
                    .deliver(hooks::dingtalk::robot_message(frame.data.as_bytes()))
                    .await;
                Some(match verdict {
                    Verdict::Acknowledge => response(&frame, 200, "OK", r#"{"response": null}"#),
                    Verdict::Retry => response(&frame, 500, "internal error", r#"{"response": null}"#),
                })
            }
            // Topics this connection never subscribed to: the protocol's 404.
            _ => Some(response(
                &frame,
                404,
                "topic not subscribed",
                r#"{"response": null}"#,
            )),
        };
        if let Some(answer) = answer {
            ws::send(&mut socket, Message::Text(answer.to_string().into()), WHAT).await?;
        }
    }
}

/// The answer to a frame, echoing its `messageId`.
fn response(frame: &Frame, code: u16, message: &str, data: &str) -> Value {
    json!({
        "code": code,
        "headers": { "contentType": "application/json", "messageId": frame.header("messageId") },
        "message": message,
        "data": data,
    })
}

/// Registers the connection; the WebSocket URL with its ticket.
async fn open<S: Sink>(link: &Link<S>) -> Result<String, Failure> {
    let Credentials::Dingtalk {
        client_id,
        client_secret,
    } = &link.config.credentials
    else {
        return Err(Failure::refused("not a DingTalk receiver"));
    };
    let body = json!({
        "clientId": client_id.expose(),
        "clientSecret": client_secret.expose(),
        "subscriptions": [{ "type": "CALLBACK", "topic": ROBOT_TOPIC }],
        "ua": concat!("slawatch/", env!("CARGO_PKG_VERSION")),
    });
    let response = link
        .http
        .post(link.url(OPEN_PATH))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|error| Failure::http("connections/open", error))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| Failure::http("connections/open", error))?;
    if !status.is_success() {
        let detail = serde_json::from_slice::<OpenApiError>(&bytes)
            .ok()
            .map(|error| {
                format!(
                    "{}: {}",
                    error.code.unwrap_or_default(),
                    error.message.unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let message = format!("connections/open answered {status} {detail}");
        return Err(match status.as_u16() {
            400 | 401 | 403 => Failure::credentials(message),
            _ => Failure::unavailable(message),
        });
    }
    let opened: Opened = serde_json::from_slice(&bytes)
        .map_err(|_| Failure::unavailable("connections/open answered something that is not its JSON"))?;
    if opened.endpoint.is_empty() || opened.ticket.is_empty() {
        return Err(Failure::unavailable(
            "connections/open answered no endpoint or ticket",
        ));
    }
    let mut url = reqwest::Url::parse(&opened.endpoint)
        .map_err(|_| Failure::unavailable("connections/open answered an endpoint that is not a URL"))?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(Failure::unavailable(
            "connections/open answered an endpoint that is not ws:// or wss://",
        ));
    }
    url.query_pairs_mut().append_pair("ticket", &opened.ticket);
    Ok(url.to_string())
}
