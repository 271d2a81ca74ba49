//! Breach notifications end to end (SPEC §6, §11): the real service sends to
//! a local HTTP sink that records every request. Each notice reaches each
//! channel of its audience once, with the platform's body and the Standard
//! Webhooks signature (verified here independently); failures are retried
//! with backoff until the sink recovers; a restart loses nothing and sends
//! nothing twice; each channel is held to its rate limit; the deliveries are
//! visible to admins only.

#[macro_use]
mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::FixedOffset;
use common::sink::{Recorded, Reply, Sink};
use common::*;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

backend_tests!(
    a_breach_sends_one_signed_request_per_team_channel,
    a_warning_comes_before_the_breach,
    escalation_steps_fire_at_their_times_and_stop_once_the_stage_is_met,
    a_disproved_breach_is_retracted,
    transient_failures_are_retried_with_backoff_until_delivered,
    an_endpoint_that_comes_back_gets_its_queue_at_once,
    a_delivery_that_times_out_is_retried,
    a_permanent_failure_is_failed_until_an_admin_retries_it,
    a_restart_loses_nothing_and_resends_nothing_delivered,
    slack_deliveries_are_spread_one_per_second,
    a_wecom_channel_sends_twenty_a_minute_and_queues_the_rest,
    a_per_minute_override_holds_a_webhook_channel_to_its_limit,
    notifications_need_the_admin_scope,
);

/// A Standard Webhooks secret (`whsec_` + base64 of the key).
const SECRET: &str = "whsec_c2xhd2F0Y2gtdGVzdHMtc2lnbmluZy1rZXktMDAx";
const PUBLIC_URL: &str = "https://sla.example.org";
const PROJECT_NAME: &str = "中泰环保绿色环保过滤设备制造项目";
/// How long a notice may take to reach the sink once it is due.
const PROMPTLY: Duration = Duration::from_secs(10);

/// The configuration: one-second grace and retry base, links under
/// `PUBLIC_URL`, project `zhongtai` notifying `notify`, and `rest`
/// (channels, policies, `[zone]`).
fn config(notify: &str, rest: &str) -> String {
    format!(
        r#"
[server]
public_url = "{PUBLIC_URL}/"

[engine]
grace = "1s"

[notifications]
retry_base = "1s"

[projects.zhongtai]
name = "{PROJECT_NAME}"
notify = {notify}

{rest}
"#
    )
}

/// `[channels.NAME]` of `kind` at `url`, with more `key = value` lines.
fn channel(name: &str, kind: &str, url: &str, more: &str) -> String {
    format!("[channels.{name}]\nkind = \"{kind}\"\nurl = \"{url}\"\n{more}\n")
}

/// The webhook requests to `route` announcing `kind` for `issue`.
fn hooks<'a>(requests: &'a [Recorded], route: &str, kind: &str, issue: &str) -> Vec<&'a Recorded> {
    requests
        .iter()
        .filter(|r| r.route() == route && r.json()["kind"] == kind && r.json()["issue"] == issue)
        .collect()
}

/// Every delivery of `GET /v1/notifications?{query}`, newest first.
async fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    app.walk(&format!("/v1/notifications?{query}")).await
}

/// Waits until exactly `count` deliveries exist and all are delivered.
async fn all_delivered(app: &TestApp, count: usize, within: Duration) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let items = deliveries(app, "").await;
        if items.len() == count && items.iter().all(|d| d["state"] == "delivered") {
            return items;
        }
        assert!(
            started.elapsed() < within,
            "{count} deliveries not all delivered within {within:?}: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `seq` an accepted `raised` got.
fn seq_of(accepted: &Value) -> i64 {
    accepted["issue"]["seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("no seq: {accepted}"))
}

/// Sleeps until the wall clock reads `at`.
async fn sleep_until(at: Timestamp) {
    if let Ok(wait) = (at - now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// Milliseconds from `a` to `b`.
fn millis(a: Timestamp, b: Timestamp) -> i64 {
    (b - a).num_milliseconds()
}

/// How a message shows an instant: `2024-05-30 10:02 +08:00`.
fn local_minute(at: Timestamp) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M +08:00")
        .to_string()
}

/// Verifies a Standard Webhooks request independently of the service: the
/// `webhook-signature` holds `v1,<base64 HMAC-SHA256>` of
/// `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64 after
/// `whsec_`, and the timestamp is within the reference libraries' 5 minutes.
#[track_caller]
fn assert_signed(request: &Recorded, secret: &str) {
    let id = request.header("webhook-id").expect("a webhook-id header");
    let timestamp = request
        .header("webhook-timestamp")
        .expect("a webhook-timestamp header");
    let signatures = request
        .header("webhook-signature")
        .expect("a webhook-signature header");
    let expected = standard_webhooks_signature(secret, id, timestamp, &request.body);
    assert!(
        signatures.split(' ').any(|s| s == expected),
        "signature {signatures:?}, expected {expected:?}"
    );
    let seconds: i64 = timestamp.parse().expect("webhook-timestamp is Unix seconds");
    assert!(
        (seconds - now().timestamp()).abs() <= 300,
        "webhook-timestamp {seconds} is not now"
    );
}

fn standard_webhooks_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64 after whsec_");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The verifier above agrees with the Standard Webhooks specification's
/// published example, so it can be trusted to judge the service.
#[test]
fn the_signature_check_agrees_with_the_standard_webhooks_example() {
    assert_eq!(
        standard_webhooks_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

async fn a_breach_sends_one_signed_request_per_team_channel(backend: Backend) {
    let sink = Sink::start().await;
    // Two team channels (a signed webhook, a WeCom robot whose URL comes
    // from the environment), and lead and zone channels that must stay quiet.
    let rest = [
        channel(
            "team-hook",
            "webhook",
            &sink.url("/hook"),
            "secret_env = \"TEST_HOOK_SECRET\"",
        ),
        "[channels.team-wecom]\nkind = \"wecom\"\nurl_env = \"TEST_WECOM_URL\"\n".to_string(),
        channel("leaders", "webhook", &sink.url("/leaders"), ""),
        channel("zone-leaders", "webhook", &sink.url("/zone"), ""),
        "[zone]\nnotify = { zone = [\"zone-leaders\"] }\n".to_string(),
    ]
    .join("\n");
    let toml = config(
        r#"{ team = ["team-hook", "team-wecom"], lead = ["leaders"] }"#,
        &rest,
    );
    let wecom_url = sink.url("/wecom?key=robot-key-1");
    let app = spawn_app_with_env(
        backend,
        &toml,
        &[("TEST_HOOK_SECRET", SECRET), ("TEST_WECOM_URL", &wecom_url)],
    )
    .await;

    // Raised 11 minutes ago: the 10-minute ack deadline has passed.
    let issue = "water-cut 0530";
    let raised_at = now() - minutes(11.0);
    let deadline = raised_at + minutes(10.0);
    let title = "工地因管道抢修停水";
    let raised_event = event("raised", issue, raised_at).with("title", title).with(
        "actor",
        json!({ "id": "wang-yz", "name": "王永忠", "role": "requester" }),
    );
    let posted_at = now();
    let seq = seq_of(&app.accept(&raised_event).await);

    sink.wait_for(PROMPTLY, 2, "the breach on both team channels", |r| {
        r.route() == "/hook" || r.route() == "/wecom"
    })
    .await;
    // Nothing else follows: one request per team channel, none elsewhere.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let requests = sink.requests();
    assert_eq!(requests.len(), 2, "{:#?}", sink.summary());
    let hook = requests
        .iter()
        .find(|r| r.route() == "/hook")
        .expect("the webhook");
    let wecom = requests
        .iter()
        .find(|r| r.route() == "/wecom")
        .expect("the WeCom robot");

    // The generic webhook: SPEC §6 body, Standard Webhooks headers.
    assert_eq!(hook.method, "POST");
    assert!(
        hook.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        hook.headers
    );
    assert_signed(hook, SECRET);
    let body = hook.json();
    for key in [
        "delivery",
        "kind",
        "issue",
        "seq",
        "project",
        "project_name",
        "stage",
        "cycle",
        "title",
        "raised_at",
        "deadline",
        "detected_at",
        "escalation_step",
        "url",
        "text",
    ] {
        assert!(body.get(key).is_some(), "no `{key}`: {body}");
    }
    assert_eq!(body["delivery"].as_str(), hook.header("webhook-id"), "{body}");
    assert_eq!(body["kind"], "breach");
    assert_eq!(body["issue"], issue);
    assert_eq!(body["seq"], seq);
    assert_eq!(body["project"], PROJECT);
    assert_eq!(body["project_name"], PROJECT_NAME);
    assert_eq!(body["stage"], "ack");
    assert_eq!(body["cycle"], 1);
    assert_eq!(body["title"], title);
    assert_eq!(body["escalation_step"], 0);
    assert_shown(&body["raised_at"], raised_at);
    assert_shown(&body["deadline"], deadline);
    let detected_at = instant(&body["detected_at"]);
    assert!(
        body["detected_at"]
            .as_str()
            .is_some_and(|t| t.ends_with("+08:00")),
        "{body}"
    );
    assert!(
        detected_at >= posted_at - seconds(1.0) && detected_at <= hook.received,
        "detected_at {detected_at} is not when the event was posted ({posted_at})"
    );
    // The signed issue page, valid for the default 7 days.
    let url = body["url"].as_str().expect("url");
    let query = url
        .strip_prefix(&format!("{PUBLIC_URL}/i/water-cut%200530?exp="))
        .unwrap_or_else(|| panic!("not a signed issue link: {url}"));
    let expires: i64 = query.split('&').next().unwrap().parse().expect("exp");
    let week = posted_at.timestamp() + 7 * 86_400;
    assert!(
        (expires - week).abs() <= 15,
        "exp {expires} is not a week on: {url}"
    );
    assert!(query.contains("&sig="), "{url}");
    let text = body["text"].as_str().expect("text");
    for expected in [
        "超过10分钟未回复",
        &format!("#{seq}"),
        PROJECT_NAME,
        title,
        "王永忠",
        &local_minute(raised_at),
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from the text: {text}"
        );
    }

    // The WeCom robot: its URL (key included), markdown with the same facts.
    assert_eq!(wecom.method, "POST");
    assert_eq!(wecom.path, "/wecom?key=robot-key-1");
    assert!(
        wecom
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        wecom.headers
    );
    let message = wecom.json();
    assert_eq!(message["msgtype"], "markdown", "{message}");
    let content = message["markdown"]["content"].as_str().expect("markdown.content");
    assert!(content.len() <= 4096, "{} bytes", content.len());
    for expected in [
        "超过10分钟未回复",
        &format!("#{seq}"),
        PROJECT_NAME,
        title,
        &local_minute(deadline),
    ] {
        assert!(content.contains(expected), "`{expected}` missing: {content}");
    }

    // Both deliveries are listed as delivered at the first attempt.
    let listed = all_delivered(&app, 2, PROMPTLY).await;
    let channels: BTreeSet<&str> = listed.iter().filter_map(|d| d["channel"].as_str()).collect();
    assert_eq!(
        channels,
        BTreeSet::from(["team-hook", "team-wecom"]),
        "{listed:?}"
    );
    for delivery in &listed {
        assert_eq!(delivery["kind"], "breach", "{delivery}");
        assert_eq!(delivery["issue"], issue, "{delivery}");
        assert_eq!(delivery["stage"], "ack", "{delivery}");
        assert_eq!(delivery["attempts"], 1, "{delivery}");
        assert!(delivery["last_error"].is_null(), "{delivery}");
    }
    let hook_row = listed
        .iter()
        .find(|d| d["channel"] == "team-hook")
        .expect("listed");
    assert_eq!(hook_row["delivery"], body["delivery"]);
}

async fn a_warning_comes_before_the_breach(backend: Backend) {
    let sink = Sink::start().await;
    let rest = format!(
        "[[policies]]\nname = \"quick\"\ntargets = {{ ack = \"10s\", handle = \"2h\", plan = \"1d\" }}\n\n{}",
        channel("team", "webhook", &sink.url("/team"), "")
    );
    let app = spawn_app(backend, &config(r#"{ team = ["team"] }"#, &rest)).await;

    // At risk at 8 s (0.8 × 10 s), due at 10 s: raised 7 s ago.
    let raised_at = now() - seconds(7.0);
    let at_risk = raised_at + seconds(8.0);
    let deadline = raised_at + seconds(10.0);
    app.accept(&event("raised", "tight", raised_at)).await;
    assert!(
        sink.requests().is_empty(),
        "nothing is due yet: {:#?}",
        sink.summary()
    );

    let both = sink
        .wait_for(Duration::from_secs(15), 2, "the warning and the breach", |r| {
            r.route() == "/team"
        })
        .await;
    let (warning, breach) = (&both[0], &both[1]);
    let warning_body = warning.json();
    let breach_body = breach.json();
    assert_eq!(
        warning_body["kind"], "warning",
        "the warning comes first: {warning_body}"
    );
    assert_eq!(breach_body["kind"], "breach", "{breach_body}");
    for body in [&warning_body, &breach_body] {
        assert_eq!(body["issue"], "tight");
        assert_eq!(body["stage"], "ack");
        assert_shown(&body["deadline"], deadline);
    }
    assert_ne!(warning_body["delivery"], breach_body["delivery"]);
    let text = warning_body["text"].as_str().expect("text");
    assert!(text.contains("即将超过10秒未回复"), "{text}");

    assert!(
        warning.received >= at_risk && warning.received <= at_risk + seconds(1.5),
        "the warning came {} ms after the stage became at risk",
        millis(at_risk, warning.received)
    );
    assert!(warning.received < deadline, "the warning came after the deadline");
    let breach_due = deadline + seconds(1.0);
    assert!(
        breach.received >= breach_due && breach.received <= breach_due + seconds(1.5),
        "the breach came {} ms after deadline + grace",
        millis(breach_due, breach.received)
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.requests().len(), 2, "{:#?}", sink.summary());
    all_delivered(&app, 2, PROMPTLY).await;
}

async fn escalation_steps_fire_at_their_times_and_stop_once_the_stage_is_met(backend: Backend) {
    let sink = Sink::start().await;
    let rest = format!(
        r#"
[[policies]]
name = "laddered"
targets = {{ ack = "10m", handle = "2h", plan = "1d" }}
escalation = [ {{ after = "2s", to = "lead" }}, {{ after = "4s", to = "zone" }} ]

[zone]
notify = {{ zone = ["zone"] }}

{}{}{}"#,
        channel("team", "webhook", &sink.url("/team"), ""),
        channel("lead", "webhook", &sink.url("/lead"), ""),
        channel("zone", "webhook", &sink.url("/zone"), ""),
    );
    let app = spawn_app(backend, &config(r#"{ team = ["team"], lead = ["lead"] }"#, &rest)).await;

    // Both due in 1.5 s; `answered` gets its reply after the first step.
    let raised_at = now() - minutes(10.0) + seconds(1.5);
    let deadline = raised_at + minutes(10.0);
    app.accept_batch(&[
        event("raised", "answered", raised_at),
        event("raised", "ignored", raised_at),
    ])
    .await;

    let first_steps = sink
        .wait_for(Duration::from_secs(12), 2, "step 1 of both issues", |r| {
            r.route() == "/lead"
        })
        .await;
    let acknowledged_at = now();
    app.accept(&event("acknowledged", "answered", acknowledged_at))
        .await;
    assert!(
        acknowledged_at < deadline + seconds(4.0),
        "step 1 came too late ({} ms after the deadline) to test that step 2 is stopped",
        millis(deadline, first_steps[1].received)
    );
    for step in &first_steps {
        let body = step.json();
        assert_eq!(body["kind"], "escalation", "{body}");
        assert_eq!(body["escalation_step"], 1, "{body}");
        assert_eq!(body["stage"], "ack", "{body}");
        assert_shown(&body["deadline"], deadline);
        let due = deadline + seconds(2.0);
        assert!(
            step.received >= due && step.received <= due + seconds(1.5),
            "step 1 came {} ms after deadline + 2 s",
            millis(due, step.received)
        );
    }

    let second = sink
        .wait_for(Duration::from_secs(10), 1, "step 2 of the ignored issue", |r| {
            r.route() == "/zone"
        })
        .await;
    let body = second[0].json();
    assert_eq!(body["issue"], "ignored", "{body}");
    assert_eq!(body["kind"], "escalation");
    assert_eq!(body["escalation_step"], 2);
    let due = deadline + seconds(4.0);
    assert!(
        second[0].received >= due && second[0].received <= due + seconds(1.5),
        "step 2 came {} ms after deadline + 4 s",
        millis(due, second[0].received)
    );

    // Well past step 2's time, and even when another event makes the service
    // look at it again, the answered issue does not escalate further.
    sleep_until(due + seconds(1.0)).await;
    app.accept(&event("handled", "answered", now())).await;
    sleep_until(due + seconds(2.0)).await;
    let requests = sink.requests();
    for issue in ["answered", "ignored"] {
        assert_eq!(
            hooks(&requests, "/team", "breach", issue).len(),
            1,
            "{issue}: {:#?}",
            sink.summary()
        );
        assert_eq!(
            hooks(&requests, "/lead", "escalation", issue).len(),
            1,
            "{issue}: {:#?}",
            sink.summary()
        );
    }
    assert!(
        hooks(&requests, "/zone", "escalation", "answered").is_empty(),
        "step 2 fired although the stage was met: {:#?}",
        sink.summary()
    );
    // Raised when already at risk: each issue was warned on arrival.
    assert_eq!(hooks(&requests, "/team", "warning", "answered").len(), 1);
    assert_eq!(hooks(&requests, "/team", "warning", "ignored").len(), 1);
    assert_eq!(requests.len(), 7, "{:#?}", sink.summary());

    let steps: BTreeMap<String, Value> = app
        .breaches("")
        .await
        .into_iter()
        .map(|b| {
            (
                b["issue"].as_str().unwrap_or_default().to_string(),
                b["escalation_step"].clone(),
            )
        })
        .collect();
    assert_eq!(steps.get("answered"), Some(&json!(1)), "{steps:?}");
    assert_eq!(steps.get("ignored"), Some(&json!(2)), "{steps:?}");
    all_delivered(&app, 7, PROMPTLY).await;
}

async fn a_disproved_breach_is_retracted(backend: Backend) {
    let sink = Sink::start().await;
    let rest = channel(
        "team",
        "webhook",
        &sink.url("/team"),
        "secret_env = \"TEST_HOOK_SECRET\"",
    );
    let app = spawn_app_with_env(
        backend,
        &config(r#"{ team = ["team"] }"#, &rest),
        &[("TEST_HOOK_SECRET", SECRET)],
    )
    .await;

    let raised_at = now() - minutes(11.0);
    app.accept(&event("raised", "late-news", raised_at)).await;
    let breach = sink
        .wait_for(PROMPTLY, 1, "the breach", |r| r.route() == "/team")
        .await
        .remove(0);
    assert_eq!(breach.json()["kind"], "breach");

    // The bot's reply, 30 s after the request, arrives only now.
    app.accept(&event("acknowledged", "late-news", raised_at + seconds(30.0)))
        .await;
    let both = sink
        .wait_for(PROMPTLY, 2, "the retraction", |r| r.route() == "/team")
        .await;
    let retraction = &both[1];
    assert_signed(retraction, SECRET);
    let body = retraction.json();
    assert_eq!(body["kind"], "retraction", "{body}");
    assert_eq!(body["issue"], "late-news");
    assert_eq!(body["stage"], "ack");
    assert_eq!(body["project_name"], PROJECT_NAME);
    assert_shown(&body["deadline"], raised_at + minutes(10.0));
    assert_eq!(body["delivery"].as_str(), retraction.header("webhook-id"));
    assert_ne!(
        body["delivery"],
        breach.json()["delivery"],
        "a new notification, not a retry"
    );
    let text = body["text"].as_str().expect("text");
    assert!(
        text.contains("撤回") && text.contains("超过10分钟未回复"),
        "{text}"
    );

    let records = app.breaches("include_retracted=true").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(!records[0]["retracted_at"].is_null(), "{records:?}");

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.requests().len(), 2, "{:#?}", sink.summary());
    let listed = all_delivered(&app, 2, PROMPTLY).await;
    let kinds: BTreeSet<&str> = listed.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["breach", "retraction"]));
}

async fn transient_failures_are_retried_with_backoff_until_delivered(backend: Backend) {
    let sink = Sink::start().await;
    // A server error, a dropped connection, WeCom's "api freq out of limit".
    sink.then(1, Reply::Status(500, "upstream unavailable".into()));
    sink.then(1, Reply::Drop);
    sink.then(1, Reply::errcode(45009));
    let rest = channel("team-wecom", "wecom", &sink.url("/wecom?key=k"), "");
    let app = spawn_app(backend, &config(r#"{ team = ["team-wecom"] }"#, &rest)).await;

    let seq = seq_of(&app.accept(&raised("flaky", 11.0)).await);

    // Each failure leaves the delivery pending, its error recorded.
    let listed_after = |attempts: i64| {
        let app = &app;
        async move {
            eventually(PROMPTLY, &format!("attempt {attempts} recorded"), || async {
                let items = deliveries(app, "").await;
                (items.len() == 1 && items[0]["attempts"] == attempts).then(|| items[0].clone())
            })
            .await
        }
    };
    let first = listed_after(1).await;
    assert_eq!(first["state"], "pending", "{first}");
    assert!(
        first["last_error"].as_str().is_some_and(|e| e.contains("500")),
        "{first}"
    );
    let second = listed_after(2).await;
    assert_eq!(second["state"], "pending", "{second}");
    let error = second["last_error"].as_str().expect("an error").to_string();
    assert!(
        !error.starts_with("HTTP"),
        "the dropped connection got an answer: {error}"
    );
    let third = listed_after(3).await;
    assert_eq!(third["state"], "pending", "{third}");
    assert!(
        third["last_error"].as_str().is_some_and(|e| e.contains("45009")),
        "{third}"
    );

    let requests = sink
        .wait_for(Duration::from_secs(15), 4, "four attempts", |r| {
            r.route() == "/wecom"
        })
        .await;
    assert!(requests[3].accepted());
    for request in &requests {
        let content = request.json()["markdown"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(content.contains(&format!("#{seq}")), "{content}");
    }
    // retry_base = 1s doubling, ±20 % jitter: gaps of at least 0.8, 1.6, 3.2 s.
    for (gap, minimum) in [(0, 800), (1, 1_600), (2, 3_200)] {
        let waited = millis(requests[gap].received, requests[gap + 1].received);
        assert!(
            waited >= minimum - 50,
            "retry {} came after {waited} ms (backoff at least {minimum} ms)",
            gap + 1
        );
    }

    let listed = all_delivered(&app, 1, PROMPTLY).await;
    assert_eq!(listed[0]["attempts"], 4, "{listed:?}");
    assert!(listed[0]["last_error"].is_null(), "{listed:?}");
    assert!(!listed[0]["delivered_at"].is_null(), "{listed:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.requests().len(), 4, "{:#?}", sink.summary());
}

/// After an outage, the first delivery that goes through brings the
/// channel's other waiting retries forward: they do not wait out a backoff
/// (here 20 s) once the endpoint answers again. `slawatch_outbox_pending`
/// follows the deliveries without any new event written.
async fn an_endpoint_that_comes_back_gets_its_queue_at_once(backend: Backend) {
    let sink = Sink::start().await;
    sink.set_default(Reply::Status(503, "down for maintenance".into()));
    let rest = channel("team-hook", "webhook", &sink.url("/hook"), "");
    let config =
        config(r#"{ team = ["team-hook"] }"#, &rest).replace(r#"retry_base = "1s""#, r#"retry_base = "20s""#);
    let app = spawn_app(backend, &config).await;
    for issue in ["outage-a", "outage-b", "outage-c"] {
        app.accept(&raised(issue, 11.0)).await;
    }
    // Every delivery failed once and waits about 20 s for its retry.
    let queued = eventually(PROMPTLY, "each delivery tried once", || async {
        let items = deliveries(&app, "").await;
        (items.len() >= 3
            && items
                .iter()
                .all(|d| d["attempts"] == 1 && d["state"] == "pending"))
        .then_some(items)
    })
    .await;

    sink.set_default(Reply::Ok);
    let back = std::time::Instant::now();
    // Within 10 s of the endpoint's return: well before the 16-24 s the
    // backoff alone would take.
    all_delivered(&app, queued.len(), Duration::from_secs(10)).await;
    assert!(
        back.elapsed() < Duration::from_secs(10),
        "delivered {:?} after the return",
        back.elapsed()
    );
    eventually(Duration::from_secs(3), "outbox_pending back to 0", || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        text.lines()
            .any(|line| line == "slawatch_outbox_pending 0")
            .then_some(())
    })
    .await;
}

async fn a_delivery_that_times_out_is_retried(backend: Backend) {
    let sink = Sink::start().await;
    // Answered after 11 s: the dispatcher gives up after 4 s.
    sink.then(1, Reply::Late(Duration::from_secs(11)));
    let rest = channel(
        "team",
        "webhook",
        &sink.url("/team"),
        "secret_env = \"TEST_HOOK_SECRET\"",
    );
    let app = spawn_app_with_env(
        backend,
        &config(r#"{ team = ["team"] }"#, &rest),
        &[("TEST_HOOK_SECRET", SECRET)],
    )
    .await;

    app.accept(&raised("slow-receiver", 11.0)).await;
    let timed_out = eventually(Duration::from_secs(15), "the timed-out attempt", || async {
        deliveries(&app, "")
            .await
            .into_iter()
            .find(|d| d["attempts"] == 1)
    })
    .await;
    assert_eq!(timed_out["state"], "pending", "{timed_out}");
    assert_eq!(timed_out["last_error"], "timed out", "{timed_out}");

    let requests = sink
        .wait_for(PROMPTLY, 2, "the retry", |r| r.route() == "/team")
        .await;
    assert!(requests[1].accepted());
    assert_eq!(requests[0].header("webhook-id"), requests[1].header("webhook-id"));
    assert_signed(&requests[1], SECRET);
    let waited = millis(requests[0].received, requests[1].received);
    assert!(
        waited >= 4_000,
        "retried after {waited} ms, before the 4 s timeout"
    );
    let listed = all_delivered(&app, 1, PROMPTLY).await;
    assert_eq!(listed[0]["attempts"], 2, "{listed:?}");
}

async fn a_permanent_failure_is_failed_until_an_admin_retries_it(backend: Backend) {
    let sink = Sink::start().await;
    sink.set_default(Reply::Status(400, r#"{"error":"unknown receiver"}"#.into()));
    let rest = channel(
        "team",
        "webhook",
        &sink.url("/team"),
        "secret_env = \"TEST_HOOK_SECRET\"",
    );
    let app = spawn_app_with_env(
        backend,
        &config(r#"{ team = ["team"] }"#, &rest),
        &[("TEST_HOOK_SECRET", SECRET)],
    )
    .await;

    app.accept(&raised("misrouted", 11.0)).await;
    let failed = eventually(PROMPTLY, "the failed delivery", || async {
        deliveries(&app, "state=failed").await.into_iter().next()
    })
    .await;
    assert_eq!(failed["attempts"], 1, "a 400 is not retried: {failed}");
    let error = failed["last_error"].as_str().expect("last_error");
    assert!(error.contains("400"), "{error}");
    assert!(deliveries(&app, "state=pending").await.is_empty());
    assert!(deliveries(&app, "state=delivered").await.is_empty());

    // Failed is final: nothing more is sent until an admin asks.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.requests().len(), 1, "{:#?}", sink.summary());

    // The receiver is fixed; the admin requeues the delivery.
    sink.set_default(Reply::Ok);
    let id = failed["id"].as_i64().expect("an id");
    let response = app
        .request(Method::POST, &format!("/v1/notifications/{id}/retry"))
        .send()
        .await
        .expect("POST retry");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let requests = sink
        .wait_for(PROMPTLY, 2, "the retried delivery", |r| r.route() == "/team")
        .await;
    assert!(requests[1].accepted());
    assert_eq!(
        requests[0].header("webhook-id"),
        requests[1].header("webhook-id"),
        "webhook-id is stable across retries"
    );
    assert_signed(&requests[1], SECRET);
    let listed = all_delivered(&app, 1, PROMPTLY).await;
    assert_eq!(listed[0]["attempts"], 2, "{listed:?}");
    assert!(listed[0]["last_error"].is_null(), "{listed:?}");

    // Only a failed delivery can be requeued.
    for path in [
        format!("/v1/notifications/{id}/retry"),
        "/v1/notifications/999999/retry".to_string(),
        "/v1/notifications/not-a-number/retry".to_string(),
    ] {
        let response = app.request(Method::POST, &path).send().await.expect("POST retry");
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.requests().len(), 2, "{:#?}", sink.summary());
}

async fn a_restart_loses_nothing_and_resends_nothing_delivered(backend: Backend) {
    let sink = Sink::start().await;
    // Channel `down` points at a port where nothing listens (connection refused).
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}/down", listener.local_addr().expect("an address"))
    };
    let rest = channel("up", "webhook", &sink.url("/up"), "") + &channel("down", "webhook", &dead, "");
    let mut app = spawn_app(backend, &config(r#"{ team = ["up", "down"] }"#, &rest)).await;
    let channel_of = |d: &Value| d["channel"].as_str().unwrap_or_default().to_string();

    // A is delivered to `up`, and queued for `down`.
    app.accept(&raised("restart-a", 11.0)).await;
    eventually(PROMPTLY, "A delivered to up, failing on down", || async {
        let items = deliveries(&app, "").await;
        let up = items
            .iter()
            .any(|d| channel_of(d) == "up" && d["state"] == "delivered");
        let down = items.iter().any(|d| {
            channel_of(d) == "down"
                && d["state"] == "pending"
                && d["attempts"].as_i64() >= Some(1)
                && d["last_error"] == "cannot connect"
        });
        (up && down).then_some(())
    })
    .await;
    let delivered_before: Vec<String> = sink
        .requests_to("/up")
        .iter()
        .filter_map(|r| r.header("webhook-id").map(str::to_string))
        .collect();
    assert_eq!(delivered_before.len(), 1, "{:#?}", sink.summary());

    // The sink goes down too: B fails everywhere.
    sink.set_default(Reply::Status(503, "maintenance".into()));
    app.accept(&raised("restart-b", 11.0)).await;
    sink.wait_for(PROMPTLY, 1, "B tried on up", |r| {
        r.route() == "/up" && r.json()["issue"] == "restart-b"
    })
    .await;
    // C falls due while the service is stopped.
    app.accept(&event(
        "raised",
        "restart-c",
        now() - minutes(10.0) + seconds(1.0),
    ))
    .await;

    app.stop().await;
    // `down` comes back at the sink; the sink still fails.
    app.config_text = app.config_text.replace(&dead, &sink.url("/down"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.start().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sink.set_default(Reply::Ok);

    // A breach per issue and channel, and C's warning (it was raised at risk).
    let listed = all_delivered(&app, 8, Duration::from_secs(30)).await;
    let mut per_pair = BTreeSet::new();
    for delivery in &listed {
        let issue = delivery["issue"].as_str().unwrap_or_default().to_string();
        let kind = delivery["kind"].as_str().unwrap_or_default().to_string();
        per_pair.insert((issue, kind, channel_of(delivery)));
    }
    assert_eq!(per_pair.len(), 8, "{listed:?}");
    for issue in ["restart-a", "restart-b", "restart-c"] {
        for channel in ["up", "down"] {
            let key = (issue.to_string(), "breach".to_string(), channel.to_string());
            assert!(per_pair.contains(&key), "no {key:?}: {listed:?}");
        }
    }

    // Exactly one accepted request per delivery id; A's `up` delivery was
    // never sent again.
    let requests = sink.requests();
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for request in requests.iter().filter(|r| r.accepted()) {
        let id = request.header("webhook-id").expect("webhook-id").to_string();
        *accepted.entry(id).or_default() += 1;
    }
    assert_eq!(accepted.len(), 8, "{:#?}", sink.summary());
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    let sent_again = requests
        .iter()
        .filter(|r| r.header("webhook-id") == Some(delivered_before[0].as_str()))
        .count();
    assert_eq!(sent_again, 1, "delivered before the restart, sent again after");
}

async fn slack_deliveries_are_spread_one_per_second(backend: Backend) {
    let sink = Sink::start_with_ok_body("ok").await;
    let rest = channel("team-slack", "slack", &sink.url("/services/T0/B0/x"), "");
    let app = spawn_app(backend, &config(r#"{ team = ["team-slack"] }"#, &rest)).await;

    const COUNT: usize = 7;
    let batch: Vec<Value> = (0..COUNT).map(|i| raised(&format!("burst-{i}"), 11.0)).collect();
    app.accept_batch(&batch).await;

    let requests = sink
        .wait_for(Duration::from_secs(20), COUNT, "every Slack message", |r| {
            r.route() == "/services/T0/B0/x"
        })
        .await;
    for pair in requests.windows(2) {
        let gap = millis(pair[0].received, pair[1].received);
        assert!(
            gap >= 900,
            "two Slack messages {gap} ms apart: {:#?}",
            sink.summary()
        );
    }
    let texts: BTreeSet<String> = requests
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts.len(), COUNT, "each breach once");
    let listed = all_delivered(&app, COUNT, PROMPTLY).await;
    assert!(
        listed.iter().all(|d| d["attempts"] == 1),
        "waiting for the limit is not an attempt: {listed:?}"
    );
}

async fn a_wecom_channel_sends_twenty_a_minute_and_queues_the_rest(backend: Backend) {
    let sink = Sink::start().await;
    let rest = channel("team-wecom", "wecom", &sink.url("/wecom?key=k"), "");
    let app = spawn_app(backend, &config(r#"{ team = ["team-wecom"] }"#, &rest)).await;

    let batch: Vec<Value> = (0..50).map(|i| raised(&format!("flood-{i}"), 11.0)).collect();
    app.accept_batch(&batch).await;

    let burst = sink
        .wait_for(PROMPTLY, 20, "the first twenty", |r| r.route() == "/wecom")
        .await;
    let first = burst[0].received;
    // The next slot opens a minute after the first send: nothing more now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.requests().len(), 20, "{:#?}", sink.summary());
    assert!(sink.requests().iter().all(Recorded::accepted));

    let delivered = deliveries(&app, "state=delivered").await;
    let pending = deliveries(&app, "state=pending").await;
    assert_eq!(delivered.len(), 20);
    assert_eq!(pending.len(), 30, "queued, not dropped");
    assert!(deliveries(&app, "state=failed").await.is_empty());
    for delivery in &pending {
        assert_eq!(delivery["attempts"], 0, "{delivery}");
        let next = instant(&delivery["next_attempt_at"]);
        assert!(
            next >= first + seconds(59.0),
            "queued for {} ms after the first send",
            millis(first, next)
        );
    }
}

async fn a_per_minute_override_holds_a_webhook_channel_to_its_limit(backend: Backend) {
    let sink = Sink::start().await;
    let rest = channel("team", "webhook", &sink.url("/team"), "per_minute = 3");
    let app = spawn_app(backend, &config(r#"{ team = ["team"] }"#, &rest)).await;

    let batch: Vec<Value> = (0..5).map(|i| raised(&format!("capped-{i}"), 11.0)).collect();
    app.accept_batch(&batch).await;
    let burst = sink
        .wait_for(PROMPTLY, 3, "the first three", |r| r.route() == "/team")
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.requests().len(), 3, "{:#?}", sink.summary());
    let pending = deliveries(&app, "state=pending").await;
    assert_eq!(pending.len(), 2, "{pending:?}");
    for delivery in &pending {
        let next = instant(&delivery["next_attempt_at"]);
        assert!(next >= burst[0].received + seconds(59.0), "{delivery}");
    }
}

async fn notifications_need_the_admin_scope(backend: Backend) {
    let sink = Sink::start().await;
    let rest = format!("{TOKENS}\n{}", channel("team", "webhook", &sink.url("/team"), ""));
    let mut app = spawn_app_with_env(backend, &config(r#"{ team = ["team"] }"#, &rest), &TOKEN_ENV).await;
    app.token = Some(BOT_SECRET.into());
    app.accept(&raised("scoped", 11.0)).await;
    sink.wait_for(PROMPTLY, 1, "the breach", |r| r.route() == "/team")
        .await;

    let call = |method: Method, path: &str, token: Option<&str>| {
        let builder = app.client.request(method, app.url(path));
        let builder = match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        };
        async move { builder.send().await.expect("a response") }
    };
    let list = "/v1/notifications";
    assert_error(
        call(Method::GET, list, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    for token in [READER_SECRET, BOT_SECRET] {
        assert_error(
            call(Method::GET, list, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_error(
            call(Method::POST, "/v1/notifications/1/retry", Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let admin = Some(ADMIN_SECRET);
    let (status, page) = json_of(call(Method::GET, list, admin).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["issue"], "scoped");
    assert_eq!(items[0]["channel"], "team");
    assert_error(
        call(Method::GET, "/v1/notifications?state=lost", admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
}
