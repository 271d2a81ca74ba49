//! Chat message → issue events (SPEC §4): who spoke, and what the message does
//! to the chat's issues.
//!
//! Pure: the caller looks up what the message may touch and passes it in as a
//! [`Context`]: the chat's open issues, the issue of the message it replies
//! to, and, when [`parse_text`] finds a `#seq` after a command, the issue of
//! that number in the chat's project. It then stores the message and applies
//! the returned actions in order. The text rules (commands, pleasantries,
//! titles) live in `classify/text.rs`.
//!
//! Here: the message, what it amounts to and [`classify`] itself. Beside
//! it: the configuration it reads (`directory`), the issues passed in
//! (`context`), the two rules (`requester`, `staff`) and what they use
//! (`matching`, `audience`, `commands`, `raising`), and what is remembered
//! between messages (`people`, `issue_memory`).

use crate::domain::event::{EventKind, Resolution, Role};
use crate::domain::reading::Because;
use chrono::{DateTime, TimeDelta, Utc};

mod audience;
mod commands;
mod context;
mod directory;
mod issue_memory;
mod matching;
mod people;
mod raising;
mod requester;
mod staff;
mod text;

pub use context::{Context, IssueState, KnownIssue};
pub use directory::{Directory, OpenIssues};
pub use issue_memory::{IssueWords, TopicCache};
pub use matching::replied_issue;
pub use people::{ChatPeople, Person};
pub use raising::raised_key;
use requester::requester_actions;
use staff::staff_actions;
pub use text::{parse_text, Command, Commands, Parsed, COMMAND_WORDS, EMPTY_TITLE, TITLE_CHARS};

/// How long after raising an issue a requester's further messages join it
/// (until staff acknowledge it): people type one problem in several messages.
pub const DEFAULT_MERGE_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// The most open issues of a chat classification looks at: the newest ones.
/// A group with more open at once has a backlog no message resolves by
/// guessing; replies and `#seq` still reach any issue.
pub const MAX_OPEN_ISSUES: usize = 10;

/// How long after its last activity an open issue is still the chat's
/// conversation: later messages about nothing new join it until then.
pub const DEFAULT_CONVERSATION_WINDOW: TimeDelta = TimeDelta::days(3);

/// The pleasantries of the default configuration.
pub const DEFAULT_PLEASANTRIES: [&str; 5] = ["谢谢", "好的", "收到", "ok", "thanks"];

/// A chat message as received (the generic form of SPEC §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub platform: String,
    pub message_id: String,
    pub chat_id: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub text: String,
    pub at: DateTime<Utc>,
    /// The id of the message this one replies to or quotes.
    pub reply_to: Option<String>,
    pub mentions: Vec<String>,
}

/// `platform:id`, the form of every chat and person identity in configuration.
pub fn identity(platform: &str, id: &str) -> String {
    format!("{platform}:{id}")
}

/// What a message amounts to. The caller stores the message either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// No event comes from it.
    Ignored(IgnoreReason),
    /// A message of a mapped chat by a requester or staff. A staff message
    /// with nothing to acknowledge and no command has no actions.
    Actions {
        project: String,
        role: Role,
        /// In the order they are to be applied.
        actions: Vec<Action>,
        /// The open issues' numbers when a command named no issue and its
        /// words matched none of them: the bot can ask which one.
        unplaced: Vec<i64>,
    },
}

/// Why a message yields no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// The chat is not mapped to a project.
    UnmappedChat,
    /// The bot's own message.
    OwnMessage,
    /// A requester's message without text (an image, a sticker).
    Empty,
    /// A requester's thank-you, "OK", emoji…
    Pleasantry,
}

/// One thing a message does to one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The issue key.
    pub issue: String,
    /// The issue's `seq`; `None` for an issue being raised (the store assigns it).
    pub seq: Option<i64>,
    pub kind: ActionKind,
    /// Which rule decided, and the words that made it.
    pub because: Option<Because>,
    /// For the issue a `/merge` joins another to: that issue's key.
    pub merged_into: Option<String>,
    /// For an `undone` event: the ids of the events it takes back.
    pub undoes: Vec<String>,
}

/// What an [`Action`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// The message becomes part of the issue's conversation; no event.
    Joined,
    /// A `raised` event starting issue `{platform}:{chat_id}:{message_id}`;
    /// `matter` is the whole part of the message that raised it.
    Raised { title: String, matter: String },
    /// Any other event.
    Event {
        kind: EventKind,
        resolution: Option<Resolution>,
    },
}

/// Classifies one message (SPEC §4), in this order:
///
/// 1. An unmapped chat or the bot's own message: ignored.
/// 2. A requester (anyone not staff of the chat's project or the zone):
///    greetings, thanks, stickers and good news are ignored; a withdrawal or
///    a confirmation that the problem is gone joins the issue it is about
///    and closes it (if the project says so); a reply to a message of an open
///    issue joins it; a new matter (it asks for something, and names
///    another topic than the chat's open issues, or says "另外") raises one
///    issue per matter; anything else about an open issue joins it.
/// 3. Staff: a command (see [`parse_text`]) acts on the issue it names,
///    replies to or matches by its words; a problem passed on from a phone
///    call raises an issue; otherwise the message acknowledges the issues of
///    the requesters it addresses (all unacknowledged ones if it addresses
///    nobody in particular, none if it addresses only colleagues), and a
///    report of action taken or a concrete plan handles or plans the issue it
///    is about.
pub fn classify(message: &Message, directory: &Directory, context: &Context) -> Classification {
    let (project, sender, is_staff) = match directory.place(message) {
        Ok(placed) => placed,
        Err(reason) => return Classification::Ignored(reason),
    };
    let live: Vec<&KnownIssue> = context
        .open_issues
        .iter()
        .filter(|issue| {
            issue.is_live() && message.at - issue.last_active.max(issue.raised_at) <= directory.window
        })
        .collect();
    let (role, actions, unplaced) = if is_staff {
        let (actions, unplaced) = staff_actions(message, directory, context, &live);
        (Role::Staff, actions, unplaced)
    } else {
        match requester_actions(message, &sender, project, directory, context, &live) {
            Ok(actions) => (Role::Requester, actions, Vec::new()),
            Err(reason) => return Classification::Ignored(reason),
        }
    };
    Classification::Actions {
        project: project.clone(),
        role,
        actions,
        unplaced,
    }
}

const ACKNOWLEDGED: ActionKind = ActionKind::Event {
    kind: EventKind::Acknowledged,
    resolution: None,
};

/// An action on a known issue.
fn act(issue: &KnownIssue, kind: ActionKind) -> Action {
    Action {
        issue: issue.issue.clone(),
        seq: Some(issue.seq),
        kind,
        because: None,
        merged_into: None,
        undoes: Vec::new(),
    }
}

fn joined(issue: &KnownIssue) -> Action {
    act(issue, ActionKind::Joined)
}

fn event(issue: &KnownIssue, kind: EventKind, resolution: Option<Resolution>, because: Because) -> Action {
    Action {
        because: Some(because),
        ..act(issue, ActionKind::Event { kind, resolution })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod props;
