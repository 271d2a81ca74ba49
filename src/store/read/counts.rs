//! The live counts of open and paused issues and their stages: the
//! dashboard's per-project figures and the stage gauges, one grouped pass
//! over the partial index `issues_live`.

use super::{now_binds, stage_in_state, Settled};
use crate::domain::issue::StageState;
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use crate::store::sql::{Param, Statement};
use crate::store::{get, Store, StoreResult};
use sqlx::any::AnyRow;

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
pub(super) const LIVE_ISSUES: &str = "status IN ('open', 'paused')";

/// The condition of `stage` being unsettled (its clock running or paused)
/// in an issue of [`LIVE_ISSUES`].
pub(super) fn unsettled(stage: Stage) -> String {
    format!(
        "i.{}_outcome IN ('running', 'paused', 'paused_at_risk')",
        stage.as_str()
    )
}

/// `SUM` counting the unsettled stages of `stages` that are in `state` at
/// the bound instant (all unsettled ones for `None`), with its binds.
pub(super) fn count_unsettled(
    stages: &[Stage],
    state: Option<StageState>,
    now: Timestamp,
) -> (String, Vec<Param>) {
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
pub(super) fn sum(row: &AnyRow, column: &str) -> StoreResult<i64> {
    Ok(get::<Option<i64>>(row, column)?.unwrap_or(0))
}

/// The live counts of `Store::project_counts`.
pub(super) fn project_counts_sql(now: Timestamp) -> Statement {
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
pub(super) fn stage_counts_sql(now: Timestamp) -> Statement {
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
}
