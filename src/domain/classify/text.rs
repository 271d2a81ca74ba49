//! What a chat message's text says (SPEC §4): a leading command word, the
//! `#seq` it names, and the title of the issue
//! it raises. Plain string scanning, no regexes, and no heap allocation except
//! for the title itself: this runs for every message of every chat.

use crate::domain::event::{EventKind, Resolution};

/// Longest title of an issue raised from chat, in characters.
pub const TITLE_CHARS: usize = 60;

/// The title of an issue raised by a message without printable text.
pub const EMPTY_TITLE: &str = "(no text)";

/// More digits than this cannot be a `seq` (and could overflow `i64`).
const MAX_SEQ_DIGITS: usize = 18;

/// What a staff command does to the issue it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Handle,
    Plan,
    /// Close with this resolution (`/close` resolved, `/dismiss` invalid).
    Close(Resolution),
    Pause,
    Resume,
    Reopen,
    /// Staff raise an issue for the enterprise (`/raise`, `#代提`).
    Raise,
    /// Take back what the replied-to message did (`/undo`, `#撤销`).
    Undo,
    /// `#合并 #6 #5`: issue 6 joins 5 and is closed as a duplicate.
    Merge,
}

impl Command {
    /// The event the command records.
    pub fn event(self) -> (EventKind, Option<Resolution>) {
        match self {
            Command::Handle => (EventKind::Handled, None),
            Command::Plan => (EventKind::Planned, None),
            Command::Close(resolution) => (EventKind::Closed, Some(resolution)),
            Command::Pause => (EventKind::Paused, None),
            Command::Resume => (EventKind::Resumed, None),
            Command::Reopen => (EventKind::Reopened, None),
            // Handled by the classifier itself; these record no event of their own kind.
            Command::Raise => (EventKind::Raised, None),
            Command::Undo | Command::Merge => (EventKind::Closed, Some(Resolution::Invalid)),
        }
    }
}

/// The command words staff may start a message with, each mapped to a command.
#[derive(Debug, Clone)]
pub struct Commands {
    /// Folded words (see [`fold`]), longest first so that a word is never
    /// shadowed by a shorter word it starts with.
    words: Vec<(String, Command)>,
}

/// The commands by their configuration name (`[engine] commands`), with
/// their default words (SPEC §4), in ASCII and Chinese.
pub const COMMAND_WORDS: [(&str, Command, [&str; 2]); 10] = [
    ("handled", Command::Handle, ["/handled", "#已处理"]),
    ("plan", Command::Plan, ["/plan", "#计划"]),
    (
        "close",
        Command::Close(Resolution::Resolved),
        ["/close", "#已解决"],
    ),
    (
        "dismiss",
        Command::Close(Resolution::Invalid),
        ["/dismiss", "#无需处理"],
    ),
    ("pause", Command::Pause, ["/pause", "#暂停"]),
    ("resume", Command::Resume, ["/resume", "#恢复"]),
    ("reopen", Command::Reopen, ["/reopen", "#重开"]),
    ("raise", Command::Raise, ["/raise", "#代提"]),
    ("undo", Command::Undo, ["/undo", "#撤销"]),
    ("merge", Command::Merge, ["/merge", "#合并"]),
];

/// Words that also mean a command, beyond the two of [`COMMAND_WORDS`].
pub const MORE_COMMAND_WORDS: [(&str, Command); 1] = [("#不是问题", Command::Close(Resolution::Invalid))];

impl Default for Commands {
    /// The default words of every command.
    fn default() -> Self {
        COMMAND_WORDS
            .iter()
            .flat_map(|(_, command, words)| words.map(|word| (word, *command)))
            .chain(MORE_COMMAND_WORDS)
            .fold(Commands::none(), |commands, (word, command)| {
                commands.with(word, command)
            })
    }
}

impl Commands {
    /// No command words at all.
    pub fn none() -> Self {
        Self { words: Vec::new() }
    }

    /// Adds (or remaps) `word`. Surrounding whitespace is ignored and a blank
    /// word is skipped: it would match every message.
    pub fn with(mut self, word: &str, command: Command) -> Self {
        let word: String = word.trim().chars().map(fold).collect();
        if word.is_empty() {
            return self;
        }
        self.words.retain(|(known, _)| *known != word);
        self.words.push((word, command));
        self.words
            .sort_by_key(|(known, _)| std::cmp::Reverse(known.chars().count()));
        self
    }

    /// The command `text` starts with, and the text after the command word.
    fn leading<'t>(&self, text: &'t str) -> Option<(Command, &'t str)> {
        self.words
            .iter()
            .find_map(|(word, command)| strip_word(text, word).map(|rest| (*command, rest)))
    }
}

/// What [`parse_text`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The command the text starts with.
    pub command: Option<Command>,
    /// The `#seq` right after the command (only looked for after one).
    pub seq: Option<i64>,
    /// A second `#seq` right after the first (`#合并 #6 #5`).
    pub second_seq: Option<i64>,
}

/// Reads a leading command and the `#seq` after it.
///
/// Leading whitespace and mentions (`@张三 `, `@_user_1 `, `<@U024BE7LH> `) are
/// skipped. ASCII words match case-insensitively, and fullwidth forms typed by
/// Chinese input methods (`＃`, `／`, `１２`) count as their ASCII twins. An
/// ASCII word must end at a word boundary (`/planning` is not `/plan`); a
/// Chinese word needs none, because Chinese is written without spaces:
/// `#已处理，已送水`, `#已处理已安排送水车` and `#已处理了` are all `#已处理`.
/// `#12` alone is not a command.
pub fn parse_text(text: &str, commands: &Commands) -> Parsed {
    let Some((command, rest)) = commands.leading(skip_mentions(text)) else {
        return Parsed::default();
    };
    // Telegram's command menu sends `/handled@SlaBot #12`: the bot's name
    // belongs to the command word.
    let rest = match rest.strip_prefix('@') {
        Some(name) => &name[name.find(char::is_whitespace).unwrap_or(name.len())..],
        None => rest,
    };
    let (seq, after) = match leading_seq_rest(rest) {
        Some((seq, after)) => (Some(seq), after),
        None => (None, rest),
    };
    Parsed {
        command: Some(command),
        seq,
        second_seq: seq.and_then(|_| leading_seq(after)),
    }
}

/// The text after a leading command word and the `#seq`s after it (the
/// whole text when there is no command).
pub(crate) fn body_after_command<'t>(text: &'t str, commands: &Commands) -> &'t str {
    let Some((_, mut rest)) = commands.leading(skip_mentions(text)) else {
        return text;
    };
    while let Some((_, after)) = leading_seq_rest(rest) {
        rest = after;
    }
    let rest = rest.trim_start();
    if rest.is_empty() {
        text
    } else {
        rest
    }
}

/// The text after leading whitespace and leading mentions. A mention is `@`
/// (or `<@`) up to the next whitespace and counts only when whitespace follows
/// it, so a message that is nothing but `@张三` keeps its text.
pub(crate) fn skip_mentions(text: &str) -> &str {
    let mut rest = text.trim_start();
    while rest.starts_with(['@', '＠']) || rest.starts_with("<@") {
        match rest.find(char::is_whitespace) {
            Some(end) => rest = rest[end..].trim_start(),
            None => break,
        }
    }
    rest
}

/// The title of an issue raised by `text`: its first [`TITLE_CHARS`]
/// characters after leading mentions, on one line (runs of whitespace and
/// control characters become one space, which event validation requires), or
/// [`EMPTY_TITLE`] if nothing printable is left.
pub(crate) fn title(text: &str) -> String {
    let body = skip_mentions(text);
    let source = if body.is_empty() { text } else { body };
    let mut title = String::with_capacity(source.len().min(TITLE_CHARS * 4));
    let mut count = 0;
    let mut gap = false;
    for c in source.chars() {
        if c.is_whitespace() || c.is_control() {
            gap = count > 0;
            continue;
        }
        let width = if gap { 2 } else { 1 };
        if count + width > TITLE_CHARS {
            break;
        }
        if gap {
            title.push(' ');
            gap = false;
        }
        title.push(c);
        count += width;
    }
    if title.is_empty() {
        title.push_str(EMPTY_TITLE);
    }
    title
}

/// Fullwidth ASCII (what Chinese input methods type: `＃`, `／`, `ｏｋ`, `１`)
/// as ASCII, and ASCII letters in lower case.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// The text after `word` if the text starts with it (see [`parse_text`] for
/// the boundary rule).
fn strip_word<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let mut chars = text.chars();
    for expected in word.chars() {
        if chars.next().map(fold) != Some(expected) {
            return None;
        }
    }
    let rest = chars.as_str();
    let ascii_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let runs_on = word.chars().next_back().is_some_and(ascii_word)
        && rest.chars().next().map(fold).is_some_and(ascii_word);
    (!runs_on).then_some(rest)
}

/// The `#<digits>` at the start of `text` (after whitespace), if any.
fn leading_seq(text: &str) -> Option<i64> {
    leading_seq_rest(text).map(|(seq, _)| seq)
}

/// [`leading_seq`] and the text after it.
fn leading_seq_rest(text: &str) -> Option<(i64, &str)> {
    let text = text.trim_start();
    let mut chars = text.char_indices();
    if chars.next().map(|(_, c)| fold(c)) != Some('#') {
        return None;
    }
    let mut seq: i64 = 0;
    let mut digits = 0;
    let mut end = text.len();
    for (at, c) in chars {
        let Some(digit) = fold(c).to_digit(10) else {
            end = at;
            break;
        };
        digits += 1;
        if digits > MAX_SEQ_DIGITS {
            return None;
        }
        seq = seq * 10 + i64::from(digit);
    }
    (digits > 0).then_some((seq, &text[end..]))
}
