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

use super::dialect::SqlType;
use super::rows::{parse_status, IssueRow};
use super::sql::Statement;
use super::write::{typed, WriteTx};
use super::Columns;
use super::{from_ms, get, to_ms, Store, StoreResult};
use crate::domain::classify::{IssueState, KnownIssue, Message};
use crate::domain::issue::IssueStatus;
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use std::collections::HashMap;

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

/// The writer's index of the issues raised in each chat that may still be
/// open (SQLite). It holds every open one, and may hold closed ones until a
/// lookup finds them closed. It is filled from the store at first use and
/// kept up to date by the writer's own commits: new chat issues and reopened
/// ones are added once their transaction commits. Each entry is an issue
/// number and a hash of who raised it (the row read back says exactly).
///
/// It also keeps a copy of what the classifier knows of the issues it read
/// (`KnownIssue`, by number), brought up to date from every issue row the
/// writer commits, so that a chat's open issues are read from the store
/// once rather than with every message. All of SQLite's issue rows are
/// written by the writer, so the copies cannot go stale.
#[derive(Debug, Default)]
pub struct ChatIssueIndex {
    loaded: bool,
    chats: HashMap<(String, String), Vec<(i64, u64)>>,
    known: HashMap<i64, KnownIssue>,
}

/// Copies kept at most; past it they are dropped and read again as needed.
const MAX_KNOWN: usize = 200_000;

impl ChatIssueIndex {
    /// Takes every open chat issue, read from the store at first use.
    fn load(&mut self, open: Vec<ChatIssue>) {
        self.chats.clear();
        self.loaded = true;
        self.add(open);
    }

    /// Adds chat issues (committed), once each.
    pub(super) fn add(&mut self, issues: Vec<ChatIssue>) {
        if !self.loaded {
            // Read in full from the store at first use.
            return;
        }
        for issue in issues {
            let entries = self.chats.entry((issue.platform, issue.chat_id)).or_default();
            if !entries.iter().any(|(seq, _)| *seq == issue.seq) {
                entries.push((issue.seq, requester_hash(&issue.raised_by)));
            }
        }
    }

    /// The issue numbers of the chat to read: all of them, or those raised
    /// by `raised_by`.
    fn candidates(&self, platform: &str, chat_id: &str, raised_by: Option<&str>) -> Vec<i64> {
        let wanted = raised_by.map(requester_hash);
        self.chats
            .get(&(platform.to_string(), chat_id.to_string()))
            .map(|entries| {
                let mut seqs: Vec<i64> = entries
                    .iter()
                    .filter(|(_, by)| wanted.is_none_or(|wanted| wanted == *by))
                    .map(|(seq, _)| *seq)
                    .collect();
                // The newest ones: classification looks at no more.
                seqs.sort_unstable();
                let skip = seqs
                    .len()
                    .saturating_sub(crate::domain::classify::MAX_OPEN_ISSUES);
                seqs.split_off(skip)
            })
            .unwrap_or_default()
    }

    /// Brings the copies of these committed issue rows up to date; a closed
    /// issue's copy is dropped (the next lookup finds it closed).
    pub(super) fn refresh(&mut self, rows: &[IssueRow]) {
        for row in rows {
            let Some(copy) = self.known.get_mut(&row.seq) else {
                continue;
            };
            match known_from_row(row, copy.raised_by.clone()) {
                Some(fresh) if fresh.state != IssueState::Closed => *copy = fresh,
                _ => {
                    self.known.remove(&row.seq);
                }
            }
        }
    }

    /// Whether it holds a copy of issue `seq`.
    pub(super) fn has_copy(&self, seq: i64) -> bool {
        self.known.contains_key(&seq)
    }

    /// Keeps a copy of an issue as read from the store.
    fn remember(&mut self, issue: &KnownIssue) {
        if self.known.len() >= MAX_KNOWN {
            self.known.clear();
        }
        let mut copy = issue.clone();
        copy.topic_cache = Default::default();
        copy.title_topic_cache = Default::default();
        self.known.insert(issue.seq, copy);
    }

    /// Forgets an issue found closed.
    fn forget(&mut self, chat: (String, String), closed: i64) {
        if let Some(entries) = self.chats.get_mut(&chat) {
            entries.retain(|(seq, _)| *seq != closed);
            if entries.is_empty() {
                self.chats.remove(&chat);
            }
        }
    }
}

/// The writer's chat index as one transaction on the writer's SQLite
/// connection sees it: the index, and what the transaction changes in it
/// once it commits (nothing, if it does not).
pub(super) struct ChatIndexTx<'c> {
    /// The writer's index; a lookup takes it out while it reads the store
    /// through the same transaction, and puts it back.
    index: &'c mut ChatIssueIndex,
    /// Chat issues this transaction raised or reopened.
    chat_issues: Vec<ChatIssue>,
    /// Issue rows this transaction wrote that the index holds a copy of,
    /// to bring those copies up to date.
    issues: Vec<IssueRow>,
}

impl<'c> ChatIndexTx<'c> {
    pub(super) fn new(index: &'c mut ChatIssueIndex) -> Self {
        ChatIndexTx {
            index,
            chat_issues: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// Keeps the written rows of issues the index holds a copy of; rows
    /// without a copy are not kept.
    pub(super) fn stage_issue_rows(&mut self, rows: &[IssueRow]) {
        let copied = rows.iter().filter(|row| self.index.has_copy(row.seq)).cloned();
        self.issues.extend(copied);
    }

    /// The transaction committed: the index takes in its changes.
    pub(super) fn committed(self) {
        self.index.add(self.chat_issues);
        self.index.refresh(&self.issues);
    }
}

fn requester_hash(raised_by: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    raised_by.hash(&mut hasher);
    hasher.finish()
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

impl WriteTx<'_> {
    /// The stored answer of each of these messages that was stored before,
    /// by (platform, chat id, message id).
    pub async fn stored_answers(
        &mut self,
        keys: &[(&str, &str, &str)],
    ) -> StoreResult<HashMap<(String, String, String), String>> {
        let source = self.backend.json_rows(1, &typed("platform, chat_id, message_id"));
        let sql = format!(
            "{} SELECT m.platform, m.chat_id, m.message_id, m.actions FROM {} JOIN messages m \
             ON m.platform = j.platform AND m.chat_id = j.chat_id AND m.message_id = j.message_id",
            source.with, source.from
        );
        let rows = self.fetch_json(&sql, keys).await?;
        rows.iter()
            .map(|row| {
                let key = (
                    get(row, "platform")?,
                    get(row, "chat_id")?,
                    get(row, "message_id")?,
                );
                Ok((key, get(row, "actions")?))
            })
            .collect()
    }

    /// The open (or paused) issues raised in each of these chats, with who
    /// raised them, by (platform, chat id): all of them, or only those raised
    /// by the requester given with the chat.
    pub async fn open_chat_issues(
        &mut self,
        chats: &[(&str, &str, Option<String>)],
    ) -> StoreResult<HashMap<(String, String), Vec<KnownIssue>>> {
        if let Some(chat) = self.chat_index() {
            let mut index = std::mem::take(&mut *chat.index);
            let found = self.open_chat_issues_indexed(&mut index, chats).await;
            if let Some(chat) = self.chat_index() {
                *chat.index = index;
            }
            return found;
        }
        let source = self.backend.json_rows(1, &typed("platform, chat_id, raised_by"));
        // Two halves rather than one `OR`, so that a requester's issues are
        // found by the whole key rather than among all of the chat's.
        let select = format!(
            "SELECT c.platform AS chat_platform, c.chat_id AS chat, c.raised_by, {KNOWN_COLUMNS} FROM {} \
             JOIN chat_issues c ON c.platform = j.platform AND c.chat_id = j.chat_id",
            source.from
        );
        let sql = format!(
            "{} {select} AND c.raised_by = j.raised_by JOIN issues i ON i.seq = c.issue_seq \
             WHERE j.raised_by IS NOT NULL AND i.status IN ('open', 'paused') \
             UNION ALL {select} JOIN issues i ON i.seq = c.issue_seq \
             WHERE j.raised_by IS NULL AND i.status IN ('open', 'paused')",
            source.with
        );
        let rows = self.fetch_json(&sql, chats).await?;
        let mut found: HashMap<(String, String), Vec<KnownIssue>> = HashMap::new();
        for row in &rows {
            if let Some(issue) = known_issue(row, get(row, "raised_by")?)? {
                let chat = (get(row, "chat_platform")?, get(row, "chat")?);
                found.entry(chat).or_default().push(issue);
            }
        }
        Ok(found)
    }

    /// [`WriteTx::open_chat_issues`] with the writer's index: reads the rows
    /// of the chats' candidate issues only, and forgets those found closed.
    async fn open_chat_issues_indexed(
        &mut self,
        index: &mut ChatIssueIndex,
        chats: &[(&str, &str, Option<String>)],
    ) -> StoreResult<HashMap<(String, String), Vec<KnownIssue>>> {
        if !index.loaded {
            let sql = format!(
                "SELECT {CHAT_ISSUE_COLUMNS} FROM chat_issues c \
                 JOIN issues i ON i.seq = c.issue_seq WHERE i.status IN ('open', 'paused')"
            );
            let rows = self.fetch(Statement::new(sql)).await?;
            index.load(rows.iter().map(chat_issue).collect::<StoreResult<_>>()?);
        }
        let mut wanted: Vec<i64> = chats
            .iter()
            .flat_map(|(platform, chat_id, raised_by)| {
                index.candidates(platform, chat_id, raised_by.as_deref())
            })
            .collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        wanted.sort_unstable();
        wanted.dedup();
        let requested: HashMap<(&str, &str), Option<&str>> = chats
            .iter()
            .map(|(platform, chat_id, raised_by)| ((*platform, *chat_id), raised_by.as_deref()))
            .collect();
        // Issues with a copy in memory need no read.
        let mut found: HashMap<(String, String), Vec<KnownIssue>> = HashMap::new();
        let chat_of: HashMap<i64, (&str, &str)> = chats
            .iter()
            .flat_map(|(platform, chat_id, _)| {
                index
                    .chats
                    .get(&(platform.to_string(), chat_id.to_string()))
                    .into_iter()
                    .flatten()
                    .map(move |(seq, _)| (*seq, (*platform, *chat_id)))
            })
            .collect();
        wanted.retain(|seq| {
            let (Some(copy), Some(&(platform, chat_id))) = (index.known.get(seq), chat_of.get(seq)) else {
                return true;
            };
            let wanted_by = requested.get(&(platform, chat_id)).copied().flatten();
            if wanted_by.is_none_or(|wanted_by| copy.raised_by.as_deref() == Some(wanted_by)) {
                found
                    .entry((platform.to_string(), chat_id.to_string()))
                    .or_default()
                    .push(copy.clone());
            }
            false
        });
        if wanted.is_empty() {
            return Ok(found);
        }
        let sql = format!(
            "SELECT c.platform AS chat_platform, c.chat_id AS chat, c.raised_by, {KNOWN_COLUMNS} FROM ({}) j \
             JOIN chat_issues c ON c.issue_seq = j.value JOIN issues i ON i.seq = c.issue_seq ORDER BY i.seq",
            self.backend.json_list_of(1, SqlType::Int)
        );
        let rows = self.fetch_json(&sql, &wanted).await?;
        let mut closed: Vec<((String, String), i64)> = Vec::new();
        for row in &rows {
            let chat: (String, String) = (get(row, "chat_platform")?, get(row, "chat")?);
            let raised_by: String = get(row, "raised_by")?;
            let Some(&wanted_by) = requested.get(&(chat.0.as_str(), chat.1.as_str())) else {
                continue;
            };
            match known_issue(row, Some(raised_by.clone()))? {
                Some(issue) if issue.state != IssueState::Closed => {
                    index.remember(&issue);
                    // The hash matched; the requester must too.
                    if wanted_by.is_none_or(|wanted_by| wanted_by == raised_by) {
                        found.entry(chat).or_default().push(issue);
                    }
                }
                _ => closed.push((chat, get(row, "seq")?)),
            }
        }
        for (chat, seq) in closed {
            index.forget(chat, seq);
        }
        Ok(found)
    }

    /// Chat issues that were closed and are open again (SQLite): the
    /// writer's index takes them back once the transaction commits.
    pub async fn chat_issues_reopened(&mut self, seqs: &[i64]) -> StoreResult<()> {
        if seqs.is_empty() || self.chat_index().is_none() {
            return Ok(());
        }
        let sql = format!(
            "SELECT {CHAT_ISSUE_COLUMNS} FROM chat_issues c WHERE c.issue_seq IN ({})",
            self.backend.json_list_of(1, SqlType::Int)
        );
        let rows = self.fetch_json(&sql, seqs).await?;
        let reopened = rows.iter().map(chat_issue).collect::<StoreResult<Vec<_>>>()?;
        if let Some(chat) = self.chat_index() {
            chat.chat_issues.extend(reopened);
        }
        Ok(())
    }

    /// The issues a message touched (as its stored answer lists them),
    /// newest first.
    pub async fn message_issues(
        &mut self,
        platform: &str,
        chat_id: &str,
        message_id: &str,
    ) -> StoreResult<Vec<KnownIssue>> {
        let sql = format!(
            "SELECT DISTINCT {KNOWN_COLUMNS} FROM (SELECT a.value ->> 'issue' AS wanted \
             FROM messages m, {} WHERE m.platform = $1 AND m.chat_id = $2 AND m.message_id = $3) q \
             JOIN issues i ON {} ORDER BY i.seq DESC",
            self.backend.json_elements("m.actions", "a"),
            self.backend.issue_key_is("i.issue", "q.wanted")
        );
        let rows = self
            .fetch(Statement::new(sql).bind(platform).bind(chat_id).bind(message_id))
            .await?;
        let mut issues = Vec::with_capacity(rows.len());
        for row in &rows {
            issues.extend(known_issue(row, None)?);
        }
        Ok(issues)
    }

    /// A project's issue by its `seq`.
    pub async fn issue_by_seq(&mut self, project: &str, seq: i64) -> StoreResult<Option<KnownIssue>> {
        let sql = format!("SELECT {KNOWN_COLUMNS} FROM issues i WHERE i.seq = $1 AND i.project = $2");
        let row = self
            .fetch(Statement::new(sql).bind(seq).bind(project))
            .await?
            .into_iter()
            .next();
        Ok(match row {
            Some(row) => known_issue(&row, None)?,
            None => None,
        })
    }
}

/// The columns of `chat_issues c` that make a [`ChatIssue`] ([`chat_issue`]).
const CHAT_ISSUE_COLUMNS: &str = "c.platform, c.chat_id, c.raised_by, c.issue_seq";

fn chat_issue(row: &impl Columns) -> StoreResult<ChatIssue> {
    Ok(ChatIssue {
        platform: get(row, "platform")?,
        chat_id: get(row, "chat_id")?,
        raised_by: get(row, "raised_by")?,
        seq: get(row, "issue_seq")?,
    })
}

/// The columns of `issues i` that classification needs ([`known_issue`]).
const KNOWN_COLUMNS: &str = "i.issue, i.seq, i.status, i.raised_ms, i.first_seen_ms, i.updated_ms, i.title, \
                             i.ack_outcome, i.handle_outcome, i.plan_outcome";

/// [`known_issue`] from an issue row the writer wrote, the same facts as
/// read back from its columns.
fn known_from_row(row: &IssueRow, raised_by: Option<String>) -> Option<KnownIssue> {
    let state = match row.status {
        IssueStatus::Open => IssueState::Open,
        IssueStatus::Paused => IssueState::Paused,
        IssueStatus::Closed => IssueState::Closed,
        IssueStatus::Unraised => return None,
    };
    let settled = |stage: Stage| {
        settled(
            row.stages
                .iter()
                .find(|snapshot| snapshot.stage == stage)
                .map(|snapshot| snapshot.outcome()),
        )
    };
    Some(KnownIssue {
        issue: row.issue.clone(),
        seq: row.seq,
        state,
        raised_by,
        raised_at: row.raised_at.unwrap_or(row.first_seen),
        acknowledged: settled(Stage::Ack),
        handled: settled(Stage::Handle),
        planned: settled(Stage::Plan),
        title: row.title.clone().unwrap_or_default(),
        about: Default::default(),
        about_hash: 0,
        last_active: row.updated,
        topic_cache: Default::default(),
        title_topic_cache: Default::default(),
    })
}

/// Whether nothing waits for a stage with this stored outcome: met, late or
/// not, or waived; or no such stage in the current cycle.
fn settled(outcome: Option<&str>) -> bool {
    outcome.is_none_or(|outcome| matches!(outcome, "met" | "met_late" | "waived"))
}

/// What classification needs to know of a stored issue; none for an issue
/// that was never raised.
fn known_issue(row: &impl Columns, raised_by: Option<String>) -> StoreResult<Option<KnownIssue>> {
    let state = match parse_status(&get::<String>(row, "status")?) {
        IssueStatus::Open => IssueState::Open,
        IssueStatus::Paused => IssueState::Paused,
        IssueStatus::Closed => IssueState::Closed,
        IssueStatus::Unraised => return Ok(None),
    };
    let settled =
        |column: &str| -> StoreResult<bool> { Ok(settled(get::<Option<String>>(row, column)?.as_deref())) };
    let first_seen = from_ms(get(row, "first_seen_ms")?);
    Ok(Some(KnownIssue {
        issue: get(row, "issue")?,
        seq: get(row, "seq")?,
        state,
        raised_by,
        raised_at: get::<Option<i64>>(row, "raised_ms")?.map_or(first_seen, from_ms),
        acknowledged: settled("ack_outcome")?,
        handled: settled("handle_outcome")?,
        planned: settled("plan_outcome")?,
        title: get::<Option<String>>(row, "title")?.unwrap_or_default(),
        about: Default::default(),
        about_hash: 0,
        last_active: from_ms(get(row, "updated_ms")?),
        topic_cache: Default::default(),
        title_topic_cache: Default::default(),
    }))
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
        let sql = self.backend.positional(&sql);
        let keys = serde_json::to_string(issues).unwrap_or_else(|_| "[]".into());
        let rows = sqlx::query(&sql).bind(keys).fetch_all(self.pool()).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn raised(chat_id: &str, raised_by: &str, seq: i64) -> ChatIssue {
        ChatIssue {
            platform: "wechat".into(),
            chat_id: chat_id.into(),
            raised_by: raised_by.into(),
            seq,
        }
    }

    #[test]
    fn the_chat_index_finds_a_chats_issues_by_requester_and_forgets_closed_ones() {
        let mut index = ChatIssueIndex::default();
        // Not read from the store yet: additions wait for that read.
        index.add(vec![raised("grp", "wechat:wang", 1)]);
        assert!(index.candidates("wechat", "grp", None).is_empty());

        index.loaded = true;
        index.add(vec![
            raised("grp", "wechat:wang", 1),
            raised("grp", "wechat:li", 2),
            raised("other", "wechat:wang", 3),
        ]);
        // Added again (reopened): still once.
        index.add(vec![raised("grp", "wechat:wang", 1)]);
        assert_eq!(index.candidates("wechat", "grp", None), vec![1, 2]);
        assert_eq!(index.candidates("wechat", "grp", Some("wechat:wang")), vec![1]);
        assert_eq!(
            index.candidates("wechat", "other", Some("wechat:li")),
            Vec::<i64>::new()
        );
        assert!(index.candidates("slack", "grp", None).is_empty());

        let grp = ("wechat".to_string(), "grp".to_string());
        index.forget(grp.clone(), 1);
        assert_eq!(index.candidates("wechat", "grp", None), vec![2]);
        index.forget(grp, 2);
        assert!(!index
            .chats
            .contains_key(&("wechat".to_string(), "grp".to_string())));
    }
    /// The writer's copy of an issue it wrote says what reading the issue
    /// back says, for every status and stage outcome.
    #[tokio::test]
    async fn a_copy_from_the_written_row_equals_the_row_read_back() {
        use crate::store::rows::StageSnapshot;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/chat.db", dir.path().display());
        let store = Store::connect(&url, 1).await.unwrap();
        store.migrate().await.unwrap();
        let snapshot = |stage: Stage, form: u64| {
            let mut snapshot = StageSnapshot {
                stage,
                target: "10m".into(),
                deadline: Some(5_000),
                at_risk: Some(4_000),
                met: None,
                waived: None,
                paused_remaining: None,
                paused_at_risk: false,
                final_breach: false,
            };
            match form {
                1 => snapshot.met = Some(4_500),
                2 => snapshot.met = Some(6_000),
                3 => snapshot.waived = Some(4_000),
                4 => snapshot.final_breach = true,
                5 => {
                    (snapshot.deadline, snapshot.at_risk) = (None, None);
                    snapshot.paused_remaining = Some(100);
                }
                _ => {}
            }
            snapshot
        };
        let statuses = [IssueStatus::Open, IssueStatus::Paused, IssueStatus::Closed];
        let rows: Vec<IssueRow> = (0..36_u64)
            .map(|n| IssueRow {
                issue: format!("wechat:grp:m{n}"),
                seq: n as i64 + 1,
                project: Some("p".into()),
                priority: None,
                title: (n % 4 != 0).then(|| format!("停水 {n}")),
                policy: None,
                status: statuses[(n % 3) as usize],
                cycle: 1,
                cycle_start: Some(from_ms(1_000)),
                raised_at: (n % 5 != 0).then(|| from_ms(1_000 + n as i64)),
                closed_at: None,
                resolution: None,
                first_seen: from_ms(900),
                updated: from_ms(2_000 + n as i64),
                next_due: None,
                // Every stage in every form over the rows; now and then a
                // stage the policy does not have.
                stages: Stage::ALL
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (n + *i as u64) % 7 != 0)
                    .map(|(i, stage)| snapshot(*stage, (n / 3 + i as u64) % 6))
                    .collect(),
            })
            .collect();
        let mut tx = store.begin().await.unwrap();
        tx.save_issues(&rows, |_| false).await.unwrap();
        tx.commit().await.unwrap();
        let read = sqlx::query(&format!("SELECT {KNOWN_COLUMNS} FROM issues i ORDER BY i.seq"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(read.len(), rows.len());
        for (row, stored) in rows.iter().zip(&read) {
            let by = Some("wechat:wang".to_string());
            assert_eq!(
                known_from_row(row, by.clone()),
                known_issue(stored, by).unwrap(),
                "{row:?}"
            );
        }
    }
}
