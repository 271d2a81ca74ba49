//! The write transaction. Each read covers a whole batch. Rows are written
//! by one statement per batch where a statement is a round trip (PostgreSQL,
//! pooled connections) and by prepared multi-row statements on the writer's
//! own SQLite connection, where a statement is a function call (see
//! `store::native`). Every statement goes through [`WriteTx::fetch`], and
//! every one runs where `store::session` sends it.

use super::chat::ChatIndexTx;
use super::dialect::SqlType;
use super::rows::{
    BreachRow, IssueRow, IssueValues, BOARD_COLUMNS, BREACH_COLUMNS, ISSUE_COLUMNS, STAGE_COLUMNS,
};
use super::session::{WriteSession, WriterDriver};
use super::sql::Statement;
use super::Row;
use super::{get, to_ms, value_rows, Backend, Store, StoreResult};
use crate::domain::breach::BreachRecord;
use crate::domain::event::Event;
use crate::domain::notice::OutboxEntry;
use crate::domain::Timestamp;
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

/// One write transaction. Dropping it without `commit` rolls back: at once
/// on a pooled connection, at the writer's next `begin` (or `abandon`) on
/// the writer's.
pub struct WriteTx<'c> {
    session: WriteSession<'c>,
    pub(super) backend: Backend,
}

/// The writer's own connection, outside the pool: its statement cache stays
/// warm for the writer's few statement texts, and it gets a larger page
/// cache than the readers need. On SQLite it is driven directly on the
/// writer's thread (see `store::native`).
pub struct WriterConnection {
    driver: WriterDriver,
    backend: Backend,
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
        Ok(WriterConnection {
            driver: WriterDriver::open(self.backend, &self.url, &setup).await?,
            backend: self.backend,
        })
    }
}

impl WriterConnection {
    /// Begins a transaction, after rolling back one left open.
    pub async fn begin(&mut self) -> StoreResult<WriteTx<'_>> {
        let backend = self.backend;
        Ok(WriteTx {
            session: self.driver.begin(backend.begin_write()).await?,
            backend,
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

    /// Rolls back a transaction left open by an error.
    pub async fn abandon(&mut self) {
        self.driver.abandon().await;
    }

    /// Closes the connection (after an error that may have broken it).
    pub async fn close(self) {
        self.driver.close().await;
    }
}

impl Store {
    /// A write transaction on a pooled connection, for writes outside the
    /// writer (daily digests, delivery results).
    pub async fn begin(&self) -> StoreResult<WriteTx<'static>> {
        let tx = self.pool.begin_with(self.backend.begin_write()).await?;
        Ok(WriteTx {
            session: WriteSession::pooled(tx),
            backend: self.backend,
        })
    }
}

impl<'c> WriteTx<'c> {
    /// Runs one statement and returns its rows: every statement of a
    /// transaction goes through here.
    pub(super) async fn fetch(&mut self, statement: Statement) -> StoreResult<Vec<Row>> {
        self.session.fetch(self.backend, &statement).await
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

    /// Commits; on the writer's SQLite connection the chat index then
    /// takes in what this transaction changed.
    pub async fn commit(self) -> StoreResult<()> {
        self.session.commit().await
    }

    /// The writer's chat index as this transaction sees it (SQLite's
    /// writer only).
    pub(super) fn chat_index(&mut self) -> Option<&mut ChatIndexTx<'c>> {
        self.session.chat_index()
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

    /// Inserts `rows`, each a tuple of the values of `columns` in order,
    /// in that order; `conflict` is the statement's `ON CONFLICT` clause, if
    /// any. The writer's SQLite connection binds the values to prepared
    /// multi-row statements (no hand-off to pay for, and no JSON to write
    /// or parse); elsewhere one statement reads them all from one JSON
    /// parameter.
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
        self.session
            .insert_rows(self.backend, table, columns, conflict, rows)
            .await
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
        if let Some(chat) = self.chat_index() {
            chat.stage_issue_rows(rows);
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
