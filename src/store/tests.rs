use super::*;

#[test]
fn error_codes_name_their_fault_on_either_database() {
    // SQLite: primary and extended codes.
    assert_eq!(FaultKind::of_code("13"), Some(FaultKind::DiskFull));
    assert_eq!(FaultKind::of_code("778"), Some(FaultKind::Io)); // IOERR_WRITE
    assert_eq!(FaultKind::of_code("8"), Some(FaultKind::ReadOnly));
    assert_eq!(FaultKind::of_code("517"), Some(FaultKind::Busy)); // BUSY_SNAPSHOT
    assert_eq!(FaultKind::of_code("2067"), None); // CONSTRAINT_UNIQUE
                                                  // PostgreSQL: five-character SQLSTATEs, digits or not.
    assert_eq!(FaultKind::of_code("25006"), Some(FaultKind::ReadOnly));
    assert_eq!(FaultKind::of_code("53100"), Some(FaultKind::DiskFull));
    assert_eq!(FaultKind::of_code("57P01"), Some(FaultKind::Unreachable));
    assert_eq!(FaultKind::of_code("08006"), Some(FaultKind::Unreachable));
    assert_eq!(FaultKind::of_code("58030"), Some(FaultKind::Io));
    assert_eq!(FaultKind::of_code("23505"), None); // unique_violation
    assert_eq!(FaultKind::of_code("42601"), None); // syntax_error
}

#[test]
fn a_full_sqlite_database_is_a_fault_not_an_internal_error() {
    // `max_page_count` makes SQLite answer SQLITE_FULL as a full disk does.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch("CREATE TABLE t (v TEXT); PRAGMA max_page_count = 4;")
        .unwrap();
    let error = (0..100)
        .find_map(|_| {
            connection
                .execute("INSERT INTO t VALUES (?1)", [&"x".repeat(2000)])
                .err()
        })
        .expect("the database fills up");
    let code = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => failure.extended_code,
        other => panic!("{other}"),
    };
    assert_eq!(
        FaultKind::of_code(&code.to_string()),
        Some(FaultKind::DiskFull),
        "{error}"
    );
}

#[test]
fn passwords_are_redacted() {
    assert_eq!(
        redact("postgres://app:hunter2@db/slawatch"),
        "postgres://app:***@db/slawatch"
    );
    assert_eq!(redact("postgres://app@db/slawatch"), "postgres://app@db/slawatch");
    assert_eq!(redact("sqlite://data/slawatch.db"), "sqlite://data/slawatch.db");
}

#[test]
fn sqlite_gets_anonymous_placeholders_in_the_same_order() {
    assert_eq!(
        Backend::Sqlite.positional("INSERT INTO t VALUES ($1, $2), ($3, $10) -- $x"),
        "INSERT INTO t VALUES (?, ?), (?, ?) -- $x"
    );
    assert_eq!(Backend::Postgres.positional("SELECT $1"), "SELECT $1");
}

/// An SQLite store with the first `applied` migrations only.
async fn sqlite_store_at(dir: &tempfile::TempDir, applied: usize) -> Store {
    let store = Store::connect(&format!("sqlite://{}/upgrade.db", dir.path().display()), 1)
        .await
        .unwrap();
    let mut before = Backend::Sqlite.migrator();
    before.migrations = std::borrow::Cow::Owned(before.migrations[..applied].to_vec());
    before.run(&store.pool).await.unwrap();
    store
}

#[tokio::test]
async fn message_links_keep_their_issues_through_the_move_to_issue_numbers() {
    let dir = tempfile::tempdir().unwrap();
    // The schema before migration 6, with links by issue key.
    let store = sqlite_store_at(&dir, 5).await;
    for statement in [
        "INSERT INTO issues (issue, seq, status, cycle, first_seen_ms, updated_ms, stages) \
         VALUES ('wechat:grp:m-1', 7, 'open', 1, 0, 0, '{}')",
        "INSERT INTO message_issues (issue, platform, chat_id, message_id, at_ms) VALUES \
         ('wechat:grp:m-1', 'wechat', 'grp', 'm-1', 5), ('wechat:grp:m-1', 'wechat', 'grp', 'm-2', 6), \
         ('never-stored', 'wechat', 'grp', 'm-9', 9)",
    ] {
        sqlx::query(statement).execute(&store.pool).await.unwrap();
    }
    store.migrate().await.unwrap();
    let links: Vec<(i64, String)> =
        sqlx::query_as("SELECT issue_seq, message_id FROM message_issues ORDER BY at_ms")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    assert_eq!(links, vec![(7, "m-1".to_string()), (7, "m-2".to_string())]);
}

#[tokio::test]
async fn sqlite_connections_checkpoint_every_16000_pages_and_the_writer_leaves_syncing_to_its_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store_at(&dir, 1).await;
    let pooled: Vec<(i64,)> = sqlx::query_as("PRAGMA wal_autocheckpoint")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert_eq!(pooled, vec![(16000,)]);
    let limit: Vec<(i64,)> = sqlx::query_as("PRAGMA journal_size_limit")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert_eq!(limit, vec![(128 << 20,)]);

    let mut writer = store.writer_connection().await.unwrap();
    let mut tx = writer.begin().await.unwrap();
    let rows = tx
        .fetch(sql::Statement::new("PRAGMA wal_autocheckpoint"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(get::<i64>(&rows[0], "wal_autocheckpoint").unwrap(), 16000);

    // The writer's commits are synced by `store::durable` before they
    // are answered; every other connection's commits sync themselves.
    let rows = tx.fetch(sql::Statement::new("PRAGMA synchronous")).await.unwrap();
    assert_eq!(get::<i64>(&rows[0], "synchronous").unwrap(), 1, "NORMAL");
    let pooled: Vec<(i64,)> = sqlx::query_as("PRAGMA synchronous")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert_eq!(pooled, vec![(2,)], "FULL");
    assert!(store.log_sync().unwrap().is_some());
}

/// SQLite indexes issue keys by their tail (migration 10): the tail the
/// index computes is the part after the last `:`, every lookup by key
/// finds its issue through that index, and keys stay unique.
#[tokio::test]
async fn issue_keys_are_found_through_the_index_of_their_tails() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store_at(&dir, 1).await;
    store.migrate().await.unwrap();
    let keys = [
        "plain",
        "wechat:grp-1:m-1",
        "wechat:grp-2:m-1",
        "a:b:c:d",
        "飞书:群:消息",
        "ends-with:",
        ":leading",
        "x::y",
        "",
    ];
    for (seq, key) in keys.iter().enumerate() {
        sqlx::query(
            "INSERT INTO issues (issue, seq, status, cycle, first_seen_ms, updated_ms, stages) \
             VALUES ($1, $2, 'open', 1, 0, 0, '{}')",
        )
        .bind(*key)
        .bind(seq as i64 + 1)
        .execute(&store.pool)
        .await
        .unwrap();
    }
    let lookup = format!(
        "SELECT i.seq FROM {} JOIN issues i ON {}",
        dialect::BOUND_KEY,
        Backend::Sqlite.issue_key_is("i.issue", "q.wanted")
    );
    for (seq, key) in keys.iter().enumerate() {
        let tail: String = sqlx::query_scalar(&format!("SELECT {}", dialect::key_tail("$1")))
            .bind(*key)
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(tail, key.rsplit(':').next().unwrap(), "{key:?}");
        let found: Vec<i64> = sqlx::query_scalar(&lookup)
            .bind(*key)
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert_eq!(found, vec![seq as i64 + 1], "{key:?}");
    }
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {lookup}"))
        .bind("wechat:grp-1:m-1")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert!(
        plan.iter()
            .any(|(.., detail)| detail.contains("INDEX issues_by_key (<expr>=? AND issue=?)")),
        "{plan:?}"
    );
    let duplicate = "INSERT INTO issues (issue, seq, status, cycle, first_seen_ms, updated_ms, stages) \
                     VALUES ('wechat:grp-1:m-1', 99, 'open', 1, 0, 0, '{}')";
    assert!(sqlx::query(duplicate).execute(&store.pool).await.is_err());
}

/// Chat rows before migration 9 (SQLite) / 8 (PostgreSQL): one for a
/// stored issue, one for an issue that was never stored.
const CHAT_ROWS_BY_KEY: [&str; 2] = [
    "INSERT INTO issues (issue, seq, status, cycle, first_seen_ms, updated_ms, stages) \
     VALUES ('wechat:grp:m-1', 7, 'open', 1, 0, 0, '{}')",
    "INSERT INTO chat_issues (platform, chat_id, raised_by, issue) VALUES \
     ('wechat', 'grp', 'wechat:wang', 'wechat:grp:m-1'), ('wechat', 'grp', 'wechat:li', 'never-stored')",
];

/// What the chat rows must be after the migration: the stored issue's
/// row by number, the other one dropped; the key still refuses a
/// duplicate.
async fn assert_chat_rows_by_number(store: &Store) {
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT platform, chat_id, raised_by, issue_seq FROM chat_issues")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![("wechat".into(), "grp".into(), "wechat:wang".into(), 7)]
    );
    let duplicate = "INSERT INTO chat_issues (platform, chat_id, raised_by, issue_seq) \
                     VALUES ('wechat', 'grp', 'wechat:wang', 7)";
    assert!(sqlx::query(duplicate).execute(&store.pool).await.is_err());
}

#[tokio::test]
async fn chat_issues_keep_their_issues_through_the_move_to_issue_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store_at(&dir, 8).await;
    for statement in CHAT_ROWS_BY_KEY {
        sqlx::query(statement).execute(&store.pool).await.unwrap();
    }
    store.migrate().await.unwrap();
    assert_chat_rows_by_number(&store).await;
}

/// The same on PostgreSQL, in a database of its own, when
/// `SLAWATCH_TEST_POSTGRES_URL` is set (`.ci/run` sets it).
#[tokio::test]
async fn chat_issues_keep_their_issues_through_the_move_to_issue_numbers_on_postgres() {
    let Ok(admin_url) = std::env::var("SLAWATCH_TEST_POSTGRES_URL") else {
        eprintln!("SLAWATCH_TEST_POSTGRES_URL is not set: skipped the PostgreSQL migration test");
        return;
    };
    let admin = Store::connect(&admin_url, 1).await.unwrap();
    let name = format!("slawatch_migrate_{}", std::process::id());
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(&statement).execute(&admin.pool).await.unwrap();
    }
    let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let store = Store::connect(&format!("{server}/{name}{query}"), 1)
        .await
        .unwrap();

    let mut before = Backend::Postgres.migrator();
    before.migrations = std::borrow::Cow::Owned(before.migrations[..7].to_vec());
    before.run(&store.pool).await.unwrap();
    for statement in CHAT_ROWS_BY_KEY {
        sqlx::query(statement).execute(&store.pool).await.unwrap();
    }
    store.migrate().await.unwrap();
    assert_chat_rows_by_number(&store).await;

    store.pool.close().await;
    let drop = format!("DROP DATABASE {name}");
    sqlx::query(&drop).execute(&admin.pool).await.unwrap();
}

#[tokio::test]
async fn issues_keep_every_column_and_index_when_their_number_becomes_the_rowid() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store_at(&dir, 6).await;
    let columns = "issue, seq, project, priority, title, policy, status, cycle, cycle_start_ms, \
                   raised_ms, closed_ms, resolution, first_seen_ms, updated_ms, next_due_ms, stages, \
                   ack_outcome, ack_deadline_ms, ack_at_risk_ms, handle_outcome, handle_deadline_ms, \
                   handle_at_risk_ms, plan_outcome, plan_deadline_ms, plan_at_risk_ms";
    sqlx::query(&format!(
        "INSERT INTO issues ({columns}) VALUES \
         ('a', 12, 'p', 'high', 't', 'default', 'open', 1, 100, 100, NULL, NULL, 90, 110, 700, '{{}}', \
          'met', 700, 650, 'running', 7300, 6000, 'running', 86500, 80000), \
         ('b', 3, 'p', NULL, NULL, NULL, 'unraised', 0, NULL, NULL, NULL, NULL, 95, 95, NULL, '{{}}', \
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
    ))
    .execute(&store.pool)
    .await
    .unwrap();
    let before = issues_as_text(&store, columns).await;
    store.migrate().await.unwrap();
    let after = issues_as_text(&store, columns).await;
    assert_eq!(before.len(), 2);
    assert_eq!(before, after);
    let rowids: Vec<(i64, i64)> = sqlx::query_as("SELECT rowid, seq FROM issues ORDER BY seq")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert_eq!(rowids, vec![(3, 3), (12, 12)]);
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'issues' \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let indexes: Vec<String> = indexes.into_iter().map(|(name,)| name).collect();
    assert_eq!(
        indexes,
        // After migration 8, one live index instead of one per stage;
        // after migration 10, the keys' index by their tails; after
        // migration 14, the board's; after 15, each stage board's.
        [
            "issues_ack_board",
            "issues_ack_board_risk",
            "issues_board",
            "issues_board_risk",
            "issues_board_zone",
            "issues_board_zone_risk",
            "issues_by_due",
            "issues_by_key",
            "issues_by_project",
            "issues_handle_board",
            "issues_handle_board_risk",
            "issues_live",
            "issues_paused_board",
            "issues_plan_board",
            "issues_plan_board_risk"
        ]
    );
    // Migration 14 filled in the board keys of the open issue: its
    // earliest running deadline and warning time (handle's; ack is met).
    let keys: Vec<(String, Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT issue, running_deadline_ms, running_at_risk_ms FROM issues ORDER BY issue")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    assert_eq!(
        keys,
        [("a".into(), Some(7300), Some(6000)), ("b".into(), None, None)]
    );
    // Both keys stay unique.
    for duplicate in [
        "INSERT INTO issues (issue, seq, status, cycle, first_seen_ms, updated_ms, stages) \
         VALUES ('a', 99, 'open', 1, 0, 0, '{}')",
        "INSERT INTO issues (issue, seq, status, cycle, first_seen_ms, updated_ms, stages) \
         VALUES ('c', 12, 'open', 1, 0, 0, '{}')",
    ] {
        assert!(
            sqlx::query(duplicate).execute(&store.pool).await.is_err(),
            "{duplicate}"
        );
    }
}

/// Every row of `issues`, by key, each of `columns` as text (NULL as `None`).
async fn issues_as_text(store: &Store, columns: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::Row as _;
    let rows = sqlx::query(&format!("SELECT {columns} FROM issues ORDER BY issue"))
        .fetch_all(&store.pool)
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| v.map(|v| v.to_string())))
                        .unwrap()
                })
                .collect()
        })
        .collect()
}

#[test]
fn placeholders_number_in_order() {
    assert_eq!(placeholders(3, 2), "$3, $4");
    assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
}
