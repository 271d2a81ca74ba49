//! The writer's SQLite connection, driven directly on the writer's thread.
//!
//! sqlx runs each SQLite call on a worker thread of its own and hands the
//! statement and every result row across; for the writer, which runs a few
//! small statements per group commit and nothing else, those hand-offs cost
//! more than the statements. The writer has a thread to itself, so it runs
//! the same statements on the same SQLite library (sqlx's, linked once)
//! without them. Readers keep sqlx's pool.
//!
//! Beside the connection the writer keeps its chat index (`store::chat`):
//! only SQLite's single writer sees every write that could make it stale.

use super::chat::{ChatIndexTx, ChatIssueIndex};
use super::sql::{bind_native, row_params, Param};
use super::{StoreError, StoreResult};
use rusqlite::types::ValueRef;
use std::sync::Arc;

/// Prepared statements kept per connection: the writer's texts, times the
/// variants a group commit combines.
const STATEMENT_CACHE: usize = 256;

/// A result row, with its values owned.
#[derive(Debug, Clone)]
pub struct NativeRow {
    names: Arc<[String]>,
    values: Vec<Value>,
}

/// One value of a [`NativeRow`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl NativeRow {
    /// The value of the column `name`.
    pub fn value(&self, name: &str) -> StoreResult<&Value> {
        self.names
            .iter()
            .position(|column| column == name)
            .and_then(|index| self.values.get(index))
            .ok_or_else(|| StoreError::Other(format!("no column `{name}` in the result")))
    }
}

/// Opens the database file of an `sqlite:` URL with the statements every
/// connection runs.
pub fn open(url: &str, setup: &[&str]) -> StoreResult<rusqlite::Connection> {
    let path = super::dialect::sqlite_path(url);
    let connection = rusqlite::Connection::open(path).map_err(error)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    for statement in setup {
        // PRAGMA journal_mode answers with a row; the others with none.
        let mut prepared = connection.prepare(statement).map_err(error)?;
        let mut rows = prepared.raw_query();
        while rows.next().map_err(error)?.is_some() {}
    }
    Ok(connection)
}

/// Runs one statement and returns its rows.
pub fn fetch(connection: &rusqlite::Connection, sql: &str, params: &[Param]) -> StoreResult<Vec<NativeRow>> {
    let mut prepared = connection.prepare_cached(sql).map_err(error)?;
    bind_native(&mut prepared, params).map_err(error)?;
    let count = prepared.column_count();
    let names: Arc<[String]> = prepared.column_names().into_iter().map(String::from).collect();
    let mut rows = prepared.raw_query();
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        let mut values = Vec::with_capacity(count);
        for index in 0..count {
            values.push(match row.get_ref(index).map_err(error)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(value) => Value::Integer(value),
                ValueRef::Real(value) => Value::Real(value),
                ValueRef::Text(text) | ValueRef::Blob(text) => {
                    Value::Text(String::from_utf8_lossy(text).into_owned())
                }
            });
        }
        found.push(NativeRow {
            names: names.clone(),
            values,
        });
    }
    Ok(found)
}

/// Most rows in one multi-row statement (64 rows of the widest table, 26
/// columns, stay far below SQLite's 32,766 parameters).
const MAX_CHUNK: usize = 64;

/// Runs a multi-row statement over rows of `columns` values each, `values`
/// holding them one row after another, in order: `sql(n)` is its text for
/// `n` rows. Rows go in chunks whose sizes are powers of two, so a few
/// texts stay prepared. One statement for many rows opens each table's and
/// index's cursor once, rather than once per row.
pub fn insert_chunked(
    connection: &rusqlite::Connection,
    sql: impl Fn(usize) -> String,
    columns: usize,
    values: &[Param],
) -> StoreResult<()> {
    // A partial row would leave a chunk short of its placeholders.
    if columns == 0 || values.len() % columns != 0 {
        return Err(StoreError::Other(format!(
            "{} values do not make rows of {columns}",
            values.len()
        )));
    }
    let mut rest = values;
    while !rest.is_empty() {
        let rows = rest.len() / columns;
        let size = 1usize << rows.min(MAX_CHUNK).ilog2();
        let (chunk, after) = rest.split_at(size * columns);
        let mut prepared = connection.prepare_cached(&sql(size)).map_err(error)?;
        bind_native(&mut prepared, chunk).map_err(error)?;
        prepared.raw_execute().map_err(error)?;
        rest = after;
    }
    Ok(())
}

/// The writer's SQLite connection and what the writer keeps beside it.
pub(super) struct NativeWriter {
    connection: rusqlite::Connection,
    /// A transaction may be open: one was begun and not committed.
    open: bool,
    /// Where the chats' open issues are (see `store::chat`). SQLite only:
    /// on PostgreSQL other replicas write too.
    chat_index: ChatIssueIndex,
}

/// One transaction on the writer's SQLite connection.
pub(super) struct NativeTx<'c> {
    /// Held mutably: a shared reference to a connection is not `Send`.
    connection: &'c mut rusqlite::Connection,
    open: &'c mut bool,
    /// The writer's chat index, and what this transaction adds to it once
    /// it commits.
    pub(super) chat: ChatIndexTx<'c>,
}

impl NativeWriter {
    pub(super) fn open(url: &str, setup: &[&str]) -> StoreResult<NativeWriter> {
        Ok(NativeWriter {
            connection: open(url, setup)?,
            open: false,
            chat_index: ChatIssueIndex::default(),
        })
    }

    /// Runs one statement without parameters or rows.
    fn execute(&mut self, sql: &str) -> StoreResult<()> {
        fetch(&self.connection, sql, &[])?;
        Ok(())
    }

    /// Begins a transaction with `begin`, after rolling back one left open.
    pub(super) fn begin(&mut self, begin: &str) -> StoreResult<NativeTx<'_>> {
        self.abandon();
        self.execute(begin)?;
        self.open = true;
        Ok(NativeTx {
            connection: &mut self.connection,
            open: &mut self.open,
            chat: ChatIndexTx::new(&mut self.chat_index),
        })
    }

    /// Rolls back a transaction left open by an error.
    pub(super) fn abandon(&mut self) {
        if std::mem::take(&mut self.open) {
            // Fails harmlessly when the transaction never began.
            let _ = self.execute("ROLLBACK");
        }
    }
}

impl NativeTx<'_> {
    /// Runs one statement (placeholders already `?`) and returns its rows.
    pub(super) fn fetch(&mut self, sql: &str, params: &[Param]) -> StoreResult<Vec<NativeRow>> {
        fetch(self.connection, sql, params)
    }

    /// Inserts `rows` (each a tuple of the values of `columns`) by prepared
    /// multi-row statements, binding their values as they are: no hand-off
    /// to pay for, and no JSON to write or parse. `conflict` is the
    /// statements' `ON CONFLICT` clause, if any.
    pub(super) fn insert_rows<T: serde::Serialize>(
        &mut self,
        table: &str,
        columns: &str,
        conflict: &str,
        rows: &[T],
    ) -> StoreResult<()> {
        let count = columns.split(',').count();
        let row = format!("({})", vec!["?"; count].join(", "));
        let mut values = Vec::with_capacity(rows.len() * count);
        for row in rows {
            row_params(row, &mut values)?;
            if values.len() % count != 0 {
                return Err(StoreError::Other(format!(
                    "a row of {table} has not {count} values"
                )));
            }
        }
        // `OR FAIL`: a failing row ends the statement without undoing
        // the rows before it, so SQLite keeps no statement journal (a
        // copy of every page a multi-row statement changes). The writer
        // rolls the whole transaction back on any error anyway.
        insert_chunked(
            self.connection,
            |rows| {
                format!(
                    "INSERT OR FAIL INTO {table} ({columns}) VALUES {} {conflict}",
                    vec![row.as_str(); rows].join(", ")
                )
            },
            count,
            &values,
        )
    }

    pub(super) fn commit(self) -> StoreResult<()> {
        fetch(self.connection, "COMMIT", &[])?;
        *self.open = false;
        self.chat.committed();
        Ok(())
    }
}

/// SQLite's faults (busy, locked, disk full, read-only, I/O) mean the store
/// is unavailable for now (503), as through sqlx.
fn error(error: rusqlite::Error) -> StoreError {
    let code = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
        _ => None,
    };
    match code.and_then(|code| super::FaultKind::of_code(&code.to_string())) {
        Some(kind) => StoreError::unavailable(kind, error.to_string()),
        None => StoreError::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_their_values_and_return_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/native.db?mode=rwc", dir.path().display());
        let connection = open(&url, &["PRAGMA journal_mode = WAL"]).unwrap();
        assert!(fetch(&connection, "CREATE TABLE t (a INTEGER, b TEXT)", &[])
            .unwrap()
            .is_empty());
        insert_chunked(
            &connection,
            |rows| format!("INSERT INTO t VALUES {}", vec!["(?, ?)"; rows].join(", ")),
            2,
            &[
                Param::Int(Some(1)),
                Param::Text(Some("one".into())),
                Param::Int(None),
                Param::Text(None),
            ],
        )
        .unwrap();
        let rows = fetch(
            &connection,
            "SELECT a, b, 0.5 AS c FROM t ORDER BY a NULLS FIRST",
            &[],
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].value("a").unwrap(), &Value::Null);
        assert_eq!(rows[1].value("a").unwrap(), &Value::Integer(1));
        assert_eq!(rows[1].value("b").unwrap(), &Value::Text("one".into()));
        assert_eq!(rows[1].value("c").unwrap(), &Value::Real(0.5));
        assert!(rows[1].value("d").is_err());
        let bound = fetch(&connection, "SELECT b FROM t WHERE a = ?", &[Param::Int(Some(1))]).unwrap();
        assert_eq!(bound.len(), 1);
        assert_eq!(bound[0].value("b").unwrap(), &Value::Text("one".into()));
    }

    #[test]
    fn rows_inserted_in_chunks_arrive_complete_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/native.db?mode=rwc", dir.path().display());
        let connection = open(&url, &[]).unwrap();
        fetch(&connection, "CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)", &[]).unwrap();
        fetch(&connection, "CREATE TABLE log (v TEXT)", &[]).unwrap();
        // 150 rows: chunks of 64, 64, 16, 4 and 2.
        let rows: Vec<Param> = (0..150).map(|i| Param::Text(Some(format!("v{i}")))).collect();
        insert_chunked(
            &connection,
            |n| format!("INSERT INTO log (v) VALUES {}", vec!["(?)"; n].join(", ")),
            1,
            &rows,
        )
        .unwrap();
        let stored = fetch(&connection, "SELECT v FROM log ORDER BY rowid", &[]).unwrap();
        let stored: Vec<&Value> = stored.iter().map(|row| row.value("v").unwrap()).collect();
        let expected: Vec<Value> = (0..150).map(|i| Value::Text(format!("v{i}"))).collect();
        assert_eq!(stored, expected.iter().collect::<Vec<_>>());
        // A conflict clause applies to every row of every chunk.
        let pairs = |range: std::ops::Range<i64>| -> Vec<Param> {
            range
                .flat_map(|n| [Param::Int(Some(n)), Param::Text(Some(format!("first {n}")))])
                .collect()
        };
        let upsert = |n: usize| {
            format!(
                "INSERT INTO t (n, v) VALUES {} ON CONFLICT (n) DO NOTHING",
                vec!["(?, ?)"; n].join(", ")
            )
        };
        insert_chunked(&connection, upsert, 2, &pairs(0..5)).unwrap();
        insert_chunked(&connection, upsert, 2, &pairs(3..9)).unwrap();
        let kept = fetch(
            &connection,
            "SELECT COUNT(*) AS n FROM t WHERE v LIKE 'first %'",
            &[],
        )
        .unwrap();
        assert_eq!(kept[0].value("n").unwrap(), &Value::Integer(9));
        assert!(insert_chunked(&connection, |_| "INSERT INTO missing VALUES (?)".into(), 1, &rows).is_err());
    }

    #[test]
    fn a_failing_statement_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/native.db", dir.path().display());
        let connection = open(&url, &[]).unwrap();
        let failed = fetch(&connection, "SELECT * FROM missing", &[]);
        assert!(matches!(failed, Err(StoreError::Other(_))));
    }
}
