//! Breaches that still stand: the alerts Alertmanager must keep hearing about.

use super::rows::{BreachRow, BREACH_COLUMNS};
use super::sql::Statement;
use super::{from_ms, get, Store, StoreResult};
use crate::domain::Timestamp;

/// A breach record that stands (unmet, not retracted, its cycle still the
/// open issue's current one), with the issue facts its alert shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StandingBreach {
    pub breach: BreachRow,
    pub seq: i64,
    pub title: Option<String>,
    pub policy: Option<String>,
    pub raised_at: Option<Timestamp>,
    /// The name (or id) of who raised the issue.
    pub raised_by: Option<String>,
}

impl Store {
    /// Every standing breach, oldest record first.
    pub async fn standing_breaches(&self) -> StoreResult<Vec<StandingBreach>> {
        let sql = format!(
            "SELECT {BREACH_COLUMNS}, i.seq, i.title, i.policy, i.raised_ms, \
             (SELECT e.content FROM events e WHERE e.issue_seq = i.seq AND e.kind = 'raised' \
              ORDER BY e.at_ms, e.arrival LIMIT 1) AS raised_content FROM breaches b \
             JOIN issues i ON {} \
             WHERE b.met_ms IS NULL AND b.retracted_ms IS NULL \
             AND i.status IN ('open', 'paused') AND i.cycle_start_ms = b.cycle_start_ms \
             ORDER BY b.id",
            self.backend.issue_key_is("i.issue", "b.issue")
        );
        let rows = Statement::new(sql).fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                Ok(StandingBreach {
                    breach: BreachRow::from_row(row, true)?,
                    seq: get(row, "seq")?,
                    title: get(row, "title")?,
                    policy: get(row, "policy")?,
                    raised_at: get::<Option<i64>>(row, "raised_ms")?.map(from_ms),
                    raised_by: get::<Option<String>>(row, "raised_content")?.and_then(|c| raiser(&c)),
                })
            })
            .collect()
    }
}

/// The actor's name, else id, of a stored `raised` event's content.
fn raiser(content: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(content).ok()?;
    let actor = value.get("actor")?;
    let pick = |key: &str| actor.get(key).and_then(|v| v.as_str()).map(str::to_string);
    pick("name").or_else(|| pick("id"))
}
