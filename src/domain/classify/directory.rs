//! What the configuration says about chats and people: which project a chat
//! belongs to, who is staff where, the bot's own identities, and the words
//! and windows classification reads messages with.

use super::{identity, Commands, IgnoreReason, Message, DEFAULT_CONVERSATION_WINDOW, DEFAULT_MERGE_WINDOW};
use crate::domain::reading::Lexicon;
use chrono::TimeDelta;
use std::collections::{HashMap, HashSet};

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
    merge_window: TimeDelta,
    pub(super) commands: Commands,
    pub(super) lexicon: Lexicon,
    pub(super) window: TimeDelta,
    /// Projects whose requesters' confirmations do not close their issues.
    keep_open_on_confirm: HashSet<String>,
}

impl Default for Directory {
    /// No chats or people; default pleasantries, merge window and commands.
    fn default() -> Self {
        Self {
            chats: HashMap::new(),
            project_staff: HashMap::new(),
            zone_staff: HashSet::new(),
            bot_ids: HashSet::new(),
            merge_window: DEFAULT_MERGE_WINDOW,
            commands: Commands::default(),
            lexicon: Lexicon::default(),
            window: DEFAULT_CONVERSATION_WINDOW,
            keep_open_on_confirm: HashSet::new(),
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

    /// Adds pleasantries: words a requester may say without raising anything.
    pub fn with_pleasantries<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, words: I) -> Self {
        self.lexicon = self
            .lexicon
            .with_more("thanks", words.into_iter().map(|w| w.as_ref().to_string()));
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

    /// Replaces the phrase lists and topics.
    pub fn with_lexicon(mut self, lexicon: Lexicon) -> Self {
        self.lexicon = lexicon;
        self
    }

    /// Replaces the conversation window.
    pub fn with_conversation_window(mut self, window: TimeDelta) -> Self {
        self.window = window;
        self
    }

    /// Whether a requester's confirmation that the problem is gone closes
    /// the issue in `project` (the default) or only joins it.
    pub fn with_close_on_confirm(mut self, project: impl Into<String>, close: bool) -> Self {
        let project = project.into();
        if close {
            self.keep_open_on_confirm.remove(&project);
        } else {
            self.keep_open_on_confirm.insert(project);
        }
        self
    }

    pub(super) fn closes_on_confirm(&self, project: &str) -> bool {
        !self.keep_open_on_confirm.contains(project)
    }

    /// Whether `person` (an identity) is staff of any project or the zone.
    pub fn is_staff_anywhere(&self, person: &str) -> bool {
        self.zone_staff.contains(person) || self.project_staff.values().any(|staff| staff.contains(person))
    }

    /// Whether `person` is staff in the chat's project (or the zone).
    pub fn is_staff_in(&self, platform: &str, chat_id: &str, person: &str) -> bool {
        self.zone_staff.contains(person)
            || self
                .chats
                .get(&identity(platform, chat_id))
                .and_then(|project| self.project_staff.get(project))
                .is_some_and(|staff| staff.contains(person))
    }

    /// The message's project, its sender's identity and whether the sender
    /// is staff; or why the message is ignored whatever its context.
    pub(super) fn place(&self, message: &Message) -> Result<(&String, String, bool), IgnoreReason> {
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
            // A requester's message may join an issue a colleague raised.
            Ok(_) => OpenIssues::All,
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

/// See [`Directory::open_issues_needed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenIssues {
    None,
    /// Those raised by this identity.
    RaisedBy(String),
    All,
}
