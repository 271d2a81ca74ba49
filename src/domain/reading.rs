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
//!
//! Here: what a message says ([`read`]). Beside it: the lexicon, how a
//! clause reads, decoration and names, times, topics and matters.

mod clauses;
mod days;
mod decoration;
mod lexicon;
mod matters;
mod names;
mod notices;
mod phrases;
mod time;
mod topic;

use clauses::{
    asks_itself, clause_breaks, completed, done_verb, experienced, finished, instructs, last_clause,
    read_a_paper, takes_up, to_come, OFFERS,
};
#[cfg(test)]
use days::names_a_day;
use days::steps;
use decoration::{strip_decoration, without_courtesy};
pub use lexicon::Lexicon;
pub use matters::matters;
pub use names::{addressed, strip_names, Addressed};
use notices::{notice_header, phoned_in};
pub use phrases::{PHRASE_LISTS, TITLES, TOPICS};
pub use time::time_anchors;
pub use topic::{topic, Topic};

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

/// Fullwidth ASCII as ASCII, letters in lower case, curly quotes straight.
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2018}' | '\u{2019}' => '\'',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF)
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
    // "还没排上，园林所说这周人都压在主干道上": an answer that explains a
    // delay reports no step taken; "审核通过了，到现在还没到账": good news
    // with something still missing is a problem.
    let any_negated = clauses.iter().any(|clause| negated(clause));

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
    reading.good_news = lexicon.find("good_news", &body).is_some()
        && !question
        && !any_negated
        && lexicon.find("remaining", &body).is_none();
    // "【通知】…", "[公告]…": a notice's header, which the decoration
    // strip takes for a sticker.
    reading.announcement = lexicon.find("announcement", &body).is_some() || notice_header(opening);
    reading.on_behalf = lexicon
        .find("on_behalf", &body)
        .or_else(|| phoned_in(&body))
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
    // "材料都弄好了，施科发给谁": ready to go on, asking how, is no
    // confirmation that the problem is gone.
    let asks_how = body.contains(['谁', '?', '？']);
    reading.fixed = clauses
        .iter()
        .filter(|_| !remaining && !asks_how)
        .filter(|clause| !clause.contains('吗') && !clause.contains('?'))
        .find_map(|clause| {
            let word = lexicon.find("fixed", clause)?;
            // "还没好" and "好了吗" are not a confirmation.
            (!negated(clause)).then(|| Because::new("fixed", word))
        });
    // "东门那个弄错了…就西侧那个有问题": half taken back, half still a problem.
    let problem_left = body.contains("有问题") && !body.contains("没有问题") && !body.contains("有问题再");
    reading.withdrawn = lexicon
        .find("withdrawn", &body)
        .filter(|_| !problem_left)
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
            .or_else(|| lexicon.find("answer_from", clause).filter(|_| !any_negated))
            .or_else(|| done_verb(clause))
            .or_else(|| experienced(clause))
            .or_else(|| finished(clause))?;
        // "把原因查清楚": an instruction, not a report; "又打过去催了":
        // chasing, nothing set moving; "告知书看了": a paper read;
        // "明天上午我送到窗口": a step still to come.
        if instructs(clause, &word) || word.contains('催') || read_a_paper(clause, &word) || to_come(clause)
        {
            return None;
        }
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
    let days = steps(&anchors);
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

#[cfg(test)]
mod tests;
