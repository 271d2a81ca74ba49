//! Prometheus metrics (SPEC §7). Labels come only from bounded sets:
//! configured projects, stage names, token names, route templates.

mod gauges;

pub use gauges::refresh_loop;

use crate::domain::event::INVALID_REASONS;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::collections::BTreeSet;

/// Label for events of projects missing from the configuration.
pub const UNCONFIGURED_PROJECT: &str = "_unconfigured";

/// The `reason` labels of `slawatch_events_rejected_total`, a fixed set of
/// error codes: what validation finds wrong with an event
/// ([`INVALID_REASONS`]), what the writer refuses (`pause_not_allowed`, and
/// `conflict`: the same id with other content), and what refuses a whole
/// request body on `POST /v1/events` (each counted once, or once per item
/// for an array over the size limit). `other` is any code outside the set,
/// which would be a bug. Every reason starts at 0.
pub const REJECTION_REASONS: [&str; 22] = [
    INVALID_REASONS[0],
    INVALID_REASONS[1],
    INVALID_REASONS[2],
    INVALID_REASONS[3],
    INVALID_REASONS[4],
    INVALID_REASONS[5],
    INVALID_REASONS[6],
    INVALID_REASONS[7],
    INVALID_REASONS[8],
    INVALID_REASONS[9],
    INVALID_REASONS[10],
    INVALID_REASONS[11],
    INVALID_REASONS[12],
    INVALID_REASONS[13],
    INVALID_REASONS[14],
    "pause_not_allowed",
    "conflict",
    "malformed_request",
    "payload_too_large",
    "unsupported_media_type",
    "batch_too_large",
    "other",
];

/// The `platform` labels of the message counters: the platforms with hooks,
/// `wechat`, and `other` for any other bot's platform name.
pub const MESSAGE_PLATFORMS: [&str; 7] = [
    "feishu", "dingtalk", "wecom", "slack", "telegram", "wechat", "other",
];

/// SLA-clock buckets: exact boundaries at 10 minutes, 2 hours and 1 day so
/// `le` buckets give compliance ratios exactly.
const STAGE_BUCKETS: [f64; 18] = [
    60.0, 120.0, 300.0, 450.0, 600.0, 900.0, 1800.0, 3600.0, 5400.0, 7200.0, 10800.0, 14400.0, 28800.0,
    43200.0, 86400.0, 172800.0, 259200.0, 604800.0,
];
const DETECTION_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
const HTTP_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Every metric of the service, registered in one registry.
pub struct Metrics {
    registry: Registry,
    /// Set by every commit, cleared by a gauge refresh.
    written: std::sync::atomic::AtomicBool,
    /// Set by every scrape, cleared by the refresh loop.
    scraped: std::sync::atomic::AtomicBool,
    projects: BTreeSet<String>,
    pub events: IntCounterVec,
    pub events_rejected: IntCounterVec,
    pub events_duplicate: IntCounter,
    pub stage_outcomes: IntCounterVec,
    pub breaches: IntCounterVec,
    pub breaches_retracted: IntCounterVec,
    pub stage_duration: HistogramVec,
    pub open_stages: IntGaugeVec,
    pub breach_detection_delay: Histogram,
    pub notifications: IntCounterVec,
    /// Chat messages received, by platform and what they did.
    pub messages: IntCounterVec,
    /// New chat messages from chats no project lists, by platform.
    pub messages_unmapped: IntCounterVec,
    pub outbox_pending: IntGauge,
    /// Failed store operations on the write path and in readiness checks,
    /// by [`crate::store::FaultKind`].
    pub store_errors: IntCounterVec,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    /// 1 while a receiver's connection is up (or its poll answers), by
    /// receiver name (`[receivers.NAME]`, a configured, bounded set).
    pub receiver_connected: IntGaugeVec,
    /// Chat messages a receiver delivered and saw committed, by receiver.
    pub receiver_messages: IntCounterVec,
    /// Connections a receiver opened again after the first, by receiver.
    pub receiver_reconnects: IntCounterVec,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("unique metric");
    metric
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    let metric = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), labels)
        .expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("unique metric");
    metric
}

impl Metrics {
    /// Registers every metric; `projects` are the configured project keys.
    pub fn new(projects: impl IntoIterator<Item = String>) -> Metrics {
        let registry = Registry::new_custom(Some("slawatch".into()), None).expect("valid prefix");
        let build_info = IntGaugeVec::new(
            Opts::new("build_info", "Build of the running binary."),
            &["version"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(build_info.clone()))
            .expect("unique metric");
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);

        let open_stages = IntGaugeVec::new(
            Opts::new(
                "open_stages",
                "Stages of open issues by state, computed from the store.",
            ),
            &["project", "stage", "state"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(open_stages.clone()))
            .expect("unique metric");
        let outbox_pending =
            IntGauge::new("outbox_pending", "Notifications waiting for delivery.").expect("valid metric");
        registry
            .register(Box::new(outbox_pending.clone()))
            .expect("unique metric");
        let breach_detection_delay = Histogram::with_opts(
            HistogramOpts::new(
                "breach_detection_delay_seconds",
                "Seconds from deadline + grace to the breach record, for breaches caught by the timer.",
            )
            .buckets(DETECTION_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        registry
            .register(Box::new(breach_detection_delay.clone()))
            .expect("unique metric");
        let events_duplicate = IntCounter::new(
            "events_duplicate_total",
            "Events posted again with the same id and content.",
        )
        .expect("valid metric");
        registry
            .register(Box::new(events_duplicate.clone()))
            .expect("unique metric");

        let receiver_connected = IntGaugeVec::new(
            Opts::new(
                "receiver_connected",
                "1 while a receiver's connection to its chat platform is up.",
            ),
            &["receiver"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(receiver_connected.clone()))
            .expect("unique metric");

        let metrics = Metrics {
            written: std::sync::atomic::AtomicBool::new(true),
            scraped: std::sync::atomic::AtomicBool::new(false),
            projects: projects.into_iter().collect(),
            events: counter(&registry, "events_total", "Events stored.", &["kind", "source"]),
            events_rejected: counter(&registry, "events_rejected_total", "Events refused.", &["reason"]),
            events_duplicate,
            stage_outcomes: counter(
                &registry,
                "stage_outcomes_total",
                "Stages that reached a final outcome.",
                &["project", "stage", "outcome"],
            ),
            breaches: counter(
                &registry,
                "breaches_total",
                "Breach records made.",
                &["project", "stage"],
            ),
            breaches_retracted: counter(
                &registry,
                "breaches_retracted_total",
                "Breach records retracted by later events.",
                &["project", "stage"],
            ),
            stage_duration: histogram(
                &registry,
                "stage_duration_seconds",
                "SLA-clock seconds from cycle start to the stage being met.",
                &["project", "stage"],
                &STAGE_BUCKETS,
            ),
            open_stages,
            breach_detection_delay,
            notifications: counter(
                &registry,
                "notifications_total",
                "Notification delivery attempts.",
                &["channel", "kind", "outcome"],
            ),
            messages: counter(
                &registry,
                "messages_total",
                "Chat messages received: `acted` (raised, joined or changed an issue), `none` (stored only), `duplicate`.",
                &["platform", "outcome"],
            ),
            messages_unmapped: counter(
                &registry,
                "messages_unmapped_total",
                "New chat messages from chats no project lists (stored, no event): GET /v1/chats?mapped=false lists the chats.",
                &["platform"],
            ),
            outbox_pending,
            store_errors: counter(
                &registry,
                "store_errors_total",
                "Store operations that failed with a fault worth retrying (answered 503), by kind.",
                &["kind"],
            ),
            http_requests: counter(
                &registry,
                "http_requests_total",
                "HTTP requests by route template and status.",
                &["route", "status"],
            ),
            http_duration: histogram(
                &registry,
                "http_request_duration_seconds",
                "HTTP request latency by route template.",
                &["route"],
                &HTTP_BUCKETS,
            ),
            receiver_connected,
            receiver_messages: counter(
                &registry,
                "receiver_messages_total",
                "Chat messages a receiver took from its platform, counted once committed.",
                &["receiver"],
            ),
            receiver_reconnects: counter(
                &registry,
                "receiver_reconnects_total",
                "Times a receiver connected again (after a drop, a refusal or the platform's request).",
                &["receiver"],
            ),
            registry,
        };
        metrics.create_series();
        metrics
    }

    /// Creates a receiver's series at zero, so a first reconnect is an
    /// increase Prometheus can see.
    pub fn add_receiver(&self, name: &str) {
        self.receiver_connected.with_label_values(&[name]).set(0);
        self.receiver_messages.with_label_values(&[name]);
        self.receiver_reconnects.with_label_values(&[name]);
    }

    /// Counts `count` events refused for `reason` (folded into `other` when
    /// it is not one of [`REJECTION_REASONS`], so the label set stays fixed).
    pub fn reject(&self, reason: &str, count: u64) {
        let reason = REJECTION_REASONS
            .into_iter()
            .find(|known| *known == reason)
            .unwrap_or("other");
        self.events_rejected.with_label_values(&[reason]).inc_by(count);
    }

    /// Counts a store fault outside the writer (which counts its own).
    pub fn count_store_error(&self, error: &crate::store::StoreError) {
        if let crate::store::StoreError::Unavailable(fault) = error {
            self.store_errors.with_label_values(&[fault.kind.as_str()]).inc();
        }
    }

    /// Creates every per-project series at zero, so the first breach after a
    /// start is an increase Prometheus can see (a series born at 1 is not);
    /// likewise every rejection reason.
    fn create_series(&self) {
        for reason in REJECTION_REASONS {
            self.events_rejected.with_label_values(&[reason]);
        }
        for platform in MESSAGE_PLATFORMS {
            self.messages_unmapped.with_label_values(&[platform]);
        }
        for kind in crate::store::FaultKind::ALL {
            self.store_errors.with_label_values(&[kind.as_str()]);
        }
        let projects = self
            .projects
            .iter()
            .map(String::as_str)
            .chain([UNCONFIGURED_PROJECT]);
        for project in projects {
            for stage in ["ack", "handle", "plan"] {
                self.breaches.with_label_values(&[project, stage]);
                self.breaches_retracted.with_label_values(&[project, stage]);
                self.stage_duration.with_label_values(&[project, stage]);
                for outcome in ["met", "breached", "waived"] {
                    self.stage_outcomes.with_label_values(&[project, stage, outcome]);
                }
            }
        }
    }

    /// The `project` label for a project key: configured keys as they are,
    /// anything else folded into one value so labels stay bounded.
    pub fn project_label<'a>(&self, project: Option<&'a str>) -> &'a str {
        match project {
            Some(key) if self.projects.contains(key) => key,
            _ => UNCONFIGURED_PROJECT,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        self.scraped.store(true, std::sync::atomic::Ordering::Release);
        let mut buffer = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }

    /// Notes that the store changed, so the gauges are due for a refresh.
    pub fn mark_written(&self) {
        self.written.store(true, std::sync::atomic::Ordering::Release);
    }
}

#[cfg(test)]
mod tests;
