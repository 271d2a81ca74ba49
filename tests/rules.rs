//! The SLA rules of SPEC §1, one test per rule, seen through the HTTP API:
//! stages and their implication, closing, reopening, pausing, events before
//! `raised`, policy choice, and retraction of disproved breaches (rule 9).

#[macro_use]
mod common;

use chrono::TimeDelta;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

backend_tests!(
    late_ack_is_breached_with_met_at_and_a_breach_record,
    a_later_stage_implies_the_earlier_ones,
    closing_resolves_or_waives_pending_stages,
    a_breach_is_never_unbreached_by_closing,
    reopening_starts_a_new_cycle_with_fresh_clocks,
    events_between_a_close_and_a_reopen_change_no_outcome,
    pause_is_rejected_unless_the_policy_allows_it,
    pause_stops_the_clocks_and_resume_moves_the_deadlines,
    events_before_raised_are_kept_and_applied,
    a_pre_raised_pause_is_rejected_when_reposted_after_a_no_pause_raised,
    only_the_earliest_raised_starts_the_issue,
    the_first_matching_policy_applies,
    a_late_on_time_ack_retracts_the_breach,
    a_close_before_the_deadline_retracts_the_breach,
    a_pause_retracts_and_a_resume_reinstates_the_same_breach,
);

async fn late_ack_is_breached_with_met_at_and_a_breach_record(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let raised_at = minutes_ago(30.0);
    let ack_at = raised_at + minutes(15);
    let answer = app.accept(&event("raised", "late", raised_at)).await;
    let summary = &answer["issue"];
    assert_eq!(summary["issue"], "late");
    assert_eq!(summary["seq"], 1, "the first issue seen is #1");
    assert_eq!(summary["project"], PROJECT);
    assert_eq!(summary["state"], "open");
    assert_eq!(stage(summary, "ack")["state"], "breached", "{summary}");
    app.accept(&event("acknowledged", "late", ack_at)).await;

    let issue = app.issue("late").await;
    let ack = stage(&issue, "ack");
    assert_eq!(ack["state"], "breached", "met late stays breached: {ack}");
    assert_shown(&ack["met_at"], ack_at);
    assert_shown(&ack["deadline"], raised_at + minutes(10));
    assert_shown(&ack["breached_at"], raised_at + minutes(10));
    assert!(ack["remaining_seconds"].is_null(), "{ack}");
    assert_eq!(stage(&issue, "handle")["state"], "pending");

    let breaches = app.breaches("").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    let breach = &breaches[0];
    assert_eq!(breach["issue"], "late");
    assert_eq!(breach["seq"], issue["seq"]);
    assert_eq!(breach["project"], PROJECT);
    assert_eq!(breach["stage"], "ack");
    assert_eq!(breach["cycle"], 1);
    assert_shown(&breach["deadline"], raised_at + minutes(10));
    assert_shown(&breach["met_at"], ack_at);
    assert!(breach["retracted_at"].is_null(), "{breach}");
    assert_eq!(
        breach["detected_late"], true,
        "backfilled: recorded long after deadline + grace"
    );
    assert_eq!(breach["escalation_step"], 0);
    assert!(instant(&breach["detected_at"]) >= now() - minutes(1), "{breach}");
}

async fn a_later_stage_implies_the_earlier_ones(backend: Backend) {
    let app = spawn_app(backend, "").await;
    // `handled` also meets `ack`.
    let handled_at = minutes_ago(1.0);
    app.accept_all(&[
        raised("handled-only", 5.0),
        event("handled", "handled-only", handled_at),
    ])
    .await;
    let issue = app.issue("handled-only").await;
    for name in ["ack", "handle"] {
        assert_eq!(stage(&issue, name)["state"], "met", "{issue}");
        assert_shown(&stage(&issue, name)["met_at"], handled_at);
    }
    assert_eq!(stage(&issue, "plan")["state"], "pending");

    // `planned` meets all three.
    let planned_at = minutes_ago(1.0);
    app.accept_all(&[
        raised("planned-only", 5.0),
        event("planned", "planned-only", planned_at),
    ])
    .await;
    let issue = app.issue("planned-only").await;
    for name in ["ack", "handle", "plan"] {
        assert_eq!(stage(&issue, name)["state"], "met", "{issue}");
        assert_shown(&stage(&issue, name)["met_at"], planned_at);
    }

    // A stage met before keeps its own time.
    let acked_at = minutes_ago(4.0);
    app.accept_all(&[
        raised("acked-first", 5.0),
        event("acknowledged", "acked-first", acked_at),
        handled("acked-first", 1.0),
    ])
    .await;
    let issue = app.issue("acked-first").await;
    assert_shown(&stage(&issue, "ack")["met_at"], acked_at);
    assert_eq!(stage(&issue, "handle")["state"], "met");
}

/// Closes an issue raised `raised_minutes_ago` one minute ago with
/// `resolution`; returns the issue and the close time.
async fn close_case(
    app: &TestApp,
    issue: &str,
    raised_minutes_ago: f64,
    resolution: &str,
) -> (Value, Timestamp) {
    let closed_at = minutes_ago(1.0);
    app.accept_all(&[
        raised(issue, raised_minutes_ago),
        event("closed", issue, closed_at).with("resolution", resolution),
    ])
    .await;
    let view = app.issue(issue).await;
    assert_eq!(view["state"], "closed", "{view}");
    assert_eq!(view["resolution"], resolution, "{view}");
    assert_shown(&view["closed_at"], closed_at);
    (view, closed_at)
}

async fn closing_resolves_or_waives_pending_stages(backend: Backend) {
    let app = spawn_app(backend, "").await;
    // `resolved` meets pending ack and handle at close time and waives plan.
    let (issue, closed_at) = close_case(&app, "resolved", 3.0, "resolved").await;
    for name in ["ack", "handle"] {
        assert_eq!(stage(&issue, name)["state"], "met", "{issue}");
        assert_shown(&stage(&issue, name)["met_at"], closed_at);
    }
    assert_eq!(stage(&issue, "plan")["state"], "waived", "{issue}");

    // Without an explicit resolution, `closed` means resolved.
    let closed_at = minutes_ago(1.0);
    app.accept_all(&[
        raised("default-resolution", 3.0),
        event("closed", "default-resolution", closed_at),
    ])
    .await;
    let issue = app.issue("default-resolution").await;
    assert_eq!(issue["resolution"], "resolved", "{issue}");
    assert_eq!(stage(&issue, "ack")["state"], "met");
    assert_eq!(stage(&issue, "plan")["state"], "waived");

    // The other resolutions waive every pending stage.
    for resolution in ["withdrawn", "invalid", "duplicate"] {
        let (issue, _) = close_case(&app, resolution, 3.0, resolution).await;
        for name in ["ack", "handle", "plan"] {
            let stage = stage(&issue, name);
            assert_eq!(stage["state"], "waived", "{resolution}: {stage}");
            assert!(
                stage["met_at"].is_null() && stage["remaining_seconds"].is_null(),
                "{stage}"
            );
        }
    }
    assert!(app.breaches("include_retracted=true").await.is_empty());
}

async fn a_breach_is_never_unbreached_by_closing(backend: Backend) {
    let app = spawn_app(backend, "").await;
    // `resolved` after the ack deadline: ack met late at close time.
    let (issue, closed_at) = close_case(&app, "late-resolved", 30.0, "resolved").await;
    let ack = stage(&issue, "ack");
    assert_eq!(ack["state"], "breached", "{ack}");
    assert_shown(&ack["met_at"], closed_at);
    assert_eq!(stage(&issue, "handle")["state"], "met");
    assert_eq!(stage(&issue, "plan")["state"], "waived");

    // `resolved` after every deadline: ack and handle met late, plan breached unmet.
    let (issue, closed_at) = close_case(&app, "all-late", 2.0 * 24.0 * 60.0, "resolved").await;
    for name in ["ack", "handle"] {
        assert_eq!(stage(&issue, name)["state"], "breached", "{issue}");
        assert_shown(&stage(&issue, name)["met_at"], closed_at);
    }
    let plan = stage(&issue, "plan");
    assert_eq!(plan["state"], "breached", "`resolved` never meets plan: {plan}");
    assert!(plan["met_at"].is_null(), "{plan}");

    // `withdrawn` after the ack deadline: ack breached unmet, the rest waived.
    let (issue, _) = close_case(&app, "late-withdrawn", 30.0, "withdrawn").await;
    assert_eq!(stage(&issue, "ack")["state"], "breached");
    assert!(stage(&issue, "ack")["met_at"].is_null());
    assert_eq!(stage(&issue, "handle")["state"], "waived");
    assert_eq!(stage(&issue, "plan")["state"], "waived");

    let mut recorded: Vec<(String, String, bool)> = app
        .breaches("")
        .await
        .iter()
        .map(|b| {
            (
                b["issue"].as_str().unwrap().into(),
                b["stage"].as_str().unwrap().into(),
                b["met_at"].is_null(),
            )
        })
        .collect();
    recorded.sort();
    let expected = [
        ("all-late", "ack", false),
        ("all-late", "handle", false),
        ("all-late", "plan", true),
        ("late-resolved", "ack", false),
        ("late-withdrawn", "ack", true),
    ]
    .map(|(i, s, unmet)| (i.to_string(), s.to_string(), unmet));
    assert_eq!(recorded, expected);
}

async fn reopening_starts_a_new_cycle_with_fresh_clocks(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let raised_at = minutes_ago(60.0);
    let reopened_at = minutes_ago(2.0);
    app.accept_all(&[
        event("raised", "reopen", raised_at),
        event("closed", "reopen", raised_at + minutes(20)).with("resolution", "withdrawn"),
        event("reopened", "reopen", reopened_at),
    ])
    .await;

    let issue = app.issue("reopen").await;
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["cycle"], 2);
    assert_shown(&issue["raised_at"], raised_at);
    assert!(
        issue["closed_at"].is_null() && issue["resolution"].is_null(),
        "{issue}"
    );
    let ack = stage(&issue, "ack");
    assert_eq!(ack["state"], "pending", "{ack}");
    assert_shown(&ack["deadline"], reopened_at + minutes(10));
    assert_shown(
        &stage(&issue, "plan")["deadline"],
        reopened_at + TimeDelta::days(1),
    );
    let remaining = ack["remaining_seconds"].as_i64().unwrap();
    assert!((470..=481).contains(&remaining), "about 8 minutes left: {ack}");

    // Cycle 1's outcome is kept: its ack was breached before the close.
    let breaches = app.breaches("").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["cycle"], 1);
    assert_eq!(breaches[0]["stage"], "ack");
    assert_shown(&breaches[0]["deadline"], raised_at + minutes(10));

    // Meeting the new cycle's ack on time leaves cycle 1's breach alone.
    app.accept(&acknowledged("reopen", 1.0)).await;
    assert_eq!(stage(&app.issue("reopen").await, "ack")["state"], "met");
    let breaches = app.breaches("").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert!(breaches[0]["retracted_at"].is_null());
}

const PAUSABLE_POLICIES: &str = r#"
[[policies]]
name = "pausable"
match = { project = ["pausable"] }
allow_pause = true
targets = { ack = "10m", handle = "2h", plan = "1d" }

[[policies]]
name = "default"
targets = { ack = "10m", handle = "2h", plan = "1d" }
"#;

async fn pause_is_rejected_unless_the_policy_allows_it(backend: Backend) {
    let app = spawn_app(backend, PAUSABLE_POLICIES).await;
    app.accept(&raised("strict", 5.0)).await;
    for kind in ["paused", "resumed"] {
        let attempt = event(kind, "strict", minutes_ago(1.0));
        let error = assert_error(
            app.post_events(&attempt).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        )
        .await;
        assert_eq!(error["field"], "kind", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("allow_pause"),
            "{error}"
        );
    }
    let issue = app.issue_with_events("strict").await;
    assert_eq!(issue["policy"], "default");
    assert_eq!(issue["state"], "open");
    assert_eq!(
        issue["events"].as_array().unwrap().len(),
        1,
        "a rejected event is not stored"
    );

    app.accept(&raised("flexible", 5.0).with("project", "pausable"))
        .await;
    app.accept(&paused("flexible", 1.0)).await;
    let issue = app.issue("flexible").await;
    assert_eq!(issue["policy"], "pausable");
    assert_eq!(issue["state"], "paused");
}

async fn pause_stops_the_clocks_and_resume_moves_the_deadlines(backend: Backend) {
    let app = spawn_app(backend, PAUSABLE_POLICIES).await;
    let raised_at = minutes_ago(5.0);
    app.accept_all(&[
        event("raised", "paused", raised_at).with("project", "pausable"),
        event("paused", "paused", raised_at + minutes(1)),
    ])
    .await;
    let issue = app.issue("paused").await;
    assert_eq!(issue["state"], "paused");
    for (name, left) in [("ack", 9 * 60), ("handle", 119 * 60), ("plan", 24 * 3600 - 60)] {
        let stage = stage(&issue, name);
        assert!(
            stage["deadline"].is_null(),
            "a paused clock has no deadline: {stage}"
        );
        assert_eq!(stage["remaining_seconds"], left, "frozen at the pause: {stage}");
        assert_eq!(stage["state"], "pending");
    }

    app.accept(&event("resumed", "paused", raised_at + minutes(4)))
        .await;
    let issue = app.issue("paused").await;
    assert_eq!(issue["state"], "open");
    // Each deadline moves by the 3 minutes the clocks were stopped.
    assert_shown(&stage(&issue, "ack")["deadline"], raised_at + minutes(13));
    assert_shown(&stage(&issue, "handle")["deadline"], raised_at + minutes(123));
    assert_shown(
        &stage(&issue, "plan")["deadline"],
        raised_at + TimeDelta::days(1) + minutes(3),
    );
    let remaining = stage(&issue, "ack")["remaining_seconds"].as_i64().unwrap();
    assert!((470..=481).contains(&remaining), "{issue}");
}

async fn events_before_raised_are_kept_and_applied(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let acked_at = minutes_ago(3.0);
    let answer = app.accept(&event("acknowledged", "early", acked_at)).await;
    assert_eq!(answer["issue"]["state"], "unraised", "{answer}");

    let issue = app.issue("early").await;
    assert_eq!(issue["state"], "unraised");
    assert!(issue["raised_at"].is_null(), "{issue}");
    assert!(issue["stages"].as_array().unwrap().is_empty(), "{issue}");
    let seq = issue["seq"].as_i64().expect("a seq at first sight");

    let raised_at = minutes_ago(5.0);
    app.accept(&event("raised", "early", raised_at)).await;
    let issue = app.issue("early").await;
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["seq"], seq, "the number given at first sight stays");
    assert_shown(&issue["raised_at"], raised_at);
    assert_eq!(stage(&issue, "ack")["state"], "met");
    assert_shown(&stage(&issue, "ack")["met_at"], acked_at);

    // An event dated before the raise counts as happening at the raise.
    let raised_at = minutes_ago(5.0);
    app.accept(&handled("before", 6.0)).await;
    app.accept(&event("raised", "before", raised_at)).await;
    let issue = app.issue_with_events("before").await;
    for name in ["ack", "handle"] {
        assert_eq!(stage(&issue, name)["state"], "met", "{issue}");
        assert_shown(&stage(&issue, name)["met_at"], raised_at);
    }
    let kinds: Vec<&str> = issue["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["handled", "raised"],
        "the timeline keeps the times as sent"
    );
}

async fn a_pre_raised_pause_is_rejected_when_reposted_after_a_no_pause_raised(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let pause = paused("pre-pause", 2.0);
    app.accept(&pause).await;
    app.accept(&raised("pre-pause", 5.0)).await;
    let issue = app.issue_with_events("pre-pause").await;
    assert_eq!(issue["state"], "open", "kept but ignored by the fold: {issue}");
    assert_eq!(issue["events"].as_array().unwrap().len(), 2);
    // Validation comes before idempotency.
    assert_error(
        app.post_events(&pause).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
}

async fn a_late_on_time_ack_retracts_the_breach(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let raised_at = minutes_ago(20.0);
    app.accept(&event("raised", "retract", raised_at)).await;
    let breaches = app.breaches("").await;
    assert_eq!(breaches.len(), 1, "flagged at once: {breaches:?}");
    assert!(breaches[0]["retracted_at"].is_null());

    // The bot's reply was delayed: it was in fact on time.
    app.accept(&event("acknowledged", "retract", raised_at + minutes(5)))
        .await;
    assert_eq!(stage(&app.issue("retract").await, "ack")["state"], "met");
    assert!(app.breaches("").await.is_empty(), "retracted breaches are hidden");
    let all = app.breaches("include_retracted=true").await;
    assert_eq!(all.len(), 1, "kept in history, once: {all:?}");
    assert_eq!(all[0]["stage"], "ack");
    assert_shown(&all[0]["deadline"], raised_at + minutes(10));
    let retracted_at = instant(&all[0]["retracted_at"]);
    assert!(retracted_at >= now() - minutes(1), "{all:?}");
    assert!(all[0]["retracted_at"].as_str().unwrap().ends_with("+08:00"));
}

async fn a_close_before_the_deadline_retracts_the_breach(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let raised_at = minutes_ago(20.0);
    app.accept(&event("raised", "withdrawn", raised_at)).await;
    assert_eq!(app.breaches("").await.len(), 1);
    app.accept(&event("closed", "withdrawn", raised_at + minutes(3)).with("resolution", "withdrawn"))
        .await;
    assert_eq!(stage(&app.issue("withdrawn").await, "ack")["state"], "waived");
    assert!(app.breaches("").await.is_empty());
    let all = app.breaches("include_retracted=true").await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(!all[0]["retracted_at"].is_null());
}

async fn a_pause_retracts_and_a_resume_reinstates_the_same_breach(backend: Backend) {
    let app = spawn_app(backend, PAUSABLE_POLICIES).await;
    let raised_at = minutes_ago(20.0);
    app.accept(&event("raised", "moved", raised_at).with("project", "pausable"))
        .await;
    assert_eq!(app.breaches("").await.len(), 1);

    // Paused after a minute: the ack clock never reached its deadline.
    app.accept(&event("paused", "moved", raised_at + minutes(1)))
        .await;
    assert!(
        app.breaches("").await.is_empty(),
        "the pause disproves the breach"
    );
    let retracted = app.breaches("include_retracted=true").await;
    assert_eq!(retracted.len(), 1);

    // Resumed a minute later: the deadline moves by one minute, long past.
    app.accept(&event("resumed", "moved", raised_at + minutes(2)))
        .await;
    let breaches = app.breaches("include_retracted=true").await;
    assert_eq!(breaches.len(), 1, "the same record is reinstated: {breaches:?}");
    assert!(breaches[0]["retracted_at"].is_null(), "{breaches:?}");
    assert_shown(&breaches[0]["deadline"], raised_at + minutes(11));
    assert_eq!(
        breaches[0]["detected_at"], retracted[0]["detected_at"],
        "the same record"
    );
}

async fn events_between_a_close_and_a_reopen_change_no_outcome(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let raised_at = minutes_ago(60.0);
    let reopened_at = raised_at + minutes(30);
    app.accept_all(&[
        event("raised", "gap", raised_at),
        event("acknowledged", "gap", raised_at + minutes(5)),
        event("closed", "gap", raised_at + minutes(10)),
        // Neither cycle's: the first is over, the second has not begun.
        event("handled", "gap", raised_at + minutes(20)),
        event("reopened", "gap", reopened_at),
    ])
    .await;
    let issue = app.issue_with_events("gap").await;
    assert_eq!(issue["cycle"], 2);
    for name in ["ack", "handle"] {
        let stage = stage(&issue, name);
        assert!(
            stage["met_at"].is_null(),
            "the handled in the gap counts for nothing: {stage}"
        );
    }
    assert_eq!(
        stage(&issue, "ack")["state"],
        "breached",
        "cycle 2 ack was due 20 minutes ago"
    );
    assert_shown(&stage(&issue, "ack")["deadline"], reopened_at + minutes(10));
    assert_eq!(
        issue["events"].as_array().unwrap().len(),
        5,
        "kept in the timeline"
    );
    let breaches = app.breaches("").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["cycle"], 2);
}

async fn only_the_earliest_raised_starts_the_issue(backend: Backend) {
    let app = spawn_app(backend, PAUSABLE_POLICIES).await;
    let first = minutes_ago(5.0);
    app.accept(
        &raised("twice", 2.0)
            .with("project", "pausable")
            .with("title", "second"),
    )
    .await;
    app.accept(&event("raised", "twice", first).with("title", "first"))
        .await;
    let issue = app.issue_with_events("twice").await;
    assert_eq!(issue["project"], PROJECT, "{issue}");
    assert_eq!(issue["policy"], "default");
    assert_eq!(issue["title"], "first");
    assert_eq!(issue["cycle"], 1);
    assert_shown(&issue["raised_at"], first);
    assert_shown(&stage(&issue, "ack")["deadline"], first + minutes(10));
    assert_eq!(issue["events"].as_array().unwrap().len(), 2);
}

async fn the_first_matching_policy_applies(backend: Backend) {
    let policies = r#"
[[policies]]
name = "urgent"
match = { priority = ["urgent"] }
targets = { ack = "5m", handle = "1h", plan = "4h" }

[[policies]]
name = "zhongtai"
match = { project = ["zhongtai"] }
targets = { ack = "15m", handle = "3h", plan = "2d" }
"#;
    let app = spawn_app(backend, policies).await;
    let at = minutes_ago(1.0);
    let cases = [
        (
            "p-urgent",
            "zhongtai",
            Some("urgent"),
            "urgent",
            [minutes(5), minutes(60), minutes(240)],
        ),
        (
            "p-project",
            "zhongtai",
            Some("normal"),
            "zhongtai",
            [minutes(15), minutes(180), TimeDelta::days(2)],
        ),
        // Unconfigured project, no policy matches: the built-in default.
        (
            "p-other",
            "elsewhere",
            None,
            "default",
            [minutes(10), minutes(120), TimeDelta::days(1)],
        ),
    ];
    for (issue, project, priority, policy, targets) in cases {
        let mut raised = event("raised", issue, at).with("project", project);
        if let Some(priority) = priority {
            raised = raised.with("priority", priority);
        }
        app.accept(&raised).await;
        let view = app.issue(issue).await;
        assert_eq!(view["policy"], policy, "{view}");
        for (name, target) in ["ack", "handle", "plan"].into_iter().zip(targets) {
            assert_shown(&stage(&view, name)["deadline"], at + target);
        }
    }
}
