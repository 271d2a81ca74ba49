//! How long `/metrics` takes to render with 50 projects × 3 stages and every
//! histogram populated. Target: ≤ 5 ms.
//!
//! Run: `cargo bench --bench metrics`

use slawatch::metrics::Metrics;
use std::time::Instant;

const PROJECTS: usize = 50;
const ROUNDS: usize = 200;

fn main() {
    let projects: Vec<String> = (0..PROJECTS).map(|i| format!("project-{i:02}")).collect();
    let metrics = Metrics::new(projects.iter().cloned());
    let routes = [
        "/v1/events",
        "/v1/issues",
        "/v1/issues/{issue}",
        "/v1/breaches",
        "/v1/projects",
        "/metrics",
    ];
    for (i, project) in projects.iter().enumerate() {
        for stage in ["ack", "handle", "plan"] {
            for outcome in ["met", "breached", "waived"] {
                metrics
                    .stage_outcomes
                    .with_label_values(&[project, stage, outcome])
                    .inc_by(i as u64 + 1);
            }
            for state in ["pending", "at_risk", "breached"] {
                metrics
                    .open_stages
                    .with_label_values(&[project, stage, state])
                    .set(i as i64);
            }
            metrics.breaches.with_label_values(&[project, stage]).inc();
            metrics
                .breaches_retracted
                .with_label_values(&[project, stage])
                .inc();
            for seconds in [30.0, 500.0, 3000.0, 8000.0, 90000.0] {
                metrics
                    .stage_duration
                    .with_label_values(&[project, stage])
                    .observe(seconds);
            }
        }
    }
    for route in routes {
        for status in [
            "200", "201", "400", "401", "404", "409", "413", "415", "422", "503",
        ] {
            metrics.http_requests.with_label_values(&[route, status]).inc();
        }
        metrics.http_duration.with_label_values(&[route]).observe(0.002);
    }
    for kind in [
        "raised",
        "acknowledged",
        "handled",
        "planned",
        "closed",
        "reopened",
        "paused",
        "resumed",
    ] {
        metrics.events.with_label_values(&[kind, "group-bot"]).inc();
    }
    metrics.breach_detection_delay.observe(0.3);

    let mut timings = Vec::with_capacity(ROUNDS);
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let text = metrics.render();
        timings.push(started.elapsed());
        bytes = text.len();
    }
    timings.sort();
    let median = timings[ROUNDS / 2];
    let p99 = timings[ROUNDS * 99 / 100];
    println!(
        "render /metrics: {PROJECTS} projects x 3 stages, {} lines, {} KiB: median {:.2} ms, p99 {:.2} ms (target <= 5 ms)",
        metrics.render().lines().count(),
        bytes / 1024,
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
