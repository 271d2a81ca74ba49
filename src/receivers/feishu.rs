//! Feishu / Lark long connection (长连接, "使用长连接接收事件"; the protocol
//! as Feishu's official SDKs speak it, larksuite/oapi-sdk-go `ws/client.go`,
//! `ws/const.go`, `ws/model.go`, `ws/pbbp2.pb.go`).
//!
//! 1. `POST /callback/ws/endpoint` with `{"AppID","AppSecret"}` answers
//!    `{"code":0,"data":{"URL":"wss://…?device_id=…&service_id=…",
//!    "ClientConfig":{"ReconnectCount","ReconnectInterval","ReconnectNonce",
//!    "PingInterval"}}}`; a non-zero `code` is refused (1 is "system busy",
//!    1000040343 an internal error, worth retrying).
//! 2. Frames are binary protobuf `pbbp2.Frame` ([`super::feishu_frame`]).
//!    The client pings (a control frame with header `type: ping` and the
//!    URL's `service_id`) every `PingInterval` seconds; the server's `pong`
//!    may carry a new ClientConfig. A ping from the server is answered with
//!    a pong.
//! 3. A data frame with `type: event` carries the event JSON (schema 2.0,
//!    the same as event subscription), split in `sum` parts numbered by
//!    `seq` under one `message_id` when large. The answer, within 3 s, is
//!    the same frame with header `biz_rt` (handling time, ms) added and the
//!    payload `{"code":200}` (500 when it could not be taken: Feishu
//!    delivers it again).
//!
//! Feishu delivers each event to one of the app's connections: with several
//! replicas, each message reaches one of them.

use super::feishu_frame::{Frame, CONTROL, DATA};
use super::ws::{self, Liveness, Read};
use super::{Ended, Failure, Link, SessionResult, Sink, Verdict, MAX_MESSAGE_BYTES};
use crate::config::receivers::Credentials;
use crate::hooks;
use prost::Message as _;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// The endpoint registration call.
pub(super) const ENDPOINT_PATH: &str = "/callback/ws/endpoint";
/// The SDKs' default ping interval, until the server says otherwise.
const DEFAULT_PING: Duration = Duration::from_secs(120);
/// Bounds on a ping interval the server sends.
const MIN_PING: Duration = Duration::from_secs(1);
const MAX_PING: Duration = Duration::from_secs(600);
/// Parts of a split message are kept this long (as the SDKs do).
const PARTS_KEPT: Duration = Duration::from_secs(5);
/// At most this many parts per message and split messages at once.
const MAX_PARTS: usize = 64;
const MAX_PENDING: usize = 32;
const WHAT: &str = "Feishu long connection";

#[derive(Deserialize)]
struct EndpointAnswer {
    code: i64,
    #[serde(default)]
    msg: String,
    data: Option<Endpoint>,
}

#[derive(Deserialize)]
struct Endpoint {
    #[serde(rename = "URL", default)]
    url: String,
    #[serde(rename = "ClientConfig")]
    client_config: Option<ClientConfig>,
}

/// What the server tells the client; only the ping interval is used (the
/// reconnect schedule is the receiver's own backoff).
#[derive(Deserialize, Default)]
struct ClientConfig {
    #[serde(rename = "PingInterval", default)]
    ping_interval: u64,
}

impl ClientConfig {
    fn ping(&self) -> Option<Duration> {
        (self.ping_interval > 0).then(|| Duration::from_secs(self.ping_interval).clamp(MIN_PING, MAX_PING))
    }
}

pub(super) async fn session<S: Sink>(link: &Link<S>) -> SessionResult {
    let endpoint = open(link).await?;
    let service = reqwest::Url::parse(&endpoint.url)
        .ok()
        .and_then(|url| {
            url.query_pairs()
                .find(|(key, _)| key == "service_id")
                .and_then(|(_, value)| value.parse::<i32>().ok())
        })
        .unwrap_or_default();
    let mut ping_every = endpoint
        .client_config
        .as_ref()
        .and_then(ClientConfig::ping)
        .unwrap_or(DEFAULT_PING);
    let mut socket = ws::connect(&endpoint.url, WHAT).await?;
    link.connected();
    let mut parts = Parts::default();
    let mut next_ping = tokio::time::Instant::now() + ping_every;
    // The server's pongs keep the connection heard from; it is dead after
    // three pings without one.
    let mut liveness = Liveness::new(ping_every * 3, ping_every * 3 + Duration::from_secs(10));
    loop {
        liveness.ping_after = ping_every * 3;
        liveness.dead_after = ping_every * 3 + Duration::from_secs(10);
        let read = tokio::select! {
            read = ws::next(&mut socket, &mut liveness, &link.shutdown, WHAT) => read?,
            _ = tokio::time::sleep_until(next_ping) => {
                let ping = Frame::ping(service).encode_to_vec();
                ws::send(&mut socket, Message::Binary(ping.into()), WHAT).await?;
                next_ping = tokio::time::Instant::now() + ping_every;
                continue;
            }
        };
        let bytes = match read {
            Read::Shutdown => return Ok(Ended::Shutdown),
            Read::Message(Message::Binary(bytes)) => bytes,
            Read::Message(_) => continue, // frames are binary protobuf
        };
        let Ok(frame) = Frame::decode(bytes.as_ref()) else {
            tracing::warn!(receiver = %link.name(), "a Feishu frame does not decode as pbbp2.Frame; ignored");
            continue;
        };
        match frame.method {
            CONTROL => {
                if let Some(answer) = control(frame, &mut ping_every) {
                    ws::send(&mut socket, Message::Binary(answer.encode_to_vec().into()), WHAT).await?;
                }
            }
            DATA => {
                if let Some(answer) = data(link, frame, &mut parts).await {
                    ws::send(&mut socket, Message::Binary(answer.encode_to_vec().into()), WHAT).await?;
                }
            }
            _ => {}
        }
    }
}

/// A control frame: a pong may carry a new ping interval; a ping is
/// answered with a pong.
fn control(mut frame: Frame, ping_every: &mut Duration) -> Option<Frame> {
    match frame.header("type") {
        Some("pong") => {
            let config = frame
                .payload
                .as_deref()
                .filter(|payload| !payload.is_empty())
                .and_then(|payload| serde_json::from_slice::<ClientConfig>(payload).ok());
            if let Some(ping) = config.as_ref().and_then(ClientConfig::ping) {
                *ping_every = ping;
            }
            None
        }
        Some("ping") => {
            frame.set_header("type", "pong".into());
            Some(frame)
        }
        _ => None,
    }
}

/// A data frame: an event (once all its parts are in) is taken and
/// answered; anything else (card callbacks) is not ours.
async fn data<S: Sink>(link: &Link<S>, mut frame: Frame, parts: &mut Parts) -> Option<Frame> {
    if frame.header("type") != Some("event") {
        return None;
    }
    let started = Instant::now();
    let sum: usize = frame.header("sum").and_then(|sum| sum.parse().ok()).unwrap_or(1);
    let payload = frame.payload.take().unwrap_or_default();
    let payload = if sum > 1 {
        let seq: usize = frame
            .header("seq")
            .and_then(|seq| seq.parse().ok())
            .unwrap_or(usize::MAX);
        let message_id = frame.header("message_id").unwrap_or_default().to_string();
        parts.add(&message_id, sum, seq, payload)?
    } else {
        payload
    };
    let verdict = link.deliver(hooks::feishu::event(&payload)).await;
    let code = match verdict {
        Verdict::Acknowledge => 200,
        Verdict::Retry => 500,
    };
    let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    frame.set_header("biz_rt", elapsed.to_string());
    frame.payload = Some(json!({ "code": code }).to_string().into_bytes());
    Some(frame)
}

/// Parts of split messages, by `message_id`, until all are in.
#[derive(Default)]
struct Parts(HashMap<String, Pending>);

struct Pending {
    parts: Vec<Option<Vec<u8>>>,
    bytes: usize,
    first_seen: Instant,
}

impl Parts {
    /// Adds part `seq` of `sum`; the whole payload once every part is in.
    /// Parts that break a limit are dropped: Feishu, unanswered, sends the
    /// event again.
    fn add(&mut self, message_id: &str, sum: usize, seq: usize, part: Vec<u8>) -> Option<Vec<u8>> {
        self.0
            .retain(|_, pending| pending.first_seen.elapsed() < PARTS_KEPT);
        if sum > MAX_PARTS || seq >= sum || message_id.is_empty() {
            return None;
        }
        if !self.0.contains_key(message_id) && self.0.len() >= MAX_PENDING {
            return None;
        }
        let pending = self.0.entry(message_id.to_string()).or_insert_with(|| Pending {
            parts: vec![None; sum],
            bytes: 0,
            first_seen: Instant::now(),
        });
        if pending.parts.len() != sum || pending.bytes + part.len() > MAX_MESSAGE_BYTES {
            self.0.remove(message_id);
            return None;
        }
        pending.bytes += part.len();
        pending.parts[seq] = Some(part);
        if pending.parts.iter().any(Option::is_none) {
            return None;
        }
        let pending = self.0.remove(message_id)?;
        Some(pending.parts.into_iter().flatten().flatten().collect())
    }
}

/// Asks for the connection URL (and the ping interval).
async fn open<S: Sink>(link: &Link<S>) -> Result<Endpoint, Failure> {
    let Credentials::Feishu { app_id, app_secret } = &link.config.credentials else {
        return Err(Failure::refused("not a Feishu receiver"));
    };
    let body = json!({ "AppID": app_id.expose(), "AppSecret": app_secret.expose() });
    let response = link
        .http
        .post(link.url(ENDPOINT_PATH))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("locale", "zh")
        .body(body.to_string())
        .send()
        .await
        .map_err(|error| Failure::http("callback/ws/endpoint", error))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| Failure::http("callback/ws/endpoint", error))?;
    let Ok(answer) = serde_json::from_slice::<EndpointAnswer>(&bytes) else {
        return Err(Failure::unavailable(format!(
            "callback/ws/endpoint answered {status}, not its JSON"
        )));
    };
    match answer.code {
        0 => {}
        // "system busy" and internal errors: worth retrying.
        1 | 1_000_040_343 => {
            return Err(Failure::unavailable(format!(
                "callback/ws/endpoint: code {} {}",
                answer.code, answer.msg
            )))
        }
        code => {
            return Err(Failure::credentials(format!(
            "callback/ws/endpoint: code {code} {} (is the long connection enabled for this self-built app?)",
            answer.msg
        )))
        }
    }
    let endpoint = answer
        .data
        .filter(|endpoint| endpoint.url.starts_with("wss://") || endpoint.url.starts_with("ws://"))
        .ok_or_else(|| Failure::unavailable("callback/ws/endpoint answered no WebSocket URL"))?;
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_together_in_seq_order_whatever_order_they_arrive() {
        let mut parts = Parts::default();
        assert_eq!(parts.add("m1", 3, 2, b"c".to_vec()), None);
        assert_eq!(parts.add("m1", 3, 0, b"a".to_vec()), None);
        assert_eq!(parts.add("m1", 3, 1, b"b".to_vec()), Some(b"abc".to_vec()));
        assert!(parts.0.is_empty());
    }

    #[test]
    fn parts_out_of_bounds_are_dropped() {
        let mut parts = Parts::default();
        assert_eq!(parts.add("m1", 2, 2, b"x".to_vec()), None);
        assert_eq!(parts.add("m1", MAX_PARTS + 1, 0, b"x".to_vec()), None);
        assert_eq!(parts.add("", 2, 0, b"x".to_vec()), None);
        assert_eq!(parts.add("m2", 2, 0, vec![0; MAX_MESSAGE_BYTES + 1]), None);
        assert!(parts.0.is_empty());
        for id in 0..MAX_PENDING + 5 {
            parts.add(&format!("m{id}"), 2, 0, b"x".to_vec());
        }
        assert_eq!(parts.0.len(), MAX_PENDING);
    }

    #[test]
    fn a_pong_may_change_the_ping_interval_and_a_ping_is_answered() {
        let mut every = DEFAULT_PING;
        let mut pong = Frame::ping(3);
        pong.set_header("type", "pong".into());
        pong.payload = Some(br#"{"PingInterval":5,"ReconnectCount":-1}"#.to_vec());
        assert!(control(pong, &mut every).is_none());
        assert_eq!(every, Duration::from_secs(5));
        let answer = control(Frame::ping(3), &mut every).unwrap();
        assert_eq!(answer.header("type"), Some("pong"));
        assert_eq!(answer.service, 3);
    }
}
