//! What a text is about ([`Topic`]): the lexicon's topics it names and its
//! content bigrams (or English words), so that a follow-up finds its issue.

use super::decoration::strip_decoration;
use super::{clip, fold, is_cjk, strip_names, Lexicon};
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a text is about: its topics and its content bigrams. Shared: an
/// issue's topic is worked out once and handed to every message compared
/// with it, so a copy is a count, not two sets of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topic(Arc<Found>);

/// A topic's contents.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    topics: BTreeSet<String>,
    bigrams: BTreeSet<String>,
}

impl Topic {
    /// Whether anything was found to compare.
    pub fn is_empty(&self) -> bool {
        self.0.topics.is_empty() && self.0.bigrams.is_empty()
    }

    /// How much two texts share: a shared topic counts twice a shared bigram.
    pub fn overlap(&self, other: &Topic) -> usize {
        2 * self.0.topics.intersection(&other.0.topics).count()
            + self.0.bigrams.intersection(&other.0.bigrams).count()
    }

    /// How many content bigrams two texts share (topics aside): parts of one
    /// message that share words are about one thing.
    pub fn shared_words(&self, other: &Topic) -> usize {
        self.0.bigrams.intersection(&other.0.bigrams).count()
    }

    /// Whether the text names any topic of the lexicon.
    pub fn has_topic(&self) -> bool {
        !self.0.topics.is_empty()
    }

    /// How many content bigrams (or English words) the text has.
    pub fn weight(&self) -> usize {
        self.0.bigrams.len()
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
    let mut topic = Found::default();
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
    Topic(Arc::new(topic))
}
