//! Reads for the HTTP API and the timer.

use super::rows::{BreachRow, IssueRow, BREACH_COLUMNS, ISSUE_COLUMNS};
use super::Columns;
use super::{from_ms, get, to_ms, Store, StoreResult};
use crate::domain::event::Event;
use crate::domain::issue::{IssueStatus, StageState};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use sqlx::any::AnyRow;

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

/// Live counts of a project's open stages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectCounts {
    pub project: String,
    pub open_issues: i64,
    pub open_stages: i64,
    pub at_risk: i64,
    pub breached: i64,
}

/// Open stages of one project and stage by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageCounts {
    pub project: String,
    pub stage: String,
    pub pending: i64,
    pub at_risk: i64,
    pub breached: i64,
}

/// A statement assembled from optional filters, numbering its own placeholders.
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Sql {
    fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    /// Appends `fragment`, where each `?` becomes the next `$n` bound to a value.
    fn push(&mut self, fragment: &str, values: Vec<Bind>) {
        let mut values = values.into_iter();
        for piece in fragment.split_inclusive('?') {
            match piece.strip_suffix('?') {
                Some(before) => {
                    self.text.push_str(before);
                    self.binds.push(values.next().expect("one value per placeholder"));
                    self.text.push_str(&format!("${}", self.binds.len()));
                }
                None => self.text.push_str(piece),
            }
        }
    }

    async fn fetch_all(self, store: &Store) -> StoreResult<Vec<AnyRow>> {
        let text = store.backend.positional(&self.text);
        let mut query = sqlx::query(&text);
        for bind in self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Int(number) => query.bind(number),
            };
        }
        Ok(query.fetch_all(store.pool()).await?)
    }
}

/// Unsettled stages of open issues, one row per stage with the columns
/// `seq, project, stage, outcome, at_risk_ms, deadline_ms`: the live counts.
/// Each arm's WHERE is word for word that of its stage's partial covering
/// index (migration 0004), so each arm reads that index only.
fn live_stages() -> String {
    Stage::ALL
        .iter()
        .map(|stage| {
            let p = stage.as_str();
            format!(
                "SELECT seq, project, '{p}' AS stage, {p}_outcome AS outcome, {p}_at_risk_ms AS at_risk_ms, \
                 {p}_deadline_ms AS deadline_ms FROM issues WHERE {}",
                live_stage(*stage)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The condition of `stage` being unsettled in an open issue: word for word
/// the WHERE of its partial covering index `issues_{stage}_live`.
fn live_stage(stage: Stage) -> String {
    let p = stage.as_str();
    format!("status IN ('open', 'paused') AND {p}_outcome IN ('running', 'paused', 'paused_at_risk')")
}

/// The columns of one stage's clock: on the `live_stages` relation `s`, or
/// on `issues i` for `Some(stage)`.
struct StageColumns {
    outcome: String,
    at_risk: String,
    deadline: String,
}

impl StageColumns {
    fn of(stage: Option<Stage>) -> Self {
        match stage {
            None => StageColumns {
                outcome: "s.outcome".into(),
                at_risk: "s.at_risk_ms".into(),
                deadline: "s.deadline_ms".into(),
            },
            Some(stage) => {
                let p = stage.as_str();
                StageColumns {
                    outcome: format!("i.{p}_outcome"),
                    at_risk: format!("i.{p}_at_risk_ms"),
                    deadline: format!("i.{p}_deadline_ms"),
                }
            }
        }
    }
}

/// SQL condition for a stage (its columns `c`) being in `state` at the bound instant.
fn stage_state_condition(state: StageState, c: &StageColumns) -> String {
    let (o, r, d) = (&c.outcome, &c.at_risk, &c.deadline);
    match state {
        StageState::Pending => format!("(({o} = 'running' AND {r} > ?) OR {o} = 'paused')"),
        StageState::AtRisk => {
            format!("(({o} = 'running' AND {r} <= ? AND {d} >= ?) OR {o} = 'paused_at_risk')")
        }
        StageState::Breached => format!("({o} IN ('met_late', 'breached') OR ({o} = 'running' AND {d} < ?))"),
        StageState::Met => format!("{o} = 'met'"),
        StageState::Waived => format!("{o} = 'waived'"),
    }
}

fn now_binds(state: StageState, now: Timestamp) -> Vec<Bind> {
    let count = match state {
        StageState::AtRisk => 2,
        StageState::Pending | StageState::Breached => 1,
        StageState::Met | StageState::Waived => 0,
    };
    (0..count).map(|_| Bind::Int(to_ms(now))).collect()
}

impl Store {
    /// One issue's row.
    pub async fn issue(&self, issue: &str) -> StoreResult<Option<IssueRow>> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE issue = $1");
        let row = sqlx::query(&sql).bind(issue).fetch_optional(self.pool()).await?;
        row.map(|row| IssueRow::from_row(&row)).transpose()
    }

    /// An issue's events in timeline order.
    pub async fn timeline(&self, issue: &str) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT arrival, at_ms, received_ms, source, content FROM events \
             WHERE issue_seq = (SELECT seq FROM issues WHERE issue = $1) ORDER BY at_ms, arrival",
        )
        .bind(issue)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Issues matching `filter`, newest (highest `seq`) first.
    pub async fn list_issues(&self, filter: &IssueFilter, now: Timestamp) -> StoreResult<Vec<IssueRow>> {
        let mut sql = Sql::new(format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE 1 = 1"));
        if let Some(project) = &filter.project {
            sql.push(" AND i.project = ?", vec![Bind::Text(project.clone())]);
        }
        if let Some(status) = filter.status {
            sql.push(
                " AND i.status = ?",
                vec![Bind::Text(super::rows::status_str(status).into())],
            );
        }
        if let Some(since) = filter.since {
            sql.push(
                " AND COALESCE(i.raised_ms, i.first_seen_ms) >= ?",
                vec![Bind::Int(to_ms(since))],
            );
        }
        if let Some(until) = filter.until {
            sql.push(
                " AND COALESCE(i.raised_ms, i.first_seen_ms) < ?",
                vec![Bind::Int(to_ms(until))],
            );
        }
        match (filter.stage, filter.stage_state) {
            (None, None) => {}
            // The issue has a current cycle, so a clock for every stage.
            (Some(stage), None) => {
                sql.push(&format!(" AND i.{}_outcome IS NOT NULL", stage.as_str()), vec![])
            }
            (stage, Some(state)) => {
                let stages = stage.map_or(Stage::ALL.to_vec(), |stage| vec![stage]);
                sql.push(" AND (", vec![]);
                for (n, stage) in stages.into_iter().enumerate() {
                    if n > 0 {
                        sql.push(" OR ", vec![]);
                    }
                    let condition = stage_state_condition(state, &StageColumns::of(Some(stage)));
                    sql.push(&condition, now_binds(state, now));
                }
                sql.push(")", vec![]);
            }
        }
        if let Some(before) = filter.before_seq {
            sql.push(" AND i.seq < ?", vec![Bind::Int(before)]);
        }
        sql.push(" ORDER BY i.seq DESC LIMIT ?", vec![Bind::Int(filter.limit)]);
        sql.fetch_all(self)
            .await?
            .iter()
            .map(IssueRow::from_row)
            .collect()
    }

    /// Breach records matching `filter`, newest first.
    pub async fn list_breaches(&self, filter: &BreachFilter) -> StoreResult<Vec<BreachRow>> {
        let mut sql = Sql::new(format!(
            "SELECT {BREACH_COLUMNS}, i.seq FROM breaches b LEFT JOIN issues i ON i.issue = b.issue WHERE 1 = 1"
        ));
        if let Some(project) = &filter.project {
            sql.push(" AND b.project = ?", vec![Bind::Text(project.clone())]);
        }
        if let Some(stage) = filter.stage {
            sql.push(" AND b.stage = ?", vec![Bind::Text(stage.as_str().into())]);
        }
        if let Some(since) = filter.since {
            sql.push(" AND b.deadline_ms >= ?", vec![Bind::Int(to_ms(since))]);
        }
        if let Some(until) = filter.until {
            sql.push(" AND b.deadline_ms < ?", vec![Bind::Int(to_ms(until))]);
        }
        if !filter.include_retracted {
            sql.push(" AND b.retracted_ms IS NULL", vec![]);
        }
        if let Some(before) = filter.before_id {
            sql.push(" AND b.id < ?", vec![Bind::Int(before)]);
        }
        sql.push(" ORDER BY b.id DESC LIMIT ?", vec![Bind::Int(filter.limit)]);
        sql.fetch_all(self)
            .await?
            .iter()
            .map(|row| BreachRow::from_row(row, true))
            .collect()
    }

    /// Open issues and their unsettled stages' states at `now`, per project.
    pub async fn project_counts(&self, now: Timestamp) -> StoreResult<Vec<ProjectCounts>> {
        let mut sql = Sql::new(
            "SELECT s.project AS project, COUNT(DISTINCT s.seq) AS open_issues, COUNT(*) AS open_stages, ",
        );
        sql.push(
            &format!(
                "SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS at_risk, ",
                stage_state_condition(StageState::AtRisk, &StageColumns::of(None))
            ),
            now_binds(StageState::AtRisk, now),
        );
        sql.push(
            &format!(
                "SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS breached ",
                stage_state_condition(StageState::Breached, &StageColumns::of(None))
            ),
            now_binds(StageState::Breached, now),
        );
        sql.push(
            &format!(
                "FROM ({}) s WHERE s.project IS NOT NULL GROUP BY s.project ORDER BY s.project",
                live_stages()
            ),
            vec![],
        );
        let rows = sql.fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                Ok(ProjectCounts {
                    project: get(row, "project")?,
                    open_issues: get(row, "open_issues")?,
                    open_stages: get(row, "open_stages")?,
                    at_risk: get::<Option<i64>>(row, "at_risk")?.unwrap_or(0),
                    breached: get::<Option<i64>>(row, "breached")?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// Unsettled stages of open issues per project and stage by state at `now` (the gauges).
    pub async fn stage_counts(&self, now: Timestamp) -> StoreResult<Vec<StageCounts>> {
        // Counted per stage, each from its own index in project order, so
        // no sort of the millions of open stages is needed for the grouping.
        let mut sql = Sql::new("");
        for (n, stage) in Stage::ALL.into_iter().enumerate() {
            if n > 0 {
                sql.push(" UNION ALL ", vec![]);
            }
            sql.push(
                &format!(
                    "SELECT COALESCE(i.project, '') AS project, '{}' AS stage, ",
                    stage.as_str()
                ),
                vec![],
            );
            for (state, name) in [
                (StageState::Pending, "pending"),
                (StageState::AtRisk, "at_risk"),
                (StageState::Breached, "breached"),
            ] {
                let separator = if name == "breached" { " " } else { ", " };
                sql.push(
                    &format!(
                        "SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS {name}{separator}",
                        stage_state_condition(state, &StageColumns::of(Some(stage)))
                    ),
                    now_binds(state, now),
                );
            }
            sql.push(
                &format!("FROM issues i WHERE {} GROUP BY i.project", live_stage(stage)),
                vec![],
            );
        }
        let rows = sql.fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                Ok(StageCounts {
                    project: get(row, "project")?,
                    stage: get(row, "stage")?,
                    pending: get::<Option<i64>>(row, "pending")?.unwrap_or(0),
                    at_risk: get::<Option<i64>>(row, "at_risk")?.unwrap_or(0),
                    breached: get::<Option<i64>>(row, "breached")?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// Projects that have issues, configured or not.
    pub async fn projects_seen(&self) -> StoreResult<Vec<String>> {
        let rows =
            sqlx::query("SELECT DISTINCT project FROM issues WHERE project IS NOT NULL ORDER BY project")
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|row| get(row, "project")).collect()
    }

    /// Issues whose next visit is due at `now`, earliest first.
    pub async fn due_issues(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT issue FROM issues WHERE next_due_ms IS NOT NULL AND next_due_ms <= $1 \
             ORDER BY next_due_ms LIMIT $2",
        )
        .bind(to_ms(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| get(row, "issue")).collect()
    }

    /// The earliest next visit of any issue.
    pub async fn next_due(&self) -> StoreResult<Option<Timestamp>> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_due_ms) FROM issues WHERE next_due_ms IS NOT NULL")
                .fetch_one(self.pool())
                .await?;
        Ok(next.map(from_ms))
    }
}
