//! What a committed batch adds to the metrics, gathered while it is written
//! and recorded only once it commits.

use super::decide::IssueDecision;
use super::judge::{Judged, Verdict};
use crate::domain::breach::BreachNotice;
use crate::domain::outcome::SettledStage;
use crate::metrics::Metrics;

/// What one committed batch adds to the metrics.
#[derive(Default)]
pub(in crate::engine) struct Tally {
    accepted: Vec<(&'static str, String)>,
    duplicates: u64,
    rejected: Vec<&'static str>,
    /// (project, stage, whether its outcome is counted here).
    settled: Vec<(Option<String>, SettledStage, bool)>,
    /// (project, stage, what happened, detection delay in seconds).
    breaches: Vec<(Option<String>, &'static str, BreachNotice, Option<f64>)>,
    /// Outbox rows written.
    pub(in crate::engine) notifications: usize,
}

impl Tally {
    /// Counts the judge's verdicts: events accepted, duplicates, refusals.
    pub(super) fn count_judged(&mut self, judged: &Judged) {
        self.accepted = judged
            .accepted
            .iter()
            .map(|event| (event.kind.as_str(), event.source.clone()))
            .collect();
        for verdict in judged.verdicts.iter().flatten() {
            match verdict {
                Verdict::Accepted => {}
                Verdict::Duplicate => self.duplicates += 1,
                Verdict::Conflict => self.rejected.push("conflict"),
                Verdict::Rejected(invalid) => self.rejected.push(invalid.reason),
            }
        }
    }

    /// Takes over what one issue's decision counts.
    pub(super) fn count_decided(&mut self, decision: &mut IssueDecision) {
        self.settled.append(&mut decision.settled);
        self.breaches.append(&mut decision.breaches);
        self.notifications += decision.outbox.len();
    }

    pub(in crate::engine) fn record(self, metrics: &Metrics) {
        metrics.mark_written();
        for (kind, source) in &self.accepted {
            metrics.events.with_label_values(&[kind, source.as_str()]).inc();
        }
        metrics.events_duplicate.inc_by(self.duplicates);
        for reason in self.rejected {
            metrics.reject(reason, 1);
        }
        for (project, settled, counted) in &self.settled {
            let project = metrics.project_label(project.as_deref());
            let stage = settled.stage.as_str();
            if *counted {
                metrics
                    .stage_outcomes
                    .with_label_values(&[project, stage, settled.outcome.as_str()])
                    .inc();
            }
            if let Some(clock_time) = settled.clock_time {
                let seconds = clock_time.num_milliseconds() as f64 / 1e3;
                metrics
                    .stage_duration
                    .with_label_values(&[project, stage])
                    .observe(seconds.max(0.0));
            }
        }
        for (project, stage, notice, delay) in &self.breaches {
            let project = metrics.project_label(project.as_deref());
            match notice {
                BreachNotice::Recorded => {
                    metrics.breaches.with_label_values(&[project, stage]).inc();
                    metrics
                        .stage_outcomes
                        .with_label_values(&[project, stage, "breached"])
                        .inc();
                }
                BreachNotice::Reinstated => metrics.breaches.with_label_values(&[project, stage]).inc(),
                BreachNotice::Retracted => metrics
                    .breaches_retracted
                    .with_label_values(&[project, stage])
                    .inc(),
            }
            if let Some(delay) = delay {
                metrics.breach_detection_delay.observe(delay.max(0.0));
            }
        }
    }
}
