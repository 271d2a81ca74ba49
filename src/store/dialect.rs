//! The few places where SQLite and PostgreSQL differ.

use super::sql::Statement;
use super::{StoreError, StoreResult};

/// A column type of [`Backend::json_rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SqlType {
    Text,
    Int,
}

impl SqlType {
    fn postgres(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Int => "BIGINT",
        }
    }
}

/// The file path of an `sqlite:` URL (without its `?` options).
pub(super) fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default()
}

/// See [`Backend::json_rows`].
pub(super) struct JsonRows {
    pub with: String,
    pub from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Creates the SQLite file's directory and asks for the file to be created.
    pub(super) fn prepare_url(self, url: &str) -> StoreResult<String> {
        if self == Backend::Postgres {
            return Ok(url.to_string());
        }
        let path = sqlite_path(url);
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::Other(
                "an in-memory SQLite database would lose every event on restart: give a file path".into(),
            ));
        }
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Other(format!("cannot create directory {}: {e}", parent.display()))
                })?;
            }
        }
        Ok(if url.contains('?') {
            url.to_string()
        } else {
            format!("{url}?mode=rwc")
        })
    }

    /// Statements run on every new connection. SQLite: write-ahead log,
    /// fsync on every commit, and waiting rather than failing on a lock.
    ///
    /// The log is copied into the database file once it holds 16,000 pages
    /// (about 64 MiB) rather than SQLite's 1,000: a page changed by many
    /// commits in that span (an index leaf that new chat issues keep
    /// landing in) is copied once, not once per thousand pages. Chat
    /// messages gained 10–15 % in throughput; the price is a longer pause of
    /// the writer at each checkpoint (docs/benchmarks-history.md). The log file is
    /// cut back to 128 MiB after a checkpoint if it ever grew past that (a
    /// long reader can hold checkpoints back).
    pub(super) fn session_setup(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = FULL",
                "PRAGMA busy_timeout = 5000",
                "PRAGMA foreign_keys = ON",
                "PRAGMA wal_autocheckpoint = 16000",
                "PRAGMA journal_size_limit = 134217728",
            ],
            Backend::Postgres => &[],
        }
    }

    /// Statements run once on the writer's own connection. SQLite: a page
    /// cache of 8 MiB for the hot parts of the indexes (the default is 2 MiB;
    /// 64 MiB was slower: SQLite's end-of-transaction cache truncation,
    /// `pcache1TruncateUnsafe`, took 7% of the writer's time in the chat
    /// benchmark), and statement journals in memory rather than in temporary
    /// files. SQLite's automatic checkpoints stay on: with checkpoints only
    /// in the background the log never gets restarted under steady writes
    /// (it reached 10 GB loading a million issues). Its commits do not wait
    /// for the disk: the writer answers them only once `store::durable`
    /// has synced the log, and goes on with the next batch meanwhile.
    pub(super) fn writer_setup(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                "PRAGMA cache_size = -8192",
                "PRAGMA temp_store = MEMORY",
                "PRAGMA synchronous = NORMAL",
            ],
            // Every statement the writer runs finds its rows by key, so
            // its plans must look each key up in its index however the
            // tables grew since the statistics were taken. Left to itself,
            // the planner joined a key list (`jsonb_array_elements_text`,
            // estimated at 100 keys) by reading `issues` and `events` whole
            // whenever they looked small, and kept that plan in its cache
            // as they grew: on a fresh database with autovacuum off, ingest
            // fell from 148 to 34 events/s in three minutes. With
            // sequential scans, hash joins and merge joins priced out, a
            // key list can only be joined key by key through the index.
            Backend::Postgres => &[
                "SET enable_seqscan = off",
                "SET enable_hashjoin = off",
                "SET enable_mergejoin = off",
            ],
        }
    }

    /// The condition that the issue key in `column` equals `value` (both SQL
    /// expressions), written so that the key's index finds it. SQLite indexes
    /// keys by their tail first (migration 10): the part after the last `:`,
    /// which for a chat issue is the message id.
    pub(super) fn issue_key_is(self, column: &str, value: &str) -> String {
        match self {
            Backend::Sqlite => format!(
                "{} = {} AND {column} = {value}",
                key_tail(column),
                key_tail(value)
            ),
            Backend::Postgres => format!("{column} = {value}"),
        }
    }

    /// A subquery of the strings in the JSON array bound at `$param`, for
    /// `IN (…)`.
    pub(super) fn json_list(self, param: usize) -> String {
        self.json_list_of(param, SqlType::Text)
    }

    /// Like [`Backend::json_list`], for values of type `kind`.
    pub(super) fn json_list_of(self, param: usize, kind: SqlType) -> String {
        match self {
            Backend::Sqlite => format!("SELECT value FROM json_each(${param})"),
            Backend::Postgres => format!(
                "SELECT jsonb_array_elements_text(${param}::jsonb)::{} AS value",
                kind.postgres()
            ),
        }
    }

    /// The elements of the JSON array in the text column `column`, as a
    /// relation `alias` with one column, `value`.
    pub(super) fn json_elements(self, column: &str, alias: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_each({column}) AS {alias}"),
            Backend::Postgres => format!("jsonb_array_elements({column}::jsonb) AS {alias}(value)"),
        }
    }

    /// Rows read from the JSON array of arrays bound at `$param`: element
    /// `i` of each row becomes column `columns[i]` of the relation `j`, plus
    /// `n`, the row's position. Lets one statement text write any number of
    /// rows. The statement starts with `with` and reads `FROM {from}`.
    pub(super) fn json_rows(self, param: usize, columns: &[(&str, SqlType)]) -> JsonRows {
        let select = columns
            .iter()
            .enumerate()
            .map(|(i, (name, kind))| match self {
                Backend::Sqlite => format!("r.v ->> {i} AS {name}"),
                Backend::Postgres => format!("(r.v ->> {i})::{} AS {name}", kind.postgres()),
            })
            .collect::<Vec<_>>()
            .join(", ");
        // Materialized, so that SQLite renders each row's JSON once rather
        // than once per column read from it, and in its binary form (JSONB),
        // which `->>` reads without parsing.
        let with = match self {
            Backend::Sqlite => format!("WITH r AS MATERIALIZED (SELECT jsonb(value) AS v, key AS n FROM json_each(${param}))"),
            Backend::Postgres => format!(
                "WITH r AS MATERIALIZED (SELECT v, n FROM jsonb_array_elements(${param}::jsonb) WITH ORDINALITY AS e(v, n))"
            ),
        };
        JsonRows {
            with,
            from: format!("(SELECT {select}, r.n AS n FROM r) AS j"),
        }
    }

    /// The statement that serializes writers of the same issues across
    /// replicas. SQLite has a single writer per database already.
    pub(super) fn lock_issues(self, issues: &[String]) -> Option<Statement> {
        if self == Backend::Sqlite || issues.is_empty() {
            return None;
        }
        // Locks are taken in hash order so two replicas cannot deadlock.
        let sql = format!(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h \
             FROM ({}) AS v(k) ORDER BY h) AS ordered",
            self.json_list(1)
        );
        Some(Statement::json(sql, issues))
    }

    /// The statement with placeholders as the database takes them fastest.
    /// SQLite treats `$1` as a named parameter and looks names up in a linear
    /// list, which makes a statement with thousands of values quadratic; it
    /// gets anonymous `?` instead. Every statement here binds its values in
    /// the order their placeholders appear, so the two are equivalent.
    pub(super) fn positional(self, sql: &str) -> String {
        if self == Backend::Postgres {
            return sql.to_string();
        }
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        out
    }

    /// How a write transaction starts. SQLite takes the write lock at once:
    /// a deferred transaction that reads first fails, without waiting, when
    /// another connection (the dispatcher) commits before it writes.
    pub(super) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// Added to a `SELECT` of rows to claim, so replicas claim different rows.
    pub(super) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The statement that takes `count` new issue numbers, increasing, as
    /// column `seq`; none on SQLite, where the writer holds the write lock
    /// and numbers follow the highest one.
    pub(super) fn next_seqs(self, count: usize) -> Option<Statement> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                Statement::new("SELECT nextval('issue_seq') AS seq FROM generate_series(1, $1) ORDER BY 1")
                    .bind(count as i64),
            ),
        }
    }
}

/// The issue key bound at `$1`, as the relation `q` with one column,
/// `wanted`, to look it up with [`Backend::issue_key_is`].
pub(super) const BOUND_KEY: &str = "(SELECT CAST($1 AS TEXT) AS wanted) q";

/// SQLite: the part of the key `expr` after its last `:` (all of it when it
/// has none), as the index `issues_by_key` is ordered. `rtrim` strips every
/// character but `:` from the end, which leaves the key up to its last `:`.
pub(super) fn key_tail(expr: &str) -> String {
    format!("substr({expr}, length(rtrim({expr}, replace({expr}, ':', ''))) + 1)")
}
