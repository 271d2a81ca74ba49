//! What is kept in memory about chat issues between messages: the topics of
//! their titles ([`TopicCache`]) and the words of the matter beyond the title
//! ([`IssueWords`]). Bounded; emptied when full.

use super::KnownIssue;
use crate::domain::reading::Topic;
use std::collections::HashMap;

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
