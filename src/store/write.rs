//! The write transaction: few statements per commit, each covering a whole
//! batch, because every statement costs a round trip to the driver.

use super::dialect::SqlType;
use super::rows::{BreachRow, IssueRow, IssueValues, BREACH_COLUMNS, ISSUE_COLUMNS, STAGE_COLUMNS};
use super::{get, json_param, to_ms, value_rows, Backend, Store, StoreResult};
use crate::domain::event::Event;
use crate::domain::Timestamp;
use crate::engine::notices::OutboxEntry;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Connection, Executor, Transaction};
use std::collections::HashMap;

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

/// One write transaction. Dropping it without `commit` rolls back.
pub struct WriteTx<'c> {
    pub(super) tx: Transaction<'c, Any>,
    pub(super) backend: Backend,
}

/// A breach record to insert or to bring up to date.
#[derive(Debug, Clone)]
pub struct BreachChange {
    pub issue: String,
    pub project: Option<String>,
    pub stage: &'static str,
    pub cycle_start: Timestamp,
    pub cycle: i64,
    pub deadline: Timestamp,
    pub met_at: Option<Timestamp>,
    pub detected_at: Timestamp,
    pub detected_late: bool,
    pub retracted_at: Option<Timestamp>,
    pub escalation_step: i64,
}

impl BreachChange {
    /// The record as it stands.
    pub fn from_row(row: &BreachRow) -> Self {
        BreachChange {
            issue: row.issue.clone(),
            project: row.project.clone(),
            stage: row.stage.as_str(),
            cycle_start: row.cycle_start,
            cycle: row.cycle,
            deadline: row.deadline,
            met_at: row.met_at,
            detected_at: row.detected_at,
            detected_late: row.detected_late,
            retracted_at: row.retracted_at,
            escalation_step: row.escalation_step,
        }
    }
}

/// The writer's own connection, outside the pool: its statement cache stays
/// warm for the writer's few statement texts, and it gets a larger page
/// cache than the readers need.
pub struct WriterConnection {
    connection: AnyConnection,
    backend: Backend,
}

impl Store {
    /// Opens the writer's connection.
    pub async fn writer_connection(&self) -> StoreResult<WriterConnection> {
        let mut connection = AnyConnection::connect(&self.url).await?;
        for pragma in self
            .backend
            .session_setup()
            .iter()
            .chain(self.backend.writer_setup())
        {
            connection.execute(*pragma).await?;
        }
        Ok(WriterConnection {
            connection,
            backend: self.backend,
        })
    }
}

impl WriterConnection {
    pub async fn begin(&mut self) -> StoreResult<WriteTx<'_>> {
        let backend = self.backend;
        Ok(WriteTx {
            tx: self.connection.begin_with(backend.begin_write()).await?,
            backend,
        })
    }

    /// Closes the connection (after an error that may have broken it).
    pub async fn close(self) {
        let _ = self.connection.close().await;
    }
}

impl Store {
    /// A write transaction on a pooled connection, for writes outside the
    /// writer (daily digests, delivery results).
    pub async fn begin(&self) -> StoreResult<WriteTx<'static>> {
        Ok(WriteTx {
            tx: self.pool.begin_with(self.backend.begin_write()).await?,
            backend: self.backend,
        })
    }
}

impl WriteTx<'_> {
    /// The transaction's connection, for statements of sibling modules.
    pub(super) fn connection(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Runs `sql` (placeholders written `$n`) with `values` as its one
    /// JSON parameter, and returns its rows.
    pub(super) async fn fetch_json<T: serde::Serialize + ?Sized>(
        &mut self,
        sql: &str,
        values: &T,
    ) -> StoreResult<Vec<AnyRow>> {
        let sql = self.backend.positional(sql);
        Ok(sqlx::query(&sql)
            .bind(json_param(values))
            .fetch_all(&mut *self.tx)
            .await?)
    }

    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Serializes concurrent writers of these issues (PostgreSQL replicas).
    pub async fn lock_issues(&mut self, issues: &[String]) -> StoreResult<()> {
        self.backend.lock_issues(&mut self.tx, issues).await
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
            "SELECT {ISSUE_COLUMNS} FROM issues WHERE issue IN ({})",
            self.backend.json_list(1)
        );
        let mut found = HashMap::new();
        for row in self.fetch_json(&sql, issues).await? {
            let issue = IssueRow::from_row(&row)?;
            found.insert(issue.issue.clone(), issue);
        }
        Ok(found)
    }

    /// Appends events with their canonical content and their issue's
    /// number; returns each one's arrival number by id.
    pub async fn insert_events(
        &mut self,
        events: &[(&Event, &str, i64)],
    ) -> StoreResult<HashMap<String, i64>> {
        const COLUMNS: &str = "id, issue, issue_seq, kind, at_ms, received_ms, source, content";
        let rows = self.backend.json_rows(1, &typed(COLUMNS));
        let sql = format!(
            "{} INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM {} ORDER BY n RETURNING id, arrival",
            rows.with, rows.from
        );
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
        let mut arrivals = HashMap::with_capacity(events.len());
        for row in self.fetch_json(&sql, &rows).await? {
            arrivals.insert(get(&row, "id")?, get(&row, "arrival")?);
        }
        Ok(arrivals)
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

    pub async fn next_seqs(&mut self, count: usize) -> StoreResult<Vec<i64>> {
        self.backend.next_seqs(&mut self.tx, count).await
    }

    /// Writes the derived rows of these issues, stage columns included.
    pub async fn save_issues(&mut self, rows: &[IssueRow]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let columns = format!("{ISSUE_COLUMNS}, {STAGE_COLUMNS}");
        // Everything but the key, the number and the first sighting.
        let updates = typed(&columns)
            .iter()
            .filter(|(name, _)| !matches!(*name, "issue" | "seq" | "first_seen_ms"))
            .map(|(name, _)| format!("{name} = excluded.{name}"))
            .collect::<Vec<_>>()
            .join(", ");
        let source = self.backend.json_rows(1, &typed(&columns));
        let sql = format!(
            "{} INSERT INTO issues ({columns}) SELECT {columns} FROM {} WHERE true \
             ON CONFLICT (issue) DO UPDATE SET {updates}",
            source.with, source.from
        );
        let sql = self.backend.positional(&sql);
        let values: Vec<_> = rows.iter().map(IssueValues).collect();
        sqlx::query(&sql)
            .bind(json_param(&values))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
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
    pub async fn insert_breaches(&mut self, breaches: &[BreachChange]) -> StoreResult<()> {
        for chunk in breaches.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO breaches (issue, project, stage, cycle_start_ms, cycle, deadline_ms, met_ms, \
                 detected_ms, detected_late, retracted_ms, escalation_step) VALUES {} \
                 ON CONFLICT (issue, stage, cycle_start_ms) DO NOTHING",
                value_rows(chunk.len(), 11)
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for breach in chunk {
                query = query
                    .bind(&breach.issue)
                    .bind(&breach.project)
                    .bind(breach.stage)
                    .bind(to_ms(breach.cycle_start))
                    .bind(breach.cycle)
                    .bind(to_ms(breach.deadline))
                    .bind(breach.met_at.map(to_ms))
                    .bind(to_ms(breach.detected_at))
                    .bind(i64::from(breach.detected_late))
                    .bind(breach.retracted_at.map(to_ms))
                    .bind(breach.escalation_step);
            }
            query.execute(&mut *self.tx).await?;
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
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for entry in chunk {
                query = query
                    .bind(&entry.delivery)
                    .bind(&entry.channel)
                    .bind(&entry.facts.kind)
                    .bind(&entry.facts.issue)
                    .bind(&entry.facts.project)
                    .bind(&entry.facts.stage)
                    .bind(serde_json::to_string(&entry.facts).unwrap_or_default())
                    .bind("pending")
                    .bind(0_i64)
                    .bind(to_ms(now))
                    .bind(to_ms(now));
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Brings an existing record up to date (retraction, reinstatement, a
    /// moved deadline, a late `met_at`, a renumbered cycle).
    pub async fn update_breach(&mut self, id: i64, change: &BreachChange) -> StoreResult<()> {
        sqlx::query(
            "UPDATE breaches SET project = $1, cycle = $2, deadline_ms = $3, met_ms = $4, retracted_ms = $5, \
             escalation_step = $6 WHERE id = $7",
        )
        .bind(&change.project)
        .bind(change.cycle)
        .bind(to_ms(change.deadline))
        .bind(change.met_at.map(to_ms))
        .bind(change.retracted_at.map(to_ms))
        .bind(change.escalation_step)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
