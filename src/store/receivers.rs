//! Where polling receivers resume: one offset per bot (`receiver_offsets`).

use super::sql::Statement;
use super::{get, to_ms, Store, StoreResult};
use crate::domain::Timestamp;

impl Store {
    /// The stored next offset of `receiver`, if one was saved.
    pub async fn receiver_offset(&self, receiver: &str) -> StoreResult<Option<i64>> {
        let row = Statement::new("SELECT next_offset FROM receiver_offsets WHERE receiver = $1")
            .bind(receiver)
            .fetch_optional(self)
            .await?;
        row.map(|row| get(&row, "next_offset")).transpose()
    }

    /// Saves `offset` as `receiver`'s next offset, unless a larger one is
    /// stored already: two replicas polling the same bot never move it back.
    pub async fn save_receiver_offset(&self, receiver: &str, offset: i64, now: Timestamp) -> StoreResult<()> {
        Statement::new(
            "INSERT INTO receiver_offsets (receiver, next_offset, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (receiver) DO UPDATE SET \
             next_offset = CASE WHEN excluded.next_offset > receiver_offsets.next_offset \
                           THEN excluded.next_offset ELSE receiver_offsets.next_offset END, \
             updated_at = excluded.updated_at",
        )
        .bind(receiver)
        .bind(offset)
        .bind(to_ms(now))
        .execute(self)
        .await?;
        Ok(())
    }
}
