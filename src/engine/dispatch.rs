//! The outbox dispatcher: claims due deliveries, sends each channel's
//! request, records the result. Retries with exponential backoff and jitter
//! for 24 hours, then marks the delivery failed. Each channel is held to its
//! platform's rate limit: a delivery over the limit waits, it is not dropped.

mod pacing;

pub use pacing::{backoff, rate_limit, CatchUp};

use crate::config::ChannelConfig;
use crate::metrics::Metrics;
use crate::notify::quiet::QuietHours;
use crate::notify::{self, ReplyVerdict, Templates};
use crate::store::outbox::{Attempt, NotificationRow};
use crate::store::Store;
use chrono::{TimeDelta, Utc};
use pacing::Limiter;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// Deliveries claimed per round (no more than can be in flight, so none
/// waits out its lease); a full round is followed at once by the next.
const BATCH_SIZE: i64 = IN_FLIGHT as i64;
/// Deliveries in flight at once.
const IN_FLIGHT: usize = 32;
/// How long a claim keeps other replicas off a delivery: longer than two
/// requests (WeCom's follow-up mention) take, short enough that a dead
/// replica's deliveries are taken over within 10 s.
const LEASE: TimeDelta = TimeDelta::seconds(9);
/// How long a failing delivery is retried before it is marked failed.
pub const RETRY_FOR: TimeDelta = TimeDelta::hours(24);
/// Longest sleep, so deliveries queued by other replicas are noticed.
const MAX_SLEEP: Duration = Duration::from_secs(5);
const ON_ERROR: Duration = Duration::from_secs(1);
/// Results waiting to be recorded, and most recorded in one transaction.
const RECORD_QUEUE: usize = 1024;
const RECORD_BATCH: usize = 256;
/// Time allowed for one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// How often a failing endpoint is probed with one of its waiting retries,
/// whatever their backoff: an endpoint that comes back gets everything
/// queued for it within about this long.
const PROBE_EVERY: Duration = Duration::from_secs(5);

/// Everything the dispatcher needs.
pub struct Dispatcher {
    pub store: Store,
    pub channels: BTreeMap<String, ChannelConfig>,
    pub templates: Arc<Templates>,
    pub metrics: Arc<Metrics>,
    pub wake: Arc<Notify>,
    /// First retry delay; doubles per attempt up to an hour.
    pub retry_base: TimeDelta,
    /// Which channels are failing, to catch up when they answer again.
    pub catch_up: CatchUp,
}

impl Dispatcher {
    /// Runs until `shutdown` is cancelled.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let client = match reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "cannot build the HTTP client; notifications stay queued");
                return;
            }
        };
        let limiter = Arc::new(Limiter::default());
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let (results, receiver) = mpsc::channel(RECORD_QUEUE);
        let recorder = tokio::spawn(record(self.store.clone(), self.metrics.clone(), receiver));
        tracing::info!(channels = self.channels.len(), "dispatcher started");
        let mut probed = std::time::Instant::now();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if probed.elapsed() >= PROBE_EVERY {
                probed = std::time::Instant::now();
                let now = Utc::now();
                let horizon = now + TimeDelta::from_std(PROBE_EVERY).unwrap_or(TimeDelta::seconds(5));
                if let Err(error) = self.store.probe_failing_channels(now, horizon).await {
                    tracing::warn!(%error, "cannot probe failing channels");
                }
            }
            let sleep = match self.round(&client, &limiter, &slots, &results).await {
                Ok(sleep) => sleep,
                Err(error) => {
                    tracing::warn!(%error, "dispatcher round failed; retrying");
                    ON_ERROR
                }
            };
            if sleep.is_zero() {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.cancelled() => break,
            }
        }
        // Let deliveries in flight record their result.
        let _ = slots.acquire_many(IN_FLIGHT as u32).await;
        drop(results);
        let _ = recorder.await;
        tracing::info!("dispatcher stopped");
    }

    async fn round(
        self: &Arc<Self>,
        client: &reqwest::Client,
        limiter: &Arc<Limiter>,
        slots: &Arc<Semaphore>,
        results: &mpsc::Sender<Attempt>,
    ) -> Result<Duration, crate::store::StoreError> {
        let now = Utc::now();
        let claimed = self
            .store
            .claim_notifications(now, now + LEASE, BATCH_SIZE)
            .await?;
        let full = claimed.len() as i64 == BATCH_SIZE;
        for row in claimed {
            let Some(channel) = self.channels.get(&row.channel).cloned() else {
                let error = format!("channel `{}` is no longer configured", row.channel);
                self.finish(&row, ReplyVerdict::Failed(error), results).await;
                continue;
            };
            let kind = notify::NotificationKind::parse(&row.kind);
            let quiet_until = channel.quiet_hours.and_then(|quiet| quiet.until(now));
            if let (Some(until), Some(true)) = (quiet_until, kind.map(QuietHours::holds)) {
                self.store.postpone_notification(row.id, until).await?;
                continue;
            }
            if let Err(wait) = limiter.take(&channel) {
                let next = Utc::now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::seconds(1));
                self.store.postpone_notification(row.id, next).await?;
                continue;
            }
            let permit = slots
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let dispatcher = self.clone();
            let client = client.clone();
            let results = results.clone();
            tokio::spawn(async move {
                let verdict = dispatcher.send(&client, &channel, &row).await;
                dispatcher.finish(&row, verdict, &results).await;
                drop(permit);
            });
        }
        if full {
            return Ok(Duration::ZERO);
        }
        let now = Utc::now();
        let next = self.store.next_notification().await?;
        let wait = next.map_or(MAX_SLEEP, |next| (next - now).to_std().unwrap_or(Duration::ZERO));
        // Claimed-but-postponed rows come back as soon as their slot is free.
        Ok(wait.clamp(Duration::from_millis(50), MAX_SLEEP))
    }

    /// Builds and sends the channel's request(s); the verdict of the first failure, if any.
    async fn send(
        &self,
        client: &reqwest::Client,
        channel: &ChannelConfig,
        row: &NotificationRow,
    ) -> ReplyVerdict {
        let notification = match notify::Notification::from_payload(&row.delivery, &row.payload) {
            Ok(notification) => notification,
            Err(error) => return ReplyVerdict::Failed(error),
        };
        let requests = match notify::build_requests(
            &channel.channel(),
            &notification,
            Utc::now().timestamp_millis(),
            &self.templates,
        ) {
            Ok(requests) => requests,
            Err(error) => return ReplyVerdict::Failed(error),
        };
        for request in requests {
            let method =
                reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::POST);
            let mut builder = client.request(method, &request.url).body(request.body);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            let verdict = match builder.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap_or_default();
                    notify::judge_reply(channel.kind, status, &body)
                }
                // Timeouts and refused connections are worth retrying; the
                // error text never includes the URL, which may hold a key.
                Err(error) => ReplyVerdict::Retry(describe(error)),
            };
            if !matches!(verdict, ReplyVerdict::Delivered) {
                return verdict;
            }
        }
        ReplyVerdict::Delivered
    }

    /// Counts the attempt and hands its result to the recorder.
    async fn finish(&self, row: &NotificationRow, verdict: ReplyVerdict, results: &mpsc::Sender<Attempt>) {
        let now = Utc::now();
        let (state, next, error, outcome) = match verdict {
            ReplyVerdict::Delivered => ("delivered", now, None, "delivered"),
            ReplyVerdict::Retry(error) if now - row.created < RETRY_FOR => {
                let seed =
                    (row.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ now.timestamp_subsec_nanos() as u64;
                (
                    "pending",
                    now + backoff(self.retry_base, row.attempts + 1, seed),
                    Some(error),
                    "retried",
                )
            }
            ReplyVerdict::Retry(error) | ReplyVerdict::Failed(error) => {
                ("failed", now, Some(error), "failed")
            }
        };
        if let Some(error) = &error {
            tracing::warn!(delivery = %row.delivery, channel = %row.channel, attempts = row.attempts + 1, %error, state, "delivery not accepted");
        }
        self.metrics
            .notifications
            .with_label_values(&[row.channel.as_str(), row.kind.as_str(), outcome])
            .inc();
        let attempt = Attempt {
            id: row.id,
            state,
            next_attempt: next,
            error,
            at: now,
        };
        // Only fails once the recorder is gone (shutdown): the lease expires
        // and the delivery is tried again.
        let _ = results.send(attempt).await;
        match outcome {
            "delivered"
                if self
                    .catch_up
                    .delivered(&row.channel, row.attempts > 0, std::time::Instant::now()) =>
            {
                self.bring_retries_forward(&row.channel).await;
            }
            "retried" | "failed" => self.catch_up.failed(&row.channel),
            _ => {}
        }
    }

    /// The channel's endpoint is back: its other waiting retries go now
    /// rather than at the end of their backoff.
    async fn bring_retries_forward(&self, channel: &str) {
        match self.store.bring_retries_forward(channel, Utc::now()).await {
            Ok(0) => {}
            Ok(count) => {
                tracing::info!(%channel, count, "the channel answers again; its waiting retries go now");
                self.wake.notify_one();
            }
            Err(error) => tracing::warn!(%channel, %error, "cannot bring retries forward"),
        }
    }
}

/// Writes attempt results in batches: one transaction for whatever has
/// finished, so a burst of deliveries does not take the write lock once each.
/// The `outbox_pending` gauge follows each batch.
async fn record(store: Store, metrics: Arc<Metrics>, mut results: mpsc::Receiver<Attempt>) {
    while let Some(first) = results.recv().await {
        let mut batch = vec![first];
        while batch.len() < RECORD_BATCH {
            match results.try_recv() {
                Ok(attempt) => batch.push(attempt),
                Err(_) => break,
            }
        }
        if let Err(error) = store.record_attempts(&batch).await {
            // The leases expire and the deliveries are tried again.
            tracing::warn!(%error, attempts = batch.len(), "cannot record delivery attempts");
        }
        match store.pending_notifications().await {
            Ok(pending) => metrics.outbox_pending.set(pending),
            Err(error) => tracing::debug!(%error, "cannot count pending notifications"),
        }
    }
}

fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else {
        error.to_string()
    }
}
