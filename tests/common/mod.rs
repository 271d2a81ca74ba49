//! The end-to-end harness: the real server on a random loopback port, over a
//! fresh SQLite file or a fresh PostgreSQL database, driven over real HTTP.
//!
//! Each test body is an `async fn name(backend: Backend)`; `backend_tests!`
//! runs it once per backend so that both stores pass the same suite.

#![allow(dead_code)]

pub mod events;
pub mod sink;

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use slawatch::config::Config;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use events::*;

/// The variable naming an admin URL of a PostgreSQL server for the suite.
pub const POSTGRES_URL_VAR: &str = "SLAWATCH_TEST_POSTGRES_URL";

/// How long a start may take before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(15);
/// How long a stop may take (the service itself allows its workers 10 s).
const STOPPED_WITHIN: Duration = Duration::from_secs(20);

/// Runs each named `async fn name(backend: Backend)` on SQLite and on
/// PostgreSQL (skipped, with one notice, when no server is configured).
/// Attributes before a name (e.g. `#[ignore = "bug: …"]`) go to both tests.
macro_rules! backend_tests {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if !$crate::common::postgres_enabled() {
                        return;
                    }
                    super::$name($crate::common::Backend::Postgres).await
                }
            )+
        }
    };
}

/// Which store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether the PostgreSQL variants run; says once per test binary when not.
pub fn postgres_enabled() -> bool {
    static NOTICE: Once = Once::new();
    let enabled = std::env::var(POSTGRES_URL_VAR).is_ok_and(|url| !url.trim().is_empty());
    if !enabled {
        NOTICE.call_once(|| {
            // Straight to stderr: the harness would swallow a println! from a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL suite SKIPPED: set {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres to run it"
            );
        });
    }
    enabled
}

/// Logs of the service under test, shown with `RUST_LOG=…` only.
fn init_logs() {
    static LOGS: Once = Once::new();
    LOGS.call_once(|| {
        if let Ok(filter) = std::env::var("RUST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A unique suffix for database names and ids within this machine.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Where a test's data lives; removed when the test passes.
enum Database {
    Sqlite { dir: Option<TempDir>, path: PathBuf },
    Postgres { admin_url: String, name: String },
}

impl Database {
    async fn create(backend: Backend) -> (Database, String) {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("slawatch-test-")
                    .tempdir()
                    .expect("cannot create a temporary directory");
                let path = dir.path().join("slawatch.db");
                let url = format!("sqlite://{}", path.display());
                (Database::Sqlite { dir: Some(dir), path }, url)
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_URL_VAR)
                    .unwrap_or_else(|_| panic!("{POSTGRES_URL_VAR} must be set to run the PostgreSQL suite"));
                let name = format!("slawatch_t_{}", unique_suffix());
                let mut admin = connect_postgres(&admin_url).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create database {name} via {POSTGRES_URL_VAR}: {e}"));
                let url = with_database(&admin_url, &name);
                (Database::Postgres { admin_url, name }, url)
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        match self {
            Database::Sqlite { dir, path } => {
                if failed {
                    if let Some(dir) = dir.take() {
                        let _ = dir.keep();
                        let _ = writeln!(
                            std::io::stderr(),
                            "kept the failed test's database {}",
                            path.display()
                        );
                    }
                }
            }
            Database::Postgres { admin_url, name } => {
                if failed {
                    let _ = writeln!(std::io::stderr(), "kept the failed test's database {name}");
                    return;
                }
                // Drop needs its own runtime: this may run inside the test's.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        use sqlx::Connection;
                        let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// Connects to the admin database, failing the test loudly if it cannot.
pub async fn connect_postgres(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    match tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(url)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => panic!("{POSTGRES_URL_VAR} is set but PostgreSQL cannot be reached at {url}: {e}"),
        Err(_) => panic!("{POSTGRES_URL_VAR} is set but PostgreSQL at {url} did not answer within 10 s"),
    }
}

/// The admin URL with its database name replaced by `name`.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Environment seen by `Config::from_toml`: only what a test provides.
pub type Env = HashMap<String, String>;

/// A running service and what is needed to restart it on the same data.
pub struct TestApp {
    /// `http://127.0.0.1:PORT` of the current run (a restart picks a new port).
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    /// The configuration text, including the `[database]` section.
    pub config_text: String,
    env: Arc<Env>,
    /// Sent as `Authorization: Bearer …` by the request helpers, if set.
    pub token: Option<String>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    database: Database,
}

/// Starts the service on `backend` with `extra_toml` appended to its
/// configuration; no tokens unless `extra_toml` configures some.
pub async fn spawn_app(backend: Backend, extra_toml: &str) -> TestApp {
    spawn_app_with_env(backend, extra_toml, &[]).await
}

/// Like [`spawn_app`], with environment variables (token secrets) visible
/// to the configuration.
pub async fn spawn_app_with_env(backend: Backend, extra_toml: &str, env: &[(&str, &str)]) -> TestApp {
    init_logs();
    let (database, database_url) = Database::create(backend).await;
    let config_text = format!("{extra_toml}\n\n[database]\nurl = \"{database_url}\"\nmax_connections = 4\n");
    let env: Env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut app = TestApp {
        address: String::new(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("cannot build the HTTP client"),
        backend,
        database_url,
        config_text,
        env: Arc::new(env),
        token: None,
        shutdown: CancellationToken::new(),
        task: None,
        database,
    };
    app.start().await;
    app
}

/// Starts the service on an SQLite file at `path` (kept afterwards: the
/// caller owns its directory).
pub async fn spawn_sqlite_at(path: &std::path::Path, extra_toml: &str) -> TestApp {
    init_logs();
    let database_url = format!("sqlite://{}", path.display());
    let config_text = format!("{extra_toml}\n\n[database]\nurl = \"{database_url}\"\nmax_connections = 4\n");
    let mut app = TestApp {
        address: String::new(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("cannot build the HTTP client"),
        backend: Backend::Sqlite,
        database_url,
        config_text,
        env: Arc::new(Env::new()),
        token: None,
        shutdown: CancellationToken::new(),
        task: None,
        database: Database::Sqlite {
            dir: None,
            path: path.to_path_buf(),
        },
    };
    app.start().await;
    app
}

impl TestApp {
    /// The configuration as the service reads it.
    pub fn config(&self) -> Config {
        let env = self.env.clone();
        Config::from_toml(&self.config_text, None, &move |name| env.get(name).cloned())
            .unwrap_or_else(|e| panic!("the test configuration is invalid: {e}\n{}", self.config_text))
    }

    /// Starts the service (again) on a fresh port and waits until it is ready.
    pub async fn start(&mut self) {
        assert!(self.task.is_none(), "the service is already running");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind a loopback port");
        self.address = format!("http://{}", listener.local_addr().expect("no local address"));
        self.shutdown = CancellationToken::new();
        let task = tokio::spawn(slawatch::run(self.config(), listener, self.shutdown.clone()));
        self.task = Some(task);
        self.wait_until_ready().await;
    }

    async fn wait_until_ready(&mut self) {
        let started = Instant::now();
        let url = format!("{}/readyz", self.address);
        loop {
            if self.task.as_ref().is_some_and(JoinHandle::is_finished) {
                let result = self.task.take().expect("checked").await;
                panic!("the service stopped while starting: {result:?}");
            }
            if let Ok(response) = self.client.get(&url).send().await {
                if response.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                started.elapsed() < READY_WITHIN,
                "/readyz did not answer 200 within {READY_WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Asks the service to stop (as SIGTERM would) without waiting.
    pub fn cancel(&self) {
        self.shutdown.cancel();
    }

    /// Stops the service and asserts that `run` returned `Ok`.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        let task = self.task.take().expect("the service is not running");
        match tokio::time::timeout(STOPPED_WITHIN, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("the service returned an error on shutdown: {e:#}"),
            Ok(Err(e)) => panic!("the service task failed: {e}"),
            Err(_) => panic!("the service did not stop within {STOPPED_WITHIN:?}"),
        }
    }

    /// Whether `run` has not returned yet.
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|task| !task.is_finished())
    }

    /// Waits for a stop requested with [`TestApp::cancel`]; returns what `run` returned.
    pub async fn join(&mut self) -> anyhow::Result<()> {
        let task = self.task.take().expect("the service is not running");
        tokio::time::timeout(STOPPED_WITHIN, task)
            .await
            .expect("the service did not stop in time")
            .expect("the service task panicked")
    }

    /// Stops and starts again on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// The SQLite file, for tests that touch it directly.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.database {
            Database::Sqlite { path, .. } => Some(path.clone()),
            Database::Postgres { .. } => None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request to `path`, with the test's token if it has one.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} failed: {e}"))
    }

    /// `GET path`, asserting 200, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.expect("unreadable body");
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
    }

    /// `POST /v1/events` with a JSON body (one event or an array).
    pub async fn post_events(&self, body: &Value) -> Response {
        self.request(Method::POST, "/v1/events")
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /v1/events failed: {e}"))
    }

    /// Posts one event and asserts `201 accepted`; returns the answer.
    pub async fn accept(&self, event: &Value) -> Value {
        let (status, body) = json_of(self.post_events(event).await).await;
        assert_eq!(status, StatusCode::CREATED, "posting {event}: {body}");
        assert_eq!(body["status"], "accepted", "{body}");
        body
    }

    /// Posts events one by one, in order, asserting each is accepted.
    pub async fn accept_all(&self, events: &[Value]) {
        for event in events {
            self.accept(event).await;
        }
    }

    /// Posts an array and asserts every item was accepted.
    pub async fn accept_batch(&self, events: &[Value]) -> Value {
        let (status, body) = json_of(self.post_events(&Value::from(events.to_vec())).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accepted"], events.len(), "{body}");
        body
    }

    /// `GET /v1/issues/{issue}` (asserting 200).
    pub async fn issue(&self, issue: &str) -> Value {
        self.get_json(&format!("/v1/issues/{issue}")).await
    }

    /// `GET /v1/issues/{issue}?include=events` (asserting 200).
    pub async fn issue_with_events(&self, issue: &str) -> Value {
        self.get_json(&format!("/v1/issues/{issue}?include=events")).await
    }

    /// The items of `GET /v1/breaches?{query}`.
    pub async fn breaches(&self, query: &str) -> Vec<Value> {
        let page = self.get_json(&format!("/v1/breaches?{query}")).await;
        page["items"].as_array().expect("items must be an array").clone()
    }

    /// Every item of a list, following `next_cursor` to the end.
    pub async fn walk(&self, path_and_query: &str) -> Vec<Value> {
        let separator = if path_and_query.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let path = match &cursor {
                Some(cursor) => format!("{path_and_query}{separator}cursor={cursor}"),
                None => path_and_query.to_string(),
            };
            let page = self.get_json(&path).await;
            items.extend(
                page["items"]
                    .as_array()
                    .expect("items must be an array")
                    .iter()
                    .cloned(),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => {
                    assert!(
                        page["next_cursor"].is_null(),
                        "next_cursor must be a string or null"
                    );
                    return items;
                }
            }
        }
        panic!("{path_and_query}: pagination does not end");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The runtime ends with the test; stopping first keeps a PostgreSQL
        // database free to drop.
        self.shutdown.cancel();
    }
}

/// Status and JSON body of a response (the body must be JSON).
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("unreadable body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
    (status, body)
}

/// Asserts the SPEC error body `{"error":{"code","message","field"?}}` with
/// `status` and `code`; returns the `error` object.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (actual, body) = json_of(response).await;
    assert_eq!(actual, status, "{body}");
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    assert_error_shape(&body);
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"].clone()
}

/// Asserts that `body` is exactly `{"error":{"code","message","field"?}}`.
pub fn assert_error_shape(body: &Value) {
    let top = body
        .as_object()
        .unwrap_or_else(|| panic!("error body must be an object: {body}"));
    assert_eq!(top.len(), 1, "only `error` at the top: {body}");
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("`error` must be an object: {body}"));
    let code = error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("`code` must be a string: {body}"));
    assert!(
        !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "`code` must be snake_case: {body}"
    );
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("`message` must be a string: {body}"));
    assert!(!message.is_empty(), "`message` must say something: {body}");
    for key in error.keys() {
        assert!(
            ["code", "message", "field"].contains(&key.as_str()),
            "unexpected `{key}`: {body}"
        );
    }
    if let Some(field) = error.get("field") {
        assert!(field.is_string(), "`field` must be a string: {body}");
    }
}

/// The stage `name` of an issue object.
pub fn stage<'a>(issue: &'a Value, name: &str) -> &'a Value {
    issue["stages"]
        .as_array()
        .unwrap_or_else(|| panic!("no stages: {issue}"))
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name}: {issue}"))
}

/// Polls `check` every 100 ms until it returns `Some` or `within` passes.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Secrets of the three test tokens: one per scope.
pub const BOT_SECRET: &str = "bot-secret-0123456789";
pub const READER_SECRET: &str = "reader-secret-0123456789";
pub const ADMIN_SECRET: &str = "admin-secret-0123456789";

/// `[[tokens]]` for `group-bot` (ingest), `dashboard` (read) and `operator`
/// (admin), their secrets read from [`TOKEN_ENV`].
pub const TOKENS: &str = r#"
[[tokens]]
name = "group-bot"
scopes = ["ingest"]
secret_env = "TEST_TOKEN_BOT"

[[tokens]]
name = "dashboard"
scopes = ["read"]
secret_env = "TEST_TOKEN_READER"

[[tokens]]
name = "operator"
scopes = ["admin"]
secret_env = "TEST_TOKEN_ADMIN"
"#;

/// The environment [`TOKENS`] reads its secrets from.
pub const TOKEN_ENV: [(&str, &str); 3] = [
    ("TEST_TOKEN_BOT", BOT_SECRET),
    ("TEST_TOKEN_READER", READER_SECRET),
    ("TEST_TOKEN_ADMIN", ADMIN_SECRET),
];
