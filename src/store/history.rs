//! Reads that walk the whole store page by page: exports, replays and the
//! message retention sweep. Each page is one short statement, so a long
//! walk never holds a transaction (or SQLite's write lock) open.

use super::read::event_from_row;
use super::rows::{BreachRow, IssueRow, BREACH_COLUMNS, ISSUE_COLUMNS};
use super::sql::Statement;
use super::{get, to_ms, Store, StoreResult};
use crate::domain::event::Event;
use crate::domain::Timestamp;

/// What an export reads: optionally one project, optionally a time range.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub project: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl ExportFilter {
    fn bounds(&self) -> (i64, i64, &str) {
        (
            self.from.map_or(i64::MIN, to_ms),
            self.to.map_or(i64::MAX, to_ms),
            self.project.as_deref().unwrap_or_default(),
        )
    }
}

/// One stored event as exported: its content as sent, with when it counts.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub arrival: i64,
    pub at: Timestamp,
    pub content: String,
}

impl Store {
    /// Events after arrival number `after`, in arrival order, at most
    /// `limit`: those whose `at` is in the filter's range, of its project.
    pub async fn events_page(
        &self,
        filter: &ExportFilter,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let (from, to, project) = filter.bounds();
        let rows = Statement::new(
            "SELECT arrival, at_ms, content FROM events WHERE arrival > $1 AND at_ms >= $2 AND at_ms < $3 \
             AND ($4 = '' OR issue_seq IN (SELECT seq FROM issues WHERE project = $5)) \
             ORDER BY arrival LIMIT $6",
        )
        .bind(after)
        .bind(from)
        .bind(to)
        .bind(project)
        .bind(project)
        .bind(limit)
        .fetch_all(self)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredEvent {
                    arrival: get(row, "arrival")?,
                    at: super::from_ms(get(row, "at_ms")?),
                    content: get(row, "content")?,
                })
            })
            .collect()
    }

    /// Issues numbered above `after`, in number order, at most `limit`:
    /// those first raised in the filter's range, of its project.
    pub async fn issues_page(
        &self,
        filter: &ExportFilter,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<IssueRow>> {
        let (from, to, project) = filter.bounds();
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM issues WHERE seq > $1 \
             AND COALESCE(raised_ms, first_seen_ms) >= $2 AND COALESCE(raised_ms, first_seen_ms) < $3 \
             AND ($4 = '' OR project = $5) ORDER BY seq LIMIT $6"
        );
        let rows = Statement::new(sql)
            .bind(after)
            .bind(from)
            .bind(to)
            .bind(project)
            .bind(project)
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(IssueRow::from_row).collect()
    }

    /// Breach records (retracted ones too) with id above `after`, in id
    /// order, at most `limit`: those whose deadline is in the filter's
    /// range, of its project; with the issue's number.
    pub async fn breaches_page(
        &self,
        filter: &ExportFilter,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<BreachRow>> {
        let (from, to, project) = filter.bounds();
        let sql = format!(
            "SELECT {BREACH_COLUMNS}, i.seq FROM breaches b LEFT JOIN issues i ON i.issue = b.issue \
             WHERE b.id > $1 AND b.deadline_ms >= $2 AND b.deadline_ms < $3 \
             AND ($4 = '' OR b.project = $5) ORDER BY b.id LIMIT $6"
        );
        let rows = Statement::new(sql)
            .bind(after)
            .bind(from)
            .bind(to)
            .bind(project)
            .bind(project)
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(|row| BreachRow::from_row(row, true)).collect()
    }

    /// Every event of the issues numbered in `(after, through]`, grouped by
    /// issue key in number order, each issue's in timeline order.
    pub async fn events_of_seq_range(
        &self,
        after: i64,
        through: i64,
    ) -> StoreResult<Vec<(String, i64, Vec<Event>)>> {
        let rows = Statement::new(
            "SELECT issue, issue_seq, arrival, at_ms, received_ms, source, content FROM events \
             WHERE issue_seq > $1 AND issue_seq <= $2 ORDER BY issue_seq, at_ms, arrival",
        )
        .bind(after)
        .bind(through)
        .fetch_all(self)
        .await?;
        let mut grouped: Vec<(String, i64, Vec<Event>)> = Vec::new();
        for row in &rows {
            let seq: i64 = get(row, "issue_seq")?;
            let event = event_from_row(row)?;
            match grouped.last_mut() {
                Some((_, last, events)) if *last == seq => events.push(event),
                _ => grouped.push((get(row, "issue")?, seq, vec![event])),
            }
        }
        Ok(grouped)
    }

    /// The highest issue number, 0 with none.
    pub async fn highest_seq(&self) -> StoreResult<i64> {
        let highest: Option<i64> = Statement::new("SELECT MAX(seq) AS highest FROM issues")
            .fetch_value(self, "highest")
            .await?;
        Ok(highest.unwrap_or_default())
    }

    /// Every breach record of these issues.
    pub async fn breaches_of_issues(&self, issues: &[String]) -> StoreResult<Vec<BreachRow>> {
        let sql = format!(
            "SELECT {BREACH_COLUMNS} FROM breaches b WHERE b.issue IN ({})",
            self.backend().json_list_of(1, super::dialect::SqlType::Text)
        );
        let rows = Statement::new(sql)
            .bind(super::json_param(issues))
            .fetch_all(self)
            .await?;
        rows.iter().map(|row| BreachRow::from_row(row, false)).collect()
    }
}

impl Store {
    /// Empties the text of at most `limit` messages sent before `before`,
    /// in one short transaction of its own; how many it emptied. The rows
    /// stay (ids, sender, time and what each message did), and so do the
    /// events classified from them.
    pub async fn clear_message_texts(&self, before: Timestamp, limit: i64) -> StoreResult<u64> {
        Statement::new(
            "UPDATE messages SET text = '' WHERE (platform, message_id, chat_id) IN \
             (SELECT platform, message_id, chat_id FROM messages WHERE at_ms < $1 AND text <> '' LIMIT $2)",
        )
        .bind(to_ms(before))
        .bind(limit)
        .execute(self)
        .await
    }
}
