//! Fake platforms for the receiver tests: an HTTP server on a random
//! loopback port that records every call and answers from a script, and a
//! WebSocket listener on another port that hands each connection to the
//! test, which then plays the platform's side frame by frame.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response as HandshakeResponse};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long a test waits for the receiver's next move.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One HTTP call the receiver made.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Call {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

/// What the fake answers a call with.
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// Waits this long first (a long poll with nothing to say).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Script = Box<dyn FnMut(&Call) -> Reply + Send>;

/// The fake platform's HTTP API.
pub struct FakeApi {
    /// `http://127.0.0.1:PORT`: the receiver's `endpoint`.
    pub base: String,
    calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Mutex<Script>>,
}

impl FakeApi {
    pub async fn start(script: impl FnMut(&Call) -> Reply + Send + 'static) -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let script: Arc<Mutex<Script>> = Arc::new(Mutex::new(Box::new(script)));
        let (recorded, scripted) = (calls.clone(), script.clone());
        let router =
            axum::Router::new().fallback(move |_: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (recorded, scripted) = (recorded.clone(), scripted.clone());
                async move {
                    let call = Call {
                        path: uri.path().to_string(),
                        headers,
                        body: body.to_vec(),
                        at: Instant::now(),
                    };
                    recorded.lock().unwrap().push(call.clone());
                    let reply = (scripted.lock().unwrap())(&call);
                    tokio::time::sleep(reply.delay).await;
                    let status = StatusCode::from_u16(reply.status).unwrap();
                    let response: Response =
                        (status, [("content-type", "application/json")], reply.body).into_response();
                    response
                }
            });
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeApi { base, calls, script }
    }

    /// Replaces the script.
    pub fn answer(&self, script: impl FnMut(&Call) -> Reply + Send + 'static) {
        *self.script.lock().unwrap() = Box::new(script);
    }

    /// Every call so far to a path ending in `suffix`.
    pub fn calls_to(&self, suffix: &str) -> Vec<Call> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|call| call.path.ends_with(suffix))
            .cloned()
            .collect()
    }

    /// Waits for the `count`th call to a path ending in `suffix`.
    pub async fn wait_for_calls(&self, suffix: &str, count: usize) -> Vec<Call> {
        let started = Instant::now();
        loop {
            let calls = self.calls_to(suffix);
            if calls.len() >= count {
                return calls;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{count} calls to {suffix} expected, {} made",
                calls.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A connection the receiver opened to the fake WebSocket endpoint.
pub struct Connection {
    /// The request's path and query, e.g. `/connect?ticket=…`.
    pub uri: String,
    pub socket: WebSocketStream<TcpStream>,
}

impl Connection {
    pub async fn send_text(&mut self, value: &Value) {
        self.socket
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.socket.send(Message::Binary(bytes.into())).await.unwrap();
    }

    /// The next text or binary message (pings and pongs are set aside).
    pub async fn recv(&mut self) -> Message {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the receiver answered nothing in time")
                .expect("the receiver closed the connection")
                .expect("the connection failed");
            match message {
                Message::Text(_) | Message::Binary(_) | Message::Close(_) => return message,
                _ => {}
            }
        }
    }

    pub async fn recv_json(&mut self) -> Value {
        match self.recv().await {
            Message::Text(text) => serde_json::from_str(&text).expect("a JSON text frame"),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    pub async fn recv_binary(&mut self) -> Vec<u8> {
        match self.recv().await {
            Message::Binary(bytes) => bytes.to_vec(),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    /// Sends a WebSocket ping and waits for its pong (whatever else comes
    /// in between is dropped).
    pub async fn ping(&mut self, payload: &[u8]) {
        self.socket
            .send(Message::Ping(payload.to_vec().into()))
            .await
            .unwrap();
        let answered = async {
            while let Some(message) = self.socket.next().await {
                if let Ok(Message::Pong(data)) = message {
                    return data.to_vec();
                }
            }
            panic!("closed before the pong");
        };
        let pong = tokio::time::timeout(PATIENCE, answered)
            .await
            .expect("no pong in time");
        assert_eq!(pong, payload, "a pong carries the ping's payload");
    }

    /// Drops the TCP connection without a close frame, as a network does.
    pub fn drop_abruptly(self) {
        drop(self.socket);
    }

    /// Waits until the receiver closes this connection.
    pub async fn expect_closed(&mut self) {
        let closed = async {
            loop {
                match self.socket.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(_)) => {}
                }
            }
        };
        tokio::time::timeout(PATIENCE, closed)
            .await
            .expect("the receiver kept the connection open");
    }
}

/// The fake WebSocket endpoint.
pub struct FakeSocket {
    /// `ws://127.0.0.1:PORT`.
    pub base: String,
    incoming: mpsc::Receiver<Connection>,
}

impl FakeSocket {
    pub async fn start() -> FakeSocket {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("ws://{}", listener.local_addr().unwrap());
        let (sender, incoming) = mpsc::channel(16);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let uri = Arc::new(Mutex::new(String::new()));
                    let seen = uri.clone();
                    // The signature is tungstenite's `Callback`.
                    #[allow(clippy::result_large_err)]
                    let callback = move |request: &Request, response: HandshakeResponse| {
                        *seen.lock().unwrap() = request.uri().to_string();
                        Ok(response)
                    };
                    if let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await {
                        let uri = uri.lock().unwrap().clone();
                        let _ = sender.send(Connection { uri, socket }).await;
                    }
                });
            }
        });
        FakeSocket { base, incoming }
    }

    /// The next connection the receiver opens.
    pub async fn accept(&mut self) -> Connection {
        tokio::time::timeout(PATIENCE, self.incoming.recv())
            .await
            .expect("the receiver did not connect in time")
            .expect("the listener stopped")
    }
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collects the service's logs (every test of this binary shares them, so
/// tests look for their own receiver's name).
pub fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn"))
            .with_ansi(false)
            .with_writer(|| Capture)
            .try_init();
    });
}

/// The log lines that mention `receiver="name"` (or `receiver=name`).
pub fn log_lines_of(name: &str) -> Vec<String> {
    let logs = String::from_utf8_lossy(&LOGS.lock().unwrap()).to_string();
    logs.lines()
        .filter(|line| {
            line.contains(&format!("receiver={name} ")) || line.ends_with(&format!("receiver={name}"))
        })
        .map(String::from)
        .collect()
}

/// Every log line.
pub fn all_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).to_string()
}
