//! The compliance report's reads: the issues whose current cycle started in
//! a period, and the reopened issues whose earlier cycles may have.

use super::dialect::SqlType;
use super::read::event_from_row;
use super::rows::{IssueRow, ISSUE_COLUMNS};
use super::sql::Statement;
use super::{get, to_ms, Store, StoreResult};
use crate::domain::event::Event;
use crate::domain::Timestamp;
use std::collections::HashMap;

/// The most issues one report over HTTP reads; a longer period is cut (and
/// says so). `slawatch report` reads without a limit.
pub const REPORT_LIMIT: i64 = 200_000;

/// Issues whose events one statement reads.
const EVENTS_CHUNK: usize = 2_000;

impl Store {
    /// One page of the issues whose current cycle started in `[from, to)`:
    /// those numbered above `after`, in number order, so that a long period
    /// is read a page at a time along the table's own order.
    pub async fn cycles_started_page(
        &self,
        from: Timestamp,
        to: Timestamp,
        project: Option<&str>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<IssueRow>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM issues WHERE seq > $1 AND cycle_start_ms >= $2 AND cycle_start_ms < $3 \
             AND ($4 = '' OR project = $5) ORDER BY seq LIMIT $6"
        );
        let project = project.unwrap_or_default();
        let rows = Statement::new(sql)
            .bind(after)
            .bind(to_ms(from))
            .bind(to_ms(to))
            .bind(project)
            .bind(project)
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(IssueRow::from_row).collect()
    }

    /// Reopened issues (cycle > 1) raised before `to` whose current cycle
    /// started at or after `from`: an earlier cycle of theirs may have
    /// started in `[from, to)`, and only their events tell. `(key, seq)`.
    pub async fn reopened_since(
        &self,
        from: Timestamp,
        to: Timestamp,
        project: Option<&str>,
    ) -> StoreResult<Vec<(String, i64)>> {
        let project = project.unwrap_or_default();
        let rows = Statement::new(
            "SELECT issue, seq FROM issues WHERE cycle > 1 AND raised_ms < $1 AND cycle_start_ms >= $2 \
             AND ($3 = '' OR project = $4) ORDER BY seq",
        )
        .bind(to_ms(to))
        .bind(to_ms(from))
        .bind(project)
        .bind(project)
        .fetch_all(self)
        .await?;
        rows.iter()
            .map(|row| Ok((get(row, "issue")?, get(row, "seq")?)))
            .collect()
    }

    /// Every stored event of these issues (by number), grouped by issue key,
    /// each issue's in timeline order.
    pub async fn events_of_issues(&self, seqs: &[i64]) -> StoreResult<HashMap<String, Vec<Event>>> {
        let sql = format!(
            "SELECT issue, arrival, at_ms, received_ms, source, content FROM events \
             WHERE issue_seq IN ({}) ORDER BY issue_seq, at_ms, arrival",
            self.backend().json_list_of(1, SqlType::Int)
        );
        let mut events: HashMap<String, Vec<Event>> = HashMap::new();
        for chunk in seqs.chunks(EVENTS_CHUNK) {
            let rows = Statement::json(sql.as_str(), chunk).fetch_all(self).await?;
            for row in &rows {
                events
                    .entry(get(row, "issue")?)
                    .or_default()
                    .push(event_from_row(row)?);
            }
        }
        Ok(events)
    }
}
