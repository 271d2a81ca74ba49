//! The quick drill of `benches/drills/kill9.sh`, run by `cargo test`: the
//! real binary on a SQLite file takes events from concurrent clients, is
//! killed with SIGKILL mid-load and started again on the same file, and
//! every event it answered 2xx is there (a 2xx answer means the
//! event is durably stored).

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Concurrent clients posting one event per request.
const CLIENTS: usize = 8;
/// Load before the kill, and after the restart.
const BEFORE_KILL: Duration = Duration::from_millis(2500);
const AFTER_RESTART: Duration = Duration::from_millis(500);

/// `slawatch serve` on 127.0.0.1:`port` with the SQLite file `database`,
/// its environment holding only what it is given here.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    async fn start(config: &Path, database: &Path, port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_slawatch"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env_clear()
            .env("SLAWATCH_SERVER_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "SLAWATCH_DATABASE_URL",
                format!("sqlite://{}", database.display()),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start slawatch");
        let mut server = Server { child, port };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("slawatch exited while starting: {status}");
            }
            let ready = client
                .get(self.url("/readyz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|response| response.status() == StatusCode::OK);
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "not ready within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the clients saw: the ids answered 2xx, the requests refused with
/// 503, and those that got no answer at all (in doubt: stored or not, a
/// client would retry them).
#[derive(Default)]
struct Seen {
    acknowledged: Vec<String>,
    refused: usize,
    unanswered: usize,
}

/// One client: posts `raised` events with ids `{client}-{n}` until `stop`.
async fn post_until(base: Arc<String>, client: usize, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let id = format!("kill9-{client}-{n}");
        n += 1;
        let event = json!({"id": id, "issue": id, "kind": "raised", "project": "drill", "title": "kill -9"});
        let url = format!("{base}/v1/events");
        match http.post(url).json(&event).send().await {
            Ok(response) if response.status().is_success() => seen.lock().unwrap().acknowledged.push(id),
            // Refused, to be retried: neither stored nor promised.
            Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                seen.lock().unwrap().refused += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(response) => panic!("{id}: answered {}", response.status()),
            Err(_) => {
                seen.lock().unwrap().unanswered += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Every issue key of project `drill`, through the paginated list.
async fn stored_issues(server: &Server) -> HashSet<String> {
    let http = reqwest::Client::new();
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = server.url("/v1/issues?project=drill&limit=500");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        for item in page["items"].as_array().expect("items") {
            stored.insert(item["issue"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return stored,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("slawatch.toml");
    std::fs::write(&config, "").unwrap();
    let database: PathBuf = dir.path().join("slawatch.db");
    let port = free_port();
    let server = Server::start(&config, &database, port).await;

    let base = Arc::new(server.url(""));
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| tokio::spawn(post_until(base.clone(), client, stop.clone(), seen.clone())))
        .collect();

    tokio::time::sleep(BEFORE_KILL).await;
    server.kill9();
    let acknowledged_before_kill = seen.lock().unwrap().acknowledged.len();
    let server = Server::start(&config, &database, port).await;
    tokio::time::sleep(AFTER_RESTART).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        acknowledged_before_kill >= 50,
        "the load must be under way when the kill comes: {acknowledged_before_kill} acknowledged"
    );
    assert!(
        seen.acknowledged.len() > acknowledged_before_kill,
        "the restarted server takes events again"
    );
    let stored = stored_issues(&server).await;
    let missing: Vec<&String> = seen
        .acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events missing after kill -9 (first: {:?}); {} unanswered, {} refused",
        missing.len(),
        seen.acknowledged.len(),
        missing.iter().take(5).collect::<Vec<_>>(),
        seen.unanswered,
        seen.refused
    );
}
