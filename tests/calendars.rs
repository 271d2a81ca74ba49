//! Working-time calendars through the API: deadlines shown as absolute
//! times, and the calendar each issue is measured in.

#[macro_use]
mod common;

use common::*;
use serde_json::json;

backend_tests!(
    national_day_holiday_moves_the_deadline_past_the_break,
    a_make_up_working_day_counts_as_working_time,
    metrics_are_public_unless_a_metrics_token_is_set,
);

const CN_WORKDAYS: &str = r#"
[[policies]]
name = "workdays"
calendar = "cn-workdays"
targets = { ack = "10m", handle = "2h", plan = "1d" }
"#;

fn stage<'a>(issue: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    issue["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap()
}

async fn national_day_holiday_moves_the_deadline_past_the_break(backend: Backend) {
    let app = spawn_app(backend, CN_WORKDAYS).await;
    // Tue 30 Sep 2025, 17:00: the end of the last working day before
    // the National Day holiday (1–8 October).
    app.accept(
        &json!({"id": "nd-1", "issue": "nd", "kind": "raised", "project": "zhongtai",
        "at": "2025-09-30T17:00:00+08:00"}),
    )
    .await;
    let issue = app.issue("nd").await;
    assert_eq!(issue["policy"], "workdays");
    assert_eq!(issue["calendar"], "cn-workdays");
    assert_eq!(stage(&issue, "ack")["deadline"], "2025-10-09T09:10:00+08:00");
    assert_eq!(stage(&issue, "handle")["deadline"], "2025-10-09T11:00:00+08:00");
    // One working day: the same working-time position (the day's end) on Thu 9 Oct.
    assert_eq!(stage(&issue, "plan")["deadline"], "2025-10-09T17:00:00+08:00");
}

async fn a_make_up_working_day_counts_as_working_time(backend: Backend) {
    let app = spawn_app(backend, CN_WORKDAYS).await;
    // Sun 26 Jan 2025 was a make-up working day (调休) before the Spring Festival.
    app.accept(
        &json!({"id": "mu-1", "issue": "mu", "kind": "raised", "project": "zhongtai",
        "at": "2025-01-26T10:00:00+08:00"}),
    )
    .await;
    let issue = app.issue("mu").await;
    assert_eq!(stage(&issue, "ack")["deadline"], "2025-01-26T10:10:00+08:00");
    assert_eq!(stage(&issue, "handle")["deadline"], "2025-01-26T12:00:00+08:00");
}

async fn metrics_are_public_unless_a_metrics_token_is_set(backend: Backend) {
    let open = spawn_app(backend, "").await;
    let response = open.client.get(open.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("slawatch_build_info"));

    let secret = "metrics-secret-0123456789";
    let guarded = spawn_app_with_env(
        backend,
        "[server]\nmetrics_token_env = \"TEST_METRICS_TOKEN\"",
        &[("TEST_METRICS_TOKEN", secret)],
    )
    .await;
    let anonymous = guarded.client.get(guarded.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}
