//! The write transaction. Each read covers a whole batch. Rows are written
//! by one statement per batch where a statement is a round trip (PostgreSQL,
//! pooled connections) and by prepared multi-row statements on the writer's
//! own SQLite connection, where a statement is a function call (see
//! `store::native`). Every statement goes through [`WriteTx::fetch`].

use super::chat::{ChatIssue, ChatIssueIndex};
use super::dialect::SqlType;
use super::rows::{
    BreachRow, IssueRow, IssueValues, BOARD_COLUMNS, BREACH_COLUMNS, ISSUE_COLUMNS, STAGE_COLUMNS,
};
use super::{get, json_param, to_ms, value_rows, Backend, Store, StoreResult};
use super::{Row, StoreError};
use crate::domain::breach::BreachRecord;
use crate::domain::event::Event;
use crate::domain::notice::OutboxEntry;
use crate::domain::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Connection, Executor, Transaction};
use std::collections::HashMap;

/// The highest issue number (SQLite numbers issues itself).
const SEQ_FLOOR: &str = "SELECT COALESCE(MAX(seq), 0) AS seq FROM issues";

/// Rows per multi-row statement, well under both databases' bind limits.
pub(super) const CHUNK_ROWS: usize = 500;

/// `columns` (a comma-separated list) with their types for
/// `Backend::json_rows`: numbers, times in ms and counts are integers.
pub(super) fn typed(columns: &str) -> Vec<(&str, SqlType)> {
    columns
        .split(',')
        .map(str::trim)
        .map(|name| {
            let integer = name.ends_with("_ms") || matches!(name, "seq" | "issue_seq" | "cycle");
            (name, if integer { SqlType::Int } else { SqlType::Text })
        })
        .collect()
}

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(super) enum Param {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Param::Text(Some(value.to_string()))
    }
}

impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(Some(value))
    }
}

impl From<&String> for Param {
    fn from(value: &String) -> Self {
        Param::Text(Some(value.clone()))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Self {
        Param::Text(value.map(str::to_string))
    }
}

impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Self {
        Param::Text(value.clone())
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

impl Param {
    /// A JSON scalar as a value (the stored rows' numbers are integers).
    fn from_json(value: serde_json::Value) -> Param {
        match value {
            serde_json::Value::Null => Param::Text(None),
            serde_json::Value::Number(number) => match number.as_i64() {
                Some(integer) => Param::Int(Some(integer)),
                None => Param::Text(Some(number.to_string())),
            },
            serde_json::Value::Bool(flag) => Param::Int(Some(i64::from(flag))),
            serde_json::Value::String(text) => Param::Text(Some(text)),
            other => Param::Text(Some(other.to_string())),
        }
    }
}

/// One statement (placeholders written `$n`, bound in the order they
/// appear) with its values.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    pub(super) fn new(sql: impl Into<String>) -> Self {
        Statement {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    pub(super) fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// `sql` with `values` as its one JSON parameter.
    pub(super) fn json<T: serde::Serialize + ?Sized>(sql: impl Into<String>, values: &T) -> Self {
        Statement::new(sql).bind(json_param(values))
    }
}

/// Where a transaction runs.
enum TxConnection<'c> {
    /// A pooled connection, in a transaction sqlx manages.
    Pooled(Transaction<'static, Any>),
    /// The writer's connection, in a transaction begun and ended by hand.
    Writer(&'c mut WriterConnection),
}

/// One write transaction. Dropping it without `commit` rolls back: at once
/// on a pooled connection, at the writer's next `begin` (or `abandon`) on
/// the writer's.
pub struct WriteTx<'c> {
    connection: TxConnection<'c>,
    pub(super) backend: Backend,
    /// Chat issues this transaction raised or reopened, for the writer's
    /// index once it commits.
    pub(super) chat_issues_staged: Vec<ChatIssue>,
    /// Issue rows this transaction wrote that the writer's index holds a
    /// copy of, to bring those copies up to date once it commits.
    pub(super) issues_staged: Vec<IssueRow>,
}

/// The writer's own connection, outside the pool: its statement cache stays
/// warm for the writer's few statement texts, and it gets a larger page
/// cache than the readers need. On SQLite it is driven directly on the
/// writer's thread (see `store::native`).
pub struct WriterConnection {
    connection: WriterDriver,
    backend: Backend,
    /// A transaction may be open: one was begun and not committed.
    open: bool,
    /// SQLite: where the chats' open issues are (see `store::chat`). None
    /// on PostgreSQL, where other replicas write too.
    pub(super) chat_index: Option<ChatIssueIndex>,
}

enum WriterDriver {
    Native(rusqlite::Connection),
    Sqlx(AnyConnection),
}

impl Store {
    /// Opens the writer's connection.
    pub async fn writer_connection(&self) -> StoreResult<WriterConnection> {
        let setup: Vec<&str> = self
            .backend
            .session_setup()
            .iter()
            .chain(self.backend.writer_setup())
            .copied()
            .collect();
        let chat_index = (self.backend == Backend::Sqlite).then(ChatIssueIndex::default);
        let connection = match self.backend {
            Backend::Sqlite => WriterDriver::Native(super::native::open(&self.url, &setup)?),
            Backend::Postgres => {
                let mut connection = AnyConnection::connect(&self.url).await?;
                for statement in setup {
                    connection.execute(statement).await?;
                }
                WriterDriver::Sqlx(connection)
            }
        };
        Ok(WriterConnection {
            connection,
            backend: self.backend,
            open: false,
            chat_index,
        })
    }
}

impl WriterConnection {
    pub async fn begin(&mut self) -> StoreResult<WriteTx<'_>> {
        self.abandon().await;
        let backend = self.backend;
        self.execute(backend.begin_write()).await?;
        self.open = true;
        Ok(WriteTx {
            connection: TxConnection::Writer(self),
            backend,
            chat_issues_staged: Vec::new(),
            issues_staged: Vec::new(),
        })
    }

    /// Rewrites the one row of `store_probe`: a write that reaches the disk
    /// like any other, to learn whether writes succeed again after a fault.
    pub async fn probe(&mut self, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.write(
            Statement::new(
                "INSERT INTO store_probe (id, at_ms) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
            )
            .bind(super::to_ms(now)),
        )
        .await?;
        tx.commit().await
    }

    /// Runs one statement without parameters or rows.
    async fn execute(&mut self, sql: &str) -> StoreResult<()> {
        match &mut self.connection {
            WriterDriver::Native(connection) => {
                super::native::fetch(connection, sql, &[])?;
            }
            WriterDriver::Sqlx(connection) => {
                connection.execute(sql).await?;
            }
        }
        Ok(())
    }

    /// Rolls back a transaction left open by an error.
    pub async fn abandon(&mut self) {
        if std::mem::take(&mut self.open) {
            // Fails harmlessly when the transaction never began.
            let _ = self.execute("ROLLBACK").await;
        }
    }

    /// Closes the connection (after an error that may have broken it).
    pub async fn close(self) {
        if let WriterDriver::Sqlx(connection) = self.connection {
            let _ = connection.close().await;
        }
    }
}

impl Store {
    /// A write transaction on a pooled connection, for writes outside the
    /// writer (daily digests, delivery results).
    pub async fn begin(&self) -> StoreResult<WriteTx<'static>> {
        Ok(WriteTx {
            connection: TxConnection::Pooled(self.pool.begin_with(self.backend.begin_write()).await?),
            backend: self.backend,
            chat_issues_staged: Vec::new(),
            issues_staged: Vec::new(),
        })
    }
}

impl WriteTx<'_> {
    /// Runs one statement and returns its rows: every statement of a
    /// transaction goes through here.
    pub(super) async fn fetch(&mut self, statement: Statement) -> StoreResult<Vec<Row>> {
        let sql = self.backend.positional(&statement.sql);
        let connection = match &mut self.connection {
            TxConnection::Pooled(tx) => &mut **tx,
            TxConnection::Writer(writer) => match &mut writer.connection {
                WriterDriver::Sqlx(connection) => connection,
                WriterDriver::Native(connection) => {
                    let rows = super::native::fetch(connection, &sql, &statement.params)?;
                    return Ok(rows.into_iter().map(Row::Native).collect());
                }
            },
        };
        let rows = bound(sqlx::query(&sql), statement.params)
            .fetch_all(&mut *connection)
            .await?;
        Ok(rows.into_iter().map(Row::Any).collect())
    }

    /// Runs a statement that returns nothing.
    pub(super) async fn write(&mut self, statement: Statement) -> StoreResult<()> {
        self.fetch(statement).await?;
        Ok(())
    }

    /// Runs `sql` (placeholders written `$n`) with `values` as its one
    /// JSON parameter, and returns its rows.
    pub(super) async fn fetch_json<T: serde::Serialize + ?Sized>(
        &mut self,
        sql: &str,
        values: &T,
    ) -> StoreResult<Vec<Row>> {
        self.fetch(Statement::json(sql, values)).await
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self.connection {
            TxConnection::Pooled(tx) => tx.commit().await?,
            TxConnection::Writer(writer) => {
                writer.execute("COMMIT").await?;
                writer.open = false;
                if let Some(index) = &mut writer.chat_index {
                    index.add(self.chat_issues_staged);
                    index.refresh(&self.issues_staged);
                }
            }
        }
        Ok(())
    }

    /// Serializes concurrent writers of these issues (PostgreSQL replicas).
    pub async fn lock_issues(&mut self, issues: &[String]) -> StoreResult<()> {
        if let Some(statement) = self.backend.lock_issues(issues) {
            self.fetch(statement).await?;
        }
        Ok(())
    }

    /// The stored content of each of these event ids that exists.
    pub async fn stored_contents(&mut self, ids: &[&str]) -> StoreResult<HashMap<String, String>> {
        let sql = format!(
            "SELECT id, content FROM events WHERE id IN ({})",
            self.backend.json_list(1)
        );
        let mut found = HashMap::new();
        for row in self.fetch_json(&sql, ids).await? {
            found.insert(get(&row, "id")?, get(&row, "content")?);
        }
        Ok(found)
    }

    /// The current rows of these issues.
    pub async fn issue_rows(&mut self, issues: &[String]) -> StoreResult<HashMap<String, IssueRow>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM ({}) j JOIN issues ON {}",
            self.backend.json_list(1),
            self.backend.issue_key_is("issues.issue", "j.value")
        );
        let mut found = HashMap::new();
        for row in self.fetch_json(&sql, issues).await? {
            let issue = IssueRow::from_row(&row)?;
            found.insert(issue.issue.clone(), issue);
        }
        Ok(found)
    }

    /// Appends events with their canonical content and their issue's
    /// number, in the order given (their arrival order).
    pub async fn insert_events(&mut self, events: &[(&Event, &str, i64)]) -> StoreResult<()> {
        const COLUMNS: &str = "id, issue, issue_seq, kind, at_ms, received_ms, source, content";
        let rows: Vec<_> = events
            .iter()
            .map(|(event, content, seq)| {
                (
                    &event.id,
                    &event.issue,
                    seq,
                    event.kind.as_str(),
                    to_ms(event.at),
                    to_ms(event.received_at),
                    &event.source,
                    *content,
                )
            })
            .collect();
        self.insert_rows("events", COLUMNS, "", &rows).await
    }

    /// Inserts `rows`, each an array of the values of `columns` in order,
    /// in that order; `conflict` is the statement's `ON CONFLICT` clause, if
    /// any. The writer's SQLite connection binds the values to prepared
    /// multi-row statements (no hand-off to pay for, and no JSON to parse);
    /// elsewhere one statement reads them all from one JSON parameter.
    pub(super) async fn insert_rows<T: serde::Serialize>(
        &mut self,
        table: &str,
        columns: &str,
        conflict: &str,
        rows: &[T],
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        if let Some(connection) = self.native() {
            let count = columns.split(',').count();
            let row = format!("({})", vec!["?"; count].join(", "));
            let mut values = Vec::with_capacity(rows.len());
            for row in rows {
                let Ok(serde_json::Value::Array(row)) = serde_json::to_value(row) else {
                    return Err(StoreError::Other(format!("a row of {table} is not an array")));
                };
                values.push(row.into_iter().map(Param::from_json).collect::<Vec<_>>());
            }
            // `OR FAIL`: a failing row ends the statement without undoing
            // the rows before it, so SQLite keeps no statement journal (a
            // copy of every page a multi-row statement changes). The writer
            // rolls the whole transaction back on any error anyway.
            return super::native::insert_chunked(
                connection,
                |rows| {
                    format!(
                        "INSERT OR FAIL INTO {table} ({columns}) VALUES {} {conflict}",
                        vec![row.as_str(); rows].join(", ")
                    )
                },
                &values,
            );
        }
        let source = self.backend.json_rows(1, &typed(columns));
        let sql = format!(
            "{} INSERT INTO {table} ({columns}) SELECT {columns} FROM {} ORDER BY n {conflict}",
            source.with, source.from
        );
        self.write(Statement::json(sql, rows)).await
    }

    /// The writer's chat index (SQLite), taken out while a lookup uses it;
    /// [`WriteTx::restore_chat_index`] puts it back.
    pub(super) fn take_chat_index(&mut self) -> Option<ChatIssueIndex> {
        match &mut self.connection {
            TxConnection::Writer(writer) => writer.chat_index.take(),
            TxConnection::Pooled(_) => None,
        }
    }

    pub(super) fn restore_chat_index(&mut self, index: ChatIssueIndex) {
        if let TxConnection::Writer(writer) = &mut self.connection {
            writer.chat_index = Some(index);
        }
    }

    /// The writer's chat index (SQLite), if this is its connection.
    fn chat_index(&self) -> Option<&ChatIssueIndex> {
        match &self.connection {
            TxConnection::Writer(writer) => writer.chat_index.as_ref(),
            TxConnection::Pooled(_) => None,
        }
    }

    /// Whether this is the writer's connection with a chat index.
    pub(super) fn has_chat_index(&self) -> bool {
        self.chat_index().is_some()
    }

    /// The writer's own SQLite connection, if this is it.
    fn native(&self) -> Option<&rusqlite::Connection> {
        match &self.connection {
            TxConnection::Writer(WriterConnection {
                connection: WriterDriver::Native(connection),
                ..
            }) => Some(connection),
            _ => None,
        }
    }

    /// Every stored event of these issues, by issue number (including this
    /// transaction's), grouped by issue key.
    pub async fn events_of(&mut self, seqs: &[i64]) -> StoreResult<HashMap<String, Vec<Event>>> {
        let sql = format!(
            "SELECT issue, arrival, at_ms, received_ms, source, content FROM events WHERE issue_seq IN ({})",
            self.backend.json_list_of(1, SqlType::Int)
        );
        let mut events: HashMap<String, Vec<Event>> = HashMap::new();
        for row in self.fetch_json(&sql, seqs).await? {
            let event = super::read::event_from_row(&row)?;
            events.entry(get(&row, "issue")?).or_default().push(event);
        }
        Ok(events)
    }

    /// `count` new issue numbers, increasing.
    pub async fn next_seqs(&mut self, count: usize) -> StoreResult<Vec<i64>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        if let Some(statement) = self.backend.next_seqs(count) {
            let rows = self.fetch(statement).await?;
            return rows.iter().map(|row| get(row, "seq")).collect();
        }
        // The transaction holds SQLite's write lock: no one else numbers.
        let rows = self.fetch(Statement::new(SEQ_FLOOR)).await?;
        let floor: i64 = rows
            .first()
            .map(|row| get(row, "seq"))
            .transpose()?
            .unwrap_or_default();
        Ok((1..=count as i64).map(|i| floor + i).collect())
    }

    /// Writes the derived rows of these issues, stage and board columns
    /// included: `stored` says whether an issue has a row already. New rows are
    /// plain inserts; only stored ones go through the upsert, whose update
    /// SQLite runs with `ABORT` and so with a statement journal (a copy of
    /// every page the statement changes).
    pub async fn save_issues(&mut self, rows: &[IssueRow], stored: impl Fn(&str) -> bool) -> StoreResult<()> {
        let columns = format!("{ISSUE_COLUMNS}, {STAGE_COLUMNS}, {BOARD_COLUMNS}");
        // The writer's copies of chat issues follow their rows once this
        // commits; rows without a copy are not kept.
        if let Some(index) = self.chat_index() {
            let copied: Vec<IssueRow> = rows
                .iter()
                .filter(|row| index.has_copy(row.seq))
                .cloned()
                .collect();
            self.issues_staged.extend(copied);
        }
        let (known, new): (Vec<_>, Vec<_>) = rows.iter().partition(|row| stored(&row.issue));
        if !new.is_empty() {
            let values: Vec<_> = new.into_iter().map(IssueValues).collect();
            self.insert_rows("issues", &columns, "", &values).await?;
        }
        if known.is_empty() {
            return Ok(());
        }
        // Everything but the key, the number and the first sighting.
        let updates = typed(&columns)
            .iter()
            .filter(|(name, _)| !matches!(*name, "issue" | "seq" | "first_seen_ms"))
            .map(|(name, _)| format!("{name} = excluded.{name}"))
            .collect::<Vec<_>>()
            .join(", ");
        let values: Vec<_> = known.into_iter().map(IssueValues).collect();
        self.insert_rows(
            "issues",
            &columns,
            &format!("ON CONFLICT (seq) DO UPDATE SET {updates}"),
            &values,
        )
        .await
    }

    /// Every breach record of these issues, retracted or not.
    pub async fn breaches_of(&mut self, issues: &[String]) -> StoreResult<Vec<BreachRow>> {
        let sql = format!(
            "SELECT {BREACH_COLUMNS} FROM breaches b WHERE b.issue IN ({})",
            self.backend.json_list(1)
        );
        self.fetch_json(&sql, issues)
            .await?
            .iter()
            .map(|row| BreachRow::from_row(row, false))
            .collect()
    }

    /// Inserts new breach records in one statement per chunk.
    pub async fn insert_breaches(&mut self, breaches: &[BreachRecord]) -> StoreResult<()> {
        for chunk in breaches.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO breaches (issue, project, stage, cycle_start_ms, cycle, deadline_ms, met_ms, \
                 detected_ms, detected_late, retracted_ms, escalation_step) VALUES {} \
                 ON CONFLICT (issue, stage, cycle_start_ms) DO NOTHING",
                value_rows(chunk.len(), 11)
            );
            let mut statement = Statement::new(sql);
            for breach in chunk {
                statement = statement
                    .bind(&breach.issue)
                    .bind(&breach.project)
                    .bind(breach.stage.as_str())
                    .bind(to_ms(breach.cycle_start))
                    .bind(breach.cycle)
                    .bind(to_ms(breach.deadline))
                    .bind(breach.met_at.map(to_ms))
                    .bind(to_ms(breach.detected_at))
                    .bind(i64::from(breach.detected_late))
                    .bind(breach.retracted_at.map(to_ms))
                    .bind(breach.escalation_step);
            }
            self.write(statement).await?;
        }
        Ok(())
    }

    /// Appends notifications to the outbox; a delivery already written is
    /// left alone, so a notice is never queued twice.
    pub async fn insert_notifications(&mut self, entries: &[OutboxEntry], now: Timestamp) -> StoreResult<()> {
        for chunk in entries.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO notifications (delivery, channel, kind, issue, project, stage, payload, state, \
                 attempts, next_attempt_ms, created_ms) VALUES {} ON CONFLICT (delivery) DO NOTHING",
                value_rows(chunk.len(), 11)
            );
            let mut statement = Statement::new(sql);
            for entry in chunk {
                statement = statement
                    .bind(&entry.notification.delivery)
                    .bind(&entry.channel)
                    .bind(entry.notification.kind.as_str())
                    .bind(&entry.notification.issue)
                    .bind(&entry.notification.project)
                    .bind(&entry.notification.stage)
                    .bind(serde_json::to_string(&entry.notification).unwrap_or_default())
                    .bind("pending")
                    .bind(0_i64)
                    .bind(to_ms(now))
                    .bind(to_ms(now));
            }
            self.write(statement).await?;
        }
        Ok(())
    }

    /// Brings an existing record up to date (retraction, reinstatement, a
    /// moved deadline, a late `met_at`, a renumbered cycle).
    pub async fn update_breach(&mut self, id: i64, change: &BreachRecord) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE breaches SET project = $1, cycle = $2, deadline_ms = $3, met_ms = $4, retracted_ms = $5, \
             escalation_step = $6 WHERE id = $7",
        )
        .bind(&change.project)
        .bind(change.cycle)
        .bind(to_ms(change.deadline))
        .bind(change.met_at.map(to_ms))
        .bind(change.retracted_at.map(to_ms))
        .bind(change.escalation_step)
        .bind(id);
        self.write(statement).await
    }
}

/// `query` with `params` bound in order.
fn bound<'q>(
    mut query: sqlx::query::Query<'q, Any, AnyArguments<'q>>,
    params: Vec<Param>,
) -> sqlx::query::Query<'q, Any, AnyArguments<'q>> {
    for param in params {
        query = match param {
            Param::Text(value) => query.bind(value),
            Param::Int(value) => query.bind(value),
        };
    }
    query
}
