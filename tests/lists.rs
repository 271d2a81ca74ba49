//! Lists of SPEC §3: `/v1/issues` filters and cursor pagination,
//! `/v1/breaches` filters, `/v1/projects` with live counts.

#[macro_use]
mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

backend_tests!(
    issues_are_filtered_by_project_state_stage_and_time,
    issues_are_paged_newest_first_without_duplicates,
    breaches_are_filtered_by_project_stage_and_deadline,
    projects_list_configured_and_unconfigured_with_live_counts,
    project_open_stages_leave_out_met_stages,
    list_parameters_are_validated,
    an_issue_is_found_by_its_number,
    project_counts_use_the_words_of_the_state_filter,
);

/// The `issue` keys of list items, as a set.
fn keys(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|item| item["issue"].as_str().expect("an issue key").to_string())
        .collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// `?since=`/`?until=` value for `minutes` ago, URL-safe (`Z`, no `+`).
fn param_ago(minutes_: f64) -> String {
    rfc3339(minutes_ago(minutes_))
}

async fn issues_are_filtered_by_project_state_stage_and_time(backend: Backend) {
    let app = spawn_app(backend, "").await;
    app.accept_all(&[
        // p-a: ack breached / ack met / closed long ago.
        raised("a1", 30.0).with("project", "p-a"),
        raised("a2", 5.0).with("project", "p-a"),
        acknowledged("a2", 4.0),
        raised("a3", 180.0).with("project", "p-a"),
        acknowledged("a3", 178.0),
        closed("a3", 120.0, "resolved"),
        // p-b: ack pending / ack at risk (past 8 of its 10 minutes).
        raised("b1", 2.0).with("project", "p-b"),
        raised("b2", 9.0).with("project", "p-b"),
        // Its raise has not arrived.
        acknowledged("u1", 1.0),
    ])
    .await;

    let cases: &[(&str, &[&str])] = &[
        ("", &["a1", "a2", "a3", "b1", "b2", "u1"]),
        ("project=p-a", &["a1", "a2", "a3"]),
        ("project=p-b", &["b1", "b2"]),
        ("project=nowhere", &[]),
        ("state=open", &["a1", "a2", "b1", "b2"]),
        ("state=closed", &["a3"]),
        ("state=unraised", &["u1"]),
        ("state=paused", &[]),
        ("stage=ack&stage_state=breached", &["a1"]),
        ("stage=ack&stage_state=met", &["a2", "a3"]),
        ("stage=ack&stage_state=pending", &["b1"]),
        ("stage=ack&stage_state=at_risk", &["b2"]),
        ("stage=plan&stage_state=waived", &["a3"]),
        ("stage=handle&stage_state=met", &["a3"]),
        ("stage_state=breached", &["a1"]),
        ("project=p-b&stage=ack&stage_state=at_risk", &["b2"]),
        ("project=p-a&state=open&stage=ack&stage_state=met", &["a2"]),
    ];
    for (query, expected) in cases {
        let items = app.walk(&format!("/v1/issues?{query}")).await;
        assert_eq!(keys(&items), set(expected), "/v1/issues?{query}");
    }

    // since/until: raised at or after / before.
    let since = param_ago(10.0);
    let until = param_ago(4.0);
    let cases: Vec<(String, &[&str])> = vec![
        (format!("project=p-a&since={since}"), &["a2"]),
        (format!("project=p-a&until={since}"), &["a1", "a3"]),
        (
            format!("state=open&since={}&until={until}", param_ago(40.0)),
            &["a1", "a2", "b2"],
        ),
        (
            format!("since={}&until={}", param_ago(200.0), param_ago(100.0)),
            &["a3"],
        ),
    ];
    for (query, expected) in cases {
        let items = app.walk(&format!("/v1/issues?{query}")).await;
        assert_eq!(keys(&items), set(expected), "/v1/issues?{query}");
    }

    // Items are whole issue objects.
    let items = app
        .walk("/v1/issues?project=p-b&stage=ack&stage_state=at_risk")
        .await;
    let b2 = &items[0];
    assert_eq!(b2["project"], "p-b");
    assert_eq!(stage(b2, "ack")["state"], "at_risk");
    assert!(
        b2["seq"].as_i64().is_some() && b2["raised_at"].as_str().unwrap().ends_with("+08:00"),
        "{b2}"
    );
}

async fn issues_are_paged_newest_first_without_duplicates(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let posted: Vec<String> = (1..=7).map(|n| format!("page-{n}")).collect();
    for (n, issue) in posted.iter().enumerate() {
        app.accept(&raised(issue, 60.0 - n as f64)).await;
    }

    let mut seen = Vec::new();
    let mut page_sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/issues?limit=3&cursor={cursor}"),
            None => "/v1/issues?limit=3".to_string(),
        };
        let page = app.get_json(&path).await;
        let items = page["items"].as_array().unwrap();
        page_sizes.push(items.len());
        seen.extend(items.iter().map(|i| {
            (
                i["issue"].as_str().unwrap().to_string(),
                i["seq"].as_i64().unwrap(),
            )
        }));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(page_sizes.len() < 10, "pagination does not end");
    }
    assert_eq!(page_sizes, [3, 3, 1]);
    let order: Vec<&str> = seen.iter().map(|(issue, _)| issue.as_str()).collect();
    let newest_first: Vec<&str> = posted.iter().rev().map(String::as_str).collect();
    assert_eq!(order, newest_first, "newest first, no duplicates, none missing");
    assert!(
        seen.windows(2).all(|w| w[0].1 > w[1].1),
        "seq decreases: {seen:?}"
    );

    // A page exactly as long as the rest ends with an empty last page or a null cursor.
    let all = app.walk("/v1/issues?limit=7").await;
    assert_eq!(all.len(), 7);
    let one_by_one = app.walk("/v1/issues?limit=1").await;
    assert_eq!(keys(&one_by_one).len(), 7);
    let filtered = app.walk("/v1/issues?limit=2&state=open").await;
    assert_eq!(filtered.len(), 7);
    assert!(
        app.get_json("/v1/issues").await["next_cursor"].is_null(),
        "default limit 100 holds all 7"
    );
}

async fn breaches_are_filtered_by_project_stage_and_deadline(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let x3_raised = minutes_ago(20.0);
    app.accept_all(&[
        // ack deadline 20 minutes ago.
        raised("x1", 30.0).with("project", "p-a"),
        // ack deadline 170 and handle deadline 60 minutes ago.
        raised("x2", 180.0).with("project", "p-b"),
        // Flagged, then retracted by an on-time ack.
        event("raised", "x3", x3_raised).with("project", "p-a"),
        event("acknowledged", "x3", x3_raised + minutes(5)),
    ])
    .await;

    let pairs = |items: &[Value]| -> BTreeSet<(String, String)> {
        items
            .iter()
            .map(|b| {
                (
                    b["issue"].as_str().unwrap().to_string(),
                    b["stage"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let expect = |list: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        list.iter().map(|(i, s)| (i.to_string(), s.to_string())).collect()
    };
    let cases: Vec<(String, BTreeSet<(String, String)>)> = vec![
        (
            String::new(),
            expect(&[("x1", "ack"), ("x2", "ack"), ("x2", "handle")]),
        ),
        ("project=p-a".into(), expect(&[("x1", "ack")])),
        (
            "project=p-a&include_retracted=true".into(),
            expect(&[("x1", "ack"), ("x3", "ack")]),
        ),
        (
            "include_retracted=false".into(),
            expect(&[("x1", "ack"), ("x2", "ack"), ("x2", "handle")]),
        ),
        ("stage=handle".into(), expect(&[("x2", "handle")])),
        ("stage=plan".into(), expect(&[])),
        (format!("since={}", param_ago(25.0)), expect(&[("x1", "ack")])),
        (
            format!("until={}", param_ago(25.0)),
            expect(&[("x2", "ack"), ("x2", "handle")]),
        ),
        (
            format!("since={}&until={}", param_ago(100.0), param_ago(25.0)),
            expect(&[("x2", "handle")]),
        ),
        (
            format!("project=p-b&stage=ack&until={}", param_ago(25.0)),
            expect(&[("x2", "ack")]),
        ),
    ];
    for (query, expected) in cases {
        let items = app.walk(&format!("/v1/breaches?{query}")).await;
        assert_eq!(
            items.len(),
            expected.len(),
            "/v1/breaches?{query}: one record each: {items:?}"
        );
        assert_eq!(pairs(&items), expected, "/v1/breaches?{query}");
    }

    // Newest first, pageable, every field of a breach object.
    let paged = app.walk("/v1/breaches?limit=1&include_retracted=true").await;
    assert_eq!(paged.len(), 4, "{paged:?}");
    let first_page = app.breaches("include_retracted=true").await;
    assert_eq!(paged, first_page, "pages in the same order as one list");
    for breach in &paged {
        for key in [
            "issue",
            "seq",
            "project",
            "stage",
            "cycle",
            "deadline",
            "detected_at",
            "detected_late",
            "met_at",
            "retracted_at",
            "escalation_step",
        ] {
            assert!(breach.get(key).is_some(), "`{key}` missing: {breach}");
        }
        assert!(
            breach["deadline"].as_str().unwrap().ends_with("+08:00"),
            "{breach}"
        );
    }
    let x1 = app.breaches("project=p-a").await;
    let x1_issue = app.issue("x1").await;
    assert_eq!(x1[0]["seq"], x1_issue["seq"]);
}

const PROJECTS: &str = r#"
[projects.zhongtai]
name = "中泰环保绿色环保过滤设备制造项目"

[projects.quiet]
name = "安静项目"
"#;

fn project<'a>(list: &'a Value, key: &str) -> &'a Value {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["project"] == key)
        .unwrap_or_else(|| panic!("project {key} missing: {list}"))
}

async fn projects_list_configured_and_unconfigured_with_live_counts(backend: Backend) {
    let app = spawn_app(backend, PROJECTS).await;
    app.accept_all(&[
        raised("z-at-risk", 9.0),
        raised("z-breached", 30.0),
        raised("z-closed", 5.0),
        closed("z-closed", 1.0, "withdrawn"),
        raised("s-1", 1.0).with("project", "stray"),
    ])
    .await;

    let list = app.get_json("/v1/projects").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");

    let zhongtai = project(&list, "zhongtai");
    assert_eq!(zhongtai["name"], "中泰环保绿色环保过滤设备制造项目");
    assert_eq!(zhongtai["configured"], true);
    assert_eq!(zhongtai["open"], 2, "the closed issue is not open: {zhongtai}");
    assert_eq!(zhongtai["open_with_unmet_stages"], 2, "{zhongtai}");
    assert_eq!(zhongtai["open_stages"], 6, "{zhongtai}");
    assert_eq!(zhongtai["at_risk"], 1, "{zhongtai}");
    assert_eq!(zhongtai["breached"], 1, "{zhongtai}");

    let quiet = project(&list, "quiet");
    assert_eq!(quiet["name"], "安静项目");
    assert_eq!(quiet["configured"], true);
    for key in [
        "open",
        "paused",
        "open_with_unmet_stages",
        "open_stages",
        "at_risk",
        "breached",
    ] {
        assert_eq!(quiet[key], 0, "{quiet}");
    }

    let stray = project(&list, "stray");
    assert_eq!(
        stray["configured"], false,
        "seen in events, not configured: {stray}"
    );
    assert!(stray["name"].is_null(), "{stray}");
    assert_eq!(stray["open"], 1);
    assert_eq!(stray["open_with_unmet_stages"], 1);
    assert_eq!(stray["open_stages"], 3);
    assert_eq!(stray["at_risk"], 0);
    assert_eq!(stray["breached"], 0);

    // Live: closing the breached issue takes it out of the open counts.
    app.accept(&closed("z-breached", 0.0, "resolved")).await;
    let zhongtai = project(&app.get_json("/v1/projects").await, "zhongtai").clone();
    assert_eq!(zhongtai["open"], 1, "{zhongtai}");
    assert_eq!(zhongtai["breached"], 0, "{zhongtai}");
    assert_eq!(zhongtai["at_risk"], 1, "{zhongtai}");
}

async fn project_open_stages_leave_out_met_stages(backend: Backend) {
    // An open stage is one still running: pending, at risk or breached
    // unmet (SPEC §7 `slawatch_open_stages` has exactly those states).
    let app = spawn_app(backend, PROJECTS).await;
    app.accept_all(&[raised("z-acked", 3.0), acknowledged("z-acked", 2.0)])
        .await;
    let zhongtai = project(&app.get_json("/v1/projects").await, "zhongtai").clone();
    assert_eq!(zhongtai["open_with_unmet_stages"], 1, "{zhongtai}");
    assert_eq!(
        zhongtai["open_stages"], 2,
        "handle and plan are open, ack is met: {zhongtai}"
    );
}

async fn list_parameters_are_validated(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let cases = [
        ("/v1/issues?state=bogus", "state"),
        ("/v1/issues?stage=review", "stage"),
        ("/v1/issues?stage_state=late", "stage_state"),
        ("/v1/issues?since=yesterday", "since"),
        ("/v1/issues?until=2024-05-30T10:02:00", "until"),
        ("/v1/issues?limit=0", "limit"),
        ("/v1/issues?limit=501", "limit"),
        ("/v1/issues?limit=ten", "limit"),
        ("/v1/issues?cursor=abc", "cursor"),
        ("/v1/issues?colour=red", "colour"),
        ("/v1/breaches?include_retracted=maybe", "include_retracted"),
        ("/v1/breaches?stage=review", "stage"),
        ("/v1/issues/anything?include=everything", "include"),
    ];
    for (path, field) in cases {
        let error = assert_error(
            app.get(path).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        )
        .await;
        assert_eq!(error["field"], field, "{path}: {error}");
    }
    assert_eq!(app.get("/v1/issues?limit=500").await.status(), StatusCode::OK);
}

/// People say "#12": `GET /v1/issues/%2312` and `GET /v1/issues/seq:12`
/// answer issue 12, timeline included, and `GET /v1/issues?seq=12` lists it.
/// A key that exists wins over a number.
async fn an_issue_is_found_by_its_number(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let water = app.accept(&raised("water", 5.0)).await;
    let power = app.accept(&raised("power", 4.0)).await;
    let (water_seq, power_seq) = (
        water["issue"]["seq"].as_i64().unwrap(),
        power["issue"]["seq"].as_i64().unwrap(),
    );
    assert_eq!(app.issue(&format!("%23{power_seq}")).await["issue"], "power");
    assert_eq!(app.issue(&format!("seq:{water_seq}")).await["issue"], "water");
    let timeline = app.issue_with_events(&format!("%23{water_seq}")).await;
    assert_eq!(timeline["events"][0]["kind"], "raised", "{timeline}");
    let missing = app.get("/v1/issues/%23999").await;
    assert_error(missing, StatusCode::NOT_FOUND, "not_found").await;

    let listed = app.walk(&format!("/v1/issues?seq={power_seq}")).await;
    assert_eq!(keys(&listed), set(&["power"]));
    let bad = app.get("/v1/issues?seq=0").await;
    assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;

    // An issue whose key looks like a number is found by its key.
    app.accept(&raised(&format!("#{water_seq}"), 3.0)).await;
    assert_eq!(
        app.issue(&format!("%23{water_seq}")).await["issue"],
        format!("#{water_seq}")
    );
}

/// `open` in `GET /v1/projects` counts what `GET /v1/issues?state=open`
/// lists, an issue whose stages are all met included;
/// `open_with_unmet_stages` leaves that one out. The OpenAPI schema says
/// what each count is.
async fn project_counts_use_the_words_of_the_state_filter(backend: Backend) {
    let app = spawn_app(backend, PROJECTS).await;
    app.accept_all(&[
        raised("z-waiting", 3.0),
        raised("z-all-met", 3.0),
        planned("z-all-met", 2.0),
        raised("z-closed", 3.0),
        closed("z-closed", 1.0, "resolved"),
    ])
    .await;
    let listed = app.walk("/v1/issues?project=zhongtai&state=open").await;
    assert_eq!(keys(&listed), set(&["z-waiting", "z-all-met"]));
    let zhongtai = project(&app.get_json("/v1/projects").await, "zhongtai").clone();
    assert_eq!(zhongtai["open"], 2, "{zhongtai}");
    assert_eq!(zhongtai["paused"], 0, "{zhongtai}");
    assert_eq!(zhongtai["open_with_unmet_stages"], 1, "{zhongtai}");
    assert!(zhongtai.get("open_issues").is_none(), "{zhongtai}");

    let openapi = app.get_json("/openapi.json").await;
    let properties = &openapi["components"]["schemas"]["ProjectView"]["properties"];
    for count in [
        "open",
        "paused",
        "open_with_unmet_stages",
        "open_stages",
        "at_risk",
        "breached",
    ] {
        let description = properties[count]["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{count} is described: {properties}");
    }
    assert!(properties["open"]["description"]
        .as_str()
        .unwrap()
        .contains("state=open"));
}
