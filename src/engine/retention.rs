//! Removes chat message texts older than `retention.messages`, in the
//! background: small transactions of their own, a pause between them, so
//! that ingest never waits long behind the sweep. Events, issues, breach
//! records and the message rows themselves stay, so reports over past
//! years stay exact; only what people wrote goes.

use crate::store::Store;
use chrono::{TimeDelta, Utc};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Messages emptied per transaction.
pub const BATCH_SIZE: i64 = 500;
/// Pause between two transactions of one sweep.
const BETWEEN_BATCHES: Duration = Duration::from_millis(50);
/// How often a sweep starts.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Wait after a failed batch.
const ON_ERROR: Duration = Duration::from_secs(60);

/// One sweep: empties every message text older than `keep`, a batch at a
/// time; how many it emptied.
pub async fn sweep(
    store: &Store,
    keep: TimeDelta,
    shutdown: &CancellationToken,
) -> crate::store::StoreResult<u64> {
    let before = Utc::now() - keep;
    let mut emptied = 0;
    loop {
        let done = store.clear_message_texts(before, BATCH_SIZE).await?;
        emptied += done;
        if done < BATCH_SIZE as u64 || shutdown.is_cancelled() {
            return Ok(emptied);
        }
        tokio::time::sleep(BETWEEN_BATCHES).await;
    }
}

/// Sweeps at start and then every hour until `shutdown`.
pub async fn run(store: Store, keep: TimeDelta, shutdown: CancellationToken) {
    loop {
        let pause = match sweep(&store, keep, &shutdown).await {
            Ok(emptied) => {
                if emptied > 0 {
                    tracing::info!(emptied, "message texts past retention removed");
                }
                SWEEP_EVERY
            }
            Err(error) => {
                tracing::warn!(%error, "message retention sweep failed");
                ON_ERROR
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.cancelled() => break,
        }
    }
}
