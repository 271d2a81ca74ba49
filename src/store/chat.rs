//! Chat messages: stored append-only with the issues they touched, and the
//! lookups classification needs (the chat's open issues, the issue a reply
//! refers to, an issue named by `#seq`).

use super::rows::{IssueRow, ISSUE_COLUMNS};
use super::write::{WriteTx, CHUNK_ROWS};
use super::{from_ms, get, to_ms, value_rows, Store, StoreResult};
use crate::domain::classify::Message;
use crate::domain::Timestamp;
use std::collections::HashMap;

/// One message to store, with what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub row: MessageRow,
    /// `[{issue, kind}]`, the answer a retry of the message gets again.
    pub actions: String,
    /// Issues the message raised, joined or acted on.
    pub issues: Vec<String>,
    /// The issue it raised, and its requester's identity.
    pub raised: Option<(String, String)>,
}

/// A stored message, as timelines show it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub message: Message,
    /// The token or hook that delivered it.
    pub source: String,
    pub received_at: Timestamp,
}

/// An open issue of a chat, with who raised it.
#[derive(Debug, Clone)]
pub struct ChatIssue {
    pub row: IssueRow,
    pub raised_by: Option<String>,
}

const MESSAGE_COLUMNS: &str =
    "m.platform, m.chat_id, m.message_id, m.sender_id, m.sender_name, m.text, m.at_ms, \
                               m.reply_to, m.mentions, m.source, m.received_ms";

impl WriteTx<'_> {
    /// Stores messages, their issue links and the issues they raised; a
    /// message already stored is left as it is.
    pub async fn insert_messages(&mut self, records: &[&MessageRecord]) -> StoreResult<()> {
        for chunk in records.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO messages (platform, chat_id, message_id, sender_id, sender_name, text, at_ms, \
                 reply_to, mentions, source, received_ms, actions) VALUES {} \
                 ON CONFLICT (platform, chat_id, message_id) DO NOTHING",
                value_rows(chunk.len(), 12)
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for record in chunk {
                let message = &record.row.message;
                query = query
                    .bind(&message.platform)
                    .bind(&message.chat_id)
                    .bind(&message.message_id)
                    .bind(&message.sender_id)
                    .bind(&message.sender_name)
                    .bind(&message.text)
                    .bind(to_ms(message.at))
                    .bind(&message.reply_to)
                    .bind(serde_json::to_string(&message.mentions).unwrap_or_else(|_| "[]".into()))
                    .bind(&record.row.source)
                    .bind(to_ms(record.row.received_at))
                    .bind(&record.actions);
            }
            query.execute(&mut *self.tx).await?;
        }
        let links: Vec<(&MessageRecord, &String)> = records
            .iter()
            .flat_map(|record| record.issues.iter().map(move |issue| (*record, issue)))
            .collect();
        for chunk in links.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO message_issues (issue, platform, chat_id, message_id, at_ms) VALUES {} \
                 ON CONFLICT (issue, platform, chat_id, message_id) DO NOTHING",
                value_rows(chunk.len(), 5)
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for (record, issue) in chunk {
                let message = &record.row.message;
                query = query
                    .bind(*issue)
                    .bind(&message.platform)
                    .bind(&message.chat_id)
                    .bind(&message.message_id)
                    .bind(to_ms(message.at));
            }
            query.execute(&mut *self.tx).await?;
        }
        let raised: Vec<(&MessageRecord, &(String, String))> = records
            .iter()
            .filter_map(|r| r.raised.as_ref().map(|raised| (*r, raised)))
            .collect();
        for chunk in raised.chunks(CHUNK_ROWS) {
            let sql = format!(
                "INSERT INTO chat_issues (issue, platform, chat_id, raised_by) VALUES {} \
                 ON CONFLICT (issue) DO NOTHING",
                value_rows(chunk.len(), 4)
            );
            let sql = self.backend.positional(&sql);
            let mut query = sqlx::query(&sql);
            for (record, (issue, raised_by)) in chunk {
                let message = &record.row.message;
                query = query
                    .bind(issue)
                    .bind(&message.platform)
                    .bind(&message.chat_id)
                    .bind(raised_by);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

impl Store {
    /// The stored answer of a message, if it was stored before.
    pub async fn message_actions(
        &self,
        platform: &str,
        chat_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT actions FROM messages WHERE platform = $1 AND chat_id = $2 AND message_id = $3",
        )
        .bind(platform)
        .bind(chat_id)
        .bind(message_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The open (or paused) issues raised in a chat.
    pub async fn chat_open_issues(&self, platform: &str, chat_id: &str) -> StoreResult<Vec<ChatIssue>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS}, (SELECT c.raised_by FROM chat_issues c WHERE c.issue = issues.issue) AS raised_by \
             FROM issues WHERE status IN ('open', 'paused') AND issue IN \
             (SELECT issue FROM chat_issues WHERE platform = $1 AND chat_id = $2)"
        );
        let rows = sqlx::query(&sql)
            .bind(platform)
            .bind(chat_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ChatIssue {
                    row: IssueRow::from_row(row)?,
                    raised_by: get(row, "raised_by")?,
                })
            })
            .collect()
    }

    /// The issues a message touched, newest first.
    pub async fn message_issues(
        &self,
        platform: &str,
        chat_id: &str,
        message_id: &str,
    ) -> StoreResult<Vec<IssueRow>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM issues WHERE issue IN (SELECT issue FROM message_issues \
             WHERE platform = $1 AND chat_id = $2 AND message_id = $3) ORDER BY seq DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(platform)
            .bind(chat_id)
            .bind(message_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(IssueRow::from_row).collect()
    }

    /// A project's issue by its `seq`.
    pub async fn issue_by_seq(&self, project: &str, seq: i64) -> StoreResult<Option<IssueRow>> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE seq = $1 AND project = $2");
        let row = sqlx::query(&sql)
            .bind(seq)
            .bind(project)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(IssueRow::from_row).transpose()
    }

    /// The `seq` of each of these issues that exists.
    pub async fn seqs_of(&self, issues: &[String]) -> StoreResult<HashMap<String, i64>> {
        if issues.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT issue, seq FROM issues WHERE issue IN ({})",
            super::placeholders(1, issues.len())
        );
        let sql = self.backend.positional(&sql);
        let mut query = sqlx::query(&sql);
        for issue in issues {
            query = query.bind(issue);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| Ok((get(row, "issue")?, get(row, "seq")?)))
            .collect()
    }

    /// The messages that make up an issue, in time order.
    pub async fn messages_of(&self, issue: &str) -> StoreResult<Vec<MessageRow>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM message_issues l JOIN messages m ON m.platform = l.platform \
             AND m.chat_id = l.chat_id AND m.message_id = l.message_id WHERE l.issue = $1 ORDER BY l.at_ms"
        );
        let rows = sqlx::query(&sql).bind(issue).fetch_all(self.pool()).await?;
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
