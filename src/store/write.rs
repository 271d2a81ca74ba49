//! The write transaction: few statements per commit, each covering a whole
//! batch, because every statement costs a round trip to the driver.

use super::rows::{status_str, BreachRow, IssueRow, BREACH_COLUMNS, ISSUE_COLUMNS};
use super::{get, placeholders, to_ms, value_rows, Backend, Store, StoreResult};
use crate::domain::event::Event;
use crate::domain::Timestamp;
use crate::engine::notices::OutboxEntry;
use sqlx::{Any, Transaction};
use std::collections::HashMap;

/// Rows per multi-row statement, well under both databases' bind limits.
pub(super) const CHUNK_ROWS: usize = 500;

/// One write transaction. Dropping it without `commit` rolls back.
pub struct WriteTx {
    pub(super) tx: Transaction<'static, Any>,
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

impl Store {
    pub async fn begin(&self) -> StoreResult<WriteTx> {
        Ok(WriteTx {
            tx: self.pool.begin_with(self.backend.begin_write()).await?,
            backend: self.backend,
        })
    }
}

impl WriteTx {
    /// The transaction's connection, for statements of sibling modules.
    pub(super) fn connection(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
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
        let mut found = HashMap::new();
        for chunk in ids.chunks(CHUNK_ROWS * 4) {
            let sql = format!(
                "SELECT id, content FROM events WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                found.insert(get(&row, "id")?, get(&row, "content")?);
            }
        }
        Ok(found)
    }

    /// The current rows of these issues.
    pub async fn issue_rows(&mut self, issues: &[String]) -> StoreResult<HashMap<String, IssueRow>> {
        let mut found = HashMap::new();
        for chunk in issues.chunks(CHUNK_ROWS * 4) {
            let sql = format!(
                "SELECT {ISSUE_COLUMNS} FROM issues WHERE issue IN ({})",
                placeholders(1, chunk.len())
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for issue in chunk {
                query = query.bind(issue);
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                let issue = IssueRow::from_row(&row)?;
                found.insert(issue.issue.clone(), issue);
            }
        }
        Ok(found)
    }

    /// Appends events with their canonical content; returns each one's
    /// arrival number by id.
    pub async fn insert_events(&mut self, events: &[(&Event, &str)]) -> StoreResult<HashMap<String, i64>> {
        let mut arrivals = HashMap::with_capacity(events.len());
        for chunk in events.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO events (id, issue, kind, at_ms, received_ms, source, content) VALUES {} \
                 RETURNING id, arrival",
                value_rows(chunk.len(), 7)
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for (event, content) in chunk {
                query = query
                    .bind(&event.id)
                    .bind(&event.issue)
                    .bind(event.kind.as_str())
                    .bind(to_ms(event.at))
                    .bind(to_ms(event.received_at))
                    .bind(&event.source)
                    .bind(*content);
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                arrivals.insert(get(&row, "id")?, get(&row, "arrival")?);
            }
        }
        Ok(arrivals)
    }

    /// Every stored event of these issues (including this transaction's).
    pub async fn events_of(&mut self, issues: &[String]) -> StoreResult<HashMap<String, Vec<Event>>> {
        let mut events: HashMap<String, Vec<Event>> = HashMap::new();
        for chunk in issues.chunks(CHUNK_ROWS * 4) {
            let sql = format!(
                "SELECT issue, arrival, at_ms, received_ms, source, content FROM events WHERE issue IN ({})",
                placeholders(1, chunk.len())
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for issue in chunk {
                query = query.bind(issue);
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                let event = super::read::event_from_row(&row)?;
                events.entry(get(&row, "issue")?).or_default().push(event);
            }
        }
        Ok(events)
    }

    pub async fn next_seqs(&mut self, count: usize) -> StoreResult<Vec<i64>> {
        self.backend.next_seqs(&mut self.tx, count).await
    }

    /// Writes the derived rows of these issues: `issues` and `stages`.
    /// `is_new` tells which issues had no row before, so have no stage rows to replace.
    pub async fn save_issues(
        &mut self,
        rows: &[IssueRow],
        is_new: &(dyn Fn(&str) -> bool + Sync),
    ) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO issues ({ISSUE_COLUMNS}) VALUES {} ON CONFLICT (issue) DO UPDATE SET \
                 project = excluded.project, priority = excluded.priority, title = excluded.title, \
                 policy = excluded.policy, status = excluded.status, cycle = excluded.cycle, \
                 cycle_start_ms = excluded.cycle_start_ms, raised_ms = excluded.raised_ms, \
                 closed_ms = excluded.closed_ms, resolution = excluded.resolution, \
                 updated_ms = excluded.updated_ms, next_due_ms = excluded.next_due_ms, stages = excluded.stages",
                value_rows(chunk.len(), 16)
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(&row.issue)
                    .bind(row.seq)
                    .bind(&row.project)
                    .bind(&row.priority)
                    .bind(&row.title)
                    .bind(&row.policy)
                    .bind(status_str(row.status))
                    .bind(row.cycle)
                    .bind(row.cycle_start.map(to_ms))
                    .bind(row.raised_at.map(to_ms))
                    .bind(row.closed_at.map(to_ms))
                    .bind(row.resolution.map(|r| r.as_str()))
                    .bind(to_ms(row.first_seen))
                    .bind(to_ms(row.updated))
                    .bind(row.next_due.map(to_ms))
                    .bind(serde_json::to_string(&row.stages).unwrap_or_else(|_| "[]".into()));
            }
            query.execute(&mut *self.tx).await?;

            let keys: Vec<&String> = chunk
                .iter()
                .map(|row| &row.issue)
                .filter(|key| !is_new(key))
                .collect();
            if !keys.is_empty() {
                let sql = format!(
                    "DELETE FROM stages WHERE issue IN ({})",
                    placeholders(1, keys.len())
                );
                let sql = self.backend.positional(&sql);
                let mut query = sqlx::query(&sql);
                for key in &keys {
                    query = query.bind(*key);
                }
                query.execute(&mut *self.tx).await?;
            }

            let stage_rows: Vec<_> = chunk
                .iter()
                .flat_map(|row| row.stages.iter().map(move |stage| (row, stage)))
                .collect();
            for stage_chunk in stage_rows.chunks(CHUNK_ROWS) {
                let sql = format!(
                    "INSERT INTO stages (issue, stage, project, open, outcome, deadline_ms, at_risk_ms) VALUES {}",
                    value_rows(stage_chunk.len(), 7)
                );
                let sql = self.backend.positional(&sql);
                let mut query = sqlx::query(&sql);
                for (row, stage) in stage_chunk {
                    let open = matches!(
                        row.status,
                        crate::domain::issue::IssueStatus::Open | crate::domain::issue::IssueStatus::Paused
                    );
                    query = query
                        .bind(&row.issue)
                        .bind(stage.stage.as_str())
                        .bind(&row.project)
                        .bind(i64::from(open))
                        .bind(stage.outcome())
                        .bind(stage.deadline)
                        .bind(stage.at_risk);
                }
                query.execute(&mut *self.tx).await?;
            }
        }
        Ok(())
    }

    /// Every breach record of these issues, retracted or not.
    pub async fn breaches_of(&mut self, issues: &[String]) -> StoreResult<Vec<BreachRow>> {
        let mut found = Vec::new();
        for chunk in issues.chunks(CHUNK_ROWS * 4) {
            let sql = format!(
                "SELECT {BREACH_COLUMNS} FROM breaches b WHERE b.issue IN ({})",
                placeholders(1, chunk.len())
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for issue in chunk {
                query = query.bind(issue);
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                found.push(BreachRow::from_row(&row, false)?);
            }
        }
        Ok(found)
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
