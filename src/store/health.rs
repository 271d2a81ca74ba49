//! Whether the store takes writes: kept by the writer from the outcome of
//! each commit, read by `/readyz` without touching the database (so it
//! answers at once even while the database hangs).
//!
//! A run of failures is one episode: logged when it starts and when it
//! ends, not once per request, while every failure is counted in
//! `slawatch_store_errors_total{kind}`.

use super::{Fault, FaultKind, StoreError};
use chrono::{DateTime, Utc};
use prometheus::IntCounterVec;
use std::sync::Mutex;
use std::time::Instant;

/// The writer's view of the store.
#[derive(Debug)]
pub struct StoreHealth {
    episode: Mutex<Option<Episode>>,
    errors: IntCounterVec,
}

/// Writes have been failing since `since`.
#[derive(Debug, Clone)]
struct Episode {
    kind: FaultKind,
    detail: String,
    since: DateTime<Utc>,
    started: Instant,
    failures: u64,
}

impl StoreHealth {
    /// `errors` is the `slawatch_store_errors_total` family.
    pub fn new(errors: IntCounterVec) -> StoreHealth {
        StoreHealth {
            episode: Mutex::new(None),
            errors,
        }
    }

    /// A write failed. Faults are counted and start (or extend) an
    /// episode; other errors (a bad request) say nothing about the store.
    pub fn failed(&self, error: &StoreError) {
        let StoreError::Unavailable(Fault { kind, detail }) = error else {
            return;
        };
        self.errors.with_label_values(&[kind.as_str()]).inc();
        let mut episode = self.lock();
        match &mut *episode {
            Some(episode) => {
                episode.failures += 1;
                episode.kind = *kind;
                episode.detail.clone_from(detail);
            }
            None => {
                tracing::error!(kind = kind.as_str(), error = %detail,
                    "store writes are failing; requests are answered 503 until they succeed again");
                *episode = Some(Episode {
                    kind: *kind,
                    detail: detail.clone(),
                    since: Utc::now(),
                    started: Instant::now(),
                    failures: 1,
                });
            }
        }
    }

    /// A write committed: any episode is over.
    pub fn succeeded(&self) {
        let mut episode = self.lock();
        if let Some(ended) = episode.take() {
            tracing::info!(
                kind = ended.kind.as_str(),
                failures = ended.failures,
                seconds = ended.started.elapsed().as_secs_f64(),
                "store writes succeed again"
            );
        }
    }

    /// Whether writes are failing now.
    pub fn failing(&self) -> bool {
        self.lock().is_some()
    }

    /// What `/readyz` says while writes fail.
    pub fn problem(&self) -> Option<String> {
        self.lock().as_ref().map(|episode| {
            format!(
                "store writes failing since {} ({}): {}",
                episode.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                episode.kind.as_str(),
                episode.detail
            )
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Episode>> {
        self.episode
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::Opts;

    fn health() -> StoreHealth {
        StoreHealth::new(IntCounterVec::new(Opts::new("store_errors_total", "x"), &["kind"]).unwrap())
    }

    #[test]
    fn an_episode_runs_from_the_first_fault_to_the_next_success() {
        let health = health();
        assert!(!health.failing());
        health.failed(&StoreError::Other("a constraint".into()));
        assert!(!health.failing(), "a bad request is not a store fault");
        health.failed(&StoreError::unavailable(
            FaultKind::DiskFull,
            "database or disk is full",
        ));
        health.failed(&StoreError::unavailable(
            FaultKind::DiskFull,
            "database or disk is full",
        ));
        let problem = health.problem().unwrap();
        assert!(
            problem.contains("disk_full") && problem.contains("database or disk is full"),
            "{problem}"
        );
        assert_eq!(health.errors.with_label_values(&["disk_full"]).get(), 2);
        health.succeeded();
        assert!(!health.failing());
        assert_eq!(health.problem(), None);
        assert_eq!(health.errors.with_label_values(&["disk_full"]).get(), 2);
    }
}
