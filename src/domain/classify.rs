//! Chat message → issue events (SPEC §4): who spoke, and what the message does
//! to the chat's issues.
//!
//! Pure: the caller looks up what the message may touch and passes it in as a
//! [`Context`]: the chat's open issues, the issue of the message it replies
//! to, and, when [`parse_text`] finds a `#seq` after a command, the issue of
//! that number in the chat's project. It then stores the message and applies
//! the returned actions in order. The text rules (commands, pleasantries,
//! titles) live in `classify_text.rs`.

use crate::domain::event::{EventKind, Resolution, Role};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};

#[path = "classify_text.rs"]
mod text;

use text::{is_pleasantry, title};
pub use text::{
    parse_text, Command, Commands, Parsed, Pleasantries, COMMAND_WORDS, EMPTY_TITLE, TITLE_CHARS,
};

/// How long after raising an issue a requester's further messages join it
/// (until staff acknowledge it): people type one problem in several messages.
pub const DEFAULT_MERGE_WINDOW: TimeDelta = TimeDelta::minutes(10);

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

/// What the configuration says about chats and people. Chats and people are
/// identities (`wechat:grp-zhongtai`, `wechat:wxid_abc`, see [`identity`]).
#[derive(Debug, Clone)]
pub struct Directory {
    /// Chat → project.
    chats: HashMap<String, String>,
    /// Project → its staff.
    project_staff: HashMap<String, HashSet<String>>,
    /// Staff of the whole zone: staff in every chat.
    zone_staff: HashSet<String>,
    bot_ids: HashSet<String>,
    pleasantries: Pleasantries,
    merge_window: TimeDelta,
    commands: Commands,
}

impl Default for Directory {
    /// No chats or people; default pleasantries, merge window and commands.
    fn default() -> Self {
        Self {
            chats: HashMap::new(),
            project_staff: HashMap::new(),
            zone_staff: HashSet::new(),
            bot_ids: HashSet::new(),
            pleasantries: Pleasantries::new(DEFAULT_PLEASANTRIES),
            merge_window: DEFAULT_MERGE_WINDOW,
            commands: Commands::default(),
        }
    }
}

impl Directory {
    /// Maps a chat to its project.
    pub fn with_chat(mut self, chat: impl Into<String>, project: impl Into<String>) -> Self {
        self.chats.insert(chat.into(), project.into());
        self
    }

    /// Adds a member to a project's team.
    pub fn with_staff(mut self, project: impl Into<String>, person: impl Into<String>) -> Self {
        self.project_staff
            .entry(project.into())
            .or_default()
            .insert(person.into());
        self
    }

    /// Adds a member of the zone's team, who is staff in every chat.
    pub fn with_zone_staff(mut self, person: impl Into<String>) -> Self {
        self.zone_staff.insert(person.into());
        self
    }

    /// Adds one of the bot's own identities: its messages are never events.
    pub fn with_bot(mut self, bot: impl Into<String>) -> Self {
        self.bot_ids.insert(bot.into());
        self
    }

    /// Replaces the pleasantries.
    pub fn with_pleasantries<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, words: I) -> Self {
        self.pleasantries = Pleasantries::new(words);
        self
    }

    /// Replaces the merge window.
    pub fn with_merge_window(mut self, window: TimeDelta) -> Self {
        self.merge_window = window;
        self
    }

    /// Replaces the command words.
    pub fn with_commands(mut self, commands: Commands) -> Self {
        self.commands = commands;
        self
    }

    /// The message's project, its sender's identity and whether the sender
    /// is staff; or why the message is ignored whatever its context.
    fn place(&self, message: &Message) -> Result<(&String, String, bool), IgnoreReason> {
        // One buffer for both lookups: this runs for every message of every chat.
        let mut key = String::with_capacity(
            message.platform.len() + 1 + message.chat_id.len().max(message.sender_id.len()),
        );
        key.push_str(&message.platform);
        key.push(':');
        let prefix = key.len();
        key.push_str(&message.chat_id);
        let Some(project) = self.chats.get(&key) else {
            return Err(IgnoreReason::UnmappedChat);
        };
        key.truncate(prefix);
        key.push_str(&message.sender_id);
        let sender = key;
        if self.bot_ids.contains(&sender) {
            return Err(IgnoreReason::OwnMessage);
        }
        let is_staff = self.zone_staff.contains(&sender)
            || self
                .project_staff
                .get(project)
                .is_some_and(|staff| staff.contains(&sender));
        Ok((project, sender, is_staff))
    }

    /// Which of the chat's open issues [`classify`] needs in
    /// [`Context::open_issues`] for `message`: a staff message may act on
    /// any of them, a requester's message only merges into one the same
    /// requester raised, and an ignored message needs none.
    pub fn open_issues_needed(&self, message: &Message) -> OpenIssues {
        match self.place(message) {
            Err(_) => OpenIssues::None,
            Ok((_, _, true)) => OpenIssues::All,
            Ok((_, sender, false)) => OpenIssues::RaisedBy(sender),
        }
    }

    /// The project of a chat, so the caller can look up a `#seq` in it.
    pub fn project_of(&self, platform: &str, chat_id: &str) -> Option<&str> {
        self.chats.get(&identity(platform, chat_id)).map(String::as_str)
    }

    /// The command words, so the caller can [`parse_text`] before fetching the
    /// issue a command names.
    pub fn commands(&self) -> &Commands {
        &self.commands
    }
}

/// Where an issue stands, as far as chat commands care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueState {
    Open,
    Paused,
    Closed,
}

/// Facts about an issue that the caller fetched from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl KnownIssue {
    /// Open or paused: not closed.
    fn is_live(&self) -> bool {
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
}

/// See [`Directory::open_issues_needed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenIssues {
    None,
    /// Those raised by this identity.
    RaisedBy(String),
    All,
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
}

/// What an [`Action`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// The message becomes part of the issue's conversation; no event.
    Joined,
    /// A `raised` event starting issue `{platform}:{chat_id}:{message_id}`.
    Raised { title: String },
    /// Any other event.
    Event {
        kind: EventKind,
        resolution: Option<Resolution>,
    },
}

/// Classifies one message (SPEC §4), in this order:
///
/// 1. An unmapped chat or the bot's own message: ignored.
/// 2. A requester (anyone not staff of the chat's project or the zone): no
///    text or only pleasantries is ignored; a reply to a message of an open or
///    paused issue joins it; else a message within the merge window of their
///    own unacknowledged open issue joins the newest such; else it raises
///    `{platform}:{chat_id}:{message_id}`. Command words are plain text here.
/// 3. Staff: acknowledgements, then at most one command event (see
///    [`parse_text`] for how commands are read).
pub fn classify(message: &Message, directory: &Directory, context: &Context) -> Classification {
    let (project, sender, is_staff) = match directory.place(message) {
        Ok(placed) => placed,
        Err(reason) => return Classification::Ignored(reason),
    };
    let (role, actions) = if is_staff {
        (Role::Staff, staff_actions(message, directory, context))
    } else {
        match requester_action(message, &sender, directory, context) {
            Ok(action) => (Role::Requester, vec![action]),
            Err(reason) => return Classification::Ignored(reason),
        }
    };
    Classification::Actions {
        project: project.clone(),
        role,
        actions,
    }
}

/// SPEC §4 rule 2. Command words from requesters are plain text: only staff
/// can move an issue along.
fn requester_action(
    message: &Message,
    sender: &str,
    directory: &Directory,
    context: &Context,
) -> Result<Action, IgnoreReason> {
    if message.text.trim().is_empty() {
        return Err(IgnoreReason::Empty);
    }
    if is_pleasantry(&message.text, &directory.pleasantries) {
        return Err(IgnoreReason::Pleasantry);
    }
    // A reply to a closed issue's message is a new problem (or a merge), not a reopen.
    if let Some(issue) = context.replied.filter(|issue| issue.is_live()) {
        return Ok(act(issue, ActionKind::Joined));
    }
    let merge = context
        .open_issues
        .iter()
        .filter(|issue| {
            issue.is_live()
                && !issue.acknowledged
                && issue.raised_by.as_deref() == Some(sender)
                && (message.at - issue.raised_at).abs() <= directory.merge_window
        })
        .max_by_key(|issue| (issue.raised_at, issue.seq));
    if let Some(issue) = merge {
        return Ok(act(issue, ActionKind::Joined));
    }
    Ok(Action {
        issue: format!("{}:{}:{}", message.platform, message.chat_id, message.message_id),
        seq: None,
        kind: ActionKind::Raised {
            title: title(&message.text),
        },
    })
}

/// SPEC §4 rule 3: acknowledgements first (in `seq` order), then the command.
///
/// A reply is addressed to its issue alone, so it acknowledges only that one
/// (nothing when it is closed or already acknowledged); any other staff
/// message, pleasantries and images included, is the team answering the chat.
fn staff_actions(message: &Message, directory: &Directory, context: &Context) -> Vec<Action> {
    let mut actions = Vec::new();
    let unacknowledged = |issue: &&KnownIssue| issue.is_live() && !issue.acknowledged;
    let acknowledge = |issue: &KnownIssue| act(issue, ACKNOWLEDGED);
    match context.replied {
        Some(issue) => actions.extend(Some(issue).filter(unacknowledged).map(acknowledge)),
        None => {
            actions.extend(context.open_issues.iter().filter(unacknowledged).map(acknowledge));
            actions.sort_by_key(|action| action.seq);
            actions.dedup_by(|a, b| a.issue == b.issue);
        }
    }
    let parsed = parse_text(&message.text, &directory.commands);
    if let Some(command) = parsed.command {
        if let Some(target) = command_target(command, parsed.seq, context) {
            let (kind, resolution) = command.event();
            actions.push(act(target, ActionKind::Event { kind, resolution }));
        }
    }
    actions
}

/// The issue a command acts on: the replied one, else the one named by `#seq`,
/// else the newest open issue the command fits. An explicit target the
/// command does not fit (`/pause` on a paused issue), or a `#seq` the caller
/// could not find, means no action rather than a guess.
fn command_target<'a>(command: Command, seq: Option<i64>, context: &Context<'a>) -> Option<&'a KnownIssue> {
    let target = match (context.replied, seq) {
        (Some(issue), _) => issue,
        (None, Some(_)) => context.named?,
        (None, None) => {
            return context
                .open_issues
                .iter()
                .filter(|issue| fits(command, issue.state))
                .max_by_key(|issue| (issue.raised_at, issue.seq))
        }
    };
    fits(command, target.state).then_some(target)
}

/// Whether `command` makes sense in `state`: only `/reopen` acts on a closed
/// issue (and only there), pausing needs a running issue, resuming a paused one.
fn fits(command: Command, state: IssueState) -> bool {
    match command {
        Command::Reopen => state == IssueState::Closed,
        Command::Pause => state == IssueState::Open,
        Command::Resume => state == IssueState::Paused,
        Command::Handle | Command::Plan | Command::Close(_) => state != IssueState::Closed,
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
    }
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "classify_props.rs"]
mod props;
