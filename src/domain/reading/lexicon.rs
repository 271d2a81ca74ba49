//! The phrase lists and topics in force ([`Lexicon`]): the defaults of
//! `phrases` or a zone's own, each reduced like text is and found in one
//! pass over a text.

use super::fold;
use super::phrases::{ADDRESSEES, PHRASE_LISTS, TOPICS};

/// The phrase lists in force, reduced like text is ([`fold`]), each with an
/// automaton that finds all its phrases in one pass over a text.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub(super) lists: Vec<PhraseList>,
    pub(super) topics: Vec<(String, Vec<String>)>,
    /// Every topic word; a match's pattern index maps to its topic.
    pub(super) topic_finder: Finder,
    pub(super) topic_of_pattern: Vec<usize>,
    /// Thanks, greetings and group addressees: what a pleasantry is made of.
    pub(super) courtesy: Finder,
}

#[derive(Debug, Clone)]
pub(super) struct PhraseList {
    pub(super) name: &'static str,
    pub(super) words: Vec<String>,
    pub(super) finder: Finder,
}

/// Phrases found in one pass (Aho-Corasick, leftmost-longest), with the
/// ASCII word-boundary rule of [`at_word_boundary`].
#[derive(Debug, Clone)]
pub(super) struct Finder {
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
    pub(super) fn matches<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, usize, usize)> + 't {
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
    pub(super) fn find(&self, name: &str, text: &str) -> Option<String> {
        let list = self.lists.iter().find(|list| list.name == name)?;
        list.finder.first(text).map(str::to_string)
    }
}
