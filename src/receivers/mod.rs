//! Receivers: chat messages over connections slawatch opens itself, for
//! zones with no public address (SPEC §4, §11 `[receivers.NAME]`).
//!
//! One task per receiver holds its platform's connection — DingTalk Stream
//! mode, Feishu's long connection, Slack Socket Mode, Telegram `getUpdates`
//! — and hands every chat message to the same path a hook uses
//! ([`Sink`], `POST /v1/messages` semantics). The platform is acknowledged
//! only once the writer committed the message: a crash in between means the
//! platform delivers it again, and the store's unique message key makes the
//! second delivery a duplicate that acts on nothing.
//!
//! Each platform module holds one *session*: open the connection, serve it
//! until it ends. [`supervise`] runs sessions one after another, with capped
//! exponential backoff and jitter after a failure, and keeps the state that
//! `/readyz` shows and the `slawatch_receiver_*` metrics.

pub mod backoff;
mod dingtalk;
mod feishu;
mod feishu_frame;
mod slack;
mod supervise;
mod telegram;
mod ws;

pub use supervise::start;

use crate::config::receivers::{ReceiverConfig, ReceiverKind};
use crate::hooks::{ChatMessage, HookError, HookOutcome};
use crate::metrics::Metrics;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long an HTTP call to a platform may take (long polls add their own
/// timeout to this).
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest chat payload a receiver accepts: a WebSocket message, a
/// reassembled Feishu event, a `getUpdates` answer.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Where a receiver's messages go: the path a hook's message takes.
pub trait Sink: Clone + Send + Sync + 'static {
    /// Stores `message` and the events it calls for; `Ok(true)` when it is
    /// new, `Ok(false)` when it had been stored before.
    fn take(
        &self,
        message: ChatMessage,
        source: &str,
    ) -> impl Future<Output = Result<bool, TakeError>> + Send;
}

/// Why a message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// The store cannot take it now: it is not acknowledged, so that the
    /// platform delivers it again.
    #[error("{0}")]
    Unavailable(String),
    /// It can never be taken (e.g. its time is out of range): it is
    /// acknowledged, or the platform would deliver it forever.
    #[error("{0}")]
    Refused(String),
}

/// What a receiver is doing, as `/readyz` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Opening the connection.
    Connecting,
    /// The connection is up (Telegram: polls answer).
    Connected,
    /// Waiting before the next attempt after a failure.
    Backoff,
}

/// One receiver's state in `/readyz`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceiverStatus {
    /// `dingtalk_stream`, `feishu_ws`, `slack_socket` or `telegram_poll`.
    pub kind: &'static str,
    pub state: State,
    /// When it entered this state (RFC 3339).
    #[schema(value_type = String)]
    pub since: DateTime<Utc>,
    /// Why the last attempt failed (never a secret or a message text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every receiver's state, shared with `/readyz`.
#[derive(Debug, Clone, Default)]
pub struct Statuses(Arc<Mutex<BTreeMap<String, ReceiverStatus>>>);

impl Statuses {
    /// A copy of every receiver's state, by name.
    pub fn snapshot(&self) -> BTreeMap<String, ReceiverStatus> {
        self.0.lock().map(|map| map.clone()).unwrap_or_default()
    }

    fn set(&self, name: &str, kind: ReceiverKind, state: State, error: Option<String>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(
                name.to_string(),
                ReceiverStatus {
                    kind: kind.as_str(),
                    state,
                    since: Utc::now(),
                    error,
                },
            );
        }
    }
}

/// How a session ended without failing.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The service is stopping.
    Shutdown,
    /// The platform asked for a new connection (or the connection is about
    /// to expire): connect again at once.
    Reconnect(&'static str),
}

/// Why a session failed; the supervisor waits before the next one.
#[derive(Debug)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    /// Says what happened; never holds a secret, a ticket or a message text.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The platform refused the credentials.
    Credentials,
    /// The platform refuses to serve this receiver as configured (a
    /// Telegram webhook is set, Socket Mode is off, …).
    Refused,
    /// The network, the platform or the store failed; worth retrying.
    Unavailable,
}

impl Failure {
    pub fn credentials(message: impl Into<String>) -> Self {
        Failure {
            kind: FailureKind::Credentials,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Failure {
            kind: FailureKind::Refused,
            message: message.into(),
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Failure {
            kind: FailureKind::Unavailable,
            message: message.into(),
        }
    }

    /// A failed HTTP call, described without its URL (which can hold a
    /// token).
    pub fn http(what: &str, error: reqwest::Error) -> Self {
        Failure::unavailable(format!("{what}: {}", describe_http_error(error)))
    }
}

/// A reqwest error and its causes, without the URL.
fn describe_http_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub(crate) type SessionResult = Result<Ended, Failure>;

/// What to tell the platform about one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Committed (or never to be taken): acknowledge.
    Acknowledge,
    /// Not committed: do not acknowledge, so that it comes again.
    Retry,
}

/// What a session works with.
pub(crate) struct Link<S> {
    pub config: ReceiverConfig,
    pub http: reqwest::Client,
    pub store: Store,
    pub shutdown: CancellationToken,
    sink: S,
    metrics: Arc<Metrics>,
    statuses: Statuses,
    connected_at: Mutex<Option<Instant>>,
}

impl<S: Sink> Link<S> {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The platform URL `path` (which starts with `/`) under `endpoint`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.endpoint)
    }

    /// Marks the connection as up.
    pub fn connected(&self) {
        if let Ok(mut at) = self.connected_at.lock() {
            at.get_or_insert_with(Instant::now);
        }
        self.metrics
            .receiver_connected
            .with_label_values(&[self.name()])
            .set(1);
        self.statuses
            .set(self.name(), self.config.kind, State::Connected, None);
        tracing::info!(receiver = %self.name(), kind = self.config.kind.as_str(), "receiver connected");
    }

    /// Takes one delivery the platform's hook parser made sense of, and says
    /// whether to acknowledge it.
    pub async fn deliver(&self, parsed: Result<HookOutcome, HookError>) -> Verdict {
        let message = match parsed {
            Ok(HookOutcome::Message { message, .. }) => message,
            Ok(HookOutcome::Challenge(_) | HookOutcome::Ignore) => return Verdict::Acknowledge,
            Err(error) => {
                // Delivering it again would not make it valid.
                tracing::warn!(receiver = %self.name(), %error,
                    "a delivery is not what the platform documents; acknowledged and dropped");
                return Verdict::Acknowledge;
            }
        };
        let source = format!("receiver:{}", self.name());
        match self.sink.take(message, &source).await {
            Ok(_) => {
                self.metrics
                    .receiver_messages
                    .with_label_values(&[self.name()])
                    .inc();
                Verdict::Acknowledge
            }
            Err(TakeError::Refused(error)) => {
                tracing::warn!(receiver = %self.name(), %error, "a message was refused; acknowledged and dropped");
                Verdict::Acknowledge
            }
            Err(TakeError::Unavailable(error)) => {
                tracing::warn!(receiver = %self.name(), %error,
                    "a message could not be stored; not acknowledged, the platform delivers it again");
                Verdict::Retry
            }
        }
    }

    fn set_state(&self, state: State, error: Option<String>) {
        self.statuses.set(self.name(), self.config.kind, state, error);
    }

    /// How long the connection of the session that just ended was up.
    fn take_uptime(&self) -> Option<Duration> {
        let at = self.connected_at.lock().ok()?.take()?;
        Some(at.elapsed())
    }
}
