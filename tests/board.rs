//! The board's keys on both backends: each open issue's earliest running
//! deadline and at-risk time, as the writer keeps them through every step
//! of an issue (raise, ack, pause, resume, handle, close, working-time
//! calendars) and as the migration that added them fills them in.

#[macro_use]
mod common;

use chrono::TimeDelta;
use common::*;
use serde_json::{json, Value};
use slawatch::domain::Timestamp;
use sqlx::Row;

backend_tests!(
    board_keys_follow_every_step_of_an_issue,
    board_keys_follow_a_working_time_calendar,
    the_migration_fills_in_the_board_keys,
);

const POLICIES: &str = r#"
[[policies]]
name = "workdays"
match = { project = ["office"] }
calendar = "cn-workdays"
allow_pause = true
targets = { ack = "10m", handle = "2h", plan = "1d" }

[[policies]]
name = "default"
calendar = "24x7"
time_zone = "Asia/Shanghai"
allow_pause = true
targets = { ack = "10m", handle = "2h", plan = "1d" }
"#;

async fn pool(app: &TestApp) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&app.database_url)
        .await
        .expect("a connection to the test database")
}

/// `(running_deadline_ms, running_at_risk_ms)` of `issue`, as stored.
async fn keys(pool: &sqlx::AnyPool, issue: &str) -> (Option<i64>, Option<i64>) {
    let row = sqlx::query("SELECT running_deadline_ms, running_at_risk_ms FROM issues WHERE issue = $1")
        .bind(issue)
        .fetch_one(pool)
        .await
        .expect("the issue's row");
    (row.get(0), row.get(1))
}

fn ms(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

/// The earliest deadline the API shows for a stage still running: not met,
/// not waived, not frozen (a frozen clock shows no deadline).
fn earliest_running_deadline(issue: &Value) -> Option<i64> {
    issue["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter(|stage| stage["met_at"].is_null() && stage["state"] != "waived")
        .filter_map(|stage| {
            stage["deadline"]
                .as_str()
                .map(|_| ms(instant(&stage["deadline"])))
        })
        .min()
}

async fn board_keys_follow_every_step_of_an_issue(backend: Backend) {
    let app = spawn_app(backend, POLICIES).await;
    let pool = pool(&app).await;
    let minute = TimeDelta::minutes(1);

    // Raised 30 min ago: ack (10 min) is overdue and still runs.
    let raise = raised("k", 30.0);
    let r = at_of(&raise);
    app.accept(&raise).await;
    assert_eq!(
        keys(&pool, "k").await,
        (Some(ms(r + minute * 10)), Some(ms(r + minute * 8)))
    );

    // Acknowledged late: handle (2 h, warning at 96 min) runs first.
    app.accept(&acknowledged("k", 25.0)).await;
    assert_eq!(
        keys(&pool, "k").await,
        (Some(ms(r + minute * 120)), Some(ms(r + minute * 96)))
    );

    // Paused: every running clock freezes, none is left.
    let pause = paused("k", 20.0);
    let p = at_of(&pause);
    app.accept(&pause).await;
    assert_eq!(keys(&pool, "k").await, (None, None));

    // Resumed: the clocks move by the pause.
    let resume = resumed("k", 10.0);
    let moved = at_of(&resume) - p;
    app.accept(&resume).await;
    assert_eq!(
        keys(&pool, "k").await,
        (
            Some(ms(r + minute * 120 + moved)),
            Some(ms(r + minute * 96 + moved))
        )
    );
    assert_eq!(
        keys(&pool, "k").await.0,
        earliest_running_deadline(&app.issue("k").await)
    );

    // Handled: only plan (1 d, warning at 0.8 d) runs.
    app.accept(&handled("k", 5.0)).await;
    let day = TimeDelta::days(1);
    assert_eq!(
        keys(&pool, "k").await,
        (
            Some(ms(r + day + moved)),
            Some(ms(r
                + TimeDelta::milliseconds(day.num_milliseconds() * 8 / 10)
                + moved))
        )
    );

    // Closed: nothing runs; reopened: a new cycle's ack.
    app.accept(&closed("k", 2.0, "resolved")).await;
    assert_eq!(keys(&pool, "k").await, (None, None));
    let reopen = reopened("k", 1.0);
    let o = at_of(&reopen);
    app.accept(&reopen).await;
    assert_eq!(
        keys(&pool, "k").await,
        (Some(ms(o + minute * 10)), Some(ms(o + minute * 8)))
    );

    // A stage already breached when the pause began keeps running
    // through it; the others freeze.
    let late = raised("late", 30.0);
    app.accept(&late).await;
    app.accept(&paused("late", 15.0)).await;
    assert_eq!(app.issue("late").await["state"], "paused");
    let r = at_of(&late);
    assert_eq!(
        keys(&pool, "late").await,
        (Some(ms(r + minute * 10)), Some(ms(r + minute * 8)))
    );
}

async fn board_keys_follow_a_working_time_calendar(backend: Backend) {
    let app = spawn_app(backend, POLICIES).await;
    let pool = pool(&app).await;
    let at = |text: &str| ms(instant(&json!(text)));

    // Tue 30 Sep 2025, 17:00, the end of the last working day before the
    // National Day holiday: the clocks start on Thu 9 Oct, 09:00.
    app.accept(
        &json!({"id": "o-1", "issue": "o", "kind": "raised", "project": "office",
        "at": "2025-09-30T17:00:00+08:00"}),
    )
    .await;
    assert_eq!(
        keys(&pool, "o").await,
        (
            Some(at("2025-10-09T09:10:00+08:00")),
            Some(at("2025-10-09T09:08:00+08:00"))
        )
    );

    // Paused 5 working minutes in, resumed at the end of a working day:
    // the rest of the clock runs the next working morning, as the API says.
    app.accept(
        &json!({"id": "w-1", "issue": "w", "kind": "raised", "project": "office",
        "at": "2025-10-09T09:00:00+08:00"}),
    )
    .await;
    app.accept(&json!({"id": "w-2", "issue": "w", "kind": "paused", "at": "2025-10-09T09:05:00+08:00"}))
        .await;
    assert_eq!(keys(&pool, "w").await, (None, None));
    app.accept(&json!({"id": "w-3", "issue": "w", "kind": "resumed", "at": "2025-10-09T16:58:00+08:00"}))
        .await;
    let issue = app.issue("w").await;
    let (deadline, at_risk) = keys(&pool, "w").await;
    assert_eq!(deadline, earliest_running_deadline(&issue));
    let (deadline, at_risk) = (deadline.unwrap(), at_risk.unwrap());
    assert!(deadline > at("2025-10-09T17:00:00+08:00"), "{deadline}");
    assert!(at_risk > at("2025-10-09T16:58:00+08:00") && at_risk <= deadline);
}

/// The UPDATE of the migration that added the board keys.
fn backfill(backend: Backend) -> &'static str {
    let migration = match backend {
        Backend::Sqlite => include_str!("../migrations/sqlite/0014_board_keys.sql"),
        Backend::Postgres => include_str!("../migrations/postgres/0011_board_keys.sql"),
    };
    let start = migration.find("UPDATE issues SET").expect("the backfill");
    let end = start + migration[start..].find(';').expect("its end");
    &migration[start..end]
}

async fn the_migration_fills_in_the_board_keys(backend: Backend) {
    let app = spawn_app(backend, POLICIES).await;
    let pool = pool(&app).await;
    let issues = [
        "fresh", "acked", "paused", "resumed", "handled", "closed", "office",
    ];
    app.accept(&raised("fresh", 1.0)).await;
    app.accept(&raised("acked", 40.0)).await;
    app.accept(&acknowledged("acked", 20.0)).await;
    app.accept(&raised("paused", 3.0)).await;
    app.accept(&paused("paused", 2.0)).await;
    app.accept(&raised("resumed", 30.0)).await;
    app.accept(&paused("resumed", 25.0)).await;
    app.accept(&resumed("resumed", 5.0)).await;
    app.accept(&raised("handled", 200.0)).await;
    app.accept(&handled("handled", 100.0)).await;
    app.accept(&raised("closed", 5.0)).await;
    app.accept(&closed("closed", 1.0, "resolved")).await;
    app.accept(
        &json!({"id": "office-1", "issue": "office", "kind": "raised", "project": "office",
        "at": "2025-09-30T17:00:00+08:00"}),
    )
    .await;
    let mut written = Vec::new();
    for issue in issues {
        written.push(keys(&pool, issue).await);
    }
    assert!(
        written.iter().filter(|keys| keys.0.is_some()).count() >= 4,
        "{written:?}"
    );

    // As a store from before the migration: no keys. The backfill finds
    // the very values the writer wrote.
    sqlx::query("UPDATE issues SET running_deadline_ms = NULL, running_at_risk_ms = NULL")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(backfill(backend)).execute(&pool).await.unwrap();
    for (issue, expected) in issues.iter().zip(&written) {
        assert_eq!(&keys(&pool, issue).await, expected, "{issue}");
    }
}
