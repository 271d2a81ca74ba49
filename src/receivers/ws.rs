//! The WebSocket side shared by the DingTalk, Feishu and Slack receivers:
//! connecting over rustls with message size limits, and reading with a
//! liveness check.

use super::{Failure, MAX_MESSAGE_BYTES};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// An open connection.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the TCP, TLS and WebSocket handshakes may take together.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Connects to `url` (`ws://` or `wss://`; rustls with the webpki roots).
/// The URL carries a one-time ticket, so it is never logged.
pub(crate) async fn connect(url: &str, what: &str) -> Result<Socket, Failure> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Err(_) => Err(Failure::unavailable(format!(
            "{what}: no WebSocket handshake within {CONNECT_TIMEOUT:?}"
        ))),
        Ok(Err(WsError::Http(response))) => {
            let status = response.status();
            let message = format!("{what}: the WebSocket handshake was answered {status}");
            // A ticket the platform does not take is a credentials problem
            // only in the sense that a new one is needed: retry.
            Err(Failure::unavailable(message))
        }
        Ok(Err(error)) => Err(Failure::unavailable(format!("{what}: {error}"))),
        Ok(Ok((socket, _response))) => Ok(socket),
    }
}

/// Pings a quiet connection and gives up on a dead one.
pub(crate) struct Liveness {
    /// Send a ping after this long without hearing from the platform.
    pub ping_after: Duration,
    /// Give up after this long without hearing from it.
    pub dead_after: Duration,
    last_heard: Instant,
}

impl Liveness {
    pub fn new(ping_after: Duration, dead_after: Duration) -> Self {
        Liveness {
            ping_after,
            dead_after,
            last_heard: Instant::now(),
        }
    }
}

/// What [`next`] read.
pub(crate) enum Read {
    /// A text or binary message.
    Message(Message),
    /// The service is stopping.
    Shutdown,
}

/// Reads the next text or binary message, answering the platform's pings
/// (tungstenite answers them as it reads), sending our own when the
/// connection is quiet, and failing when it is dead or closed.
pub(crate) async fn next(
    socket: &mut Socket,
    liveness: &mut Liveness,
    shutdown: &CancellationToken,
    what: &str,
) -> Result<Read, Failure> {
    loop {
        let quiet_for = liveness.last_heard.elapsed();
        if quiet_for >= liveness.dead_after {
            return Err(Failure::unavailable(format!(
                "{what}: nothing heard for {:.0} s; the connection is taken for dead",
                quiet_for.as_secs_f64()
            )));
        }
        let wake = if quiet_for >= liveness.ping_after {
            liveness.dead_after - quiet_for
        } else {
            liveness.ping_after - quiet_for
        };
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
                return Ok(Read::Shutdown);
            }
            _ = tokio::time::sleep(wake) => {
                if liveness.last_heard.elapsed() >= liveness.ping_after {
                    send(socket, Message::Ping(Vec::new().into()), what).await?;
                }
            }
            read = socket.next() => {
                liveness.last_heard = Instant::now();
                match read {
                    None => return Err(Failure::unavailable(format!("{what}: the platform closed the connection"))),
                    Some(Err(error)) => return Err(Failure::unavailable(format!("{what}: {error}"))),
                    Some(Ok(Message::Close(frame))) => {
                        let reason = frame.map(|frame| format!(" ({} {})", frame.code, frame.reason)).unwrap_or_default();
                        return Err(Failure::unavailable(format!("{what}: the platform closed the connection{reason}")));
                    }
                    Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => return Ok(Read::Message(message)),
                    Some(Ok(_)) => {} // ping (answered), pong or a raw frame
                }
            }
        }
    }
}

/// Sends one message, flushing it (and any pong tungstenite queued).
pub(crate) async fn send(socket: &mut Socket, message: Message, what: &str) -> Result<(), Failure> {
    socket
        .send(message)
        .await
        .map_err(|error| Failure::unavailable(format!("{what}: cannot send: {error}")))
}

/// Closes the connection politely, without waiting long for the platform.
pub(crate) async fn close(mut socket: Socket) {
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
}
