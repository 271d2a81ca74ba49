//! The pages in a real browser: Debian's `chromium`, driven through
//! `chromedriver` over the W3C WebDriver protocol (plain JSON over HTTP on
//! loopback, spoken here with the test suite's own HTTP client). At a
//! 390×844 phone viewport and at 1366×768: the link of a real breach alert
//! (received by a local webhook sink) opens the issue with its three cards
//! and a live countdown, nothing scrolls sideways, the console stays clean,
//! the board puts the breached issue first, and a staff member logs in,
//! acts, and sees the action on the timeline.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages). Without them
//! the test says it was skipped, unless `SLAWATCH_TEST_BROWSER=1` (set by
//! CI), which makes a missing browser a failure. With
//! `SLAWATCH_SCREENSHOTS=DIR` it saves the phone issue page and the desktop
//! board there as PNG.

#[macro_use]
#[allow(unused_macros)]
mod common;

use base64::Engine;
use common::sink::Sink;
use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const PUBLIC_URL: &str = "http://sla.example.org";
const LINK_SECRET: &str = "browser-test-link-secret-0123456789";
const OPS_TOKEN: &str = "browser-test-ops-token-0123456789";

/// Kills chromedriver and every browser it started when the test ends,
/// however it ends: chromedriver leads a process group of its own, and a
/// failed test would otherwise leave its browsers running.
struct Driver {
    process: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl Driver {
    async fn start(client: &reqwest::Client) -> Driver {
        let port = free_port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let driver = Driver {
            process,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            let ready = client.get(format!("{}/status", driver.base)).send().await;
            if let Ok(response) = ready {
                let status: Value = response.json().await.unwrap_or_default();
                if status["value"]["ready"] == true {
                    return driver;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One browser window.
struct Browser {
    client: reqwest::Client,
    session: String,
}

impl Browser {
    /// A headless Chromium: a phone (mobile emulation) or a desktop window.
    async fn open(
        client: &reqwest::Client,
        driver: &Driver,
        width: u32,
        height: u32,
        phone: bool,
    ) -> Browser {
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-crash-reporter", "--disable-breakpad",
                     "--lang=zh-CN", format!("--window-size={width},{height}")],
            // As a browser in China asks: the pages answer in Chinese.
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
        });
        if phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true },
            });
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": { "browser": "ALL" },
        } } });
        let answer: Value = client
            .post(format!("{}/session", driver.base))
            .json(&capabilities)
            .send()
            .await
            .expect("POST /session")
            .json()
            .await
            .expect("a WebDriver answer");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("the browser did not start: {answer}"))
            .to_string();
        Browser {
            client: client.clone(),
            session: format!("{}/session/{session}", driver.base),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.client.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .expect("a WebDriver call")
            .json()
            .await
            .expect("a WebDriver answer");
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path}: {answer}");
        }
        answer["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Runs `script` (a function body) in the page; returns what it returns.
    async fn run(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The console's errors since the last call.
    async fn console_errors(&self) -> Vec<Value> {
        let entries = self
            .call(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({ "type": "browser" })),
            )
            .await;
        entries
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .collect()
    }

    /// Asserts the page does not scroll sideways and the console is clean.
    async fn assert_fits(&self, what: &str) {
        let widths = self
            .run("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
        assert!(scroll <= inner, "{what}: scrolls sideways ({scroll} > {inner})");
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "{what}: console errors {errors:?}");
    }

    async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("SLAWATCH_SCREENSHOTS") else {
            return;
        };
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("a base64 screenshot"))
            .expect("base64");
        let path = PathBuf::from(dir).join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Waits until the address holds `part` (a form's redirect landed).
    async fn wait_for_url(&self, part: &str) {
        let started = Instant::now();
        loop {
            let url = self.call(reqwest::Method::GET, "/url", None).await;
            if url.as_str().is_some_and(|url| url.contains(part)) {
                let state = self.run("return document.readyState;").await;
                if state == "complete" {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never reached …{part}: {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn close(self) {
        self.call(reqwest::Method::DELETE, "", None).await;
    }
}

/// Whether the browser can run here; a notice (or, when required, a
/// failure) when not.
fn browser_available() -> bool {
    let required = std::env::var("SLAWATCH_TEST_BROWSER").is_ok_and(|v| v == "1");
    let present = Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists();
    assert!(
        present || !required,
        "SLAWATCH_TEST_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
    );
    if !present {
        let _ = writeln!(
            std::io::stderr(),
            "Browser tests SKIPPED: install Debian's `chromium` and `chromium-driver` (or set SLAWATCH_TEST_BROWSER=1 to require them)"
        );
    }
    present
}

fn config(hook: &str) -> String {
    format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"

[engine]
grace = "1s"

[[tokens]]
name = "ops"
scopes = ["ingest", "read"]
secret_env = "TEST_OPS_TOKEN"

[projects.zhongtai]
name = "中泰环保绿色环保过滤设备制造项目"
notify = {{ team = ["team"] }}

[channels.team]
kind = "webhook"
url = "{hook}"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_opens_the_alert_link_and_staff_act_from_the_page() {
    if !browser_available() {
        return;
    }
    let sink = Sink::start().await;
    let mut app = spawn_app_with_env(
        Backend::Sqlite,
        &config(&sink.url("/hook")),
        &[
            ("SLAWATCH_LINK_SECRET", LINK_SECRET),
            ("TEST_OPS_TOKEN", OPS_TOKEN),
        ],
    )
    .await;
    app.token = Some(OPS_TOKEN.to_string());
    let raised = |issue: &str, minutes: f64, title: &str| {
        common::raised(issue, minutes).with("title", title).with(
            "actor",
            json!({ "id": "wang-yz", "name": "王永忠", "role": "requester" }),
        )
    };
    app.accept(&raised("fresh", 1.0, "刚提出的问题")).await;
    let breached_seq = app.accept(&raised("water", 11.0, "工地因管道抢修停水")).await["issue"]["seq"]
        .as_i64()
        .expect("seq");

    // The link as a team member receives it.
    sink.wait_for(Duration::from_secs(10), 1, "the breach alert", |r| {
        r.route() == "/hook"
    })
    .await;
    let alert = sink.requests_to("/hook")[0].json();
    let link = alert["url"]
        .as_str()
        .expect("url")
        .replacen(PUBLIC_URL, &app.address, 1);

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let driver = Driver::start(&client).await;

    // A phone, inside a chat app's browser: no login, the link alone.
    let phone = Browser::open(&client, &driver, 390, 844, true).await;
    phone.goto(&link).await;
    let cards = phone
        .run("return [...document.querySelectorAll('.card h2')].map(e => e.textContent);")
        .await;
    assert_eq!(cards, json!(["10 分钟回复", "2 小时处理", "1 天计划"]));
    let countdown = "return document.querySelector('.card[data-stage=ack] .countdown').textContent;";
    let before = phone.run(countdown).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after = phone.run(countdown).await;
    assert!(before.as_str().unwrap().starts_with("已超时"), "{before}");
    assert_ne!(before, after, "the countdown runs");
    phone.assert_fits("the issue page on a phone").await;
    phone.screenshot("issue-phone.png").await;
    // The board (by a signed board link) and the login page fit a phone too.
    let board_link =
        slawatch::domain::link::LinkSigner::new(LINK_SECRET.as_bytes().to_vec(), chrono::TimeDelta::days(1))
            .query(slawatch::domain::link::Purpose::Board, "*", chrono::Utc::now());
    phone.goto(&app.url(&format!("/board?{board_link}"))).await;
    let rows = phone
        .run("return document.querySelectorAll('.rows .row').length;")
        .await;
    assert_eq!(rows, json!(2), "both open issues on the phone's board");
    phone.assert_fits("the board on a phone").await;
    phone.goto(&app.url("/login")).await;
    phone.assert_fits("the login page on a phone").await;
    phone.close().await;

    // A desktop: log in, see the board, act from the issue page.
    let desktop = Browser::open(&client, &driver, 1366, 768, false).await;
    desktop.goto(&link).await;
    desktop.assert_fits("the issue page on a desktop").await;
    desktop.goto(&app.url("/login")).await;
    desktop.type_into("#token", OPS_TOKEN).await;
    desktop.click("form.act button[type=submit]").await;
    // The login answers 303 to the board: wait for that page rather than
    // navigating away while the form's POST is still in flight (which
    // cancels it and loads the board without a session).
    desktop.wait_for_url("/board").await;
    let first = desktop
        .run("return document.querySelector('.rows .row .seq').textContent;")
        .await;
    assert_eq!(
        first,
        json!(format!("#{breached_seq}")),
        "the breached issue first"
    );
    desktop.assert_fits("the board on a desktop").await;
    desktop.screenshot("board-desktop.png").await;

    desktop.goto(&app.url("/i/water")).await;
    desktop.type_into("#note", "已协调消防车应急送水").await;
    desktop.click("button[value=handled]").await;
    desktop.wait_for_url("done=handled").await;
    let timeline = desktop
        .run("return document.querySelector('ol.timeline').innerText;")
        .await;
    let timeline = timeline.as_str().unwrap_or_default();
    assert!(
        timeline.contains("已协调消防车应急送水") && timeline.contains("ops"),
        "the action is on the timeline: {timeline}"
    );
    let handle = desktop
        .run("return document.querySelector('.card[data-stage=handle] .badge').textContent;")
        .await;
    assert_eq!(handle, json!("已达成"));
    desktop.assert_fits("the issue page after acting").await;
    desktop.close().await;

    let events = app.get_json("/v1/issues/water?include=events").await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "handled" && e["source"] == "web:ops"),
        "{events}"
    );
    app.stop().await;
}
