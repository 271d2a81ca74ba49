//! The deploy kit checked by a real Prometheus: slawatch serves its demo
//! zone, Prometheus scrapes it and evaluates every alert rule and every
//! dashboard expression. A broken panel or rule fails this test.
//!
//! Needs `prometheus` and `promtool` (Debian's `prometheus` package). Without
//! them the test says it was skipped, unless `SLAWATCH_TEST_PROMETHEUS=1`
//! (set by CI), which makes a missing tool a failure.

use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn get(url: &str) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async {
        let response = reqwest::get(url).await.ok()?;
        response.status().is_success().then_some(())?;
        response.text().await.ok()
    })
}

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Every PromQL expression of the dashboard, with its panel title, the
/// Grafana variables replaced by values Prometheus accepts.
fn dashboard_expressions(dashboard: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    fn walk(value: &Value, title: &str, found: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                let title = map.get("title").and_then(Value::as_str).unwrap_or(title);
                if let Some(Value::String(expr)) = map.get("expr") {
                    found.push((title.to_string(), expr.clone()));
                }
                for (key, child) in map {
                    // Template variable queries are label_values(...) for Grafana, not PromQL.
                    if key != "templating" {
                        walk(child, title, found);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, title, found)),
            _ => {}
        }
    }
    walk(dashboard, "", &mut found);
    found
        .into_iter()
        .map(|(title, expr)| {
            let expr = expr
                .replace("$__rate_interval", "1m")
                .replace("$__interval", "1m")
                .replace("$__range", "1h")
                .replace("${project:regex}", ".*")
                .replace("${stage:regex}", ".*")
                .replace("${project}", ".*")
                .replace("${stage}", ".*")
                .replace("$project", ".*")
                .replace("$stage", ".*");
            (title, expr)
        })
        .collect()
}

fn query(prometheus: &str, expr: &str) -> Value {
    let url = format!("{prometheus}/api/v1/query?query={}", urlencode(expr));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::get(&url).await.unwrap();
        response.json::<Value>().await.unwrap()
    })
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn prometheus_scrapes_and_every_rule_and_panel_evaluates() {
    let required = std::env::var("SLAWATCH_TEST_PROMETHEUS").is_ok_and(|v| v == "1");
    let (Some(prometheus_bin), Some(promtool)) = (tool("prometheus"), tool("promtool")) else {
        assert!(
            !required,
            "SLAWATCH_TEST_PROMETHEUS=1 but prometheus/promtool are not installed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "Prometheus check SKIPPED: install Debian's `prometheus` package (or set SLAWATCH_TEST_PROMETHEUS=1 to require it)"
        );
        return;
    };
    let work = tempfile::tempdir().unwrap();

    // slawatch with its demo zone, on its own database.
    let slawatch_port = free_port();
    let slawatch = Running(
        Command::new(env!("CARGO_BIN_EXE_slawatch"))
            .args([
                "--config",
                repo("config/slawatch.toml").to_str().unwrap(),
                "demo",
                "--database",
            ])
            .arg(format!("sqlite://{}/demo.db", work.path().display()))
            .env("SLAWATCH_SERVER_LISTEN", format!("127.0.0.1:{slawatch_port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("slawatch starts"),
    );
    let slawatch_url = format!("http://127.0.0.1:{slawatch_port}");
    wait_for("slawatch /readyz", Duration::from_secs(30), || {
        get(&format!("{slawatch_url}/readyz")).is_some()
    });

    // promtool judges the live exposition.
    let exposition = get(&format!("{slawatch_url}/metrics")).expect("/metrics answers");
    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = check.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // A real Prometheus scraping it every second, with the shipped rules.
    let prometheus_port = free_port();
    let config = work.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\n\
             scrape_configs:\n  - job_name: slawatch\n    static_configs:\n      - targets: ['127.0.0.1:{slawatch_port}']\n",
            repo("deploy/prometheus/rules.yml").display()
        ),
    )
    .unwrap();
    let _prometheus = Running(
        Command::new(prometheus_bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                work.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    );
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");
    wait_for("two scrapes", Duration::from_secs(60), || {
        get(&format!("{prometheus}/-/ready")).is_some()
            && query(&prometheus, "count_over_time(up{job=\"slawatch\"}[1m])")["data"]["result"][0]["value"]
                [1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|n| n >= 2.0)
    });

    // Every rule parsed and evaluated without error.
    wait_for("rule evaluation", Duration::from_secs(30), || {
        let rules: Value =
            serde_json::from_str(&get(&format!("{prometheus}/api/v1/rules")).unwrap_or_default())
                .unwrap_or_default();
        let all: Vec<&Value> = rules["data"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        !all.is_empty()
            && all.iter().all(|r| {
                r["lastEvaluation"]
                    .as_str()
                    .is_some_and(|t| !t.starts_with("0001"))
            })
    });
    let rules: Value = serde_json::from_str(&get(&format!("{prometheus}/api/v1/rules")).unwrap()).unwrap();
    let mut rule_count = 0;
    for group in rules["data"]["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            rule_count += 1;
            assert_eq!(
                rule["health"], "ok",
                "rule {} failed: {}",
                rule["name"], rule["lastError"]
            );
        }
    }
    assert!(
        rule_count >= 5,
        "the rules file holds at least the five required alerts"
    );

    // Every dashboard expression parses and runs; the core panels have data.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("deploy/grafana/dashboards/slawatch.json")).unwrap(),
    )
    .unwrap();
    let expressions = dashboard_expressions(&dashboard);
    assert!(expressions.len() >= 10, "the dashboard has its panels");
    for (title, expr) in &expressions {
        let answer = query(&prometheus, expr);
        assert_eq!(
            answer["status"], "success",
            "panel `{title}`: `{expr}` failed: {answer}"
        );
        let core = ["compliance", "breach", "open"];
        let title_lower = title.to_lowercase();
        if core.iter().any(|word| title_lower.contains(word)) && !title_lower.contains("retract") {
            assert!(
                !answer["data"]["result"].as_array().is_none_or(|r| r.is_empty()),
                "core panel `{title}` returned no series: `{expr}`"
            );
        }
    }
    drop(slawatch);
}
