//! The issues a message may touch, as the caller fetched them from the
//! store: each issue's facts ([`KnownIssue`]) and, for one message, the open
//! issues, the replied-to and named ones and the chat's people ([`Context`]).

use super::Person;
use crate::domain::reading::{topic, Lexicon, Topic};
use crate::domain::Timestamp;
use chrono::{DateTime, Utc};

/// Where an issue stands, as far as chat commands care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IssueState {
    #[default]
    Open,
    Paused,
    Closed,
}

/// Facts about an issue that the caller fetched from the store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KnownIssue {
    /// The issue key.
    pub issue: String,
    pub seq: i64,
    pub state: IssueState,
    /// The identity of the requester who raised it from chat.
    pub raised_by: Option<String>,
    pub raised_at: DateTime<Utc>,
    /// Whether the current cycle's `ack` is met.
    pub acknowledged: bool,
    /// Whether the current cycle's `handle` is met.
    pub handled: bool,
    /// Whether the current cycle's `plan` is met.
    pub planned: bool,
    /// The issue's title: what it is about.
    pub title: String,
    /// More of what it is about: the rest of the words that raised it and
    /// of the messages that joined it (see [`IssueWords`]), shared.
    pub about: std::sync::Arc<str>,
    /// A hash of `about`, worked out once when it was noted.
    pub about_hash: u64,
    /// When its state last changed.
    pub last_active: DateTime<Utc>,
    /// What the title is about, worked out once per message classified.
    pub topic_cache: std::cell::OnceCell<Topic>,
    /// What the title alone is about, when `about` adds to it.
    pub title_topic_cache: std::cell::OnceCell<Topic>,
}

impl KnownIssue {
    /// What the issue is about, for matching messages to it.
    pub(super) fn topic(&self, lexicon: &Lexicon) -> &Topic {
        self.topic_cache.get_or_init(|| {
            if self.about.is_empty() {
                topic(&self.title, lexicon)
            } else {
                topic(&format!("{}\n{}", self.title, self.about), lexicon)
            }
        })
    }

    /// What its title alone is about: whether a message is another matter
    /// is judged on this, so that words that joined the issue since
    /// ("工地" of a site the team sent a crew to) do not swallow a new
    /// matter that happens to share them.
    pub(super) fn title_topic(&self, lexicon: &Lexicon) -> &Topic {
        if self.about.is_empty() {
            self.topic(lexicon)
        } else {
            self.title_topic_cache.get_or_init(|| topic(&self.title, lexicon))
        }
    }

    /// Open or paused: not closed.
    pub(super) fn is_live(&self) -> bool {
        self.state != IssueState::Closed
    }
}

/// The issues a message may touch, fetched by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The open and paused issues of the message's chat, in any order; only
    /// those [`Directory::open_issues_needed`] names are consulted.
    pub open_issues: &'a [KnownIssue],
    /// The issue the replied-to message belongs to, in any state.
    pub replied: Option<&'a KnownIssue>,
    /// The issue named by the command's `#seq` in the chat's project, in any
    /// state; only consulted when [`parse_text`] found a `seq`.
    pub named: Option<&'a KnownIssue>,
    /// The second issue a `/merge` names (the one the first joins).
    pub named_other: Option<&'a KnownIssue>,
    /// Whether the replied-to message raised [`Context::replied`].
    pub replied_raised: bool,
    /// The events the replied-to message recorded, for `/undo`:
    /// (event id, issue key, event kind).
    pub replied_events: &'a [(String, String, String)],
    /// The people seen in the chat, with their names, for mentions.
    pub people: &'a [Person],
    /// When a colleague last `@`-mentioned the sender in the chat: a staff
    /// member answering such a call talks to the colleague.
    pub called: Option<Timestamp>,
}
