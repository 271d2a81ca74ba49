//! The SQLite writer's index of each chat's candidate open issues, and of
//! what the classifier knows of them, kept in the writer's state.

use super::lookup::known_from_row;
use super::ChatIssue;
use crate::domain::classify::{IssueState, KnownIssue};
use crate::store::rows::IssueRow;
use std::collections::HashMap;

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
    /// Whether the open chat issues have been read from the store yet.
    pub(super) loaded: bool,
    /// Per chat, its candidate issues: number and hash of who raised it.
    pub(super) chats: HashMap<(String, String), Vec<(i64, u64)>>,
    /// What the classifier knows of an issue, by number.
    pub(super) known: HashMap<i64, KnownIssue>,
}

/// Copies kept at most; past it they are dropped and read again as needed.
const MAX_KNOWN: usize = 200_000;

impl ChatIssueIndex {
    /// Takes every open chat issue, read from the store at first use.
    pub(super) fn load(&mut self, open: Vec<ChatIssue>) {
        self.chats.clear();
        self.loaded = true;
        self.add(open);
    }

    /// Adds chat issues (committed), once each.
    pub(in crate::store) fn add(&mut self, issues: Vec<ChatIssue>) {
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
    pub(super) fn candidates(&self, platform: &str, chat_id: &str, raised_by: Option<&str>) -> Vec<i64> {
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
    pub(in crate::store) fn refresh(&mut self, rows: &[IssueRow]) {
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
    pub(in crate::store) fn has_copy(&self, seq: i64) -> bool {
        self.known.contains_key(&seq)
    }

    /// Keeps a copy of an issue as read from the store.
    pub(super) fn remember(&mut self, issue: &KnownIssue) {
        if self.known.len() >= MAX_KNOWN {
            self.known.clear();
        }
        let mut copy = issue.clone();
        copy.topic_cache = Default::default();
        copy.title_topic_cache = Default::default();
        self.known.insert(issue.seq, copy);
    }

    /// Forgets an issue found closed.
    pub(super) fn forget(&mut self, chat: (String, String), closed: i64) {
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
pub(in crate::store) struct ChatIndexTx<'c> {
    /// The writer's index; a lookup takes it out while it reads the store
    /// through the same transaction, and puts it back.
    pub(super) index: &'c mut ChatIssueIndex,
    /// Chat issues this transaction raised or reopened.
    pub(super) chat_issues: Vec<ChatIssue>,
    /// Issue rows this transaction wrote that the index holds a copy of,
    /// to bring those copies up to date.
    pub(super) issues: Vec<IssueRow>,
}

impl<'c> ChatIndexTx<'c> {
    pub(in crate::store) fn new(index: &'c mut ChatIssueIndex) -> Self {
        ChatIndexTx {
            index,
            chat_issues: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// Keeps the written rows of issues the index holds a copy of; rows
    /// without a copy are not kept.
    pub(in crate::store) fn stage_issue_rows(&mut self, rows: &[IssueRow]) {
        let copied = rows.iter().filter(|row| self.index.has_copy(row.seq)).cloned();
        self.issues.extend(copied);
    }

    /// The transaction committed: the index takes in its changes.
    pub(in crate::store) fn committed(self) {
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
