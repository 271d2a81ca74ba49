//! The notification outbox: claiming due deliveries, recording attempts.

use super::sql::Statement;
use super::{from_ms, get, to_ms, Store, StoreResult};
use crate::domain::Timestamp;
use sqlx::any::AnyRow;

/// One row of `notifications`.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub id: i64,
    pub delivery: String,
    pub channel: String,
    pub kind: String,
    pub issue: Option<String>,
    pub project: Option<String>,
    pub stage: Option<String>,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt: Timestamp,
    pub last_error: Option<String>,
    pub created: Timestamp,
    pub delivered: Option<Timestamp>,
}

const COLUMNS: &str = "id, delivery, channel, kind, issue, project, stage, payload, state, attempts, \
     next_attempt_ms, last_error, created_ms, delivered_ms";

impl NotificationRow {
    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        Ok(NotificationRow {
            id: get(row, "id")?,
            delivery: get(row, "delivery")?,
            channel: get(row, "channel")?,
            kind: get(row, "kind")?,
            issue: get(row, "issue")?,
            project: get(row, "project")?,
            stage: get(row, "stage")?,
            payload: get(row, "payload")?,
            state: get(row, "state")?,
            attempts: get(row, "attempts")?,
            next_attempt: from_ms(get(row, "next_attempt_ms")?),
            last_error: get(row, "last_error")?,
            created: from_ms(get(row, "created_ms")?),
            delivered: get::<Option<i64>>(row, "delivered_ms")?.map(from_ms),
        })
    }
}

/// The result of one delivery attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    /// `delivered`, `pending` (retry at `next_attempt`) or `failed`.
    pub state: &'static str,
    pub next_attempt: Timestamp,
    pub error: Option<String>,
    pub at: Timestamp,
}

impl Store {
    /// Claims up to `limit` due deliveries for `lease`, so that no other
    /// dispatcher (replica) sends them meanwhile.
    pub async fn claim_notifications(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRow>> {
        let sql = format!(
            "UPDATE notifications SET claimed_until_ms = $1 WHERE id IN (SELECT id FROM notifications \
             WHERE state = 'pending' AND next_attempt_ms <= $2 AND (claimed_until_ms IS NULL OR claimed_until_ms < $3) \
             ORDER BY next_attempt_ms LIMIT $4{}) RETURNING {COLUMNS}",
            self.backend.skip_locked()
        );
        let rows = Statement::new(sql)
            .bind(to_ms(lease_until))
            .bind(to_ms(now))
            .bind(to_ms(now))
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(NotificationRow::from_row).collect()
    }

    /// The earliest pending delivery time.
    pub async fn next_notification(&self) -> StoreResult<Option<Timestamp>> {
        let next: Option<i64> =
            Statement::new("SELECT MIN(next_attempt_ms) AS next FROM notifications WHERE state = 'pending'")
                .fetch_value(self, "next")
                .await?;
        Ok(next.map(from_ms))
    }

    /// Records the results of several attempts in one transaction (one
    /// write lock and one commit for the lot).
    pub async fn record_attempts(&self, attempts: &[Attempt]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for attempt in attempts {
            let statement = Statement::new(
                "UPDATE notifications SET state = $1, attempts = attempts + 1, next_attempt_ms = $2, \
                 last_error = $3, claimed_until_ms = NULL, delivered_ms = $4 WHERE id = $5",
            )
            .bind(attempt.state)
            .bind(to_ms(attempt.next_attempt))
            .bind(attempt.error.as_deref())
            .bind((attempt.state == "delivered").then(|| to_ms(attempt.at)))
            .bind(attempt.id);
            tx.write(statement).await?;
        }
        tx.commit().await
    }

    /// Records an attempt's result: `state` is `delivered`, `pending` (retry at
    /// `next_attempt`) or `failed`.
    pub async fn record_attempt(
        &self,
        id: i64,
        state: &str,
        next_attempt: Timestamp,
        error: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        Statement::new(
            "UPDATE notifications SET state = $1, attempts = attempts + 1, next_attempt_ms = $2, last_error = $3, \
             claimed_until_ms = NULL, delivered_ms = $4 WHERE id = $5",
        )
        .bind(state)
        .bind(to_ms(next_attempt))
        .bind(error)
        .bind((state == "delivered").then(|| to_ms(now)))
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Brings a channel's waiting retries forward to `now`: its endpoint
    /// answered again, so what failed while it was down need not wait out
    /// its backoff. The number of deliveries brought forward.
    pub async fn bring_retries_forward(&self, channel: &str, now: Timestamp) -> StoreResult<u64> {
        Statement::new(
            "UPDATE notifications SET next_attempt_ms = $1 WHERE state = 'pending' AND channel = $2 \
             AND attempts > 0 AND next_attempt_ms > $3",
        )
        .bind(to_ms(now))
        .bind(channel)
        .bind(to_ms(now))
        .execute(self)
        .await
    }

    /// For each channel whose retries all wait past `horizon`, brings its
    /// oldest retry forward to `now`: one delivery probes whether the
    /// endpoint is back, while the others keep their backoff. The number of
    /// channels probed.
    pub async fn probe_failing_channels(&self, now: Timestamp, horizon: Timestamp) -> StoreResult<u64> {
        Statement::new(
            "UPDATE notifications SET next_attempt_ms = $1 WHERE id IN (SELECT MIN(id) FROM notifications \
             WHERE state = 'pending' AND attempts > 0 GROUP BY channel HAVING MIN(next_attempt_ms) > $2)",
        )
        .bind(to_ms(now))
        .bind(to_ms(horizon))
        .execute(self)
        .await
    }

    /// Puts a claimed delivery back without counting an attempt (rate limited).
    pub async fn postpone_notification(&self, id: i64, next_attempt: Timestamp) -> StoreResult<()> {
        Statement::new(
            "UPDATE notifications SET next_attempt_ms = $1, claimed_until_ms = NULL WHERE id = $2",
        )
        .bind(to_ms(next_attempt))
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Requeues a failed delivery; false when there is no such failed delivery.
    pub async fn retry_notification(&self, id: i64, now: Timestamp) -> StoreResult<bool> {
        let changed = Statement::new(
            "UPDATE notifications SET state = 'pending', next_attempt_ms = $1, claimed_until_ms = NULL, \
             created_ms = $2 WHERE id = $3 AND state = 'failed'",
        )
        .bind(to_ms(now))
        .bind(to_ms(now))
        .bind(id)
        .execute(self)
        .await?;
        Ok(changed == 1)
    }

    /// Deliveries, newest first, optionally in one state.
    pub async fn list_notifications(
        &self,
        state: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE ($1 = '' OR state = $2) AND id < $3 ORDER BY id DESC LIMIT $4"
        );
        let rows = Statement::new(sql)
            .bind(state.unwrap_or_default())
            .bind(state.unwrap_or_default())
            .bind(before_id.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(NotificationRow::from_row).collect()
    }

    /// An issue's deliveries, oldest first, at most `limit` (the issue page).
    pub async fn notifications_of(&self, issue: &str, limit: i64) -> StoreResult<Vec<NotificationRow>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE issue = $1 ORDER BY id LIMIT $2");
        let rows = Statement::new(sql)
            .bind(issue)
            .bind(limit)
            .fetch_all(self)
            .await?;
        rows.iter().map(NotificationRow::from_row).collect()
    }

    /// Deliveries not yet delivered nor failed (the `outbox_pending` gauge).
    pub async fn pending_notifications(&self) -> StoreResult<i64> {
        Statement::new("SELECT COUNT(*) AS pending FROM notifications WHERE state = 'pending'")
            .fetch_value(self, "pending")
            .await
    }
}
