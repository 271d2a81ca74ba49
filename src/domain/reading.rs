//! What a chat message says, read the way a zone supervisor reads it (SPEC
//! §4): whether it asks for anything, whether it is only a greeting or a
//! thank-you, whether it reports action taken or a concrete plan, whether it
//! confirms a fix or withdraws the matter, whom it addresses, and what it is
//! about (so that a follow-up finds its issue and a new matter does not).
//!
//! Pure and table-driven: every phrase list lives in a [`Lexicon`] with
//! defaults for Chinese and English, and a zone may replace any list in its
//! configuration (`[engine.phrases]`, `[engine.topics]`). Each finding keeps
//! the words that caused it, so that the timeline can say why.

mod phrases;

use phrases::{ADDRESSEES, EVERYONE};
pub use phrases::{PHRASE_LISTS, TITLES, TOPICS};
use std::collections::BTreeSet;

/// How much of a message is read, in bytes: chat messages that matter are
/// short, and the writer must not spend long on a huge one.
pub const READ_BYTES: usize = 4096;

/// The first [`READ_BYTES`] of `text`, cut at a character boundary.
fn clip(text: &str) -> &str {
    if text.len() <= READ_BYTES {
        return text;
    }
    let mut end = READ_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The phrase lists in force, reduced like text is ([`fold`]), each with an
/// automaton that finds all its phrases in one pass over a text.
#[derive(Debug, Clone)]
pub struct Lexicon {
    lists: Vec<PhraseList>,
    topics: Vec<(String, Vec<String>)>,
    /// Every topic word; a match's pattern index maps to its topic.
    topic_finder: Finder,
    topic_of_pattern: Vec<usize>,
    /// Thanks, greetings and group addressees: what a pleasantry is made of.
    courtesy: Finder,
}

#[derive(Debug, Clone)]
struct PhraseList {
    name: &'static str,
    words: Vec<String>,
    finder: Finder,
}

/// Phrases found in one pass (Aho-Corasick, leftmost-longest), with the
/// ASCII word-boundary rule of [`at_word_boundary`].
#[derive(Debug, Clone)]
struct Finder {
    automaton: aho_corasick::AhoCorasick,
    words: Vec<String>,
}

impl Finder {
    fn new(words: Vec<String>) -> Self {
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&words)
            .or_else(|_| aho_corasick::AhoCorasick::new(Vec::<String>::new()))
            .expect("an automaton of the phrase list");
        Self { automaton, words }
    }

    /// The matches that stand as words: `(start, end, pattern)`.
    fn matches<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, usize, usize)> + 't {
        self.automaton
            .find_iter(text)
            .filter(move |m| at_word_boundary(text, m.start(), m.end()))
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
    }

    fn first(&self, text: &str) -> Option<&str> {
        self.matches(text)
            .next()
            .map(|(_, _, pattern)| self.words[pattern].as_str())
    }
}

/// Whether `text[start..end]` stands as a word: Chinese anywhere, an ASCII
/// word only between non-letters (`hi` is not in `this`).
fn at_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let ascii_word = |c: char| c.is_ascii_alphanumeric() || c == '\'';
    let word = &text[start..end];
    let starts = word.chars().next().is_some_and(ascii_word);
    let ends = word.chars().next_back().is_some_and(ascii_word);
    let before_ok = !starts || !text[..start].chars().next_back().is_some_and(ascii_word);
    let after_ok = !ends || !text[end..].chars().next().is_some_and(ascii_word);
    before_ok && after_ok
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::build(
            PHRASE_LISTS
                .iter()
                .map(|(name, words)| (*name, reduce_all(words.iter().copied())))
                .collect(),
            TOPICS
                .iter()
                .map(|(name, words)| (name.to_string(), reduce_all(words.iter().copied())))
                .collect(),
        )
    }
}

fn reduce_all<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut reduced: Vec<String> = words
        .into_iter()
        .map(|word| word.chars().map(fold).collect::<String>())
        .filter(|word| !word.trim().is_empty())
        .collect();
    reduced.sort_by_key(|word| std::cmp::Reverse(word.chars().count()));
    reduced.dedup();
    reduced
}

impl Lexicon {
    fn build(lists: Vec<(&'static str, Vec<String>)>, topics: Vec<(String, Vec<String>)>) -> Self {
        let mut topic_words = Vec::new();
        let mut topic_of_pattern = Vec::new();
        for (index, (_, words)) in topics.iter().enumerate() {
            for word in words {
                topic_words.push(word.clone());
                topic_of_pattern.push(index);
            }
        }
        let courtesy: Vec<String> = lists
            .iter()
            .filter(|(name, _)| ["thanks", "greetings"].contains(name))
            .flat_map(|(_, words)| words.iter().cloned())
            .chain(ADDRESSEES.iter().map(|word| word.to_string()))
            .collect();
        Self {
            lists: lists
                .into_iter()
                .map(|(name, words)| PhraseList {
                    name,
                    finder: Finder::new(words.clone()),
                    words,
                })
                .collect(),
            topics,
            topic_finder: Finder::new(topic_words),
            topic_of_pattern,
            courtesy: Finder::new(courtesy),
        }
    }

    fn rebuild(self) -> Self {
        let lists = self
            .lists
            .into_iter()
            .map(|list| (list.name, list.words))
            .collect();
        Self::build(lists, self.topics)
    }

    /// Replaces one phrase list; `None` if no list has that name.
    pub fn with_list<'a>(mut self, name: &str, words: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let slot = self.lists.iter_mut().find(|list| list.name == name)?;
        slot.words = reduce_all(words);
        Some(self.rebuild())
    }

    /// Adds words to one phrase list (an unknown name adds nothing).
    pub fn with_more(mut self, name: &str, words: impl IntoIterator<Item = String>) -> Self {
        if let Some(slot) = self.lists.iter_mut().find(|list| list.name == name) {
            let mut all: Vec<String> = std::mem::take(&mut slot.words);
            all.extend(words);
            slot.words = reduce_all(all.iter().map(String::as_str));
        }
        self.rebuild()
    }

    /// Adds or replaces a topic.
    pub fn with_topic<'a>(mut self, name: &str, words: impl IntoIterator<Item = &'a str>) -> Self {
        let words = reduce_all(words);
        match self.topics.iter_mut().find(|(known, _)| known == name) {
            Some(slot) => slot.1 = words,
            None => self.topics.push((name.to_string(), words)),
        }
        self.rebuild()
    }

    /// The first phrase of list `name` in `text` (already folded).
    fn find(&self, name: &str, text: &str) -> Option<String> {
        let list = self.lists.iter().find(|list| list.name == name)?;
        list.finder.first(text).map(str::to_string)
    }
}

/// Fullwidth ASCII as ASCII, letters in lower case, curly quotes straight.
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2018}' | '\u{2019}' => '\'',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// A finding and the words that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Because {
    /// The rule, e.g. `action`, `plan`, `fixed`.
    pub rule: &'static str,
    /// The words of the message that matched.
    pub words: String,
}

impl Because {
    pub fn new(rule: &'static str, words: impl Into<String>) -> Self {
        Self {
            rule,
            words: words.into(),
        }
    }
}

/// What a message says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// Nothing but greetings, thanks, stickers, names and punctuation.
    pub pleasantry: bool,
    /// Good news or congratulations that ask for nothing.
    pub good_news: bool,
    /// A question, a need or a fault: something for the team to act on.
    pub asks: Option<Because>,
    /// A question or a need in so many words (not only a fault stated).
    pub question: bool,
    /// Holds a thank-you or a greeting, whatever else it says.
    pub thanks: bool,
    /// A question about progress, or urging.
    pub progress: Option<Because>,
    /// The problem is gone.
    pub fixed: Option<Because>,
    /// The requester takes the matter back.
    pub withdrawn: Option<Because>,
    /// Says that a new, different matter follows.
    pub new_matter: Option<Because>,
    /// Reports action taken (for staff messages).
    pub action: Option<Because>,
    /// States a concrete course with dates or steps (for staff messages).
    pub plan: Option<Because>,
    /// A notice to the whole group.
    pub announcement: bool,
    /// A team member passing on what an enterprise reported by phone.
    pub on_behalf: Option<Because>,
    /// Only media: `[图片]`, `[文件]`, a sticker code.
    pub media_only: bool,
    /// Opens by taking up what was just said to the sender ("好，那…",
    /// "那我们要怎么…", "Thanks. Hmm, …"): a follow-up, not a new matter.
    pub follow_up: bool,
    /// Says what will be done and reports nothing done: an intention
    /// ("马上联系", "已安排专人对接") with no action or plan.
    pub intends: bool,
}

/// Reads `text` with `lexicon`.
pub fn read(text: &str, lexicon: &Lexicon) -> Reading {
    let text = clip(text);
    let folded: String = text.chars().map(fold).collect();
    let body = strip_decoration(&folded);
    // "电话打通了 铁骑马上到": typed fast, a space between Chinese words
    // ends a clause as a comma would.
    let spaced = clause_breaks(&body);
    let clauses: Vec<&str> = spaced
        .split(|c: char| "，。！？；,.!?;\n:：、…~～".contains(c))
        .map(str::trim)
        .filter(|clause| !clause.is_empty())
        .collect();
    let question = folded.contains('?') || folded.contains('吗') || folded.contains('呢');
    let negated = |clause: &str| lexicon.find("negation", &clause.replace("有没有", "")).is_some();

    const MEDIA: [&str; 16] = [
        "[文件]",
        "[图片]",
        "[视频]",
        "[位置]",
        "[链接]",
        "[语音]",
        "[表情]",
        "[动画表情]",
        "[file]",
        "[image]",
        "[photo]",
        "[video]",
        "[location]",
        "[link]",
        "[voice]",
        "[sticker]",
    ];
    let opening = folded.trim_start();
    let mut reading = Reading {
        media_only: (body.trim().is_empty() && !folded.trim().is_empty() && folded.contains('['))
            || MEDIA.iter().any(|tag| opening.starts_with(tag)),
        ..Reading::default()
    };
    let substance = without_courtesy(&body, lexicon);
    // What is left of "Thanks Anna!" is a name.
    let leftover: Vec<&str> = substance
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let only_names = leftover.len() <= 2
        && leftover.iter().all(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .all(|c| c.is_ascii_alphabetic())
        })
        && substance.len() < body.len();
    reading.pleasantry = substance.chars().all(|c| !c.is_alphanumeric()) || only_names;
    // "批复拿到了，但是系统里提交不上去": good news with a "but" still has
    // a problem to tell.
    reading.good_news =
        lexicon.find("good_news", &body).is_some() && !question && lexicon.find("remaining", &body).is_none();
    reading.announcement = lexicon.find("announcement", &body).is_some();
    reading.on_behalf = lexicon
        .find("on_behalf", &body)
        .map(|w| Because::new("on_behalf", w));

    // "有没有" asks; other negations inside a question do not cancel it.
    // "谢谢一年来的帮忙": help thanked for is not help asked for.
    let asking = if folded.contains("的帮忙") || folded.contains("帮忙了") {
        std::borrow::Cow::Owned(folded.replace("的帮忙", "的").replace("帮忙了", "了"))
    } else {
        std::borrow::Cow::Borrowed(folded.as_str())
    };
    reading.asks = lexicon
        .find("asks", &asking)
        .map(|w| Because::new("asks", w))
        .or_else(|| lexicon.find("faults", &body).map(|w| Because::new("fault", w)));
    reading.question = lexicon.find("asks", &asking).is_some();
    // "国庆节快到了，祝各位领导节日快乐": a wish asks for nothing, whatever
    // occasion it names.
    let wishes = body
        .find('祝')
        .is_some_and(|at| lexicon.find("greetings", &body[at + '祝'.len_utf8()..]).is_some());
    if wishes && reading.asks.is_none() && !question {
        reading.pleasantry = true;
    }
    // "行", "嗯": a one-character thanks counts as a clause of its own, not
    // inside "单电源不行".
    reading.thanks = clauses.iter().any(|clause| {
        lexicon
            .find("thanks", clause)
            .is_some_and(|word| word.chars().count() > 1 || clause.chars().count() <= 2)
    });
    reading.progress = lexicon
        .find("progress", &body)
        .map(|w| Because::new("progress", w));
    // "恢复了，就怕再来一次", "fixed, but…": the problem is not behind them.
    let remaining = lexicon.find("remaining", &body).is_some();
    reading.fixed = clauses
        .iter()
        .filter(|_| !remaining)
        .filter(|clause| !clause.contains('吗') && !clause.contains('?'))
        .find_map(|clause| {
            let word = lexicon.find("fixed", clause)?;
            // "还没好" and "好了吗" are not a confirmation.
            (!negated(clause)).then(|| Because::new("fixed", word))
        });
    reading.withdrawn = lexicon
        .find("withdrawn", &body)
        .map(|w| Because::new("withdrawn", w));
    reading.new_matter = lexicon
        .find("new_matter", &body)
        .map(|w| Because::new("new_matter", w));
    // "还有…" at the start (after the address) adds a matter.
    let opening = strip_names(&body);
    let opening = opening.trim_start_matches(|c: char| !c.is_alphanumeric());
    if reading.new_matter.is_none() && opening.starts_with("还有") {
        reading.new_matter = Some(Because::new("new_matter", "还有"));
    }
    reading.follow_up = takes_up(opening);
    // "+1. We also got…", "同上，…": seconding the matter just raised adds
    // to it, whatever "also" says.
    let seconds = ["+1", "同上", "same here", "me too"]
        .iter()
        .any(|word| folded.trim_start().starts_with(word));
    if seconds {
        reading.follow_up = true;
        reading.new_matter = None;
    }

    // "还在等…回话", "暂时没答复": whatever was tried, nothing is moving yet.
    let stalled = lexicon.find("stalled", &body).is_some();
    // A sentence that asks ("派出所出警了吗？") reports nothing.
    let asked: Vec<&str> = body
        .split_inclusive(|c: char| "。！!；;\n?.".contains(c))
        .filter(|sentence| sentence.contains('?') || sentence.contains('吗'))
        .collect();
    // Only the clause that asks does: in "问了电梯所，说是今年新规，你们是不是
    // 没报检？" the report before the question still stands. English
    // questions ("Have you called them, or should I?") ask throughout.
    let asked_in = |clause: &str| {
        asks_itself(clause)
            || asked.iter().any(|sentence| {
                sentence.contains(clause)
                    && (!clause.chars().any(is_cjk)
                        || last_clause(sentence).is_some_and(|last| last.contains(clause)))
            })
    };
    reading.action = clauses.iter().filter(|_| !stalled).find_map(|clause| {
        if asked_in(clause) {
            return None;
        }
        let clause = &clause.replace("派出所", "警所");
        if negated(clause) {
            return None;
        }
        let word = lexicon
            .find("action", clause)
            .or_else(|| lexicon.find("answer_from", clause))
            .or_else(|| done_verb(clause))
            .or_else(|| experienced(clause))?;
        // "我帮你们递上去" offers; "帮你们递上去了" reports.
        if OFFERS.contains(&word.as_str()) && !completed(clause) {
            return None;
        }
        // "马上联系" is an intention, "已经联系上了" is action; a clause that
        // holds both an intention and a past action ("已安排专人对接") is
        // judged by the intention.
        let intention = lexicon.find("intention", clause);
        intention.is_none().then(|| Because::new("action", word))
    });
    // A plan is a course agreed with someone: the message reports action
    // or an answer, or says that something was agreed ("定下来", "接下来").
    // Dates alone in a message that only intends ("我下周再问") or is
    // stalled ("还没，…这周在忙") are no plan.
    let agreed = !stalled
        && (reading.action.is_some()
            || clauses
                .iter()
                .any(|clause| lexicon.find("agreed", clause).is_some() && !negated(clause)));
    let anchors = time_anchors(&body);
    let days = anchors.iter().filter(|anchor| names_a_day(anchor)).count();
    if !question && agreed {
        // A plan steps over days: two days named ("周三前…下周一…"), or three
        // times with a word of arrangement. Times within today are an
        // appointment, not a plan.
        let step_word = lexicon.find("plan_words", &body);
        if days >= 2 || (anchors.len() >= 3 && step_word.is_some()) {
            reading.plan = Some(Because::new("plan", anchors.join(" ")));
        }
    }
    if reading.plan.is_none() && !question && !stalled && !agreed && days >= 3 {
        // A timetable of three days or more ("by Wednesday…Thursday…
        // Friday") is a course set out, whoever will do each step.
        reading.plan = Some(Because::new("plan", anchors.join(" ")));
    }
    reading.intends =
        reading.action.is_none() && reading.plan.is_none() && lexicon.find("intention", &body).is_some();
    reading
}

/// `text` with each run of spaces between two Chinese characters read as
/// a comma.
fn clause_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(' ') {
        return std::borrow::Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            let end = i + chars[i..].iter().take_while(|c| **c == ' ').count();
            let between = i > 0 && is_cjk(chars[i - 1]) && chars.get(end).is_some_and(|c| is_cjk(*c));
            out.push(if between { '，' } else { ' ' });
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

/// Whether `opening` (the text after its addresses) takes up what was just
/// said: "那" as "then" ("那我们要怎么整改", not "那个" or "那边"), or a
/// short acknowledgement ("好，", "Thanks.", "OK so") with more after it.
fn takes_up(opening: &str) -> bool {
    if let Some(rest) = opening.strip_prefix('那') {
        return rest
            .chars()
            .next()
            .is_some_and(|c| !"个边里天时次些位件种样么".contains(c));
    }
    // "是的褚主任，…", "对，还有…": agreeing with what the team said.
    const ACKNOWLEDGING: [&str; 17] = [
        "好的",
        "好",
        "行",
        "嗯",
        "是的",
        "对的",
        "对",
        "没错",
        "ok",
        "okay",
        "yes",
        "right",
        "thanks",
        "thank you",
        "got it",
        "hmm",
        "so",
    ];
    ACKNOWLEDGING.iter().any(|word| {
        opening.strip_prefix(word).is_some_and(|rest| {
            let mut chars = rest.chars();
            // "好，那…", "Thanks. Hmm, our manager says…", "So the…"
            let stop = chars.next();
            let after: String = chars.collect();
            let more = after.trim_start();
            match stop {
                Some(c) if "，,。.！!:：".contains(c) => {
                    more.chars().filter(|c| c.is_alphanumeric()).count() >= 4
                }
                Some(' ') if *word == "so" => more.chars().filter(|c| c.is_alphanumeric()).count() >= 4,
                _ => false,
            }
        })
    })
}

/// Action words that, without a mark of completion, offer help to come
/// ("我转给他们" will pass it on; "我转给照明所了" has).
const OFFERS: [&str; 3] = ["帮你们", "替你们", "转给"];

/// Whether a clause marks its verb as done: 了, 过, 已, 好, 完.
fn completed(clause: &str) -> bool {
    clause.chars().any(|c| "了过已好完".contains(c))
}

/// An A-not-A question ("看今天能不能派人", "是不是没报检") asks, with no
/// question mark.
fn asks_itself(clause: &str) -> bool {
    let chars: Vec<char> = clause.chars().collect();
    chars
        .windows(3)
        .any(|w| w[1] == '不' && w[0] == w[2] && is_cjk(w[0]) && !"一".contains(w[0]))
        || chars
            .windows(3)
            .any(|w| w[1] == '没' && w[0] == w[2] && w[0] == '有')
}

/// The last comma clause of a sentence, without its end mark.
fn last_clause(sentence: &str) -> Option<&str> {
    sentence
        .trim_end_matches(|c: char| "。！!；;\n?.".contains(c) || c.is_whitespace())
        .rsplit(|c: char| "，,、:：".contains(c))
        .map(str::trim)
        .find(|clause| !clause.is_empty())
}

/// "打过电话了", "和王教授通过电话了": a verb with 过, its object and a final
/// 了 tell of a step already taken. "超过三天了", "经过…" tell of none.
fn experienced(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    let end = chars.iter().rposition(|c| *c == '了')?;
    let at = chars[..end].iter().rposition(|c| *c == '过')?;
    let object = end - at - 1;
    let verb = *chars.get(at.checked_sub(1)?)?;
    ((1..=6).contains(&object)
        && is_cjk(verb)
        && !"超经难错路不没太度胜".contains(verb)
        && chars[at + 1..end].iter().all(|c| is_cjk(*c)))
    .then(|| chars[at - 1..=end].iter().collect())
}

/// "已经重新出图", "已发函": 已/已经 before a verb reports a step taken.
/// "已经在走审批" (under way), "已收到", "已经两周了", "已经是…" report none.
fn done_verb(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    let at = chars.iter().position(|c| *c == '已')?;
    let skip = if chars.get(at + 1) == Some(&'经') { 2 } else { 1 };
    let next = *chars.get(at + skip)?;
    let not_a_step = "在是有收受读阅知快很过不没太多几两三四五六七八九十一半超逾到满久近";
    (is_cjk(next) && !not_a_step.contains(next))
        .then(|| chars[at..(at + skip + 2).min(chars.len())].iter().collect())
}

/// The text without mentions (`@张三 `), sticker codes (`[强]`), emoji and
/// leading addresses (`李科，`, `Hi Tom,`).
fn strip_decoration(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '@' | '＠' => {
                // A mention runs to whitespace or punctuation.
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "，,。:：!！?？".contains(next) {
                        break;
                    }
                    chars.next();
                }
            }
            '[' | '【' => {
                let mut code = String::new();
                let mut closed = false;
                for next in chars.by_ref() {
                    if next == ']' || next == '】' {
                        closed = true;
                        break;
                    }
                    code.push(next);
                    if code.chars().count() > 8 {
                        break;
                    }
                }
                // `[强]`, `[图片]`: a sticker or media placeholder; anything
                // longer was text in brackets.
                if !closed || code.chars().count() > 6 {
                    out.push(' ');
                    out.push_str(&code);
                }
            }
            c if is_emoji(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D | 0x2B00..=0x2BFF)
}

/// `text` without thanks, greetings, group addressees and names with
/// titles, so that what is left is what the message says.
fn without_courtesy(text: &str, lexicon: &Lexicon) -> String {
    let rest = strip_names(text);
    let mut out = String::with_capacity(rest.len());
    let mut last = 0;
    for (start, end, _) in lexicon.courtesy.matches(&rest) {
        out.push_str(&rest[last..start]);
        out.push(' ');
        last = end;
    }
    out.push_str(&rest[last..]);
    // Particles that are left of a thank-you ("太感谢了", "谢谢啦").
    out.chars()
        .filter(|c| !"了啦呀啊哈嘛哦噢喔呢吧哒的太非常真多好们位".contains(*c))
        .collect()
}

/// `text` without surname + title pairs (`王工`, `周主任`): one CJK
/// character before a title word.
pub fn strip_names(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let title = if i > 0 && is_cjk(chars[i - 1]) && TITLE_FIRSTS.contains(chars[i]) {
            title_at(&chars, i).filter(|length| {
                // A rare surname still reads as a name when punctuation
                // follows ("奚科，").
                let ends = chars
                    .get(i + length)
                    .is_none_or(|c| c.is_whitespace() || "，,。:：!！、".contains(*c));
                is_surname(chars[i - 1]) || (ends && *length == 1 && (i == 1 || !is_cjk(chars[i - 2])))
            })
        } else {
            None
        };
        match title {
            Some(length) => {
                out.pop();
                i += length;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// The first characters of [`TITLES`], to skip most positions at once.
const TITLE_FIRSTS: &str = "主经科处局部书队总老师助秘院董工姐哥所站生";

/// The length in characters of the title starting at `chars[i]`, if any
/// (the longest: `主任` before `主`).
fn title_at(chars: &[char], i: usize) -> Option<usize> {
    TITLES
        .iter()
        .filter(|title| {
            let mut rest = chars[i..].iter();
            title.chars().all(|c| rest.next() == Some(&c))
        })
        .map(|title| title.chars().count())
        .max()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF)
}

/// Common Chinese surnames: a title after one of these is an address.
fn is_surname(c: char) -> bool {
    "王李张刘陈杨黄赵吴周徐孙马赖洪朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常葛温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
        .contains(c)
}

/// The time expressions of a plan (`周五前`, `下周二`, `明天上午`, `3号`,
/// `by Friday`), adjacent ones merged into one (`下午三点` is one time).
/// `今天` is not a step of a plan: it reports what happens now.
pub fn time_anchors(text: &str) -> Vec<String> {
    const WORDS: [&str; 51] = [
        "工作日",
        "天内",
        "日内",
        "working days",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "下周",
        "本周",
        "这周",
        "下个月",
        "下月",
        "月底",
        "月初",
        "月中",
        "年底",
        "明天",
        "后天",
        "明早",
        "明晚",
        "大后天",
        "上午",
        "下午",
        "中午",
        "晚上",
        "每天",
        "每周",
        "之前",
        "以前",
        "前完成",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "tomorrow",
        "next week",
        "end of the month",
        "daily",
        "weekly",
        "by the end",
        "this week",
        "weekend",
        "周末",
        "节后",
    ];
    let chars: Vec<char> = text.chars().collect();
    let lower = text.to_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // Fixed words, by character position; English ones as whole words or
    // word starts ("thu" in "Thu am" and "Thursday", not in "enthuse").
    for word in WORDS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(word) {
            let start = from + found;
            from = start + word.len();
            let ascii = word.as_bytes()[0].is_ascii_alphabetic();
            if ascii
                && lower[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                continue;
            }
            let begin = lower[..start].chars().count();
            let mut end = begin + word.chars().count();
            if ascii {
                // The rest of the word: "thu" + "rsday".
                let tail = lower[from..]
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .count();
                if word.len() == 3
                    && !matches!(
                        &lower[from..from + tail],
                        "" | "rsday" | "rs" | "day" | "sday" | "nesday" | "urday"
                    )
                {
                    continue;
                }
                end += tail;
            }
            spans.push((begin, end));
        }
    }
    // 周一…周日, 星期X, N号, N日, N月, N点; "the 19th", "by the 2nd".
    let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十两半".contains(c);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            spans.extend(day_of_month(&chars, i));
            spans.extend(clock_time(&chars, i));
        }
        // "上周五" is past, not a step of a course.
        // "礼拜一" as "周一".
        let lead = usize::from(c == '拜');
        let weekday = c == '周' || c == '期' || (c == '拜' && i > 0 && chars[i - 1] == '礼');
        let past = i > lead && chars[i - 1 - lead] == '上';
        if weekday && !past && chars.get(i + 1).is_some_and(|d| "一二三四五六日天".contains(*d)) {
            spans.push((i - lead, i + 2));
        }
        if "号日月点".contains(c) && i > 0 && numeral(chars[i - 1]) {
            let mut begin = i - 1;
            while begin > 0 && numeral(chars[begin - 1]) {
                begin -= 1;
            }
            // "日" after a digit is a date; "点" after 一 ("一点") is "a little" unless a digit.
            if c == '点' && !chars[begin..i].iter().any(|d| d.is_ascii_digit()) && chars[i - 1] == '一' {
                continue;
            }
            spans.push((begin, i + 1));
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    // Adjacent, or one word apart ("晚上八点到十二点"); never across
    // punctuation ("十二点，下周一" are two times).
    let joins = |gap: usize| chars.get(gap).is_none_or(|c| !"，,。.；;、！!？?\n".contains(*c));
    for (begin, end) in spans {
        match merged.last_mut() {
            Some(last) if begin <= last.1 || (begin == last.1 + 1 && joins(last.1)) => {
                last.1 = last.1.max(end)
            }
            _ => merged.push((begin, end)),
        }
    }
    merged
        .into_iter()
        .map(|(begin, end)| chars[begin..end.min(chars.len())].iter().collect())
        .collect()
}

/// The span of a time of day whose digits start at `i`: "13:30", "9:00",
/// "9am", "3 pm"; not "2:1" or "10:30:15"-like counters, nor a ratio
/// inside a longer number.
fn clock_time(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1] == ':' || chars[i - 1] == '：') {
        return None;
    }
    let digits = chars[i..].iter().take_while(|d| d.is_ascii_digit()).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let hour: u32 = chars[i..i + digits].iter().collect::<String>().parse().ok()?;
    let after = i + digits;
    if matches!(chars.get(after), Some(':' | '：')) {
        let minutes = chars[after + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        let end = after + 1 + minutes;
        let minute_ok = minutes == 2 && chars[after + 1] < '6';
        let counter = matches!(chars.get(end), Some(':' | '：'))
            || chars.get(end).is_some_and(char::is_ascii_alphanumeric);
        return (hour < 24 && minute_ok && !counter).then_some((i, end));
    }
    // "9am", "3 pm": the meridiem as a word of its own.
    let gap = usize::from(chars.get(after) == Some(&' '));
    let lower = |k: usize| chars.get(k).map(char::to_ascii_lowercase);
    let meridiem = matches!(
        (lower(after + gap), lower(after + gap + 1)),
        (Some('a' | 'p'), Some('m'))
    ) && !lower(after + gap + 2).is_some_and(|c| c.is_ascii_alphanumeric());
    (hour <= 12 && meridiem).then_some((i, after + gap + 2))
}

/// The span of a day of the month whose digits start at `i`: "on the
/// 19th", "by the 2nd", "May 19th"; not "the 4th floor", "4th-gen". "the "
/// is part of it, so that "Saturday the 14th" is one day with its weekday.
/// Reads the characters in place: it runs on every digit the writer reads.
fn day_of_month(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let lower = |k: usize| chars.get(k).map(char::to_ascii_lowercase);
    let is = |from: usize, word: &str| {
        chars
            .get(from..from + word.chars().count())
            .is_some_and(|found| found.iter().map(char::to_ascii_lowercase).eq(word.chars()))
    };
    let digits = chars[i..].iter().take_while(|d| d.is_ascii_digit()).count();
    let suffix = (lower(i + digits)?, lower(i + digits + 1)?);
    let ordinal = digits <= 2 && matches!(suffix, ('s', 't') | ('n', 'd') | ('r', 'd') | ('t', 'h'));
    let end = i + digits + 2;
    let ends = chars
        .get(end)
        .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != '-');
    let after = chars[end..]
        .iter()
        .position(|c| !c.is_whitespace())
        .map_or(end, |skip| end + skip);
    let the = i >= 4 && is(i - 4, "the ");
    let month = i >= 4 && chars[i - 1] == ' ' && MONTHS.iter().any(|m| is(i - 4, m));
    (ordinal && ends && (the || month) && !is(after, "floor")).then_some((if the { i - 4 } else { i }, end))
}

/// Months as they stand before a day ("May 19th"), abbreviated.
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Whether a time anchor names a day (`周三`, `明天`, `20号`, `下月`,
/// `Friday`) rather than a time of today (`下午`, `三点`, `每天`).
fn names_a_day(anchor: &str) -> bool {
    const DAYS: [&str; 33] = [
        "礼拜",
        "saturday",
        "sunday",
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
        "周六",
        "周日",
        "周天",
        "星期",
        "下周",
        "本周",
        "这周",
        "月",
        "号",
        "日",
        "明天",
        "后天",
        "明早",
        "明晚",
        "年底",
        "周末",
        "节后",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "tomorrow",
        "next week",
        "weekend",
    ];
    let lower = anchor.to_lowercase();
    // "5月" alone names a month ("5月那批"), not a day of a course.
    let month_only = lower.ends_with('月')
        && lower
            .trim_end_matches('月')
            .chars()
            .all(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(c));
    let abbreviated = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .any(|day| {
            lower
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|word| word == *day)
        });
    // "19th", "2nd": a day of the month.
    let ordinal = lower
        .trim_start_matches("the ")
        .starts_with(|c: char| c.is_ascii_digit())
        && ["st", "nd", "rd", "th"]
            .iter()
            .any(|suffix| lower.ends_with(suffix));
    (abbreviated || ordinal || DAYS.iter().any(|day| lower.contains(day)))
        && !lower.starts_with("每")
        && !month_only
}

/// What a text is about: its topics and its content bigrams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topic {
    topics: BTreeSet<String>,
    bigrams: BTreeSet<String>,
}

impl Topic {
    /// Whether anything was found to compare.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty() && self.bigrams.is_empty()
    }

    /// How much two texts share: a shared topic counts twice a shared bigram.
    pub fn overlap(&self, other: &Topic) -> usize {
        2 * self.topics.intersection(&other.topics).count()
            + self.bigrams.intersection(&other.bigrams).count()
    }

    /// How many content bigrams two texts share (topics aside): parts of one
    /// message that share words are about one thing.
    pub fn shared_words(&self, other: &Topic) -> usize {
        self.bigrams.intersection(&other.bigrams).count()
    }

    /// Whether the text names any topic of the lexicon.
    pub fn has_topic(&self) -> bool {
        !self.topics.is_empty()
    }

    /// How many content bigrams (or English words) the text has.
    pub fn weight(&self) -> usize {
        self.bigrams.len()
    }
}

/// The topic of `text`.
pub fn topic(text: &str, lexicon: &Lexicon) -> Topic {
    let text = clip(text);
    let folded: String = text.chars().map(fold).collect();
    let body = strip_names(&strip_decoration(&folded));
    // "电话" is a phone, not power; "水平" is a level, not water.
    let scrubbed = ["电话", "电脑", "电子", "电商", "水平", "薪水", "证明"]
        .iter()
        .fold(body.clone(), |text, word| text.replace(word, " "));
    let mut topic = Topic::default();
    for (_, _, pattern) in lexicon.topic_finder.matches(&scrubbed) {
        if let Some((name, _)) = lexicon
            .topic_of_pattern
            .get(pattern)
            .and_then(|i| lexicon.topics.get(*i))
        {
            topic.topics.insert(name.clone());
        }
    }
    const STOP: &str = "的了是在我们你他她它这那有没不就都也还要能会可以吗呢吧啊呀哦嗯个一下上来去说到给让把被和与及或等很太再又才已经过着么什怎样好请帮忙麻烦谢今天明今后前里现目";
    let chars: Vec<char> = body.chars().collect();
    // Words every message of a zone's groups uses say nothing of its matter.
    const COMMON: [&str; 16] = [
        "园区", "企业", "公司", "这边", "那边", "问题", "情况", "事情", "领导", "专班", "工作", "时间",
        "大家", "员工", "厂区", "我们",
    ];
    for pair in chars.windows(2) {
        if pair.iter().all(|c| is_cjk(*c) && !STOP.contains(*c)) {
            let bigram: String = pair.iter().collect();
            if !COMMON.contains(&bigram.as_str()) {
                topic.bigrams.insert(bigram);
            }
        }
    }
    const ENGLISH_STOP: [&str; 52] = [
        "the",
        "and",
        "for",
        "our",
        "your",
        "you",
        "with",
        "that",
        "this",
        "have",
        "has",
        "from",
        "they",
        "them",
        "their",
        "will",
        "just",
        "been",
        "also",
        "thanks",
        "thank",
        "please",
        "could",
        "would",
        "some",
        "someone",
        "what",
        "when",
        "there",
        "here",
        "about",
        "which",
        "were",
        "into",
        "than",
        "then",
        "still",
        "need",
        "can't",
        "month",
        "year",
        "week",
        "today",
        "tomorrow",
        "time",
        "anything",
        "anywhere",
        "nothing",
        "everything",
        "morning",
        "afternoon",
        "evening",
    ];
    for word in body.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.len() >= 4 && !ENGLISH_STOP.contains(&word) {
            topic.bigrams.insert(word.trim_end_matches('s').to_string());
        }
    }
    topic
}

/// The matters of one message: a numbered list (`1.… 2.…`, `①…②…`,
/// `一是…二是…`) or a matter introduced by `另外` after a first one.
/// One matter is the whole text.
pub fn matters<'t>(text: &'t str, lexicon: &Lexicon) -> Vec<&'t str> {
    let text = clip(text);
    let starts = numbered_items(text);
    if starts.len() >= 2 {
        let mut items = Vec::new();
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            items.push(text[start..end].trim());
        }
        // "想咨询…符不符合条件？有几条没看懂，一是…二是…": points of the
        // one question asked before them, each sharing its words.
        let preamble = topic(&text[..starts[0]], lexicon);
        let asks_before = read(&text[..starts[0]], lexicon).asks.is_some();
        let points_of_one = asks_before
            && preamble.weight() >= 6
            && items
                .iter()
                .all(|item| topic(item, lexicon).shared_words(&preamble) > 0);
        if points_of_one {
            return vec![text];
        }
        return items.into_iter().filter(|item| !item.is_empty()).collect();
    }
    let folded: String = text.chars().map(fold).collect();
    // "另外" in the middle of a message that already asked something.
    let markers = lexicon.lists.iter().find(|list| list.name == "new_matter");
    for (at, _, pattern) in markers.into_iter().flat_map(|list| list.finder.matches(&folded)) {
        let word = &markers.map_or("", |list| list.words[pattern].as_str());
        // English markers ("also", "separately") split only a message that
        // announced several matters ("Two headaches: …").
        let cjk = word.chars().all(|c| is_cjk(c) || c == ',');
        let counted = announces_several(&folded) && at_sentence_start(&folded, at);
        if !cjk && !counted {
            continue;
        }
        {
            let char_at = folded[..at].chars().count();
            if char_at >= 6 {
                let byte_at = text.char_indices().nth(char_at).map_or(text.len(), |(b, _)| b);
                let (first, second) = text.split_at(byte_at);
                return vec![first.trim(), second.trim()];
            }
        }
    }
    // "…能不能保一路电？还有厂门口那几盏路灯坏了…": "还有" opening a
    // sentence after one that asked adds a matter ("还有三天", "还有没有" do not).
    for (at, _) in folded.match_indices("还有") {
        let before = folded[..at].trim_end();
        let after = folded[at + "还有".len()..].chars().next();
        let opens = before.ends_with(['?', '？', '。', '!', '！']);
        let counts = after.is_some_and(|c| c.is_ascii_digit() || "几多一两三没点些很".contains(c));
        let char_at = folded[..at].chars().count();
        if opens && !counts && char_at >= 6 {
            let byte_at = text.char_indices().nth(char_at).map_or(text.len(), |(b, _)| b);
            let (first, second) = text.split_at(byte_at);
            return vec![first.trim(), second.trim()];
        }
    }
    vec![text]
}

/// Whether a message opens by counting its matters: "Two headaches:",
/// "a couple of things", "three questions".
fn announces_several(folded: &str) -> bool {
    let first: String = folded.chars().take(60).collect();
    let words: Vec<&str> = first
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|pair| {
        ["two", "three", "couple"].contains(&pair[0])
            && !["days", "weeks", "months", "hours", "years", "of"].contains(&pair[1])
    }) || first.contains("a couple of things")
}

/// Whether byte `at` begins a sentence or follows its "and": ". And separately, …"
fn at_sentence_start(folded: &str, at: usize) -> bool {
    let before = folded[..at].trim_end();
    let before = before.strip_suffix("and").map_or(before, str::trim_end);
    before.is_empty() || before.ends_with(['.', '!', '?', ';', ':'])
}

/// Byte offsets where numbered items begin: `1.` `1、` `1）` `(1)` `①` `一是`.
fn numbered_items(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut expected = 1u32;
    let circled = ['①', '②', '③', '④', '⑤'];
    let chinese = ['一', '二', '三', '四', '五'];
    let indices: Vec<(usize, char)> = text.char_indices().collect();
    for (n, &(byte, c)) in indices.iter().enumerate() {
        let next = indices.get(n + 1).map(|(_, c)| *c);
        let prev = n.checked_sub(1).map(|p| indices[p].1);
        let at_boundary = prev.is_none_or(|p| !p.is_ascii_digit() && p != '.');
        let numbered =
            c.to_digit(10) == Some(expected) && at_boundary && next.is_some_and(|n| ".、)）:：".contains(n));
        let circle = circled.get(expected as usize - 1) == Some(&c);
        let ordinal = chinese.get(expected as usize - 1) == Some(&c) && next == Some('是');
        let paren = (c == '(' || c == '（')
            && next.and_then(|n| n.to_digit(10)) == Some(expected)
            && indices.get(n + 2).is_some_and(|(_, c)| *c == ')' || *c == '）');
        if numbered || circle || ordinal || paren {
            starts.push(byte);
            expected += 1;
            if expected > 5 {
                break;
            }
        }
    }
    starts
}

/// Whom a message addresses at its start or by mentions: names (without
/// titles) and surnames, lowercased. `everyone` when it mentions the group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressed {
    /// Names mentioned with `@` (up to whitespace or punctuation).
    pub mentions: Vec<String>,
    /// Surnames addressed with a title at the start (`王工，`, `李姐`).
    pub surnames: Vec<char>,
    /// First names addressed at the start in English (`Hi Tom,`).
    pub first_names: Vec<String>,
    /// `@所有人`, `@all`.
    pub everyone: bool,
    /// Surnames named with a title anywhere in the text (`收到胡队`).
    pub named: Vec<char>,
}

impl Addressed {
    pub fn is_empty(&self) -> bool {
        self.mentions.is_empty() && self.surnames.is_empty() && self.first_names.is_empty()
    }
}

/// Reads whom `text` addresses.
pub fn addressed(text: &str) -> Addressed {
    let text = clip(text);
    let mut found = Addressed::default();
    let folded: String = text.chars().map(fold).collect();
    let mut rest = folded.as_str();
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| c.is_whitespace() || "，,。:：!！?？@".contains(c))
            .unwrap_or(after.len());
        let name = after[..end].trim().to_string();
        if EVERYONE.contains(&name.as_str()) {
            found.everyone = true;
        } else if !name.is_empty() {
            found.mentions.push(name);
        }
        rest = &after[end..];
    }
    // The start of the text after mentions and greetings: "王工收到", "李姐，…".
    let mut start = strip_decoration(&folded).trim_start().to_string();
    for greeting in ["hi ", "hello ", "dear ", "hey "] {
        if let Some(stripped) = start.strip_prefix(greeting) {
            start = stripped.to_string();
        }
    }
    // "收到陆主任", "好的纪主任，…": the address after an acknowledgement.
    for ack in ["收到", "好的", "明白", "ok"] {
        if let Some(stripped) = start.strip_prefix(ack) {
            start = stripped.trim_start_matches([' ', ',', '，']).to_string();
            break;
        }
    }
    let chars: Vec<char> = start.chars().collect();
    let mut i = 0;
    // Up to three addresses in a row: "王总、李工，…".
    for _ in 0..3 {
        while i < chars.len() && (chars[i].is_whitespace() || "、，,和".contains(chars[i])) {
            i += 1;
        }
        let Some(&surname) = chars.get(i) else { break };
        let title =
            title_at(&chars, i + 1).map(|length| chars[i + 1..i + 1 + length].iter().collect::<String>());
        let after = title
            .as_ref()
            .and_then(|title| chars.get(i + 1 + title.chars().count()));
        let ends = after.is_none_or(|c| c.is_whitespace() || "，,。:：!！、好".contains(*c));
        match title {
            Some(title) if is_cjk(surname) && (is_surname(surname) || ends) => {
                found.surnames.push(surname);
                i += 1 + title.chars().count();
            }
            _ => break,
        }
    }
    // Names with a title further on: "收到胡队，…", "好的王总".
    let all: Vec<char> = strip_decoration(&folded).chars().collect();
    for i in 1..all.len() {
        let starts_title = TITLE_FIRSTS.contains(all[i]) && title_at(&all, i).is_some();
        if starts_title && is_cjk(all[i - 1]) && is_surname(all[i - 1]) && !found.named.contains(&all[i - 1])
        {
            found.named.push(all[i - 1]);
        }
    }
    if found.surnames.is_empty() {
        // "Tom," or "Hi Tom," at the start.
        let word: String = start.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = start[word.len()..].chars().next();
        if word.len() >= 2 && matches!(after, Some(',') | Some('，')) {
            found.first_names.push(word);
        }
    }
    found
}

#[cfg(test)]
mod tests;
