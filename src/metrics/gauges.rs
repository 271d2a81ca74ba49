//! The state gauges (open stages by state, pending notifications),
//! computed from the store and kept fresh by a loop of their own.

use super::Metrics;
use crate::domain::Timestamp;
use crate::store::Store;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the state gauges are recomputed after something was written.
const GAUGE_REFRESH: Duration = Duration::from_secs(10);
/// How often they are recomputed for scrapes when nothing was written
/// (stages still cross their warning time and deadline with no write).
const GAUGE_REFRESH_IDLE: Duration = Duration::from_secs(60);

impl Metrics {
    /// Recomputes the state gauges from the store.
    pub async fn refresh_gauges(&self, store: &Store, now: Timestamp) -> crate::store::StoreResult<()> {
        self.outbox_pending.set(store.pending_notifications().await?);
        let counts = store.stage_counts(now).await?;
        self.open_stages.reset();
        for count in counts {
            let project = self.project_label(Some(&count.project)).to_string();
            for (state, value) in [
                ("pending", count.pending),
                ("at_risk", count.at_risk),
                ("breached", count.breached),
            ] {
                self.open_stages
                    .with_label_values(&[project.as_str(), count.stage.as_str(), state])
                    .add(value);
            }
        }
        Ok(())
    }
}

/// Keeps the state gauges fresh until `shutdown`, so a scrape never waits
/// on the store and every replica reports the same values.
pub async fn refresh_loop(metrics: std::sync::Arc<Metrics>, store: Store, shutdown: CancellationToken) {
    let mut refreshed: Option<std::time::Instant> = None;
    loop {
        let written = metrics.written.swap(false, std::sync::atomic::Ordering::AcqRel);
        let scraped = metrics.scraped.swap(false, std::sync::atomic::Ordering::AcqRel);
        // With nothing written only the clock moves states (stages reaching
        // their warning time or deadline): someone scraping gets those once a
        // minute, and a server nobody writes to or scrapes stays idle.
        let stale = refreshed.is_none_or(|at| at.elapsed() >= GAUGE_REFRESH_IDLE);
        if written || (scraped && stale) || refreshed.is_none() {
            refreshed = Some(std::time::Instant::now());
            if let Err(error) = metrics.refresh_gauges(&store, chrono::Utc::now()).await {
                tracing::warn!(%error, "cannot refresh metric gauges");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(GAUGE_REFRESH) => {}
            _ = shutdown.cancelled() => break,
        }
    }
}
