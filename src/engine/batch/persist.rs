//! Persist: the decisions written in the batch's transaction.

use super::decide::IssueDecision;
use crate::domain::issue::IssueStatus;
use crate::domain::Timestamp;
use crate::store::rows::IssueRow;
use crate::store::write::WriteTx;
use crate::store::StoreResult;
use std::collections::HashMap;

/// Phase 7: the decisions written: notifications, issue rows, breach
/// records, and the chat index told of reopened issues. Gives back the
/// rows written, by issue.
pub(super) async fn persist(
    tx: &mut WriteTx<'_>,
    decisions: Vec<IssueDecision>,
    rows: &HashMap<String, IssueRow>,
    now: Timestamp,
) -> StoreResult<HashMap<String, IssueRow>> {
    if decisions.is_empty() {
        return Ok(HashMap::new());
    }
    let mut new_rows = Vec::with_capacity(decisions.len());
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    let mut outbox = Vec::new();
    for decision in decisions {
        new_rows.push(decision.row);
        inserts.extend(decision.inserts);
        updates.extend(decision.updates);
        outbox.extend(decision.outbox);
    }
    tx.chat_issues_reopened(&reopened(&new_rows, rows)).await?;
    if !outbox.is_empty() {
        tx.insert_notifications(&outbox, now).await?;
    }
    tx.save_issues(&new_rows, |issue| rows.contains_key(issue))
        .await?;
    if !inserts.is_empty() {
        tx.insert_breaches(&inserts).await?;
    }
    for (id, change) in &updates {
        tx.update_breach(*id, change).await?;
    }
    Ok(new_rows.into_iter().map(|row| (row.issue.clone(), row)).collect())
}

/// Chat issues closed before and open again now: candidates for their
/// chat's lookups again.
pub(super) fn reopened(new_rows: &[IssueRow], before: &HashMap<String, IssueRow>) -> Vec<i64> {
    new_rows
        .iter()
        .filter(|row| matches!(row.status, IssueStatus::Open | IssueStatus::Paused))
        .filter(|row| {
            before
                .get(&row.issue)
                .is_some_and(|before| matches!(before.status, IssueStatus::Closed))
        })
        .map(|row| row.seq)
        .collect()
}
