//! Chat message → issue events (SPEC §4): who spoke, and what the message does
//! to the chat's issues.
//!
//! Pure: the caller looks up what the message may touch and passes it in as a
//! [`Context`]: the chat's open issues, the issue of the message it replies
//! to, and, when [`parse_text`] finds a `#seq` after a command, the issue of
//! that number in the chat's project. It then stores the message and applies
//! the returned actions in order. The text rules (commands, pleasantries,
//! titles) live in `classify/text.rs`.

use crate::domain::event::{EventKind, Resolution, Role};
use crate::domain::reading::{addressed, matters, read, time_anchors, topic, Because, Lexicon, Topic};
use crate::domain::Timestamp;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};

mod text;

use text::title;
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
    commands: Commands,
    lexicon: Lexicon,
    window: TimeDelta,
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

    fn closes_on_confirm(&self, project: &str) -> bool {
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
    fn topic(&self, lexicon: &Lexicon) -> &Topic {
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
    fn title_topic(&self, lexicon: &Lexicon) -> &Topic {
        if self.about.is_empty() {
            self.topic(lexicon)
        } else {
            self.title_topic_cache.get_or_init(|| topic(&self.title, lexicon))
        }
    }

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

/// The people seen in each chat (by `platform:chat_id`), learnt from the
/// messages classified: mentions and addresses name people, and the
/// configuration knows only their ids. Kept in memory, at most
/// [`ChatPeople::PER_CHAT`] a chat; after a restart it fills again.
#[derive(Debug, Clone, Default)]
pub struct ChatPeople(std::sync::Arc<std::sync::Mutex<HashMap<String, Roster>>>);

/// One chat's people, and when each was last called on by a colleague.
#[derive(Debug, Clone, Default)]
struct Roster {
    people: std::sync::Arc<Vec<Person>>,
    /// Identity, or `@` name as written, → when a staff member last
    /// `@`-mentioned them (a name: they may not have spoken yet).
    called: HashMap<String, Timestamp>,
}

impl ChatPeople {
    /// People remembered per chat; the least recently seen go first.
    pub const PER_CHAT: usize = 100;

    /// Notes the sender of `message` (and, for staff, whom it calls on) and
    /// returns the chat's people and, for staff, when a colleague last
    /// called on the sender, before this message.
    pub fn see(&self, message: &Message, staff: bool) -> (std::sync::Arc<Vec<Person>>, Option<Timestamp>) {
        let mut chats = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let roster = chats
            .entry(identity(&message.platform, &message.chat_id))
            .or_default();
        let who = identity(&message.platform, &message.sender_id);
        let name = message.sender_name.as_deref().unwrap_or_default();
        let known = roster
            .people
            .last()
            .is_some_and(|p| p.identity == who && p.name == name && p.staff == staff);
        if !known {
            // Copied only while an earlier message still holds the list.
            let people = std::sync::Arc::make_mut(&mut roster.people);
            people.retain(|p| p.identity != who);
            people.push(Person {
                identity: who.clone(),
                name: name.to_string(),
                staff,
            });
            if people.len() > Self::PER_CHAT {
                people.remove(0);
            }
        }
        // Only a staff member answers a colleague's call, or calls on one.
        if !staff {
            return (roster.people.clone(), None);
        }
        // "Jin Peng 金鹏（专班）" is called as "@Jin" or as "@金鹏".
        let names: Vec<String> = name
            .split(['（', '(', ' ', '/', ')', '）'])
            .filter(|word| !word.is_empty())
            .take(4)
            .map(|word| format!("@{}", word.to_lowercase()))
            .collect();
        let called = names
            .iter()
            .filter_map(|name| roster.called.get(name))
            .chain(roster.called.get(&who))
            .max()
            .copied();
        let mentioned = message
            .mentions
            .iter()
            .map(|id| identity(&message.platform, id))
            .chain(
                addressed(&message.text)
                    .mentions
                    .into_iter()
                    .map(|mention| format!("@{}", mention.to_lowercase())),
            );
        for identity in mentioned.filter(|identity| *identity != who && !names.contains(identity)) {
            if roster.called.len() >= Self::PER_CHAT && !roster.called.contains_key(&identity) {
                roster.called.clear();
            }
            roster.called.insert(identity, message.at);
        }
        (roster.people.clone(), called)
    }
}

/// What open issues' titles are about, kept between messages: a chat's
/// open issues are read for each of its messages, and their titles do not
/// change. Bounded; emptied when full.
#[derive(Debug, Clone, Default)]
pub struct TopicCache(std::sync::Arc<std::sync::Mutex<HashMap<(i64, u64), Topic>>>);

impl TopicCache {
    /// Entries kept before the cache starts over.
    pub const CAPACITY: usize = 100_000;

    /// Gives each issue the topic remembered for it, if any.
    pub fn fill(&self, issues: &[KnownIssue]) {
        let cache = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for issue in issues {
            let title = title_hash(&issue.title);
            if let Some(topic) = cache.get(&(issue.seq, title ^ issue.about_hash)) {
                let _ = issue.topic_cache.set(topic.clone());
            }
            if !issue.about.is_empty() {
                if let Some(topic) = cache.get(&(issue.seq, title)) {
                    let _ = issue.title_topic_cache.set(topic.clone());
                }
            }
        }
    }

    /// Remembers the topics worked out for these issues.
    pub fn keep(&self, issues: &[KnownIssue]) {
        let mut cache = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for issue in issues {
            let title = title_hash(&issue.title);
            let topics = [
                (issue.topic_cache.get(), title ^ issue.about_hash),
                (issue.title_topic_cache.get(), title),
            ];
            for (topic, key) in topics {
                let Some(topic) = topic else { continue };
                if cache.len() >= Self::CAPACITY {
                    cache.clear();
                }
                cache.entry((issue.seq, key)).or_insert_with(|| topic.clone());
            }
        }
    }
}

fn title_hash(title: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    title.hash(&mut hasher);
    hasher.finish()
}

/// What each chat issue is about beyond its title, kept between messages:
/// the whole matter that raised it (a title keeps only its first
/// characters) and the words of the messages that joined it or that the
/// team wrote about it alone. A later message in those words ("更正已经
/// 提交了" after the team asked for a correction) is then read as about
/// it. Kept in memory, bounded; after a restart an issue is matched on its
/// title until it is spoken of again.
#[derive(Debug, Clone, Default)]
pub struct IssueWords(std::sync::Arc<std::sync::Mutex<HashMap<String, Words>>>);

/// One issue's words and their hash.
type Words = (std::sync::Arc<str>, u64);

impl IssueWords {
    /// Issues remembered before the memory starts over.
    pub const CAPACITY: usize = 20_000;
    /// Characters kept per issue: the newest words win.
    pub const CHARS: usize = 600;

    /// Adds `text` to what `issue` is about.
    pub fn note(&self, issue: &str, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let mut words = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if words.len() >= Self::CAPACITY && !words.contains_key(issue) {
            words.clear();
        }
        let kept = words.entry(issue.to_string()).or_default();
        let mut about = String::with_capacity(kept.0.len() + text.len() + 1);
        about.push_str(&kept.0);
        if !about.is_empty() {
            about.push('\n');
        }
        about.extend(text.chars().take(Self::CHARS));
        let excess = about.chars().count().saturating_sub(Self::CHARS);
        if excess > 0 {
            let cut = about.char_indices().nth(excess).map_or(about.len(), |(at, _)| at);
            about.drain(..cut);
        }
        // Never the hash of an empty `about` (0): no key of a title alone.
        let hash = title_hash(&about) | 1;
        *kept = (about.into(), hash);
    }

    /// Gives each issue what is remembered of it.
    pub fn fill(&self, issues: &mut [KnownIssue]) {
        let words = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for issue in issues {
            if let Some((about, hash)) = words.get(&issue.issue) {
                issue.about = about.clone();
                issue.about_hash = *hash;
            }
        }
    }
}

/// Someone seen in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `platform:id`.
    pub identity: String,
    /// Their display name as the platform sent it.
    pub name: String,
    pub staff: bool,
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

/// SPEC §4 rule 2. Command words from requesters are plain text: only staff
/// can move an issue along.
fn requester_actions(
    message: &Message,
    sender: &str,
    project: &str,
    directory: &Directory,
    context: &Context,
    live: &[&KnownIssue],
) -> Result<Vec<Action>, IgnoreReason> {
    if message.text.trim().is_empty() {
        return Err(IgnoreReason::Empty);
    }
    let reading = read(&message.text, &directory.lexicon);
    let topic = topic(&message.text, &directory.lexicon);
    let replied = context.replied.filter(|issue| issue.is_live());
    let about = replied.or_else(|| about(&topic, live, Some(sender), &directory.lexicon));

    if let Some(issue) = about {
        if let Some(because) = reading.withdrawn.clone() {
            return Ok(vec![
                joined(issue),
                event(issue, EventKind::Closed, Some(Resolution::Withdrawn), because),
            ]);
        }
        if let Some(because) = reading.fixed.clone().filter(|_| reading.new_matter.is_none()) {
            let mut actions = vec![joined(issue)];
            if directory.closes_on_confirm(project) {
                // The team's work is what the close counts: before any action
                // was reported, the problem went away of itself.
                let resolution = if issue.handled {
                    Resolution::Resolved
                } else {
                    Resolution::Withdrawn
                };
                actions.push(event(issue, EventKind::Closed, Some(resolution), because));
            } else {
                actions[0].because = Some(because);
            }
            return Ok(actions);
        }
    }
    if reading.pleasantry || (reading.good_news && reading.asks.is_none()) {
        return Err(IgnoreReason::Pleasantry);
    }
    if reading.media_only {
        return about.map(|issue| vec![joined(issue)]).ok_or(IgnoreReason::Empty);
    }
    // Something to act on: a question, a need, a fault, or, with nothing
    // open, any message of substance (people state problems without asking).
    let substantive = topic.has_topic() || topic.weight() >= 4;
    // "在吗", "？？", "急": a nudge before the problem is told raises nothing.
    // "另外 招QA 急" is terse, not a nudge: it says a matter follows.
    let terse_matter = reading.new_matter.is_some() && reading.asks.is_some();
    if about.is_none() && !topic.has_topic() && topic.weight() < 2 && !terse_matter {
        return Err(IgnoreReason::Pleasantry);
    }
    let statement = substantive && !reading.thanks && topic.weight() >= 6;
    let wants = reading.asks.is_some()
        || (substantive && reading.new_matter.is_some())
        || (statement && about.is_none());
    // With an issue open, a new matter says so ("另外"), or asks in so many
    // words about something none of the open issues is about.
    // "还有个事，…补贴什么时候到账？": a matter said to be another, and
    // sharing at most a word with the issue it would join, is new though it
    // asks "when".
    let said_new = reading.new_matter.is_some()
        && about.is_none_or(|issue| topic.overlap(issue.title_topic(&directory.lexicon)) < 2);
    // "好，那线下材料要准备哪些？", "孙科那我们要怎么整改": taking up what
    // the team said is a follow-up of the open matter, not a new one.
    // "人才认定证书他有了，租房备案去哪里办？" right after the team answered
    // the sender's matter: a question about the answer, in its words.
    let answered_just_now = live.iter().any(|issue| {
        issue.acknowledged
            && issue.raised_by.as_deref() == Some(sender)
            && message.at - issue.last_active <= TURN
    });
    let follows_up =
        (reading.follow_up || answered_just_now) && about.is_some() && reading.new_matter.is_none();
    let new_matter = wants
        && !follows_up
        && (reading.progress.is_none() || about.is_none() || said_new)
        && (about.is_none()
            || reading.new_matter.is_some()
            || (replied.is_none()
                && (reading.question
                    || live
                        .iter()
                        .all(|issue| issue.raised_by.as_deref() != Some(sender)))
                && topic.weight() >= 6
                && live
                    .iter()
                    .all(|issue| topic.overlap(issue.title_topic(&directory.lexicon)) == 0)));
    if new_matter {
        let because = reading
            .asks
            .clone()
            .or_else(|| reading.new_matter.clone())
            .unwrap_or_else(|| Because::new("statement", title(&message.text)));
        return Ok(raise_matters(message, directory, Some(because)));
    }
    match about.or_else(|| {
        live.iter()
            .copied()
            .max_by_key(|issue| (issue.last_active, issue.seq))
    }) {
        Some(issue) => Ok(vec![joined(issue)]),
        None => Err(IgnoreReason::Pleasantry),
    }
}

/// How soon after the team acted on a matter a question of its requester
/// still takes up that answer.
const TURN: TimeDelta = TimeDelta::minutes(30);

/// One `raised` per matter of the message.
fn raise_matters(message: &Message, directory: &Directory, because: Option<Because>) -> Vec<Action> {
    let matters = matters(&message.text, &directory.lexicon);
    let asking: Vec<&str> = if matters.len() > 1 {
        matters
            .iter()
            .copied()
            .filter(|matter| {
                read(matter, &directory.lexicon).asks.is_some()
                    || topic(matter, &directory.lexicon).weight() >= 4
            })
            .collect()
    } else {
        matters
    };
    // Parts about the same thing are details of one matter, not two; one
    // word in common ("bureau", "系统") does not make them the same thing.
    let topics: Vec<Topic> = asking
        .iter()
        .map(|matter| topic(matter, &directory.lexicon))
        .collect();
    let related = topics
        .iter()
        .enumerate()
        .any(|(i, a)| topics[i + 1..].iter().any(|b| a.shared_words(b) > 1));
    let asking = if asking.is_empty() || related {
        vec![message.text.as_str()]
    } else {
        asking
    };
    asking
        .iter()
        .enumerate()
        .map(|(n, matter)| Action {
            issue: raised_key(message, n),
            seq: None,
            kind: ActionKind::Raised {
                title: title(matter),
                matter: matter.to_string(),
            },
            because: because.clone(),
            merged_into: None,
            undoes: Vec::new(),
        })
        .collect()
}

/// The key of the `n`th issue a message raises (from 0):
/// `{platform}:{chat_id}:{message_id}`, then `…:2`, `…:3`.
pub fn raised_key(message: &Message, n: usize) -> String {
    let key = format!("{}:{}:{}", message.platform, message.chat_id, message.message_id);
    if n == 0 {
        key
    } else {
        format!("{key}:{}", n + 1)
    }
}

/// The live issue a message is about: the one whose words it shares most;
/// failing that, the newest one the sender raised.
fn about<'a>(
    topic: &Topic,
    live: &[&'a KnownIssue],
    sender: Option<&str>,
    lexicon: &Lexicon,
) -> Option<&'a KnownIssue> {
    let best = live
        .iter()
        .map(|issue| (topic.overlap(issue.topic(lexicon)), *issue))
        .filter(|(overlap, _)| *overlap > 0)
        .max_by_key(|(overlap, issue)| (*overlap, issue.last_active, issue.seq));
    if let Some((_, issue)) = best {
        return Some(issue);
    }
    let own = live
        .iter()
        .filter(|issue| sender.is_some() && issue.raised_by.as_deref() == sender)
        .max_by_key(|issue| (issue.last_active, issue.seq));
    own.copied().or_else(|| {
        live.iter()
            .copied()
            .max_by_key(|issue| (issue.last_active, issue.seq))
    })
}

/// The live issue a staff message's words point to when several are open:
/// the single one, or the one it shares strictly most words with.
fn matching<'a>(topic: &Topic, candidates: &[&'a KnownIssue], lexicon: &Lexicon) -> Option<&'a KnownIssue> {
    if let [only] = candidates {
        return Some(only);
    }
    let mut scored: Vec<(usize, &KnownIssue)> = candidates
        .iter()
        .map(|issue| (topic.overlap(issue.topic(lexicon)), *issue))
        .collect();
    scored.sort_by_key(|(overlap, _)| std::cmp::Reverse(*overlap));
    match scored.as_slice() {
        [(best, issue), rest @ ..] if *best > 0 && rest.first().is_none_or(|(next, _)| next < best) => {
            Some(issue)
        }
        _ => None,
    }
}

/// Who a staff message addresses, among the people of the chat: requesters
/// (their identities) and whether it addresses only colleagues.
fn audience(message: &Message, directory: &Directory, people: &[Person]) -> (Vec<String>, bool) {
    let addressed = addressed(&message.text);
    let mut requesters = Vec::new();
    let mut colleagues = 0;
    let mut unknown = 0;
    for id in &message.mentions {
        let who = identity(&message.platform, id);
        if directory.is_staff_anywhere(&who) {
            colleagues += 1;
        } else {
            requesters.push(who);
        }
    }
    let base = |name: &str| -> String {
        name.split(['（', '(', ' ', '/'])
            .next()
            .unwrap_or(name)
            .chars()
            .map(crate::domain::reading::fold)
            .collect()
    };
    // Full names ("林娜，查过了", "阿华收到", "…林娜班车的事我来"): at the
    // start they address anyone, further on only requesters count.
    let folded: String = message.text.chars().map(crate::domain::reading::fold).collect();
    let opening = text::skip_mentions(&folded);
    let sender = sender_identity(message);
    let mut named_at_start = Vec::new();
    let mut named_in_passing = Vec::new();
    for person in people.iter().filter(|p| p.identity != sender) {
        // Chinese names need no folding: compared as they are, unallocated.
        let name = person
            .name
            .split(['（', '(', ' ', '/'])
            .next()
            .unwrap_or_default();
        let chinese =
            name.chars().count() >= 2 && name.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
        if !chinese {
            // "Kelvin 你好，收到。@陆远 …": a first name opening the message
            // addresses that person.
            let first = base(&person.name);
            let opens = first.chars().count() >= 3
                && first
                    .chars()
                    .all(|c| c.is_alphabetic() && !('\u{2E80}'..='\u{9FFF}').contains(&c))
                && opening
                    .strip_prefix(first.as_str())
                    .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()));
            if opens {
                named_at_start.push(person);
            }
            continue;
        }
        if opening.starts_with(name) {
            named_at_start.push(person);
        } else if !person.staff && folded.contains(name) {
            named_in_passing.push(person.identity.clone());
        }
    }
    let mut resolve = |found: Vec<&Person>| {
        if found.is_empty() {
            unknown += 1;
        } else if found.iter().any(|p| !p.staff) {
            requesters.extend(found.iter().filter(|p| !p.staff).map(|p| p.identity.clone()));
        } else {
            colleagues += 1;
        }
    };
    for mention in &addressed.mentions {
        let found = people
            .iter()
            .filter(|p| {
                let name = base(&p.name);
                !name.is_empty()
                    && (name == *mention || mention.starts_with(&name) || name.starts_with(mention.as_str()))
            })
            .collect();
        resolve(found);
    }
    for surname in &addressed.surnames {
        let found = people
            .iter()
            .filter(|p| base(&p.name).starts_with(*surname) && p.identity != sender_identity(message))
            .collect();
        resolve(found);
    }
    for first in &addressed.first_names {
        let found = people
            .iter()
            .filter(|p| base(&p.name).split_whitespace().next() == Some(first.as_str()))
            .collect();
        resolve(found);
    }
    if !named_at_start.is_empty() {
        resolve(named_at_start);
    }
    // "@白露 你先跟卢经理说一声": a message that calls on a colleague and
    // names a requester only in passing talks about them, not to them.
    let calls_colleague = colleagues > 0 && !addressed.mentions.is_empty() && requesters.is_empty();
    // A name further on counts for requesters only: talking about a
    // colleague in passing does not make the message theirs.
    for surname in &addressed.named {
        requesters.extend(
            people
                .iter()
                .filter(|p| {
                    !p.staff && base(&p.name).starts_with(*surname) && p.identity != sender_identity(message)
                })
                .map(|p| p.identity.clone()),
        );
    }
    requesters.extend(named_in_passing);
    requesters.sort();
    requesters.dedup();
    // Mentions of people never seen are colleagues more often than not
    // (a requester is seen when they raise); titled addresses are not.
    let only_colleagues = !addressed.everyone
        && (calls_colleague
            || (requesters.is_empty()
                && (colleagues > 0 || (unknown > 0 && !addressed.mentions.is_empty()))));
    (requesters, only_colleagues)
}

fn sender_identity(message: &Message) -> String {
    identity(&message.platform, &message.sender_id)
}

/// SPEC §4 rule 3: a command, a problem passed on, or acknowledgement and
/// plain-word handling. Returns the actions and, for a command that named no
/// issue and matched none of several, the open issues' numbers.
fn staff_actions(
    message: &Message,
    directory: &Directory,
    context: &Context,
    live: &[&KnownIssue],
) -> (Vec<Action>, Vec<i64>) {
    let parsed = parse_text(&message.text, &directory.commands);
    let reading = read(&message.text, &directory.lexicon);
    let topic = topic(&message.text, &directory.lexicon);
    let replied = context.replied.filter(|issue| issue.is_live());

    // A problem the team passes on for the enterprise: raised, and answered
    // by the same message.
    let raise = match parsed.command {
        Some(Command::Raise) => Some(Because::new("command", "raise")),
        // Not when an open matter shares its words: "as agreed with Elena on
        // the phone" reports on that matter.
        None if replied.is_none()
            && (reading.asks.is_some() || topic.weight() >= 4)
            && live
                .iter()
                .all(|issue| topic.overlap(issue.title_topic(&directory.lexicon)) == 0) =>
        {
            reading.on_behalf.clone()
        }
        _ => None,
    };
    if let Some(because) = raise {
        let key = raised_key(message, 0);
        return (
            vec![
                Action {
                    issue: key.clone(),
                    seq: None,
                    kind: ActionKind::Raised {
                        title: title(parse_text_body(&message.text, &directory.commands)),
                        matter: parse_text_body(&message.text, &directory.commands).to_string(),
                    },
                    because: Some(because.clone()),
                    merged_into: None,
                    undoes: Vec::new(),
                },
                Action {
                    issue: key,
                    seq: None,
                    kind: ACKNOWLEDGED,
                    because: Some(because),
                    merged_into: None,
                    undoes: Vec::new(),
                },
            ],
            Vec::new(),
        );
    }

    let (requesters, only_colleagues) = audience(message, directory, context.people);
    // "好的，我下午带电工过去" just after a colleague's "@钱波 …你安排一下":
    // answering the call, not the enterprise.
    let answers_call = context
        .called
        .is_some_and(|at| message.at >= at && message.at - at <= TURN)
        && requesters.is_empty()
        && context.replied.is_none();
    let only_colleagues = only_colleagues || answers_call;
    let mut actions = Vec::new();
    let ack_words = !reading.media_only
        && !reading.announcement
        && (!reading.pleasantry || is_acknowledgement(&message.text));
    if ack_words && !only_colleagues {
        let targets: Vec<&KnownIssue> = match (context.replied, replied) {
            // "Hi Daniel, got both." under a message that raised two.
            (_, Some(issue)) if covers_all(&message.text) => raised_together(issue, live),
            (_, Some(issue)) => vec![issue],
            // A reply to a closed issue's message is about that issue alone.
            (Some(_), None) => Vec::new(),
            (None, None) => {
                let theirs: Vec<&KnownIssue> = live
                    .iter()
                    .copied()
                    .filter(|issue| issue.raised_by.as_ref().is_some_and(|by| requesters.contains(by)))
                    .collect();
                // Of one person's several matters, a message about one of
                // them answers that one ("马总，封路的事我马上找建设局").
                let theirs = if theirs.len() >= 2 && !covers_all(&message.text) {
                    let about: Vec<&KnownIssue> = theirs
                        .iter()
                        .copied()
                        .filter(|issue| topic.overlap(issue.topic(&directory.lexicon)) > 0)
                        .collect();
                    if about.is_empty() {
                        theirs
                    } else {
                        about
                    }
                } else {
                    theirs
                };
                if theirs.is_empty() {
                    // A message about one of several matters answers that one.
                    let about: Vec<&KnownIssue> = live
                        .iter()
                        .copied()
                        .filter(|issue| topic.overlap(issue.topic(&directory.lexicon)) > 0)
                        .collect();
                    if about.is_empty() || live.len() < 2 {
                        live.to_vec()
                    } else {
                        about
                    }
                } else {
                    theirs
                }
            }
        };
        let mut acks: Vec<Action> = targets
            .into_iter()
            .filter(|issue| !issue.acknowledged)
            .map(|issue| act(issue, ACKNOWLEDGED))
            .collect();
        acks.sort_by_key(|action| action.seq);
        acks.dedup_by(|a, b| a.issue == b.issue);
        actions.extend(acks);
    }

    if let Some(command) = parsed.command {
        let target = command_target(command, parsed.seq, context, &topic, live, &directory.lexicon);
        return match target {
            Ok(Some(target)) => {
                let because = Because::new("command", command_name(command));
                match command {
                    Command::Merge => {
                        let Some(into) = context.named_other.filter(|other| other.issue != target.issue)
                        else {
                            return (actions, Vec::new());
                        };
                        let words = format!("#{} → #{}", target.seq, into.seq);
                        actions.push(event(
                            target,
                            EventKind::Closed,
                            Some(Resolution::Duplicate),
                            Because::new("merge", words),
                        ));
                        actions.push(Action {
                            merged_into: Some(into.issue.clone()),
                            ..joined(into)
                        });
                    }
                    Command::Undo => actions.extend(undo(target, context)),
                    // "#已处理 已安排专人对接": a handling command whose own
                    // words only intend reports no action; "#计划 我下周一再问一下",
                    // an intention with at most one time, sets out no course.
                    Command::Handle | Command::Plan if only_intends(command, &message.text, directory) => {}
                    _ => {
                        let (kind, resolution) = command.event();
                        actions.push(event(target, kind, resolution, because));
                    }
                }
                (actions, Vec::new())
            }
            Ok(None) => (actions, Vec::new()),
            Err(open) => (actions, open),
        };
    }

    if reading.announcement && replied.is_none() {
        return (actions, Vec::new());
    }
    let stage = match (reading.plan.clone(), reading.action.clone()) {
        (Some(plan), _) => Some((EventKind::Planned, plan)),
        (None, Some(action)) => Some((EventKind::Handled, action)),
        (None, None) => None,
    };
    if let Some((kind, because)) = stage {
        let candidates: Vec<&KnownIssue> = match replied {
            Some(issue) => vec![issue],
            None => {
                let theirs: Vec<&KnownIssue> = live
                    .iter()
                    .copied()
                    .filter(|issue| issue.raised_by.as_ref().is_some_and(|by| requesters.contains(by)))
                    .collect();
                if theirs.is_empty() {
                    live.to_vec()
                } else {
                    theirs
                }
            }
        };
        // Words first; "两件事都…" covers them all; failing both, the issue
        // the conversation was last about.
        let about: Vec<&KnownIssue> = match matching(&topic, &candidates, &directory.lexicon) {
            // "两个事我刚都打了电话：1）…2）…", "Update on both: …": each of
            // them, though the words match one better ("都在办" alone is not
            // enough to override the words).
            _ if names_every_matter(&message.text) && candidates.len() > 1 => {
                let mut all = candidates.clone();
                all.sort_by_key(|issue| issue.seq);
                all
            }
            Some(issue) => vec![issue],
            None if covers_all(&message.text) => {
                let mut all = candidates.clone();
                all.sort_by_key(|issue| issue.seq);
                all
            }
            None => candidates
                .iter()
                .copied()
                .max_by_key(|issue| (issue.last_active, issue.seq))
                .into_iter()
                .collect(),
        };
        for issue in about {
            let done = match kind {
                EventKind::Planned => issue.planned,
                _ => issue.handled,
            };
            if !done {
                actions.push(event(issue, kind, None, because.clone()));
            }
        }
    }
    (actions, Vec::new())
}

/// Which of the replied-to message's issues a reply is about: of the live
/// ones, the one whose words it shares most ("Permit: …" in a thread under a
/// message that raised a permit and a trademark), else the first live one.
pub fn replied_issue(issues: &[KnownIssue], text: &str, directory: &Directory) -> Option<usize> {
    let topic = topic(text, &directory.lexicon);
    let live = issues
        .iter()
        .enumerate()
        .filter(|(_, issue)| matches!(issue.state, IssueState::Open | IssueState::Paused));
    let first = live.clone().next().map(|(i, _)| i);
    let best = live
        .map(|(i, issue)| {
            (
                topic.overlap(issue.topic(&directory.lexicon)),
                std::cmp::Reverse(i),
            )
        })
        .max()
        .filter(|(overlap, _)| *overlap > 0)
        .map(|(_, std::cmp::Reverse(i))| i);
    best.or(first)
}

/// `issue` and the live issues raised by the same message (same person,
/// same instant).
fn raised_together<'a>(issue: &'a KnownIssue, live: &[&'a KnownIssue]) -> Vec<&'a KnownIssue> {
    // The replied-to issue may be read without its requester: take the
    // chat's own copy.
    let raised_by = live
        .iter()
        .find(|other| other.issue == issue.issue)
        .map_or(&issue.raised_by, |own| &own.raised_by);
    let mut together: Vec<&KnownIssue> = live
        .iter()
        .copied()
        .filter(|other| {
            other.issue != issue.issue
                && raised_by.is_some()
                && other.raised_by == *raised_by
                && other.raised_at == issue.raised_at
        })
        .collect();
    together.push(issue);
    together.sort_by_key(|issue| issue.seq);
    together
}

/// Whether a staff message speaks of all the open matters at once.
fn covers_all(text: &str) -> bool {
    let folded: String = text.chars().map(crate::domain::reading::fold).collect();
    names_every_matter(text)
        || ["都已", "都在", "都办", "都安排", "都收到"]
            .iter()
            .any(|word| folded.contains(word))
}

/// Whether a staff message names its matters as all of them: "两个事",
/// "三件事", "got both", "Update on both".
fn names_every_matter(text: &str) -> bool {
    let folded: String = text.chars().map(crate::domain::reading::fold).collect();
    [
        "两件事",
        "两个事",
        "两个都",
        "两件都",
        "几件事",
        "三件事",
        // "both" alone may count other things ("I booked both engineers").
        "got both",
        "noted both",
        "received both",
        "seen both",
        "on both",
        "both of",
        "both items",
        "both issues",
        "both matters",
        "both things",
        "both requests",
        "both are",
        "both have",
        "both in",
        "all of them",
        "all three",
        "all four",
        "三个都",
        "三件都",
        "三个事",
        "几个事",
    ]
    .iter()
    .any(|word| folded.contains(word))
}

/// Staff words that acknowledge though they are pleasantries from a requester.
fn is_acknowledgement(text: &str) -> bool {
    let folded: String = text.chars().map(crate::domain::reading::fold).collect();
    [
        "收到",
        "好的",
        "明白",
        "了解",
        "知道了",
        "ok",
        "noted",
        "got it",
        "sure",
        "on it",
        "好嘞",
        "马上",
    ]
    .iter()
    .any(|word| folded.contains(word))
}

/// The text after a leading command word and `#seq`.
/// Whether a handling or plan command's own words only intend: for a plan,
/// also with at most one time named (dated steps said as intentions are
/// still a course).
fn only_intends(command: Command, text: &str, directory: &Directory) -> bool {
    let body = parse_text_body(text, &directory.commands);
    let reading = read(body, &directory.lexicon);
    let intends = reading.intends;
    match command {
        // "#计划 下周一跟进": to follow up is no step of a course.
        Command::Plan => {
            let folded: String = body.chars().map(crate::domain::reading::fold).collect();
            let follows_up = reading.action.is_none() && FOLLOW_UPS.iter().any(|word| folded.contains(word));
            (intends || follows_up) && time_anchors(body).len() <= 1
        }
        _ => intends,
    }
}

/// Words that only keep a matter in view: following it up is no step.
const FOLLOW_UPS: [&str; 6] = ["跟进", "跟踪", "关注", "follow up", "keep an eye", "keep track"];

fn parse_text_body<'t>(text: &'t str, commands: &Commands) -> &'t str {
    text::body_after_command(text, commands)
}

/// What `/undo` does, as a reply to a message: an issue that message raised
/// is dismissed (closed as invalid); the other events it recorded are taken
/// back by one `undone` event per issue, so the fold no longer counts them.
fn undo(target: &KnownIssue, context: &Context) -> Vec<Action> {
    let mut actions = Vec::new();
    if context.replied_raised && target.is_live() {
        actions.push(event(
            target,
            EventKind::Closed,
            Some(Resolution::Invalid),
            Because::new("undo", "raised"),
        ));
    }
    let mut by_issue: Vec<(&str, Vec<String>, Vec<&str>)> = Vec::new();
    for (id, issue, kind) in context.replied_events {
        if kind == "raised" {
            continue;
        }
        match by_issue.iter_mut().find(|(known, ..)| known == issue) {
            Some((_, ids, kinds)) => {
                ids.push(id.clone());
                kinds.push(kind);
            }
            None => by_issue.push((issue, vec![id.clone()], vec![kind])),
        }
    }
    for (issue, ids, kinds) in by_issue {
        let seq = context
            .open_issues
            .iter()
            .chain(context.replied)
            .find(|known| known.issue == issue)
            .map(|known| known.seq);
        actions.push(Action {
            issue: issue.to_string(),
            seq,
            kind: ActionKind::Event {
                kind: EventKind::Undone,
                resolution: None,
            },
            because: Some(Because::new("undo", kinds.join(" "))),
            merged_into: None,
            undoes: ids,
        });
    }
    actions
}

fn command_name(command: Command) -> &'static str {
    COMMAND_WORDS
        .iter()
        .find(|(_, known, _)| *known == command)
        .map_or("command", |(name, ..)| name)
}

/// The issue a command acts on: the replied one, else the one named by
/// `#seq`, else the one its words match among the open issues it fits (the
/// only one, or the one sharing most words). `Err` lists the open issues'
/// numbers when several fit and none matches: nothing is guessed. An
/// explicit target the command does not fit (`/pause` on a paused issue),
/// or a `#seq` the caller could not find, means no action.
fn command_target<'a>(
    command: Command,
    seq: Option<i64>,
    context: &Context<'a>,
    topic: &Topic,
    live: &[&'a KnownIssue],
    lexicon: &Lexicon,
) -> Result<Option<&'a KnownIssue>, Vec<i64>> {
    let target = match (context.replied, seq) {
        (Some(issue), _) => issue,
        (None, Some(_)) => match context.named {
            Some(issue) => issue,
            None => return Ok(None),
        },
        (None, None) => {
            let fitting: Vec<&KnownIssue> = if command == Command::Reopen {
                context
                    .open_issues
                    .iter()
                    .filter(|issue| fits(command, issue.state))
                    .collect()
            } else {
                live.iter()
                    .copied()
                    .filter(|issue| fits(command, issue.state))
                    .collect()
            };
            return match fitting.len() {
                0 => Ok(None),
                _ => match matching(topic, &fitting, lexicon) {
                    Some(issue) => Ok(Some(issue)),
                    None => {
                        let mut open: Vec<i64> = fitting.iter().map(|issue| issue.seq).collect();
                        open.sort_unstable();
                        Err(open)
                    }
                },
            };
        }
    };
    Ok(fits(command, target.state).then_some(target))
}

/// Whether `command` makes sense in `state`: only `/reopen` acts on a closed
/// issue (and only there), pausing needs a running issue, resuming a paused one.
fn fits(command: Command, state: IssueState) -> bool {
    match command {
        Command::Reopen => state == IssueState::Closed,
        Command::Pause => state == IssueState::Open,
        Command::Resume => state == IssueState::Paused,
        // Undoing a close is how a close made by mistake is taken back.
        Command::Undo => true,
        Command::Handle | Command::Plan | Command::Close(_) | Command::Merge | Command::Raise => {
            state != IssueState::Closed
        }
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
