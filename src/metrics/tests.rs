use super::*;

#[test]
fn required_metrics_are_exposed_with_their_names() {
    let metrics = Metrics::new(["zhongtai".to_string()]);
    metrics.events.with_label_values(&["raised", "bot"]).inc();
    metrics.events_rejected.with_label_values(&["unknown_kind"]).inc();
    metrics
        .stage_outcomes
        .with_label_values(&["zhongtai", "ack", "met"])
        .inc();
    metrics.breaches.with_label_values(&["zhongtai", "ack"]).inc();
    metrics
        .breaches_retracted
        .with_label_values(&["zhongtai", "ack"])
        .inc();
    metrics
        .stage_duration
        .with_label_values(&["zhongtai", "ack"])
        .observe(300.0);
    metrics
        .open_stages
        .with_label_values(&["zhongtai", "ack", "pending"])
        .set(1);
    metrics.breach_detection_delay.observe(0.2);
    metrics
        .notifications
        .with_label_values(&["team", "breach", "delivered"])
        .inc();
    metrics
        .http_requests
        .with_label_values(&["/v1/events", "201"])
        .inc();
    metrics
        .http_duration
        .with_label_values(&["/v1/events"])
        .observe(0.001);
    let text = metrics.render();
    for name in [
        "slawatch_events_total{kind=\"raised\",source=\"bot\"} 1",
        "slawatch_events_rejected_total{reason=\"unknown_kind\"} 1",
        "slawatch_events_duplicate_total 0",
        "slawatch_stage_outcomes_total{outcome=\"met\",project=\"zhongtai\",stage=\"ack\"} 1",
        "slawatch_breaches_total{project=\"zhongtai\",stage=\"ack\"} 1",
        "slawatch_breaches_retracted_total{project=\"zhongtai\",stage=\"ack\"} 1",
        "slawatch_breaches_total{project=\"zhongtai\",stage=\"plan\"} 0",
        "slawatch_breaches_total{project=\"_unconfigured\",stage=\"handle\"} 0",
        "slawatch_stage_duration_seconds_bucket{project=\"zhongtai\",stage=\"ack\",le=\"600\"} 1",
        "slawatch_stage_duration_seconds_bucket{project=\"zhongtai\",stage=\"ack\",le=\"7200\"} 1",
        "slawatch_stage_duration_seconds_bucket{project=\"zhongtai\",stage=\"ack\",le=\"86400\"} 1",
        "slawatch_open_stages{project=\"zhongtai\",stage=\"ack\",state=\"pending\"} 1",
        "slawatch_breach_detection_delay_seconds_count 1",
        "slawatch_notifications_total{channel=\"team\",kind=\"breach\",outcome=\"delivered\"} 1",
        "slawatch_outbox_pending 0",
        "slawatch_http_requests_total{route=\"/v1/events\",status=\"201\"} 1",
        "slawatch_http_request_duration_seconds_count{route=\"/v1/events\"} 1",
        "slawatch_build_info{version=",
    ] {
        assert!(text.contains(name), "missing `{name}` in:\n{text}");
    }
}

#[test]
fn every_rejection_reason_starts_at_zero_and_others_fold_into_other() {
    let metrics = Metrics::new(Vec::<String>::new());
    let text = metrics.render();
    for reason in REJECTION_REASONS {
        let series = format!("slawatch_events_rejected_total{{reason=\"{reason}\"}} 0");
        assert!(text.contains(&series), "missing `{series}` in:\n{text}");
    }
    metrics.reject("unknown_kind", 2);
    metrics.reject("a free text reason", 1);
    let text = metrics.render();
    assert!(text.contains("slawatch_events_rejected_total{reason=\"unknown_kind\"} 2"));
    assert!(text.contains("slawatch_events_rejected_total{reason=\"other\"} 1"));
    assert!(!text.contains("free text"));
}

#[test]
fn unconfigured_projects_share_one_label() {
    let metrics = Metrics::new(["zhongtai".to_string()]);
    assert_eq!(metrics.project_label(Some("zhongtai")), "zhongtai");
    assert_eq!(metrics.project_label(Some("random-123")), UNCONFIGURED_PROJECT);
    assert_eq!(metrics.project_label(None), UNCONFIGURED_PROJECT);
}
