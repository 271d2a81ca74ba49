//! History: compliance reports (API and `slawatch report`, XLSX read back),
//! `import`, `export` and their round trip (SQLite to PostgreSQL too), and
//! `replay` under the same and under another configuration.

#[macro_use]
mod common;

use chrono::{Duration as TimeDelta, NaiveDate, TimeZone};
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `slawatch --config FILE ARGS` on `config_text` (the service stopped).
fn cli(config_text: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slawatch.toml");
    std::fs::write(&path, config_text).unwrap();
    tokio::task::block_in_place(|| {
        Command::new(env!("CARGO_BIN_EXE_slawatch"))
            .arg("--config")
            .arg(&path)
            .args(args)
            .env_clear()
            .output()
            .expect("cannot run slawatch")
    })
}

/// Like [`cli`], asserting success; its stdout.
fn cli_ok(config_text: &str, args: &[&str]) -> String {
    let output = cli(config_text, args);
    assert!(
        output.status.success(),
        "slawatch {args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn shanghai_zone() -> chrono_tz::Tz {
    chrono_tz::Asia::Shanghai
}

/// Local midnight of `date` in Shanghai.
fn midnight(date: NaiveDate) -> Timestamp {
    shanghai_zone()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .to_utc()
}

/// An event with an id of its own, an actor, and an optional resolution.
fn act(id: &str, kind: &str, issue: &str, at: Timestamp, actor: Option<&str>) -> Value {
    let mut event = json!({"id": id, "issue": issue, "kind": kind, "at": rfc3339(at)});
    if kind == "raised" {
        event["project"] = PROJECT.into();
    }
    if let Some(actor) = actor {
        event["actor"] = json!({"id": actor, "name": actor.to_uppercase(), "role": "staff"});
    }
    event
}

/// The day the hand-built history happened: two days ago in Shanghai.
fn history_day() -> NaiveDate {
    now().with_timezone(&shanghai_zone()).date_naive() - TimeDelta::days(2)
}

/// Five issues on `history_day`, each posted in one array (so that each is
/// folded once, with all its events), plus one raised at local midnight in
/// project `edge`. Under 10m / 2h / 1d:
/// - a: ack 5m (on time, Li), plan at 2h meets handle and plan (Wang);
/// - b: ack 20m (late, Li), resolved at 30m: handle met, plan waived;
/// - c: withdrawn at 5m: all waived;
/// - d: nothing: all three breached, unmet;
/// - e: ack 12m (late; on time under 15m), handled 30m, planned 1h.
fn hand_built() -> Vec<Vec<Value>> {
    let base = midnight(history_day()) + TimeDelta::hours(10);
    let m = |minutes: i64| base + TimeDelta::minutes(minutes);
    let mut withdrawn = act("c2", "closed", "c", m(125), None);
    withdrawn["resolution"] = "withdrawn".into();
    let mut edge = act("x1", "raised", "x", midnight(history_day()), None);
    edge["project"] = "edge".into();
    vec![
        vec![
            act("a1", "raised", "a", m(0), None),
            act("a2", "acknowledged", "a", m(5), Some("li")),
            act("a3", "planned", "a", m(120), Some("wang")),
        ],
        vec![
            act("b1", "raised", "b", m(60), None),
            act("b2", "acknowledged", "b", m(80), Some("li")),
            act("b3", "closed", "b", m(90), Some("li")),
        ],
        vec![act("c1", "raised", "c", m(120), None), withdrawn],
        vec![act("d1", "raised", "d", m(180), None)],
        vec![
            act("e1", "raised", "e", m(240), None),
            act("e2", "acknowledged", "e", m(252), None),
            act("e3", "handled", "e", m(270), None),
            act("e4", "planned", "e", m(300), None),
        ],
        vec![edge],
    ]
}

fn item<'a>(report: &'a Value, group: &str, stage: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["group"] == group && item["stage"] == stage)
        .unwrap_or_else(|| panic!("no {group} {stage} in {report}"))
}

/// `slawatch_stage_outcomes_total` for zhongtai, `stage`, `outcome`.
fn outcome_count(metrics: &str, stage: &str, outcome: &str) -> u64 {
    metrics
        .lines()
        .filter(|line| line.starts_with("slawatch_stage_outcomes_total{"))
        .filter(|line| {
            line.contains(&format!("outcome=\"{outcome}\""))
                && line.contains("project=\"zhongtai\"")
                && line.contains(&format!("stage=\"{stage}\""))
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

async fn report_counts_a_hand_built_history_as_the_metrics_do(backend: Backend) {
    // Configured, so that the metrics label it by name.
    let mut app = spawn_app(backend, "[projects.zhongtai]\n").await;
    for issue in hand_built() {
        app.accept_batch(&issue).await;
    }
    let day = history_day();
    let period = format!(
        "from={}&to={}",
        day - TimeDelta::days(1),
        day + TimeDelta::days(1)
    );
    let report = app
        .get_json(&format!("/v1/reports/compliance?{period}&project=zhongtai"))
        .await;
    let figures = |stage: &str| {
        let item = item(&report, "zhongtai", stage);
        ["raised", "met", "met_late", "breached", "waived", "open"].map(|name| item[name].as_u64().unwrap())
    };
    assert_eq!(figures("ack"), [5, 1, 2, 3, 1, 0], "{report}");
    assert_eq!(figures("handle"), [5, 3, 0, 1, 1, 0], "{report}");
    assert_eq!(figures("plan"), [5, 2, 0, 1, 2, 0], "{report}");
    let ack = item(&report, "zhongtai", "ack");
    assert_eq!(ack["met_percent"], 25.0);
    assert_eq!(
        (
            ack["median_seconds"].clone(),
            ack["p90_seconds"].clone(),
            ack["max_seconds"].clone()
        ),
        (json!(720), json!(1200), json!(1200))
    );

    // The metrics counted the same outcomes for the same cycles.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for (stage, [_, met, _, breached, waived, _]) in [
        ("ack", figures("ack")),
        ("handle", figures("handle")),
        ("plan", figures("plan")),
    ] {
        assert_eq!(outcome_count(&metrics, stage, "met"), met, "{stage} met");
        assert_eq!(
            outcome_count(&metrics, stage, "breached"),
            breached,
            "{stage} breached"
        );
        assert_eq!(outcome_count(&metrics, stage, "waived"), waived, "{stage} waived");
    }

    // Midnight in Shanghai: `x` was raised at 00:00 local on `day` (16:00
    // UTC the day before), so it belongs to `day` and not to the day before.
    let on_day = app
        .get_json(&format!(
            "/v1/reports/compliance?from={day}&to={}&project=edge",
            day + TimeDelta::days(1)
        ))
        .await;
    assert_eq!(item(&on_day, "edge", "ack")["raised"], 1, "{on_day}");
    let day_before = app
        .get_json(&format!(
            "/v1/reports/compliance?from={}&to={day}&project=edge",
            day - TimeDelta::days(1)
        ))
        .await;
    assert_eq!(day_before["items"], json!([]), "{day_before}");

    // Grouped otherwise: by staff, Li met a's and b's ack and b's handle.
    let staff = app
        .get_json(&format!("/v1/reports/compliance?{period}&group_by=staff"))
        .await;
    let li_ack = item(&staff, "LI (li)", "ack");
    assert_eq!(
        (li_ack["met"].clone(), li_ack["met_late"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(item(&staff, "WANG (wang)", "plan")["met"], 1);
    let stages = app
        .get_json(&format!("/v1/reports/compliance?{period}&group_by=stage"))
        .await;
    assert_eq!(item(&stages, "*", "ack")["raised"], 6);
    // CSV by Accept.
    let csv = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/reports/compliance?{period}&project=zhongtai"),
        )
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("\r\nzhongtai,zhongtai,ack,1,3,1,0,25.0,720,1200,5,2,1200\r\n"),
        "{csv}"
    );
    let bad = app
        .get(&format!("/v1/reports/compliance?{period}&group_by=desk"))
        .await;
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);

    // The command line reads the same from the store, the service stopped.
    app.stop().await;
    let from = (day - TimeDelta::days(1)).to_string();
    let to = (day + TimeDelta::days(1)).to_string();
    let cli_csv = cli_ok(
        &app.config_text,
        &[
            "report",
            "--from",
            &from,
            "--to",
            &to,
            "--project",
            "zhongtai",
            "--format",
            "csv",
        ],
    );
    assert_eq!(cli_csv, csv, "the API's CSV and the command's are one");
    let table = cli_ok(&app.config_text, &["report", "--from", &from, "--to", &to]);
    assert!(table.starts_with("项目"), "{table}");
    assert!(table.contains("达标率") && table.contains("25.0%"), "{table}");

    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("report.xlsx");
    cli_ok(
        &app.config_text,
        &[
            "report",
            "--from",
            &from,
            "--to",
            &to,
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    check_workbook(&xlsx);

    // Replay under the same configuration changes nothing; with a 15-minute
    // ack target, e's ack (12 minutes) is no longer a breach.
    let same = cli_ok(&app.config_text, &["replay"]);
    assert!(same.contains("no differences"), "{same}");
    let longer_ack = format!(
        "[[policies]]\nname = \"default\"\ncalendar = \"24x7\"\ntargets = {{ ack = \"15m\", handle = \"2h\", plan = \"1d\" }}\n{}",
        app.config_text
    );
    let what_if = cli_ok(&longer_ack, &["replay"]);
    assert!(
        what_if.contains("zhongtai ack: 1 fewer breaches (3 -> 2 of 5 stages); 1 issues change outcome"),
        "{what_if}"
    );
    assert!(what_if.contains("e ack: met_late -> met"), "{what_if}");
    // Against the configuration the records were made under, the change
    // itself is named first.
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.toml");
    std::fs::write(&current, &app.config_text).unwrap();
    let named = cli_ok(&longer_ack, &["replay", "--against", current.to_str().unwrap()]);
    assert!(
        named.starts_with("policy default: ack target 15m instead of 10m\n"),
        "{named}"
    );
    assert!(
        !what_if.contains("handle:") && !what_if.contains("plan:"),
        "{what_if}"
    );
    // Replaying wrote nothing: the same configuration still finds none.
    let again = cli_ok(&app.config_text, &["replay"]);
    assert!(again.contains("no differences"), "{again}");
    // `--apply` rebuilds the derived state under the new targets.
    cli_ok(&longer_ack, &["replay", "--apply"]);
    let after = cli_ok(&longer_ack, &["replay"]);
    assert!(after.contains("no differences"), "{after}");
    app.start().await;
    let e = app.issue("e").await;
    assert_eq!(stage(&e, "ack")["state"], "met", "{e}");
}

/// The workbook opens, has one sheet per grouping, Chinese headers and
/// percentages as fractions formatted as percent.
fn check_workbook(path: &Path) {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = open_workbook(path).expect("the workbook opens");
    assert_eq!(
        workbook.sheet_names(),
        vec!["按项目", "按环节", "按周", "按月", "按人员"]
    );
    let sheet = workbook.worksheet_range("按项目").unwrap();
    assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("项目".into())));
    assert_eq!(sheet.get_value((0, 9)), Some(&Data::String("达标率".into())));
    let ack_row = (1..sheet.height() as u32)
        .find(|row| {
            sheet.get_value((*row, 0)) == Some(&Data::String("zhongtai".into()))
                && sheet.get_value((*row, 2)) == Some(&Data::String("响应".into()))
        })
        .expect("a zhongtai ack row");
    assert_eq!(sheet.get_value((ack_row, 3)), Some(&Data::Float(5.0)));
    assert_eq!(sheet.get_value((ack_row, 9)), Some(&Data::Float(0.25)));
    assert_eq!(sheet.get_value((ack_row, 10)), Some(&Data::Float(12.0)));
}

/// Counts rows of `table` in the test's database.
async fn count(database_url: &str, table: &str) -> i64 {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut connection)
        .await
        .unwrap();
    let _ = connection.close().await;
    count
}

/// Past issues acknowledged 20 minutes late: a file of `issues` × 2 events
/// with a blank line, a line that is not JSON and an event of an unknown kind.
fn late_history(issues: usize) -> (String, usize) {
    let start = now() - TimeDelta::days(3);
    // A blank line (skipped, but numbered), then one that is not JSON.
    let mut lines = vec![String::new(), "{\"id\": ".to_string()];
    for i in 0..issues {
        let raised = start + TimeDelta::seconds(i as i64);
        lines.push(act(&format!("r{i}"), "raised", &format!("late-{i}"), raised, None).to_string());
        lines.push(
            act(
                &format!("k{i}"),
                "acknowledged",
                &format!("late-{i}"),
                raised + TimeDelta::minutes(20),
                None,
            )
            .to_string(),
        );
    }
    lines.push(json!({"id": "odd", "issue": "late-0", "kind": "shrugged"}).to_string());
    // A whole number of the importer's batches: the last batch is sent
    // full before the input ends.
    (lines.join("\n") + "\n", issues * 2)
}

const TEAM_CHANNEL: &str = "[channels.team]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/never\"\n\n\
                            [projects.zhongtai]\nnotify = { team = [\"team\"] }\n";

async fn import_is_idempotent_resumable_and_sends_nothing(backend: Backend) {
    let mut app = spawn_app(backend, TEAM_CHANNEL).await;
    app.stop().await;
    let (text, events) = late_history(20_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, &text).unwrap();
    let config = dir.path().join("slawatch.toml");
    std::fs::write(&config, &app.config_text).unwrap();

    // Stopped halfway, hard, once the first batches are in.
    let mut child = Command::new(env!("CARGO_BIN_EXE_slawatch"))
        .arg("--config")
        .arg(&config)
        .args(["import", "events"])
        .arg(&file)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..3000 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        if count(&app.database_url, "events").await > 0 {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let stored = count(&app.database_url, "events").await;
    assert!(stored > 0, "the first run stored nothing before it was stopped");

    // Run again: what is stored is duplicate, the rest is accepted.
    let output = cli(&app.config_text, &["import", "events", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = events + 2;
    let expected = format!(
        "{lines} lines: {} accepted, {} duplicate, 2 rejected",
        events as i64 - stored,
        stored
    );
    assert!(stdout.contains(&expected), "{expected} in: {stdout}");
    assert!(stderr.contains("line 2: not JSON"), "{stderr}");
    assert!(stderr.contains(&format!("line {}: kind:", lines + 1)), "{stderr}");
    assert_eq!(count(&app.database_url, "events").await, events as i64);

    // A third run changes nothing.
    let again = cli_ok(&app.config_text, &["import", "events", file.to_str().unwrap()]);
    assert!(
        again.contains(&format!(
            "{lines} lines: 0 accepted, {events} duplicate, 2 rejected"
        )),
        "{again}"
    );

    // Acknowledged late in the past: breached at once, detected late, and
    // announced to no one.
    // Every late issue breached all three stages (ack met late, the
    // others never met).
    assert_eq!(count(&app.database_url, "breaches").await, 3 * 20_000);
    assert_eq!(count(&app.database_url, "notifications").await, 0);
    app.start().await;
    let breach = &app.breaches("stage=ack&limit=1").await[0];
    assert_eq!(breach["detected_late"], true, "{breach}");
    assert!(!breach["met_at"].is_null(), "{breach}");
}

/// A random but reproducible history of `issues` issues over the last three
/// days: acknowledged, handled, planned, closed and reopened or not.
fn random_history(issues: usize, seed: u64) -> Vec<Vec<Value>> {
    let mut state = seed;
    let mut next = move |below: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % below.max(1)
    };
    let latest = now() - TimeDelta::minutes(1);
    let mut history = Vec::new();
    for i in 0..issues {
        let issue = format!("rnd-{seed}-{i:04}");
        let start = latest - TimeDelta::minutes(next(3 * 24 * 60) as i64 + 1);
        let mut at = start;
        let mut events = vec![act(&format!("{issue}-r"), "raised", &issue, at, None)];
        for kind in [
            "acknowledged",
            "handled",
            "planned",
            "closed",
            "reopened",
            "acknowledged",
        ] {
            if next(4) == 0 {
                break;
            }
            let span = match kind {
                "acknowledged" => 30,
                "handled" => 240,
                _ => 1800,
            };
            let later = at + TimeDelta::minutes(1 + next(span) as i64);
            if later >= latest {
                break;
            }
            at = later;
            let id = format!("{issue}-{kind}-{}", events.len());
            events.push(act(&id, kind, &issue, later, Some("li")));
        }
        history.push(events);
    }
    history
}

/// What an export of issues and standing breaches says, without the
/// detection bookkeeping (the time a breach was noticed, and whether late).
fn derived(config_text: &str) -> (Vec<Value>, BTreeSet<String>) {
    let issues = cli_ok(config_text, &["export", "issues"])
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let breaches = cli_ok(config_text, &["export", "breaches"])
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|breach| breach["retracted_at"].is_null())
        .map(|breach| {
            format!(
                "{} {} {} {} {} {}",
                breach["issue"],
                breach["stage"],
                breach["cycle"],
                breach["cycle_start"],
                breach["deadline"],
                breach["met_at"]
            )
        })
        .collect();
    (issues, breaches)
}

/// A store with a random history posted over HTTP, stopped.
async fn random_store(backend: Backend, seed: u64) -> TestApp {
    let mut app = spawn_app(backend, "").await;
    let mut array = Vec::new();
    for issue in random_history(300, seed) {
        if array.len() + issue.len() > 1000 {
            app.accept_batch(&std::mem::take(&mut array)).await;
        }
        array.extend(issue);
    }
    app.accept_batch(&array).await;
    app.stop().await;
    app
}

/// Exports `source`'s events, imports them into a fresh store on
/// `target_backend` and checks both derive the same issues and breaches.
async fn round_trip(source: &TestApp, target_backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("events.jsonl");
    cli_ok(
        &source.config_text,
        &["export", "events", "--out", file.to_str().unwrap()],
    );
    let mut target = spawn_app(target_backend, "").await;
    target.stop().await;
    let imported = cli_ok(&target.config_text, &["import", "events", file.to_str().unwrap()]);
    assert!(imported.contains(" 0 duplicate, 0 rejected"), "{imported}");
    let (issues, breaches) = derived(&source.config_text);
    let (imported_issues, imported_breaches) = derived(&target.config_text);
    assert_eq!(issues.len(), 300);
    assert!(!breaches.is_empty());
    assert_eq!(imported_issues, issues, "the same issues, numbers included");
    assert_eq!(imported_breaches, breaches, "the same standing breaches");
}

async fn export_then_import_gives_the_same_issues_and_breaches(backend: Backend) {
    let source = random_store(backend, 7).await;
    // A replay of an unchanged configuration finds no difference.
    let replayed = cli_ok(&source.config_text, &["replay"]);
    assert!(
        replayed.contains("300 issues replayed") && replayed.contains("no differences"),
        "{replayed}"
    );
    round_trip(&source, backend).await;
}

/// The way from the embedded store to PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_by_export_and_import() {
    if !postgres_enabled() {
        return;
    }
    let source = random_store(Backend::Sqlite, 11).await;
    round_trip(&source, Backend::Postgres).await;
}

/// Past chats go through the classification live messages go through; the
/// reply came late, so the ack is a breach detected late.
async fn imported_messages_are_classified_like_live_ones(backend: Backend) {
    let chat = "[projects.zhongtai]\nchats = [\"wechat:grp-zhongtai\"]\nstaff = [\"wechat:wxid_wangyx\"]\n\
                [retention]\nmessages = \"1d\"\n";
    let mut app = spawn_app(backend, chat).await;
    app.stop().await;
    let raised = now() - TimeDelta::days(2);
    let messages = [
        json!({"platform": "wechat", "message_id": "m-1", "chat_id": "grp-zhongtai",
               "sender": {"id": "wang-yz", "name": "王永忠"},
               "text": "工地附近管道抢修，马上停水，主体结构浇筑怎么办？", "at": rfc3339(raised)}),
        json!({"platform": "wechat", "message_id": "m-2", "chat_id": "grp-zhongtai",
               "sender": {"id": "wxid_wangyx", "name": "王宇翔"},
               "text": "收到，我马上联系水务公司", "at": rfc3339(raised + TimeDelta::minutes(25))}),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messages.jsonl");
    let lines: Vec<String> = messages.iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let output = cli_ok(&app.config_text, &["import", "messages", file.to_str().unwrap()]);
    assert!(
        output.contains("2 lines: 2 accepted, 0 duplicate, 0 rejected"),
        "{output}"
    );
    let again = cli_ok(&app.config_text, &["import", "messages", file.to_str().unwrap()]);
    assert!(again.contains("2 lines: 0 accepted, 2 duplicate"), "{again}");

    app.start().await;
    let issue = app.issue("wechat:grp-zhongtai:m-1").await;
    let ack = stage(&issue, "ack");
    assert_eq!(ack["state"], "breached", "{issue}");
    assert!(!ack["met_at"].is_null(), "{issue}");
    let breaches = app.breaches("").await;
    assert!(
        breaches.iter().all(|b| b["detected_late"] == true),
        "{breaches:?}"
    );
    assert_eq!(count(&app.database_url, "notifications").await, 0);

    // Retention (1d): the service empties both texts in the background;
    // the messages, events and breaches stay.
    let url = app.database_url.clone();
    eventually(
        std::time::Duration::from_secs(10),
        "message texts removed",
        || {
            let url = url.clone();
            async move { (count(&url, "messages WHERE text = ''").await == 2).then_some(()) }
        },
    )
    .await;
    assert_eq!(count(&app.database_url, "messages").await, 2);
    assert!(!app.breaches("").await.is_empty());
}

backend_tests!(
    report_counts_a_hand_built_history_as_the_metrics_do,
    import_is_idempotent_resumable_and_sends_nothing,
    export_then_import_gives_the_same_issues_and_breaches,
    imported_messages_are_classified_like_live_ones,
);
