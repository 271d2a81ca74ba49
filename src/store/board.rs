//! The board's read: open issues, most urgent first, one page at a time.

use super::rows::{IssueRow, ISSUE_COLUMNS};
use super::{to_ms, Store, StoreResult};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;

/// Which open issues the board shows.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub project: Option<String>,
    /// Only issues whose clock for this stage is unsettled, ordered by it.
    pub stage: Option<Stage>,
    /// Rows to skip (page × page size).
    pub offset: i64,
    pub limit: i64,
}

/// The deadline of `stage` while its clock runs, else NULL.
fn running_deadline(stage: Stage) -> String {
    let p = stage.as_str();
    format!("CASE WHEN i.{p}_outcome = 'running' THEN i.{p}_deadline_ms END")
}

/// The smallest of three nullable values, NULL when all are: written out,
/// because SQLite's `MIN(a, b, c)` is NULL if any is and PostgreSQL's
/// `LEAST` skips NULLs.
fn least([a, b, c]: [String; 3]) -> String {
    format!(
        "CASE WHEN ({a}) IS NOT NULL AND (({b}) IS NULL OR ({a}) <= ({b})) AND (({c}) IS NULL OR ({a}) <= ({c})) THEN ({a}) \
         WHEN ({b}) IS NOT NULL AND (({c}) IS NULL OR ({b}) <= ({c})) THEN ({b}) ELSE ({c}) END"
    )
}

impl Store {
    /// Open and paused issues matching `filter`, most urgent first: a stage
    /// past its deadline, then one at risk, then by nearest deadline; issues
    /// with no running clock (paused, or all stages met) last. Reads one
    /// page; never the whole set.
    pub async fn board(&self, filter: &BoardFilter, now: Timestamp) -> StoreResult<Vec<IssueRow>> {
        let stages: Vec<Stage> = filter.stage.map_or(Stage::ALL.to_vec(), |stage| vec![stage]);
        let deadline = match stages.as_slice() {
            [one] => running_deadline(*one),
            _ => least(Stage::ALL.map(running_deadline)),
        };
        // Placeholders in order: the project twice, the clock once per
        // stage and once for the ordering, then limit and offset.
        let mut next = 2;
        let mut placeholder = || {
            next += 1;
            format!("${next}")
        };
        let at_risk = stages
            .iter()
            .map(|stage| {
                let p = stage.as_str();
                format!(
                    "(i.{p}_outcome = 'running' AND i.{p}_at_risk_ms <= {})",
                    placeholder()
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let (now_for_order, limit, offset) = (placeholder(), placeholder(), placeholder());
        let stage_filter = match filter.stage {
            Some(stage) => format!(
                " AND i.{}_outcome IN ('running', 'paused', 'paused_at_risk')",
                stage.as_str()
            ),
            None => String::new(),
        };
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM (SELECT i.*, {deadline} AS next_deadline_ms, \
             CASE WHEN {at_risk} THEN 1 ELSE 0 END AS risk \
             FROM issues i WHERE i.status IN ('open', 'paused') AND ($1 = '' OR i.project = $2){stage_filter}) b \
             ORDER BY CASE WHEN next_deadline_ms IS NULL THEN 3 WHEN next_deadline_ms < {now_for_order} THEN 0 \
             WHEN risk = 1 THEN 1 ELSE 2 END, next_deadline_ms, seq LIMIT {limit} OFFSET {offset}"
        );
        let project = filter.project.clone().unwrap_or_default();
        let mut query = sqlx::query(&sql).bind(project.clone()).bind(project);
        for _ in 0..=stages.len() {
            query = query.bind(to_ms(now));
        }
        let rows = query
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(IssueRow::from_row).collect()
    }
}
