//! Notifications that follow the clock (SPEC §6, issue "breach alerts"):
//! quiet hours hold warnings but not breaches, the daily digest goes out at
//! its local time once per day and scope, and Alertmanager hears a standing
//! breach again and again until it is resolved. The real service sends to a
//! local HTTP sink that records every request.

#[macro_use]
mod common;

use chrono::{DurationRound, TimeDelta, Utc};
use common::sink::{Recorded, Sink};
use common::*;
use serde_json::Value;
use std::time::Duration;

backend_tests!(
    quiet_hours_hold_a_warning_until_they_end_but_not_the_breach,
    the_daily_digest_reports_yesterday_once_per_scope_even_across_a_restart,
    alertmanager_hears_a_standing_breach_until_it_is_met,
);

/// Project `zhongtai` notifying `notify`, one-second grace, more
/// `[notifications]` keys, and `rest`.
fn config(notify: &str, notifications: &str, rest: &str) -> String {
    format!(
        r#"
[engine]
grace = "1s"

[notifications]
retry_base = "1s"
{notifications}

[projects.zhongtai]
name = "中泰环保"
notify = {notify}

{rest}
"#
    )
}

/// A policy whose deadlines all fall within the day an issue is raised.
const QUICK: &str =
    "[[policies]]\nname = \"quick\"\ntargets = { ack = \"10m\", handle = \"2h\", plan = \"4h\" }\n";

fn seq(accepted: &Value) -> i64 {
    accepted["issue"]["seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("no seq: {accepted}"))
}

fn webhook(name: &str, url: &str, more: &str) -> String {
    format!("[channels.{name}]\nkind = \"webhook\"\nurl = \"{url}\"\n{more}\n")
}

fn kind_of(request: &Recorded) -> String {
    request.json()["kind"].as_str().unwrap_or_default().to_string()
}

async fn quiet_hours_hold_a_warning_until_they_end_but_not_the_breach(backend: Backend) {
    let sink = Sink::start().await;
    // Quiet from an hour ago until the next whole minute at least 20 s away (UTC).
    let start = now() - TimeDelta::hours(1);
    let end = (now() + seconds(20.0))
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap()
        + TimeDelta::minutes(1);
    let quiet = format!(
        "quiet_hours = \"{}-{}\"\ntime_zone = \"UTC\"",
        start.format("%H:%M"),
        end.format("%H:%M")
    );
    let rest = format!(
        "[[policies]]\nname = \"quick\"\ntargets = {{ ack = \"10s\", handle = \"2h\", plan = \"1d\" }}\n\n{}",
        webhook("team", &sink.url("/team"), &quiet)
    );
    let app = spawn_app(backend, &config(r#"{ team = ["team"] }"#, "", &rest)).await;

    // At risk 1 s from now, breached 3 s from now (+ 1 s grace).
    let raised_at = now() - seconds(7.0);
    app.accept(&event("raised", "night", raised_at)).await;
    let breach = sink
        .wait_for(Duration::from_secs(10), 1, "the breach", |r| {
            kind_of(r) == "breach"
        })
        .await;
    assert!(breach[0].received < end, "the breach went out during quiet hours");
    assert!(
        sink.requests().iter().all(|r| kind_of(r) != "warning"),
        "the warning waits: {:#?}",
        sink.summary()
    );
    // The breach's delivery is recorded once the receiver has answered,
    // a moment after the receiver saw it.
    let pending = eventually(Duration::from_secs(5), "only the warning pending", || async {
        let pending = app.walk("/v1/notifications?state=pending").await;
        (pending.len() == 1).then_some(pending)
    })
    .await;
    assert_eq!(pending[0]["kind"], "warning");
    assert_eq!(instant(&pending[0]["next_attempt_at"]), end, "{pending:#?}");

    let wait = (end - now()).to_std().unwrap_or_default() + Duration::from_secs(10);
    let warning = sink
        .wait_for(wait, 1, "the warning", |r| kind_of(r) == "warning")
        .await;
    assert!(
        warning[0].received >= end,
        "the warning came before the quiet hours ended"
    );
    assert!(warning[0].received <= end + seconds(6.0), "the warning came late");
}

async fn the_daily_digest_reports_yesterday_once_per_scope_even_across_a_restart(backend: Backend) {
    let sink = Sink::start().await;
    // Due a few seconds after start; the day reported is the one before (UTC).
    let due = (now() + seconds(6.0))
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap();
    let yesterday = due.date_naive().pred_opt().unwrap();
    let notifications = format!(
        "digest_at = \"{}\"\ndigest_time_zone = \"UTC\"",
        due.format("%H:%M:%S")
    );
    let rest = format!(
        "{QUICK}\n[zone]\nnotify = {{ zone = [\"leaders\"] }}\n\n{}\n{}",
        webhook("team", &sink.url("/team"), ""),
        webhook("leaders", &sink.url("/leaders"), ""),
    );
    let toml = config(r#"{ team = ["team"] }"#, &notifications, &rest);
    let mut app = spawn_app(backend, &toml).await;

    // Yesterday morning (UTC), under a policy whose every deadline falls
    // that day: one issue answered in 4 minutes and resolved, one never.
    let morning = yesterday.and_hms_opt(8, 0, 0).unwrap().and_utc();
    let titled = |kind: &str, issue: &str, at, title: &str| {
        let mut event = event(kind, issue, at);
        event["title"] = title.into();
        event
    };
    let answered = app
        .accept(&titled("raised", "answered", morning, "道路积水"))
        .await;
    app.accept(&event("acknowledged", "answered", morning + minutes(4)))
        .await;
    let mut resolved = event("closed", "answered", morning + minutes(60));
    resolved["resolution"] = "resolved".into();
    app.accept(&resolved).await;
    let ignored = app
        .accept(&titled("raised", "ignored", morning + minutes(30), "工地停水"))
        .await;
    let (answered_seq, ignored_seq) = (seq(&answered), seq(&ignored));
    // And one from today, which is not yesterday's.
    app.accept(&event("raised", "today", now() - seconds(30.0))).await;

    let wait = (due - now()).to_std().unwrap_or_default() + Duration::from_secs(10);
    let team = sink
        .wait_for(wait, 1, "the project digest", |r| {
            r.route() == "/team" && kind_of(r) == "daily_digest"
        })
        .await;
    let body = team[0].json();
    assert!(team[0].received >= due, "the digest went out before its time");
    assert_eq!(body["project"], "zhongtai");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&format!("**{yesterday}** 新增问题 2 件")), "{text}");
    assert!(
        text.contains("- 回复：按时 1，超时 1，进行中 0，免除 0"),
        "{text}"
    );
    assert!(text.contains("**仍超时未办 1 件**"), "{text}");
    assert!(text.contains(&format!("- #{ignored_seq} ")), "{text}");
    assert!(!text.contains(&format!("- #{answered_seq} ")), "{text}");

    let zone = sink
        .wait_for(Duration::from_secs(5), 1, "the zone digest", |r| {
            r.route() == "/leaders"
        })
        .await;
    let zone_text = zone[0].json()["text"].as_str().unwrap().to_string();
    assert!(zone_text.contains("【SLA 日报】全区"), "{zone_text}");
    assert!(
        zone_text.contains("- 中泰环保：新增 2，超时 3，仍超时未办 1"),
        "{zone_text}"
    );

    // A restart the same day writes the same deliveries: nothing is sent again.
    app.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let digests: Vec<Value> = app
        .walk("/v1/notifications")
        .await
        .into_iter()
        .filter(|d| d["kind"] == "daily_digest")
        .collect();
    assert_eq!(digests.len(), 2, "{digests:#?}");
    let sent = sink
        .requests()
        .into_iter()
        .filter(|r| kind_of(r) == "daily_digest")
        .count();
    assert_eq!(sent, 2, "{:#?}", sink.summary());
}

/// The `endsAt` of the critical alert for `issue` in one Alertmanager POST.
fn critical_ends(request: &Recorded, issue: &str) -> Option<chrono::DateTime<Utc>> {
    request
        .json()
        .as_array()?
        .iter()
        .find(|alert| alert["labels"]["issue"] == issue && alert["labels"]["severity"] == "critical")
        .map(|alert| instant(&alert["endsAt"]))
}

async fn alertmanager_hears_a_standing_breach_until_it_is_met(backend: Backend) {
    let sink = Sink::start().await;
    let rest = format!(
        "[channels.am]\nkind = \"alertmanager\"\nurl = \"{}\"\n",
        sink.url("/am")
    );
    let toml = config(r#"{ team = ["am"] }"#, "alert_resend = \"1s\"", &rest);
    let app = spawn_app(backend, &toml).await;

    // Breached twenty minutes ago (ack within 10 minutes): recorded at once.
    app.accept(&event("raised", "dry", now() - minutes(30))).await;
    let firing = sink
        .wait_for(Duration::from_secs(10), 3, "the breach and two re-sends", |r| {
            critical_ends(r, "dry").is_some_and(|ends| ends > now() + minutes(15))
        })
        .await;
    assert_eq!(firing[0].route(), "/am/api/v2/alerts");
    let gaps: Vec<i64> = firing
        .windows(2)
        .map(|w| (w[1].received - w[0].received).num_milliseconds())
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap >= 500),
        "re-sent about every second: {gaps:?}"
    );

    // Met late: the alert is resolved, and re-sends stop.
    app.accept(&event("acknowledged", "dry", now())).await;
    let resolved = sink
        .wait_for(Duration::from_secs(10), 1, "the resolution", |r| {
            critical_ends(r, "dry").is_some_and(|ends| ends <= r.received + seconds(1.0))
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later_firing = sink
        .requests()
        .into_iter()
        .filter(|r| r.received > resolved[0].received)
        .filter(|r| critical_ends(r, "dry").is_some_and(|ends| ends > now() + minutes(15)))
        .count();
    assert_eq!(later_firing, 0, "{:#?}", sink.summary());
}
