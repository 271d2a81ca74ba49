//! The HTTP API of SPEC §3 on the seed scenario of SPEC §0 (water cut at a
//! construction site), and ingestion rules: idempotency (SPEC §1 rule 10),
//! arrays judged item by item, future skew (rule 11).

#[macro_use]
mod common;

use chrono::{FixedOffset, NaiveTime, TimeDelta, TimeZone};
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

backend_tests!(
    seed_scenario_meets_every_stage,
    events_arriving_out_of_order_give_the_same_state,
    same_id_same_content_is_a_duplicate_and_different_content_a_conflict,
    an_event_without_at_is_a_duplicate_when_retried,
    arrays_judge_each_item_on_its_own,
    array_errors_name_the_item_field,
    at_beyond_the_future_skew_is_rejected,
    an_event_without_at_is_shown_in_milliseconds,
    the_readme_walk_through_answers_as_the_readme_says,
    concurrent_requests_store_each_event_once,
);

const SEED_ISSUE: &str = "zhongtai-water-0530";

/// The most recent 10:02 in Shanghai at least 30 hours ago, so that the
/// whole seed scenario, up to the plan agreed next morning, is in the past.
fn seed_raised_at() -> Timestamp {
    let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
    let latest = now() - TimeDelta::hours(30);
    let day = latest.with_timezone(&shanghai).date_naive();
    let at = shanghai
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(10, 2, 0).unwrap()))
        .unwrap()
        .to_utc();
    if at > latest {
        at - TimeDelta::days(1)
    } else {
        at
    }
}

/// Water cut at a construction site: raised at 10:02, a reply 5 minutes
/// later, handled after 90 minutes, a plan agreed at 09:00 next morning.
fn seed_events(issue: &str, raised_at: Timestamp) -> Vec<Value> {
    vec![
        event("raised", issue, raised_at)
            .with("priority", "normal")
            .with("title", "工地因管道抢修停水")
            .with("text", "主体结构冲刺阶段，急需用水")
            .with(
                "actor",
                json!({"id": "wang-yz", "name": "王永忠", "role": "requester"}),
            ),
        event("acknowledged", issue, raised_at + minutes(5)).with(
            "actor",
            json!({"id": "wang-yx", "name": "王云霞", "role": "staff"}),
        ),
        event("handled", issue, raised_at + minutes(90)).with("text", "已协调水务公司送水车"),
        event("planned", issue, raised_at + TimeDelta::hours(22) + minutes(58))
            .with("text", "明早九点前恢复供水，期间送水车保障"),
    ]
}

async fn seed_scenario_meets_every_stage(backend: Backend) {
    let app = spawn_app(
        backend,
        "[projects.zhongtai]\nname = \"中泰环保绿色环保过滤设备制造项目\"\n",
    )
    .await;
    let raised_at = seed_raised_at();
    let events = seed_events(SEED_ISSUE, raised_at);

    // Backfilled in one array, as an import would: nothing was ever late.
    let answer = app.accept_batch(&events).await;
    let statuses: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted"; 4], "{answer}");

    let issue = app.issue_with_events(SEED_ISSUE).await;
    assert_eq!(issue["seq"], 1);
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["cycle"], 1);
    assert_eq!(issue["title"], "工地因管道抢修停水");
    assert_eq!(issue["priority"], "normal");
    assert_eq!(issue["policy"], "default");
    assert_shown(&issue["raised_at"], raised_at);
    assert!(
        issue["raised_at"].as_str().unwrap().ends_with("T10:02:00+08:00"),
        "{issue}"
    );
    assert!(
        issue["closed_at"].is_null() && issue["resolution"].is_null(),
        "{issue}"
    );

    let expected = [
        ("ack", "10m", minutes(10), at_of(&events[1])),
        ("handle", "2h", minutes(120), at_of(&events[2])),
        ("plan", "1d", TimeDelta::days(1), at_of(&events[3])),
    ];
    assert_eq!(issue["stages"].as_array().unwrap().len(), 3, "{issue}");
    for (name, target, after, met_at) in expected {
        let stage = stage(&issue, name);
        assert_eq!(stage["state"], "met", "{name}: {stage}");
        assert_eq!(stage["target"], target, "{stage}");
        assert_shown(&stage["deadline"], raised_at + after);
        assert_shown(&stage["met_at"], met_at);
        assert!(stage["breached_at"].is_null(), "{stage}");
        assert!(
            stage["remaining_seconds"].is_null(),
            "a met stage has no time left: {stage}"
        );
    }
    assert_eq!(
        &stage(&issue, "plan")["met_at"].as_str().unwrap()[11..],
        "09:00:00+08:00"
    );

    let timeline = issue["events"]
        .as_array()
        .expect("?include=events adds the timeline");
    let kinds: Vec<&str> = timeline.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["raised", "acknowledged", "handled", "planned"]);
    for (shown, sent) in timeline.iter().zip(&events) {
        assert_eq!(shown["id"], sent["id"]);
        assert_shown(&shown["at"], at_of(sent));
        assert_eq!(shown["source"], "local", "no token: the anonymous local source");
        assert!(
            shown["received_at"].as_str().unwrap().ends_with("+08:00"),
            "{shown}"
        );
    }
    assert_eq!(timeline[0]["actor"]["name"], "王永忠");
    assert_eq!(timeline[0]["text"], "主体结构冲刺阶段，急需用水");
    assert!(
        app.issue(SEED_ISSUE).await.get("events").is_none(),
        "no timeline unless asked"
    );

    let breaches = app.breaches("include_retracted=true").await;
    assert!(breaches.is_empty(), "every promise was kept: {breaches:?}");

    // The matter is settled that afternoon; the outcomes stay as they were.
    let closed_at = at_of(&events[3]) + TimeDelta::hours(6);
    app.accept(&event("closed", SEED_ISSUE, closed_at).with("resolution", "resolved"))
        .await;
    let issue = app.issue(SEED_ISSUE).await;
    assert_eq!(issue["state"], "closed");
    assert_eq!(issue["resolution"], "resolved");
    assert_shown(&issue["closed_at"], closed_at);
    for name in ["ack", "handle", "plan"] {
        assert_eq!(stage(&issue, name)["state"], "met", "{issue}");
    }
}

async fn events_arriving_out_of_order_give_the_same_state(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let raised_at = seed_raised_at();
    let in_order = seed_events("in-order", raised_at);
    let mut reversed = seed_events("reversed", raised_at);
    reversed.reverse();
    app.accept_all(&in_order).await;
    app.accept_all(&reversed).await;

    let a = app.issue_with_events("in-order").await;
    let b = app.issue_with_events("reversed").await;
    assert_eq!(a["stages"], b["stages"]);
    for key in ["state", "cycle", "raised_at", "project", "title", "policy"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let kinds = |issue: &Value| -> Vec<String> {
        issue["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinds(&b),
        ["raised", "acknowledged", "handled", "planned"],
        "the timeline is in time order"
    );
    assert_eq!(kinds(&a), kinds(&b));
}

async fn same_id_same_content_is_a_duplicate_and_different_content_a_conflict(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let original = raised("idem", 5.0).with("title", "停电");
    app.accept(&original).await;

    let (status, body) = json_of(app.post_events(&original).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "duplicate");
    assert_eq!(body["id"], original["id"]);
    assert_eq!(body["issue"]["issue"], "idem");

    // The same instant written in another offset is the same content.
    let same_instant = original.clone().with("at", shanghai(at_of(&original)));
    let (status, body) = json_of(app.post_events(&same_instant).await).await;
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("duplicate")),
        "{body}"
    );

    let changed = original.clone().with("title", "停水");
    let error = assert_error(app.post_events(&changed).await, StatusCode::CONFLICT, "conflict").await;
    assert!(error["message"].as_str().unwrap().contains("idem"), "{error}");

    let issue = app.issue_with_events("idem").await;
    assert_eq!(
        issue["events"].as_array().unwrap().len(),
        1,
        "nothing is double counted"
    );
    assert_eq!(issue["title"], "停电", "the conflicting event changed nothing");
}

async fn an_event_without_at_is_a_duplicate_when_retried(backend: Backend) {
    let app = spawn_app(backend, "").await;
    app.accept(&raised("retry", 5.0)).await;
    let ack = acknowledged("retry", 0.0).without("at");
    app.accept(&ack).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, body) = json_of(app.post_events(&ack).await).await;
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("duplicate")),
        "{body}"
    );
    let issue = app.issue_with_events("retry").await;
    assert_eq!(issue["events"].as_array().unwrap().len(), 2);
    assert_eq!(
        stage(&issue, "ack")["state"],
        "met",
        "`at` defaulted to the time of receipt"
    );
}

async fn arrays_judge_each_item_on_its_own(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let stored = raised("batch-stored", 5.0);
    app.accept(&stored).await;

    let fresh = raised("batch-fresh", 4.0);
    let batch = json!([
        fresh,
        fresh,
        fresh.clone().with("title", "changed"),
        stored,
        stored.clone().with("title", "changed"),
        event("exploded", "batch-fresh", minutes_ago(1.0)),
    ]);
    let (status, body) = json_of(app.post_events(&batch).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["accepted"].as_u64(),
            body["duplicates"].as_u64(),
            body["rejected"].as_u64()
        ),
        (Some(1), Some(2), Some(3)),
        "{body}"
    );
    let results = body["results"].as_array().unwrap();
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            "accepted",
            "duplicate",
            "conflict",
            "duplicate",
            "conflict",
            "rejected"
        ]
    );
    for (result, sent) in results.iter().zip(batch.as_array().unwrap()) {
        assert_eq!(result["id"], sent["id"], "{result}");
    }
    for index in [2, 4] {
        assert_eq!(results[index]["error"]["code"], "conflict", "{body}");
    }
    assert!(results[0].get("error").is_none(), "{body}");

    // The whole array again: everything valid is now a duplicate.
    let (_, again) = json_of(app.post_events(&batch).await).await;
    assert_eq!(again["accepted"], 0, "{again}");
    assert_eq!(again["duplicates"], 3, "{again}");
    assert_eq!(
        app.issue_with_events("batch-fresh").await["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn array_errors_name_the_item_field(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let batch = json!([
        raised("array-ok", 1.0),
        {"id": "bad-kind", "issue": "array-ok", "kind": "nope"},
        {"id": "no-project", "issue": "array-ok", "kind": "raised"},
        "not an event",
        {"id": "bad-role", "issue": "array-ok", "kind": "handled", "actor": {"role": "boss"}},
    ]);
    let (status, body) = json_of(app.post_events(&batch).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(body["rejected"], 4, "{body}");
    let results = body["results"].as_array().unwrap();
    for (index, field) in [
        (1, "[1].kind"),
        (2, "[2].project"),
        (3, "[3]"),
        (4, "[4].actor.role"),
    ] {
        let result = &results[index];
        assert_eq!(result["status"], "rejected", "{result}");
        assert_eq!(result["error"]["field"], field, "{result}");
        assert_error_shape(&json!({"error": result["error"]}));
    }
    assert_eq!(results[1]["id"], "bad-kind");
    assert_eq!(
        app.issue("array-ok").await["state"],
        "open",
        "the valid item is stored"
    );
}

async fn at_beyond_the_future_skew_is_rejected(backend: Backend) {
    let app = spawn_app(backend, "").await;
    app.accept(&raised("future", 1.0)).await;
    let too_far = acknowledged("future", -10.0);
    let error = assert_error(
        app.post_events(&too_far).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(error["field"], "at", "{error}");

    let (_, body) = json_of(app.post_events(&json!([too_far])).await).await;
    assert_eq!(body["results"][0]["error"]["field"], "[0].at", "{body}");

    // Within the 5-minute skew: accepted. A rejected event's id stays free.
    app.accept(&acknowledged("future", -2.0).with("id", too_far["id"].clone()))
        .await;
    assert_eq!(app.issue("future").await["state"], "open");
}

/// An event without `at` happens at its receipt, and that time is shown to
/// the millisecond like every other: in the answer and in the stored issue.
async fn an_event_without_at_is_shown_in_milliseconds(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let answer = app.accept(&raised("no-at", 0.0).without("at")).await;
    let raised_at = answer["issue"]["raised_at"].as_str().unwrap().to_string();
    let fraction = raised_at
        .split_once('.')
        .map_or("", |(_, rest)| &rest[..rest.find(['+', '-', 'Z']).unwrap()]);
    assert!(fraction.len() <= 3, "milliseconds at most: {raised_at}");
    let issue = app.issue_with_events("no-at").await;
    assert_eq!(issue["raised_at"], raised_at, "the answer and the store agree");
    assert_eq!(issue["events"][0]["at"], raised_at, "{issue}");
    for (shown, stored) in answer["issue"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .zip(issue["stages"].as_array().unwrap())
    {
        assert_eq!(
            shown["deadline"], stored["deadline"],
            "deadlines agree too: {issue}"
        );
    }
}

/// The README's walk-through, its own request bodies posted as it shows
/// them: the 2024 issue arrives with all three stages `breached` and a
/// breach record for each, and the reply, action and plan retract all three.
async fn the_readme_walk_through_answers_as_the_readme_says(backend: Backend) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## A walk-through").expect("the walk-through");
    let end = start
        + readme[start..]
            .find("### The same, as the group said it")
            .expect("its end");
    let bodies: Vec<Value> = readme[start..end]
        .split("-d '")
        .skip(1)
        .map(|rest| serde_json::from_str(&rest[..rest.find('\'').unwrap()]).expect("a JSON body"))
        .collect();
    assert_eq!(bodies.len(), 2, "the raised event, then the array");
    let app = spawn_app(backend, "").await;

    let (status, answer) = json_of(app.post_events(&bodies[0]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    for stage in answer["issue"]["stages"].as_array().unwrap() {
        assert_eq!(stage["state"], "breached", "all three: {answer}");
    }
    eventually(
        std::time::Duration::from_secs(10),
        "a breach record for each stage",
        || async { (app.breaches("").await.len() == 3).then_some(()) },
    )
    .await;

    let (status, answer) = json_of(app.post_events(&bodies[1]).await).await;
    assert_eq!(
        (status, &answer["accepted"]),
        (StatusCode::OK, &json!(3)),
        "{answer}"
    );
    let issue = app.issue("zhongtai-water-0530").await;
    for stage in issue["stages"].as_array().unwrap() {
        assert_eq!(stage["state"], "met", "{issue}");
    }
    let breaches = app.breaches("include_retracted=true").await;
    assert_eq!(breaches.len(), 3, "{breaches:?}");
    assert!(
        breaches.iter().all(|breach| breach["retracted_at"].is_string()),
        "{breaches:?}"
    );
    assert!(app.breaches("").await.is_empty());
}

/// Many requests at once, each event posted twice, several on each issue:
/// the writer commits them in batches (on PostgreSQL, several batches in
/// flight at once); every event is stored once, its twin is a duplicate,
/// every issue folds all its events and gets a number of its own.
async fn concurrent_requests_store_each_event_once(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let issues: Vec<String> = (0..30).map(|i| format!("rush-{i}")).collect();
    let mut events = Vec::new();
    for issue in &issues {
        events.push(raised(issue, 30.0));
        events.push(acknowledged(issue, 20.0));
        events.push(handled(issue, 10.0));
    }
    let posts = events
        .iter()
        .chain(&events)
        .map(|event| async { json_of(app.post_events(event).await).await });
    let answers = futures_util::future::join_all(posts).await;
    let mut accepted = std::collections::HashMap::<String, usize>::new();
    for (status, body) in &answers {
        assert!(status.is_success(), "{status} {body}");
        let counted = match body["status"].as_str() {
            Some("accepted") => 1,
            Some("duplicate") => 0,
            _ => panic!("{body}"),
        };
        *accepted
            .entry(body["id"].as_str().unwrap().to_string())
            .or_default() += counted;
    }
    assert_eq!(accepted.len(), events.len());
    assert!(accepted.values().all(|count| *count == 1), "{accepted:?}");
    let mut seqs = std::collections::BTreeSet::new();
    for issue in &issues {
        let shown = app.issue_with_events(issue).await;
        assert_eq!(shown["events"].as_array().map(Vec::len), Some(3), "{shown}");
        assert_eq!(shown["state"], "open", "{shown}");
        assert!(seqs.insert(shown["seq"].as_i64().unwrap()), "{shown}");
    }
}
