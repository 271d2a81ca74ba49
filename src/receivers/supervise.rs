//! One task per receiver: sessions run one after another, at once after
//! the platform asks for a new connection, after a backoff wait after a
//! failure; each session's state kept for `/readyz` and the metrics.

use super::backoff::{self, Backoff};
use super::{
    describe_http_error, dingtalk, feishu, slack, telegram, Ended, Failure, FailureKind, Link, SessionResult,
    Sink, State, Statuses, HTTP_TIMEOUT,
};
use crate::config::receivers::{ReceiverConfig, ReceiverKind};
use crate::metrics::Metrics;
use crate::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A connection that stayed up this long resets the backoff.
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// A platform's request to reconnect is followed at once, unless the
/// connection it ends lasted less than this (then it waits like a failure,
/// so that a platform asking again and again is not answered in a loop).
const QUICK_RECONNECT_AFTER: Duration = Duration::from_secs(2);

/// Starts one task per receiver under `shutdown`; their states go to
/// `statuses`. The tasks end when `shutdown` is cancelled.
pub fn start<S: Sink>(
    receivers: &[ReceiverConfig],
    sink: S,
    store: Store,
    metrics: Arc<Metrics>,
    statuses: Statuses,
    shutdown: CancellationToken,
) -> Vec<JoinHandle<()>> {
    if receivers.is_empty() {
        return Vec::new();
    }
    let http = match reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(HTTP_TIMEOUT)
        .user_agent(concat!("slawatch/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(error = %describe_http_error(error), "cannot build the receivers' HTTP client");
            return Vec::new();
        }
    };
    receivers
        .iter()
        .map(|config| {
            metrics.add_receiver(&config.name);
            let link = Link {
                config: config.clone(),
                http: http.clone(),
                store: store.clone(),
                shutdown: shutdown.clone(),
                sink: sink.clone(),
                metrics: metrics.clone(),
                statuses: statuses.clone(),
                connected_at: Mutex::new(None),
            };
            link.set_state(State::Connecting, None);
            tokio::spawn(supervise(link))
        })
        .collect()
}

/// Runs sessions until shutdown: at once after the platform asked for a new
/// connection, after a backoff wait after a failure.
async fn supervise<S: Sink>(link: Link<S>) {
    let mut backoff = Backoff::new(backoff::INITIAL, backoff::MAX);
    let mut first = true;
    while !link.shutdown.is_cancelled() {
        if !first {
            link.metrics
                .receiver_reconnects
                .with_label_values(&[link.name()])
                .inc();
        }
        first = false;
        link.set_state(State::Connecting, None);
        let result = tokio::select! {
            result = session(&link) => result,
            _ = link.shutdown.cancelled() => Ok(Ended::Shutdown),
        };
        link.metrics
            .receiver_connected
            .with_label_values(&[link.name()])
            .set(0);
        let uptime = link.take_uptime();
        if uptime.is_some_and(|uptime| uptime >= STABLE_AFTER) {
            backoff.reset();
        }
        let failure = match result {
            Ok(Ended::Shutdown) => break,
            Ok(Ended::Reconnect(why)) => {
                tracing::info!(receiver = %link.name(), why, "receiver reconnecting");
                if uptime.is_some_and(|uptime| uptime >= QUICK_RECONNECT_AFTER) {
                    continue;
                }
                Failure::unavailable(format!("reconnecting right after connecting: {why}"))
            }
            Err(failure) => failure,
        };
        let wait = backoff.next_wait();
        log_failure(&link, &failure, wait);
        link.set_state(State::Backoff, Some(failure.message));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = link.shutdown.cancelled() => break,
        }
    }
    link.metrics
        .receiver_connected
        .with_label_values(&[link.name()])
        .set(0);
    tracing::debug!(receiver = %link.name(), "receiver stopped");
}

fn log_failure<S: Sink>(link: &Link<S>, failure: &Failure, wait: Duration) {
    let (name, kind) = (link.name(), link.config.kind.as_str());
    let retry_in = format!("{:.1}s", wait.as_secs_f64());
    match failure.kind {
        FailureKind::Credentials => tracing::error!(
            receiver = %name, kind, error = %failure.message, %retry_in,
            "the platform refused the receiver's credentials; check the variables its *_env keys name"
        ),
        FailureKind::Refused => tracing::error!(
            receiver = %name, kind, error = %failure.message, %retry_in,
            "the platform refuses this receiver as configured"
        ),
        FailureKind::Unavailable => tracing::warn!(
            receiver = %name, kind, error = %failure.message, %retry_in,
            "receiver connection failed"
        ),
    }
}

async fn session<S: Sink>(link: &Link<S>) -> SessionResult {
    match link.config.kind {
        ReceiverKind::DingtalkStream => dingtalk::session(link).await,
        ReceiverKind::FeishuWs => feishu::session(link).await,
        ReceiverKind::SlackSocket => slack::session(link).await,
        ReceiverKind::TelegramPoll => telegram::session(link).await,
    }
}
