//! The board's per-project counts (open, at risk, breached), shared by every
//! board request instead of counted by each.
//!
//! Counting reads every open issue (one pass over `issues_live`, about a
//! second at a million open issues), while a page of the board reads about
//! fifty. So the counts are a snapshot, taken when a board page asks for
//! them and the last one is older than [`FRESH`], and shown with its time
//! ("as of HH:MM:SS"):
//! - younger than [`FRESH`]: used as it is;
//! - younger than [`USABLE`]: used, and a new count starts in the background;
//! - older, or none yet: the request waits for a new count.
//!
//! One count runs at a time; requests that waited for it share its result.
//! Nothing counts while nobody looks at the board, so an idle server stays
//! idle. `GET /v1/projects` still counts at each request: an API answer is
//! exact.

use crate::domain::Timestamp;
use crate::store::read::ProjectCounts;
use crate::store::{Store, StoreResult};
use chrono::Utc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A snapshot this young is used without counting again.
const FRESH: Duration = Duration::from_secs(5);
/// A snapshot this young is still shown while a new one is counted.
const USABLE: Duration = Duration::from_secs(60);

/// The shared snapshot and the lock that lets one count run at a time.
#[derive(Default)]
pub struct BoardCounts {
    snapshot: Mutex<Option<Snapshot>>,
    counting: Arc<tokio::sync::Mutex<()>>,
}

/// Counts as of `at`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub at: Timestamp,
    taken: Instant,
    pub counts: Arc<Vec<ProjectCounts>>,
}

impl BoardCounts {
    /// The counts to show now (see the module's documentation).
    pub async fn get(self: &Arc<Self>, store: &Store) -> StoreResult<Snapshot> {
        match self.current() {
            Some(snapshot) if snapshot.taken.elapsed() < FRESH => return Ok(snapshot),
            Some(snapshot) if snapshot.taken.elapsed() < USABLE => {
                self.refresh_in_background(store.clone());
                return Ok(snapshot);
            }
            _ => {}
        }
        let _counting = self.counting.lock().await;
        // Another request may have counted while this one waited.
        if let Some(snapshot) = self.current().filter(|s| s.taken.elapsed() < FRESH) {
            return Ok(snapshot);
        }
        self.count(store).await
    }

    fn current(&self) -> Option<Snapshot> {
        self.snapshot.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn count(&self, store: &Store) -> StoreResult<Snapshot> {
        let at = Utc::now();
        let counts = store.project_counts(at).await?;
        let snapshot = Snapshot {
            at,
            taken: Instant::now(),
            counts: Arc::new(counts),
        };
        *self.snapshot.lock().unwrap_or_else(|e| e.into_inner()) = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// Starts a count unless one is running.
    fn refresh_in_background(self: &Arc<Self>, store: Store) {
        let Ok(counting) = self.counting.clone().try_lock_owned() else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(error) = this.count(&store).await {
                tracing::warn!(%error, "cannot count the board's open issues");
            }
            drop(counting);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fresh_snapshot_is_shared_and_an_old_one_is_counted_again() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/counts.db", dir.path().display());
        let store = Store::connect(&url, 1).await.unwrap();
        store.migrate().await.unwrap();
        let counts = Arc::new(BoardCounts::default());
        let first = counts.get(&store).await.unwrap();
        let again = counts.get(&store).await.unwrap();
        assert_eq!(first.at, again.at, "a fresh snapshot is not counted again");

        // Too old to show: the request counts again and waits for it.
        counts.snapshot.lock().unwrap().as_mut().unwrap().taken = Instant::now() - USABLE;
        let recounted = counts.get(&store).await.unwrap();
        assert!(recounted.at > first.at);

        // Stale but usable: shown at once, counted again in the background.
        counts.snapshot.lock().unwrap().as_mut().unwrap().taken = Instant::now() - FRESH;
        let shown = counts.get(&store).await.unwrap();
        assert_eq!(shown.at, recounted.at);
        let _wait = counts.counting.lock().await;
        assert!(
            counts.current().unwrap().at > recounted.at,
            "counted in the background"
        );
    }
}
