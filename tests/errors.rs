//! Every error of SPEC §3 provoked over HTTP, each answered with
//! `{"error":{"code","message","field"?}}`; authentication with scopes; the
//! refusal to listen publicly without tokens.

#[macro_use]
mod common;

use common::*;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

backend_tests!(
    malformed_json_is_400,
    missing_or_bad_credentials_are_401,
    a_token_without_the_scope_is_403,
    public_routes_need_no_token,
    unknown_issues_and_routes_are_404,
    a_wrong_method_is_405_with_a_json_body,
    a_conflicting_event_is_409,
    a_body_over_the_limit_is_413,
    a_wrong_content_type_is_415,
    invalid_fields_are_422_and_named,
    too_many_requests_are_429_with_retry_after,
    the_token_name_becomes_the_event_source,
    every_refused_event_is_counted_by_reason,
);

async fn spawn_with_tokens(backend: Backend, extra: &str) -> TestApp {
    spawn_app_with_env(backend, &format!("{TOKENS}\n{extra}"), &TOKEN_ENV).await
}

/// `POST /v1/events` with a raw body and content type.
async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.request(Method::POST, "/v1/events").body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.expect("POST /v1/events failed")
}

async fn malformed_json_is_400(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let bodies: [&[u8]; 6] = [
        br#"{"id": "e-1", "issue": "#,
        b"",
        b"{\"id\": \"e-1\"} trailing",
        b"\xff\xfe{}",
        b"{'id': 'single quotes'}",
        b"[1, 2,]",
    ];
    for body in bodies {
        let error = assert_error(
            post_raw(&app, Some("application/json"), body.to_vec()).await,
            StatusCode::BAD_REQUEST,
            "malformed_request",
        )
        .await;
        assert!(error.get("field").is_none(), "{error}");
    }
    // A lone surrogate and deep nesting are malformed too.
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    for body in [
        r#"{"id": "\ud800", "issue": "i", "kind": "raised"}"#.to_string(),
        deep,
    ] {
        let status = post_raw(&app, Some("application/json"), body).await.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{status}"
        );
    }
}

async fn missing_or_bad_credentials_are_401(backend: Backend) {
    let app = spawn_with_tokens(backend, "").await;
    let event = raised("auth", 1.0);
    let no_token = app
        .client
        .post(app.url("/v1/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_error(no_token, StatusCode::UNAUTHORIZED, "unauthorized").await;

    for header in [
        "Bearer wrong-secret-0123456789".to_string(),
        format!("Bearer {}", &BOT_SECRET[..BOT_SECRET.len() - 1]),
        format!("Basic {BOT_SECRET}"),
        BOT_SECRET.to_string(),
        "Bearer ".to_string(),
    ] {
        let response = app
            .client
            .post(app.url("/v1/events"))
            .header("Authorization", &header)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    for path in ["/v1/issues", "/v1/issues/auth", "/v1/breaches", "/v1/projects"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Credentials are checked before the body is read.
    let response = app
        .client
        .post(app.url("/v1/events"))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn a_token_without_the_scope_is_403(backend: Backend) {
    let mut app = spawn_with_tokens(backend, "").await;
    app.token = Some(READER_SECRET.into());
    let error = assert_error(
        app.post_events(&raised("scoped", 1.0)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("ingest"), "{error}");

    app.token = Some(BOT_SECRET.into());
    app.accept(&raised("scoped", 1.0)).await;
    for path in ["/v1/issues", "/v1/issues/scoped", "/v1/breaches", "/v1/projects"] {
        assert_error(app.get(path).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    // `admin` may do everything.
    app.token = Some(ADMIN_SECRET.into());
    app.accept(&acknowledged("scoped", 0.5)).await;
    assert_eq!(app.issue("scoped").await["state"], "open");
}

async fn public_routes_need_no_token(backend: Backend) {
    let app = spawn_with_tokens(backend, "").await;
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let openapi = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    for path in [
        "/v1/events",
        "/v1/issues",
        "/v1/issues/{issue}",
        "/v1/breaches",
        "/v1/projects",
    ] {
        assert!(openapi["paths"].get(path).is_some(), "{path} is not described");
    }
}

async fn unknown_issues_and_routes_are_404(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let error = assert_error(
        app.get("/v1/issues/no-such-issue").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("no-such-issue"),
        "{error}"
    );
    for path in [
        "/v1/nothing",
        "/nothing",
        "/v2/events",
        "/v1/issues/a/b",
        "/v1/events/extra",
    ] {
        assert_error(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = app
        .request(Method::POST, "/v1/nothing")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_wrong_method_is_405_with_a_json_body(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let cases = [
        (Method::GET, "/v1/events"),
        (Method::PUT, "/v1/events"),
        (Method::POST, "/v1/issues"),
        (Method::DELETE, "/v1/issues/some-issue"),
        (Method::PATCH, "/v1/breaches"),
        (Method::POST, "/healthz"),
    ];
    for (method, path) in cases {
        let response = app.request(method.clone(), path).send().await.unwrap();
        assert_error(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
}

async fn a_conflicting_event_is_409(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let original = raised("conflict", 2.0);
    app.accept(&original).await;
    let changed = original.clone().with("priority", "urgent");
    assert_error(app.post_events(&changed).await, StatusCode::CONFLICT, "conflict").await;
}

async fn a_body_over_the_limit_is_413(backend: Backend) {
    let app = spawn_app(backend, "[server]\nbody_limit = \"2KiB\"\n").await;
    let too_big = raised("big", 1.0).with("text", "水".repeat(1000));
    assert!(too_big.to_string().len() > 2048);
    assert_error(
        app.post_events(&too_big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let array: Vec<_> = (0..30).map(|n| raised(&format!("big-{n}"), 1.0)).collect();
    assert_error(
        app.post_events(&json!(array)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    // Whatever the content type says, the size is checked.
    let response = post_raw(&app, Some("application/json"), vec![b' '; 3000]).await;
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Just under the limit is fine, and nothing of the refused bodies was stored.
    app.accept(&raised("big", 1.0).with("text", "水".repeat(300)))
        .await;
    assert_eq!(
        app.issue_with_events("big").await["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_error(
        app.get("/v1/issues/big-0").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn a_wrong_content_type_is_415(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let body = raised("typed", 1.0).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        None,
    ] {
        let response = post_raw(&app, content_type, body.clone()).await;
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    let response = post_raw(&app, Some("application/json; charset=utf-8"), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn invalid_fields_are_422_and_named(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let cases = [
        (json!({"issue": "i", "kind": "raised", "project": "p"}), "id"),
        (json!({"id": "e", "kind": "raised", "project": "p"}), "issue"),
        (
            json!({"id": "e", "issue": "a/b", "kind": "acknowledged"}),
            "issue",
        ),
        (
            json!({"id": "e", "issue": "x".repeat(129), "kind": "acknowledged"}),
            "issue",
        ),
        (json!({"id": "e", "issue": "i"}), "kind"),
        (json!({"id": "e", "issue": "i", "kind": "exploded"}), "kind"),
        (json!({"id": "e", "issue": "i", "kind": "raised"}), "project"),
        (
            json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "yesterday"}),
            "at",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T10:02:00"}),
            "at",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "fixed"}),
            "resolution",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"role": "boss"}}),
            "actor.role",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "attributes": [1]}),
            "attributes",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "attributes": {"big": "x".repeat(9000)}}),
            "attributes",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "title": "题".repeat(257)}),
            "title",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "colour": "red"}),
            "colour",
        ),
        (json!({"id": 5, "issue": "i", "kind": "handled"}), "id"),
    ];
    for (body, field) in cases {
        let error = assert_error(
            app.post_events(&body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        )
        .await;
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    // Not an object at all.
    for body in [json!(42), json!("raised"), json!(null)] {
        let response = app.post_events(&body).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    }
    let too_many: Vec<_> = (0..1001)
        .map(|n| acknowledged(&format!("many-{n}"), 1.0))
        .collect();
    let response = app.post_events(&json!(too_many)).await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error_shape(&body);
    assert_error(app.get("/v1/issues/i").await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn too_many_requests_are_429_with_retry_after(backend: Backend) {
    let mut app = spawn_with_tokens(
        backend,
        "[server]\nrate_limit_per_second = 1\nrate_limit_burst = 2\n",
    )
    .await;
    app.token = Some(READER_SECRET.into());
    let started = Instant::now();
    assert_eq!(app.get("/v1/issues").await.status(), StatusCode::OK);
    assert_eq!(app.get("/v1/issues").await.status(), StatusCode::OK);
    let limited = app.get("/v1/issues").await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "too slow to exhaust the burst"
    );
    let retry_after: u64 = limited
        .headers()
        .get(RETRY_AFTER)
        .expect("429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    // Buckets are per token: the bot still gets through.
    app.token = Some(BOT_SECRET.into());
    app.accept(&raised("limited", 1.0)).await;
    // And the reader's bucket refills at one request per second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.token = Some(READER_SECRET.into());
    assert_eq!(app.get("/v1/issues").await.status(), StatusCode::OK);
}

async fn the_token_name_becomes_the_event_source(backend: Backend) {
    let mut app = spawn_with_tokens(backend, "").await;
    app.token = Some(BOT_SECRET.into());
    app.accept(&raised("sourced", 2.0)).await;
    app.token = Some(ADMIN_SECRET.into());
    app.accept(&acknowledged("sourced", 1.0)).await;
    app.token = Some(READER_SECRET.into());
    let issue = app.issue_with_events("sourced").await;
    let sources: Vec<&str> = issue["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["group-bot", "operator"]);
}

/// SQLite only: another connection holds the write lock past the 5 s busy
/// timeout, so the store is unavailable; the event is not stored and a retry
/// after the lock is released succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_store_is_503_with_retry_after() {
    use sqlx::{Connection, Executor};
    let app = spawn_app(Backend::Sqlite, "").await;
    let path = app.sqlite_path().unwrap();
    let mut blocker = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    blocker.execute("BEGIN EXCLUSIVE").await.unwrap();

    let event = raised("locked", 1.0);
    let started = Instant::now();
    let response = app.post_events(&event).await;
    let waited = started.elapsed();
    let retry_after = response.headers().get(RETRY_AFTER).cloned();
    assert_error(response, StatusCode::SERVICE_UNAVAILABLE, "store_unavailable").await;
    let retry_after: u64 = retry_after
        .expect("503 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert!(waited < Duration::from_secs(15), "answered after {waited:?}");
    // Reads still work while a writer holds the lock (WAL).
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    blocker.execute("ROLLBACK").await.unwrap();
    drop(blocker);
    app.accept(&event).await;
    assert_eq!(app.issue("locked").await["state"], "open");
}

#[test]
fn a_public_listen_without_tokens_is_refused() {
    let open = slawatch::config::Config::from_toml("", None, &|_| None).unwrap();
    let error = slawatch::check_bind(&open, "0.0.0.0:8080".parse().unwrap()).expect_err("must refuse");
    let message = error.to_string();
    assert!(
        message.contains("0.0.0.0:8080") && message.contains("tokens"),
        "{message}"
    );
    assert!(slawatch::check_bind(&open, "127.0.0.1:8080".parse().unwrap()).is_ok());
    assert!(slawatch::check_bind(&open, "[::1]:8080".parse().unwrap()).is_ok());

    let secured = slawatch::config::Config::from_toml(TOKENS, None, &|name| {
        TOKEN_ENV
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    assert!(slawatch::check_bind(&secured, "0.0.0.0:8080".parse().unwrap()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refuses_a_public_listener_without_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[database]\nurl = \"sqlite://{}/never.db\"\n",
        dir.path().display()
    );
    let config = slawatch::config::Config::from_toml(&text, None, &|_| None).unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        slawatch::run(config, listener, tokio_util::sync::CancellationToken::new()),
    )
    .await
    .expect("run must refuse at once");
    let error = result.expect_err("run must refuse a public listener without tokens");
    assert!(format!("{error:#}").contains("tokens"), "{error:#}");
    assert!(
        !dir.path().join("never.db").exists(),
        "refused before opening the store"
    );
}

#[test]
fn the_binary_exits_2_on_a_public_listen_without_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("slawatch.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"0.0.0.0:0\"\n[database]\nurl = \"sqlite://{}/never.db\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env_clear()
        .output()
        .expect("cannot run slawatch");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tokens"), "a clear message: {stderr}");
}

/// `slawatch_events_rejected_total{reason}` counts every refused event, by
/// its error code: each reason is there at 0 from the start; refusals at
/// validation (single events and array items), of a body that cannot be
/// read, a conflict and a pause the policy forbids are all counted.
async fn every_refused_event_is_counted_by_reason(backend: Backend) {
    let app = spawn_app(backend, "").await;
    let at_start = rejected_counts(&app).await;
    for reason in [
        "unknown_kind",
        "missing_project",
        "future_timestamp",
        "wrong_type",
        "malformed_request",
        "conflict",
        "pause_not_allowed",
        "batch_too_large",
    ] {
        assert_eq!(at_start.get(reason), Some(&0), "{reason} at start: {at_start:?}");
    }

    let unknown_kind = raised("bad-kind", 1.0).with("kind", "escalated");
    let no_project = raised("no-project", 1.0).without("project");
    let ahead = event("raised", "ahead", now() + minutes(60));
    for refused in [&unknown_kind, &no_project, &ahead] {
        let response = app.post_events(refused).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = post_raw(&app, Some("application/json"), &b"{\"id\": "[..]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let fine = raised("fine", 2.0);
    let array = json!([
        fine.clone(),
        raised("bad-kind-2", 1.0).with("kind", "escalated"),
        raised("bad-type", 1.0).with("title", 7),
    ]);
    let (status, answer) = json_of(app.post_events(&array).await).await;
    assert_eq!(
        (status, &answer["rejected"]),
        (StatusCode::OK, &json!(2)),
        "{answer}"
    );
    let changed = fine.with("priority", "urgent");
    assert_eq!(app.post_events(&changed).await.status(), StatusCode::CONFLICT);
    let pause = paused("fine", 1.0);
    assert_eq!(
        app.post_events(&pause).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let counts = rejected_counts(&app).await;
    for (reason, expected) in [
        ("unknown_kind", 2),
        ("missing_project", 1),
        ("future_timestamp", 1),
        ("wrong_type", 1),
        ("malformed_request", 1),
        ("conflict", 1),
        ("pause_not_allowed", 1),
        ("other", 0),
    ] {
        assert_eq!(counts.get(reason), Some(&expected), "{reason}: {counts:?}");
    }
    assert_eq!(counts.values().sum::<u64>(), 8, "{counts:?}");
}

/// The `reason` → value pairs of `slawatch_events_rejected_total`.
async fn rejected_counts(app: &TestApp) -> std::collections::BTreeMap<String, u64> {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("slawatch_events_rejected_total{reason=\""))
        .map(|rest| {
            let (reason, value) = rest.split_once("\"} ").expect("one label");
            (reason.to_string(), value.parse().expect("a count"))
        })
        .collect()
}
