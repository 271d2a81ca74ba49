//! The timer: sleeps until the earliest next visit of any issue (a warning,
//! a deadline + grace, an escalation step), folds the due issues again, and
//! sleeps again. It is woken early when the writer stores an earlier visit.
//! Each issue's next visit is one indexed column, so nothing is polled.

use super::ingest::Writer;
use super::signal::TimerSignal;
use crate::domain::to_ms;
use crate::store::Store;
use chrono::Utc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Issues folded per visit; a full batch is followed at once by the next.
const BATCH_SIZE: i64 = 2000;
/// Longest sleep, so that a replica also notices visits stored by others.
const MAX_SLEEP: Duration = Duration::from_secs(5);
/// Pause after a store error before trying again.
const ON_ERROR: Duration = Duration::from_secs(1);

/// Runs until `shutdown` is cancelled.
pub async fn run(store: Store, writer: Writer, signal: Arc<TimerSignal>, shutdown: CancellationToken) {
    signal.running.store(true, Ordering::Release);
    tracing::info!("timer started");
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let sleep = match visit_due(&store, &writer, &signal).await {
            Ok(sleep) => sleep,
            Err(error) => {
                tracing::warn!(%error, "timer visit failed; retrying");
                ON_ERROR
            }
        };
        if sleep.is_zero() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = signal.wake.notified() => {}
            _ = shutdown.cancelled() => break,
        }
    }
    signal.running.store(false, Ordering::Release);
    tracing::info!("timer stopped");
}

/// Visits every due issue; returns how long to sleep before the next visit.
async fn visit_due(
    store: &Store,
    writer: &Writer,
    signal: &TimerSignal,
) -> Result<Duration, crate::store::StoreError> {
    let now = Utc::now();
    let due = store.due_issues(now, BATCH_SIZE).await?;
    if !due.is_empty() {
        let full = due.len() as i64 == BATCH_SIZE;
        tracing::debug!(issues = due.len(), "visiting due issues");
        writer.revisit(due).await?;
        if full {
            return Ok(Duration::ZERO);
        }
    }
    // Publish the wake-up time before reading the next visit, so a visit
    // stored in between either is seen here or triggers a wake-up.
    let latest_wake = Utc::now() + chrono::TimeDelta::from_std(MAX_SLEEP).unwrap_or_default();
    signal.sleeping_until.store(to_ms(latest_wake), Ordering::Release);
    let next = store
        .next_due()
        .await?
        .map_or(latest_wake, |next| next.min(latest_wake));
    signal.sleeping_until.store(to_ms(next), Ordering::Release);
    let now = Utc::now();
    if next <= now {
        return Ok(Duration::ZERO);
    }
    Ok((next - now).to_std().unwrap_or(Duration::ZERO))
}
