//! Chat messages: stored append-only with the issues they touched, and the
//! lookups classification needs (the chat's open issues, the issue a reply
//! refers to, an issue named by `#seq`).
//!
//! Which chat raised an issue is a row of `chat_issues`. On PostgreSQL the
//! table is ordered by chat, and a chat's open issues are read from it. On
//! SQLite it is ordered by issue number, so a new row is appended rather
//! than put at a random place (by chat) in an index: the writer, the only
//! one that writes, keeps each chat's candidate issues in memory
//! ([`ChatIssueIndex`]), read once from the table, and reads only those
//! issues' rows.

use super::sql::Statement;
use super::write::WriteTx;
use super::{from_ms, get, to_ms, Store, StoreResult};
use crate::domain::classify::Message;
use crate::domain::Timestamp;
use std::collections::HashMap;

mod index;
mod lookup;

pub(super) use index::ChatIndexTx;
pub use index::ChatIssueIndex;

/// One message to store, with what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub row: MessageRow,
    /// `[{issue, kind}]`, the answer a retry of the message gets again.
    pub actions: String,
    /// Issues the message raised, joined or acted on, with their numbers
    /// where already known (not for an issue it raises).
    pub issues: Vec<(String, Option<i64>)>,
    /// The issues it raised, each with its requester's identity.
    pub raised: Vec<(String, String)>,
}

/// A stored message, as timelines show it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub message: Message,
    /// The token or hook that delivered it.
    pub source: String,
    pub received_at: Timestamp,
}

/// A chat issue: the chat that raised it, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatIssue {
    pub platform: String,
    pub chat_id: String,
    pub raised_by: String,
    pub seq: i64,
}

const MESSAGE_COLUMNS: &str =
    "m.platform, m.chat_id, m.message_id, m.sender_id, m.sender_name, m.text, m.at_ms, \
                               m.reply_to, m.mentions, m.source, m.received_ms";

impl WriteTx<'_> {
    /// Stores messages, their issue links and the issues they raised; a
    /// message already stored is left as it is. `seq_of` numbers the issues
    /// the records do not (those raised in this transaction); a link to an
    /// issue with no number (its raise was refused) is left out, and so is
    /// such an issue's chat row.
    pub async fn insert_messages(
        &mut self,
        records: &[&MessageRecord],
        seq_of: impl Fn(&str) -> Option<i64>,
    ) -> StoreResult<()> {
        const MESSAGES: &str = "platform, chat_id, message_id, sender_id, sender_name, text, at_ms, \
                                reply_to, mentions, source, received_ms, actions";
        let rows: Vec<_> = records
            .iter()
            .map(|record| {
                let message = &record.row.message;
                // One tuple per row, in the order of MESSAGES.
                (
                    &message.platform,
                    &message.chat_id,
                    &message.message_id,
                    &message.sender_id,
                    &message.sender_name,
                    &message.text,
                    to_ms(message.at),
                    &message.reply_to,
                    serde_json::to_string(&message.mentions).unwrap_or_else(|_| "[]".into()),
                    &record.row.source,
                    to_ms(record.row.received_at),
                    &record.actions,
                )
            })
            .collect();
        self.insert_json_rows("messages", MESSAGES, "(platform, message_id, chat_id)", &rows)
            .await?;

        let links: Vec<_> = records
            .iter()
            .flat_map(|record| {
                let message = &record.row.message;
                let seq_of = &seq_of;
                record.issues.iter().filter_map(move |(issue, seq)| {
                    Some((
                        seq.or_else(|| seq_of(issue))?,
                        &message.platform,
                        &message.chat_id,
                        &message.message_id,
                        to_ms(message.at),
                    ))
                })
            })
            .collect();
        self.insert_json_rows(
            "message_issues",
            "issue_seq, platform, chat_id, message_id, at_ms",
            "(issue_seq, platform, chat_id, message_id)",
            &links,
        )
        .await?;

        // An issue whose raise was refused has no number and no row here.
        let raised: Vec<_> = records
            .iter()
            .flat_map(|record| {
                let message = &record.row.message;
                record.raised.iter().filter_map(|(issue, raised_by)| {
                    Some((&message.platform, &message.chat_id, raised_by, seq_of(issue)?))
                })
            })
            .collect();
        const CHAT_ISSUES: &str = "platform, chat_id, raised_by, issue_seq";
        // No conflict target: the table's key differs by backend.
        self.insert_json_rows("chat_issues", CHAT_ISSUES, "", &raised)
            .await?;
        if let Some(chat) = self.chat_index() {
            chat.chat_issues
                .extend(
                    raised
                        .into_iter()
                        .map(|(platform, chat_id, raised_by, seq)| ChatIssue {
                            platform: platform.clone(),
                            chat_id: chat_id.clone(),
                            raised_by: raised_by.clone(),
                            seq,
                        }),
                );
        }
        Ok(())
    }

    /// Inserts `rows` (each an array of the values of `columns`); a row
    /// whose `key` exists is left as it is.
    async fn insert_json_rows<T: serde::Serialize>(
        &mut self,
        table: &str,
        columns: &str,
        key: &str,
        rows: &[T],
    ) -> StoreResult<()> {
        self.insert_rows(table, columns, &format!("ON CONFLICT {key} DO NOTHING"), rows)
            .await
    }
}
impl Store {
    /// The `seq` of each of these issues that exists.
    pub async fn seqs_of(&self, issues: &[String]) -> StoreResult<HashMap<String, i64>> {
        if issues.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT i.issue, i.seq FROM ({}) j JOIN issues i ON {}",
            self.backend.json_list(1),
            self.backend.issue_key_is("i.issue", "j.value")
        );
        let rows = Statement::json(sql, issues).fetch_all(self).await?;
        rows.iter()
            .map(|row| Ok((get(row, "issue")?, get(row, "seq")?)))
            .collect()
    }

    /// The messages that make up an issue, in time order.
    pub async fn messages_of(&self, issue: &str) -> StoreResult<Vec<MessageRow>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {} JOIN issues i ON {} \
             JOIN message_issues l ON l.issue_seq = i.seq \
             JOIN messages m ON m.platform = l.platform AND m.chat_id = l.chat_id \
             AND m.message_id = l.message_id ORDER BY l.at_ms",
            super::dialect::BOUND_KEY,
            self.backend.issue_key_is("i.issue", "q.wanted")
        );
        let rows = Statement::new(sql).bind(issue).fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                let mentions: String = get(row, "mentions")?;
                Ok(MessageRow {
                    message: Message {
                        platform: get(row, "platform")?,
                        chat_id: get(row, "chat_id")?,
                        message_id: get(row, "message_id")?,
                        sender_id: get(row, "sender_id")?,
                        sender_name: get(row, "sender_name")?,
                        text: get(row, "text")?,
                        at: from_ms(get(row, "at_ms")?),
                        reply_to: get(row, "reply_to")?,
                        mentions: serde_json::from_str(&mentions).unwrap_or_default(),
                    },
                    source: get(row, "source")?,
                    received_at: from_ms(get(row, "received_ms")?),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
