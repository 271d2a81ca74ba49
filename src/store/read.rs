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

/// Live counts of a project's open and paused issues and their stages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectCounts {
    pub project: String,
    /// Issues in state `open`, as `GET /v1/issues?state=open` lists them.
    pub open: i64,
    /// Issues in state `paused`.
    pub paused: i64,
    /// Open or paused issues with at least one stage not yet met or waived.
    pub open_with_unmet_stages: i64,
    pub open_stages: i64,
    pub at_risk: i64,
    pub breached: i64,
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

/// Open stages of one project and stage by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageCounts {
    pub project: String,
    pub stage: String,
    pub pending: i64,
    pub at_risk: i64,
    pub breached: i64,
}

/// Open (or paused) issues: word for word the WHERE of the partial covering
/// index `issues_live` (SQLite migration 0008, PostgreSQL 0007), which the
/// live counts read without touching the table.
const LIVE_ISSUES: &str = "status IN ('open', 'paused')";

/// The condition of `stage` being unsettled (its clock running or paused)
/// in an issue of [`LIVE_ISSUES`].
fn unsettled(stage: Stage) -> String {
    format!(
        "i.{}_outcome IN ('running', 'paused', 'paused_at_risk')",
        stage.as_str()
    )
}

/// `SUM` counting the unsettled stages of `stages` that are in `state` at
/// the bound instant (all unsettled ones for `None`), with its binds.
fn count_unsettled(stages: &[Stage], state: Option<StageState>, now: Timestamp) -> (String, Vec<Param>) {
    let mut binds = Vec::new();
    let cases: Vec<String> = stages
        .iter()
        .map(|stage| match state {
            None => format!("CASE WHEN {} THEN 1 ELSE 0 END", unsettled(*stage)),
            Some(state) => {
                binds.extend(now_binds(state, now));
                stage_in_state(*stage, state, Settled::Excluded)
            }
        })
        .collect();
    (format!("SUM({})", cases.join(" + ")), binds)
}

/// A `SUM` column of a grouped row (never NULL in a group, but 0 if it were).
fn sum(row: &AnyRow, column: &str) -> StoreResult<i64> {
    Ok(get::<Option<i64>>(row, column)?.unwrap_or(0))
}

/// Whether settled stages (met, met late, breached at close, waived) count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Settled {
    Included,
    Excluded,
}

/// SQL `CASE` on `issues i`: 1 when `stage` is in `state` at the bound
/// instant (a `?` per [`now_binds`]), else 0. The outcome is tested once,
/// before the clock: a gauge refresh runs this for every open issue, and
/// the nested form took a third less time than `outcome = … AND …` terms.
/// With `Settled::Excluded` only unsettled stages count (the live counts).
fn stage_in_state(stage: Stage, state: StageState, settled: Settled) -> String {
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
fn now_binds(state: StageState, now: Timestamp) -> Vec<Param> {
    let count = match state {
        StageState::AtRisk => 2,
        StageState::Pending | StageState::Breached => 1,
        StageState::Met | StageState::Waived => 0,
    };
    (0..count).map(|_| Param::from(to_ms(now))).collect()
}

/// The live counts of `Store::project_counts`.
fn project_counts_sql(now: Timestamp) -> Statement {
    let mut sql = Statement::new("SELECT i.project AS project");
    let any_unsettled = Stage::ALL.map(unsettled).join(" OR ");
    sql.push(
        &format!(
            ", SUM(CASE WHEN i.status = 'open' THEN 1 ELSE 0 END) AS open_count, \
             SUM(CASE WHEN i.status = 'paused' THEN 1 ELSE 0 END) AS paused_count, \
             SUM(CASE WHEN {any_unsettled} THEN 1 ELSE 0 END) AS open_with_unmet_stages"
        ),
        [],
    );
    for (state, name) in [
        (None, "open_stages"),
        (Some(StageState::AtRisk), "at_risk"),
        (Some(StageState::Breached), "breached"),
    ] {
        let (sum, binds) = count_unsettled(&Stage::ALL, state, now);
        sql.push(&format!(", {sum} AS {name}"), binds);
    }
    sql.push(
        &format!(
            " FROM issues i WHERE i.project IS NOT NULL AND {LIVE_ISSUES} \
             GROUP BY i.project ORDER BY i.project"
        ),
        [],
    );
    sql
}

/// The live counts of `Store::stage_counts`.
fn stage_counts_sql(now: Timestamp) -> Statement {
    // One pass over `issues_live` in project order: no sort is needed
    // for the grouping, however many issues are open.
    let mut sql = Statement::new("SELECT COALESCE(i.project, '') AS project");
    for stage in Stage::ALL {
        for (state, name) in [
            (None, "unsettled"),
            (Some(StageState::Pending), "pending"),
            (Some(StageState::AtRisk), "at_risk"),
            (Some(StageState::Breached), "breached"),
        ] {
            let (sum, binds) = count_unsettled(&[stage], state, now);
            sql.push(&format!(", {sum} AS {}_{name}", stage.as_str()), binds);
        }
    }
    sql.push(
        &format!(" FROM issues i WHERE {LIVE_ISSUES} GROUP BY i.project"),
        [],
    );
    sql
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

    /// Open and paused issues and their unsettled stages' states at `now`,
    /// per project with at least one open or paused issue.
    pub async fn project_counts(&self, now: Timestamp) -> StoreResult<Vec<ProjectCounts>> {
        let sql = project_counts_sql(now);
        let rows = sql.fetch_all(self).await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            let counted = ProjectCounts {
                project: get(row, "project")?,
                open: sum(row, "open_count")?,
                paused: sum(row, "paused_count")?,
                open_with_unmet_stages: sum(row, "open_with_unmet_stages")?,
                open_stages: sum(row, "open_stages")?,
                at_risk: sum(row, "at_risk")?,
                breached: sum(row, "breached")?,
            };
            if counted.open + counted.paused > 0 {
                counts.push(counted);
            }
        }
        Ok(counts)
    }

    /// Unsettled stages of open issues per project and stage by state at `now`
    /// (the gauges); a stage with none in a project has no entry.
    pub async fn stage_counts(&self, now: Timestamp) -> StoreResult<Vec<StageCounts>> {
        let sql = stage_counts_sql(now);
        let rows = sql.fetch_all(self).await?;
        let mut counts = Vec::new();
        for row in &rows {
            let project: String = get(row, "project")?;
            for stage in Stage::ALL {
                let count = |name: &str| sum(row, &format!("{}_{name}", stage.as_str()));
                if count("unsettled")? == 0 {
                    continue;
                }
                counts.push(StageCounts {
                    project: project.clone(),
                    stage: stage.as_str().to_string(),
                    pending: count("pending")?,
                    at_risk: count("at_risk")?,
                    breached: count("breached")?,
                });
            }
        }
        Ok(counts)
    }

    /// Every chat with stored messages: one pass over the messages, for
    /// the operator's list of chats (not a hot path).
    pub async fn chats_seen(&self) -> StoreResult<Vec<ChatSeen>> {
        let rows = sqlx::query(
            "SELECT platform, chat_id, MIN(received_ms) AS first_ms, MAX(received_ms) AS last_ms, \
             COUNT(*) AS messages FROM messages GROUP BY platform, chat_id ORDER BY platform, chat_id",
        )
        .fetch_all(self.pool())
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
            sqlx::query("SELECT DISTINCT project FROM issues WHERE project IS NOT NULL ORDER BY project")
                .fetch_all(self.pool())
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
            sqlx::query_scalar("SELECT MIN(next_due_ms) FROM issues WHERE next_due_ms IS NOT NULL")
                .fetch_one(self.pool())
                .await?;
        Ok(next.map(from_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh SQLite store in `dir` with every migration applied.
    async fn migrated_store(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}/read.db", dir.path().display());
        let store = Store::connect(&url, 1).await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    /// The live counts read the covering index `issues_live` alone, in
    /// project order: their WHERE must stay word for word the index's.
    #[tokio::test]
    async fn live_counts_read_only_the_live_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = migrated_store(&dir).await;
        let now = chrono::Utc::now();
        for sql in [project_counts_sql(now), stage_counts_sql(now)] {
            let explained = Statement {
                sql: format!("EXPLAIN QUERY PLAN {}", sql.sql),
                params: sql.params,
            };
            let plan: Vec<String> = explained
                .fetch_all(&store)
                .await
                .unwrap()
                .iter()
                .map(|step| get(step, "detail").unwrap())
                .collect();
            assert!(
                plan.iter()
                    .any(|step| step.contains("USING COVERING INDEX issues_live")),
                "{plan:?}"
            );
            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
        }
    }

    /// The live counts by stage state, against rows written directly:
    /// paused stages count as pending or at risk, settled stages and closed
    /// issues not at all.
    #[tokio::test]
    async fn live_counts_count_unsettled_stages_of_open_issues() {
        let dir = tempfile::tempdir().unwrap();
        let store = migrated_store(&dir).await;
        let now = chrono::Utc::now();
        let n = to_ms(now);
        // issue, seq, project, status, then per stage: outcome, at risk, deadline
        let rows = [
            (
                "a",
                1,
                Some("p"),
                "open",
                ("running", n + 100, n + 200),
                ("running", n - 10, n + 100),
                ("running", n - 20, n - 5),
            ),
            (
                "b",
                2,
                Some("p"),
                "paused",
                ("paused", 0, 0),
                ("paused_at_risk", 0, 0),
                ("met", n, n),
            ),
            (
                "c",
                3,
                Some("p"),
                "closed",
                ("running", n + 100, n + 200),
                ("running", n + 100, n + 200),
                ("running", n + 100, n + 200),
            ),
            (
                "d",
                4,
                None,
                "open",
                ("met_late", n, n),
                ("breached", n, n),
                ("running", n + 100, n + 200),
            ),
            (
                "e",
                5,
                Some("q"),
                "open",
                ("met", n, n),
                ("met", n, n),
                ("waived", n, n),
            ),
        ];
        for (issue, seq, project, status, ack, handle, plan) in rows {
            sqlx::query(
                "INSERT INTO issues (issue, seq, project, status, cycle, first_seen_ms, updated_ms, stages, \
                 ack_outcome, ack_at_risk_ms, ack_deadline_ms, handle_outcome, handle_at_risk_ms, \
                 handle_deadline_ms, plan_outcome, plan_at_risk_ms, plan_deadline_ms) \
                 VALUES (?, ?, ?, ?, 1, 0, 0, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(issue)
            .bind(seq)
            .bind(project)
            .bind(status)
            .bind(ack.0)
            .bind(ack.1)
            .bind(ack.2)
            .bind(handle.0)
            .bind(handle.1)
            .bind(handle.2)
            .bind(plan.0)
            .bind(plan.1)
            .bind(plan.2)
            .execute(&store.pool)
            .await
            .unwrap();
        }

        let mut stages = store.stage_counts(now).await.unwrap();
        stages.sort_by(|a, b| (&a.project, &a.stage).cmp(&(&b.project, &b.stage)));
        let counts = |project: &str, stage: &str, pending, at_risk, breached| StageCounts {
            project: project.into(),
            stage: stage.into(),
            pending,
            at_risk,
            breached,
        };
        assert_eq!(
            stages,
            [
                counts("", "plan", 1, 0, 0),
                counts("p", "ack", 2, 0, 0),
                counts("p", "handle", 0, 2, 0),
                counts("p", "plan", 0, 0, 1),
            ]
        );
        assert_eq!(
            store.project_counts(now).await.unwrap(),
            [
                ProjectCounts {
                    project: "p".into(),
                    open: 1,
                    paused: 1,
                    open_with_unmet_stages: 2,
                    open_stages: 5,
                    at_risk: 2,
                    breached: 1,
                },
                // Open with every stage settled: open, nothing unmet.
                ProjectCounts {
                    project: "q".into(),
                    open: 1,
                    ..ProjectCounts::default()
                },
            ]
        );
    }
}
