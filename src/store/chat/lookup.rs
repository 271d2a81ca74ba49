//! What classification reads inside the writer's transaction: stored
//! answers, a chat's open issues, the issue a reply or `#seq` names.

use super::{ChatIssue, ChatIssueIndex};
use crate::domain::classify::{IssueState, KnownIssue};
use crate::domain::issue::IssueStatus;
use crate::domain::policy::Stage;
use crate::store::dialect::SqlType;
use crate::store::rows::{parse_status, IssueRow};
use crate::store::sql::Statement;
use crate::store::write::{typed, WriteTx};
use crate::store::{from_ms, get, Columns, StoreResult};
use std::collections::HashMap;

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
pub(super) const KNOWN_COLUMNS: &str =
    "i.issue, i.seq, i.status, i.raised_ms, i.first_seen_ms, i.updated_ms, i.title, \
                             i.ack_outcome, i.handle_outcome, i.plan_outcome";

/// [`known_issue`] from an issue row the writer wrote, the same facts as
/// read back from its columns.
pub(super) fn known_from_row(row: &IssueRow, raised_by: Option<String>) -> Option<KnownIssue> {
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
pub(super) fn known_issue(row: &impl Columns, raised_by: Option<String>) -> StoreResult<Option<KnownIssue>> {
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
