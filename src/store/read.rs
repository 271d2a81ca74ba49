//! Reads for the HTTP API and the timer.

use super::dialect::BOUND_KEY;
use super::rows::{BreachRow, IssueRow, BREACH_COLUMNS, ISSUE_COLUMNS};
use super::sql::{Param, Statement};
use super::Columns;
use super::{from_ms, get, to_ms, Store, StoreResult};
use crate::domain::event::Event;
use crate::domain::issue::{IssueStatus, StageState};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;

mod counts;

pub use counts::{ProjectCounts, StageCounts};

/// Rebuilds an event from an `events` row.
pub(super) fn event_from_row(row: &impl Columns) -> StoreResult<Event> {
    let content: String = get(row, "content")?;
    Event::from_content(
        &content,
        from_ms(get(row, "at_ms")?),
        get(row, "arrival")?,
        get(row, "source")?,
        from_ms(get(row, "received_ms")?),
    )
    .map_err(|e| super::StoreError::Other(format!("stored event cannot be read: {}", e.message)))
}

/// Filters of `GET /v1/issues`.
#[derive(Debug, Clone, Default)]
pub struct IssueFilter {
    pub project: Option<String>,
    pub status: Option<IssueStatus>,
    pub stage: Option<Stage>,
    pub stage_state: Option<StageState>,
    /// On the time the issue was raised (or first seen, while unraised).
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Only the issue with this number.
    pub seq: Option<i64>,
    /// Only issues with `seq` below this (the cursor).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Filters of `GET /v1/breaches`.
#[derive(Debug, Clone, Default)]
pub struct BreachFilter {
    pub project: Option<String>,
    pub stage: Option<Stage>,
    /// On the deadline that was missed.
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub include_retracted: bool,
    /// Only records with `id` below this (the cursor).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A chat messages came from, with when they arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSeen {
    pub platform: String,
    pub chat_id: String,
    pub first_received: Timestamp,
    pub last_received: Timestamp,
    pub messages: i64,
}

/// Whether settled stages (met, met late, breached at close, waived) count.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    Included,
    Excluded,
}

/// SQL `CASE` on `issues i`: 1 when `stage` is in `state` at the bound
/// instant (a `?` per [`now_binds`]), else 0. The outcome is tested once,
/// before the clock: a gauge refresh runs this for every open issue, and
/// the nested form took a third less time than `outcome = … AND …` terms.
/// With `Settled::Excluded` only unsettled stages count (the live counts).
pub(super) fn stage_in_state(stage: Stage, state: StageState, settled: Settled) -> String {
    let p = stage.as_str();
    let (r, d) = (format!("i.{p}_at_risk_ms"), format!("i.{p}_deadline_ms"));
    let (running, outcomes): (Option<String>, &[&str]) = match state {
        StageState::Pending => (Some(format!("{r} > ?")), &["paused"]),
        StageState::AtRisk => (Some(format!("{r} <= ? AND {d} >= ?")), &["paused_at_risk"]),
        StageState::Breached => (Some(format!("{d} < ?")), &["met_late", "breached"]),
        StageState::Met => (None, &["met"]),
        StageState::Waived => (None, &["waived"]),
    };
    let mut arms = String::new();
    if let Some(running) = running {
        arms.push_str(&format!(
            " WHEN 'running' THEN CASE WHEN {running} THEN 1 ELSE 0 END"
        ));
    }
    for outcome in outcomes {
        let unsettled = matches!(*outcome, "paused" | "paused_at_risk");
        if unsettled || settled == Settled::Included {
            arms.push_str(&format!(" WHEN '{outcome}' THEN 1"));
        }
    }
    if arms.is_empty() {
        // A settled state with settled stages excluded: nothing is in it.
        return "0".into();
    }
    format!("CASE i.{p}_outcome{arms} ELSE 0 END")
}

/// The bound instant, once for each `?` of [`stage_in_state`] in `state`.
pub(super) fn now_binds(state: StageState, now: Timestamp) -> Vec<Param> {
    let count = match state {
        StageState::AtRisk => 2,
        StageState::Pending | StageState::Breached => 1,
        StageState::Met | StageState::Waived => 0,
    };
    (0..count).map(|_| Param::from(to_ms(now))).collect()
}

impl Store {
    /// One issue's row.
    pub async fn issue(&self, issue: &str) -> StoreResult<Option<IssueRow>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM {BOUND_KEY} JOIN issues ON {}",
            self.backend.issue_key_is("issues.issue", "q.wanted")
        );
        let row = Statement::new(sql).bind(issue).fetch_optional(self).await?;
        row.map(|row| IssueRow::from_row(&row)).transpose()
    }

    /// The issue numbered `seq`.
    pub async fn issue_by_seq(&self, seq: i64) -> StoreResult<Option<IssueRow>> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE seq = $1");
        let row = Statement::new(sql).bind(seq).fetch_optional(self).await?;
        row.map(|row| IssueRow::from_row(&row)).transpose()
    }

    /// An issue's events in timeline order.
    pub async fn timeline(&self, issue: &str) -> StoreResult<Vec<Event>> {
        let sql = format!(
            "SELECT arrival, at_ms, received_ms, source, content FROM events \
             WHERE issue_seq = (SELECT i.seq FROM {BOUND_KEY} JOIN issues i ON {}) ORDER BY at_ms, arrival",
            self.backend.issue_key_is("i.issue", "q.wanted")
        );
        let rows = Statement::new(sql).bind(issue).fetch_all(self).await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Issues matching `filter`, newest (highest `seq`) first.
    pub async fn list_issues(&self, filter: &IssueFilter, now: Timestamp) -> StoreResult<Vec<IssueRow>> {
        let mut sql = Statement::new(format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE 1 = 1"));
        if let Some(project) = &filter.project {
            sql.push(" AND i.project = ?", [Param::from(project.clone())]);
        }
        if let Some(status) = filter.status {
            sql.push(
                " AND i.status = ?",
                [Param::from(super::rows::status_str(status))],
            );
        }
        if let Some(since) = filter.since {
            sql.push(
                " AND COALESCE(i.raised_ms, i.first_seen_ms) >= ?",
                [Param::from(to_ms(since))],
            );
        }
        if let Some(until) = filter.until {
            sql.push(
                " AND COALESCE(i.raised_ms, i.first_seen_ms) < ?",
                [Param::from(to_ms(until))],
            );
        }
        match (filter.stage, filter.stage_state) {
            (None, None) => {}
            // The issue has a current cycle, so a clock for every stage.
            (Some(stage), None) => sql.push(&format!(" AND i.{}_outcome IS NOT NULL", stage.as_str()), []),
            (stage, Some(state)) => {
                let stages = stage.map_or(Stage::ALL.to_vec(), |stage| vec![stage]);
                sql.push(" AND (", []);
                for (n, stage) in stages.into_iter().enumerate() {
                    if n > 0 {
                        sql.push(" OR ", []);
                    }
                    let condition = stage_in_state(stage, state, Settled::Included);
                    sql.push(&format!("{condition} = 1"), now_binds(state, now));
                }
                sql.push(")", []);
            }
        }
        if let Some(seq) = filter.seq {
            sql.push(" AND i.seq = ?", [Param::from(seq)]);
        }
        if let Some(before) = filter.before_seq {
            sql.push(" AND i.seq < ?", [Param::from(before)]);
        }
        sql.push(" ORDER BY i.seq DESC LIMIT ?", [Param::from(filter.limit)]);
        sql.fetch_all(self)
            .await?
            .iter()
            .map(IssueRow::from_row)
            .collect()
    }

    /// Breach records matching `filter`, newest first.
    pub async fn list_breaches(&self, filter: &BreachFilter) -> StoreResult<Vec<BreachRow>> {
        let mut sql = Statement::new(format!(
            "SELECT {BREACH_COLUMNS}, i.seq FROM breaches b LEFT JOIN issues i ON {} WHERE 1 = 1",
            self.backend.issue_key_is("i.issue", "b.issue")
        ));
        if let Some(project) = &filter.project {
            sql.push(" AND b.project = ?", [Param::from(project.clone())]);
        }
        if let Some(stage) = filter.stage {
            sql.push(" AND b.stage = ?", [Param::from(stage.as_str())]);
        }
        if let Some(since) = filter.since {
            sql.push(" AND b.deadline_ms >= ?", [Param::from(to_ms(since))]);
        }
        if let Some(until) = filter.until {
            sql.push(" AND b.deadline_ms < ?", [Param::from(to_ms(until))]);
        }
        if !filter.include_retracted {
            sql.push(" AND b.retracted_ms IS NULL", []);
        }
        if let Some(before) = filter.before_id {
            sql.push(" AND b.id < ?", [Param::from(before)]);
        }
        sql.push(" ORDER BY b.id DESC LIMIT ?", [Param::from(filter.limit)]);
        sql.fetch_all(self)
            .await?
            .iter()
            .map(|row| BreachRow::from_row(row, true))
            .collect()
    }

    /// Every chat with stored messages: one pass over the messages, for
    /// the operator's list of chats (not a hot path).
    pub async fn chats_seen(&self) -> StoreResult<Vec<ChatSeen>> {
        let rows = Statement::new(
            "SELECT platform, chat_id, MIN(received_ms) AS first_ms, MAX(received_ms) AS last_ms, \
             COUNT(*) AS messages FROM messages GROUP BY platform, chat_id ORDER BY platform, chat_id",
        )
        .fetch_all(self)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ChatSeen {
                    platform: get(row, "platform")?,
                    chat_id: get(row, "chat_id")?,
                    first_received: from_ms(get(row, "first_ms")?),
                    last_received: from_ms(get(row, "last_ms")?),
                    messages: get(row, "messages")?,
                })
            })
            .collect()
    }

    /// Projects that have issues, configured or not.
    pub async fn projects_seen(&self) -> StoreResult<Vec<String>> {
        let rows =
            Statement::new("SELECT DISTINCT project FROM issues WHERE project IS NOT NULL ORDER BY project")
                .fetch_all(self)
                .await?;
        rows.iter().map(|row| get(row, "project")).collect()
    }

    /// Issues whose next visit is due at `now`, earliest first.
    pub async fn due_issues(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<String>> {
        let rows = Statement::new(
            "SELECT issue FROM issues WHERE next_due_ms IS NOT NULL AND next_due_ms <= $1 \
             ORDER BY next_due_ms LIMIT $2",
        )
        .bind(to_ms(now))
        .bind(limit)
        .fetch_all(self)
        .await?;
        rows.iter().map(|row| get(row, "issue")).collect()
    }

    /// The earliest next visit of any issue.
    pub async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        let next: Option<i64> =
            Statement::new("SELECT MIN(next_due_ms) AS next FROM issues WHERE next_due_ms IS NOT NULL")
                .fetch_value(self, "next")
                .await?;
        Ok(next.map(from_ms))
    }
}

#[cfg(test)]
mod tests;
