//! The compliance report's read: the issues whose current cycle started in
//! a period.

use super::rows::{IssueRow, ISSUE_COLUMNS};
use super::{to_ms, Store, StoreResult};
use crate::domain::Timestamp;

/// The most issues one report reads; a longer period is cut (and says so).
pub const REPORT_LIMIT: i64 = 200_000;

impl Store {
    /// Issues whose current cycle started in `[from, to)`, optionally of one
    /// project, oldest first, at most [`REPORT_LIMIT`].
    pub async fn cycles_started(
        &self,
        from: Timestamp,
        to: Timestamp,
        project: Option<&str>,
    ) -> StoreResult<Vec<IssueRow>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM issues WHERE cycle_start_ms >= $1 AND cycle_start_ms < $2 \
             AND ($3 = '' OR project = $4) ORDER BY cycle_start_ms, seq LIMIT $5"
        );
        let project = project.unwrap_or_default();
        let rows = sqlx::query(&sql)
            .bind(to_ms(from))
            .bind(to_ms(to))
            .bind(project)
            .bind(project)
            .bind(REPORT_LIMIT)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(IssueRow::from_row).collect()
    }
}
