//! A local HTTP sink standing in for chat platforms and webhook receivers:
//! an in-process axum server on a random loopback port that records every
//! request (method, path and query, headers, body, when, how it was
//! answered) and answers as the test tells it: 200 with a success body, a
//! given status and body, a dropped connection, or a late answer.

use super::Timestamp;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What WeCom and DingTalk answer on success; enough for a webhook too.
pub const ERRCODE_OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;

/// How the sink answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 200 with the sink's success body.
    Ok,
    /// This status with this body (JSON if it parses as JSON).
    Status(u16, String),
    /// Reads the request, then closes the connection without answering.
    Drop,
    /// Answers `Ok` after this long: longer than the client waits, a timeout.
    Late(Duration),
}

impl Reply {
    /// A 200 whose body carries a platform error code, e.g. WeCom's
    /// `{"errcode":45009,…}` (rate limited).
    pub fn errcode(code: i64) -> Reply {
        Reply::Status(
            200,
            format!(r#"{{"errcode":{code},"errmsg":"simulated error {code}"}}"#),
        )
    }
}

/// One request as the sink saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub received: Timestamp,
    pub method: String,
    /// Path and query, e.g. `/wecom?key=abc`.
    pub path: String,
    /// Names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub reply: Reply,
}

impl Recorded {
    /// The value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: body is not JSON ({e}): {}",
                self.method,
                self.path,
                self.text()
            )
        })
    }

    /// Whether the sink accepted it at once (200 with its success body).
    pub fn accepted(&self) -> bool {
        self.reply == Reply::Ok
    }
}

struct State {
    requests: Mutex<Vec<Recorded>>,
    /// Replies for the next requests, in order, before `default` applies.
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
    ok_body: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running sink; stops when dropped.
pub struct Sink {
    pub address: SocketAddr,
    state: Arc<State>,
    stop: CancellationToken,
}

impl Sink {
    /// A sink answering `{"errcode":0,"errmsg":"ok"}`.
    pub async fn start() -> Sink {
        Sink::start_with_ok_body(ERRCODE_OK).await
    }

    /// A sink whose success answer is `ok_body` (Slack answers `ok`).
    pub async fn start_with_ok_body(ok_body: &str) -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind the sink");
        let address = listener.local_addr().expect("no local address");
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(Reply::Ok),
            ok_body: ok_body.to_string(),
        });
        let stop = CancellationToken::new();
        let handler_state = state.clone();
        let router =
            axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = handler_state.clone();
                async move { answer(&state, method, uri, headers, body).await }
            });
        let stopped = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await;
        });
        Sink { address, state, stop }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Answers the next `count` requests with `reply` (after replies
    /// queued before), then goes back to the default.
    pub fn then(&self, count: usize, reply: Reply) {
        lock(&self.state.script).extend(std::iter::repeat_n(reply, count));
    }

    /// How requests are answered once the queued replies are spent
    /// (`Reply::Ok` at start): the switch that takes the sink down or up.
    pub fn set_default(&self, reply: Reply) {
        *lock(&self.state.default) = reply;
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// The requests to `route` (a path without query), in arrival order.
    pub fn requests_to(&self, route: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.route() == route)
            .collect()
    }

    /// Polls until at least `count` recorded requests satisfy `matches`;
    /// returns those requests.
    pub async fn wait_for(
        &self,
        within: Duration,
        count: usize,
        what: &str,
        matches: impl Fn(&Recorded) -> bool,
    ) -> Vec<Recorded> {
        let started = Instant::now();
        loop {
            let found: Vec<Recorded> = self.requests().into_iter().filter(|r| matches(r)).collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                started.elapsed() < within,
                "{what}: {} of {count} requests within {within:?}; the sink saw {:#?}",
                found.len(),
                self.summary()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One line per request, for failure messages.
    pub fn summary(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {:?} {}",
                    r.received.format("%H:%M:%S%.3f"),
                    r.method,
                    r.path,
                    r.reply,
                    r.text().chars().take(160).collect::<String>()
                )
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn answer(state: &State, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let reply = lock(&state.script)
        .pop_front()
        .unwrap_or_else(|| lock(&state.default).clone());
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_string(), |pq| pq.to_string());
    lock(&state.requests).push(Recorded {
        received: chrono::Utc::now(),
        method: method.to_string(),
        path,
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        reply: reply.clone(),
    });
    match reply {
        Reply::Ok => ok(&state.ok_body),
        Reply::Late(after) => {
            tokio::time::sleep(after).await;
            ok(&state.ok_body)
        }
        Reply::Status(status, body) => {
            let status = StatusCode::from_u16(status).expect("a valid status");
            let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
                "application/json"
            } else {
                "text/plain"
            };
            (status, [("content-type", content_type)], body).into_response()
        }
        // Unwinding the connection's task closes its socket with no answer;
        // `resume_unwind` skips the panic hook, so nothing is printed.
        Reply::Drop => std::panic::resume_unwind(Box::new("the sink drops this connection")),
    }
}

fn ok(body: &str) -> Response {
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    (StatusCode::OK, [("content-type", content_type)], body.to_string()).into_response()
}
