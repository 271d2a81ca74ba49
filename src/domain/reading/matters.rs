//! The matters of one message: a numbered list, or a further matter
//! introduced by `另外`, `还有` or an English marker.

use super::{clip, fold, is_cjk, read, topic, Lexicon};

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
        let counted =
            (announces_several(&folded) || asks_for_both(&folded)) && at_sentence_start(&folded, at);
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
        let opens = before.ends_with(['?', '？', '。', '!', '！', '；', ';']);
        let counts = after.is_some_and(|c| c.is_ascii_digit() || "几多一两三没点些很".contains(c));
        let char_at = folded[..at].chars().count();
        if opens && !counts && char_at >= 6 {
            let byte_at = text.char_indices().nth(char_at).map_or(text.len(), |(b, _)| b);
            let (first, second) = text.split_at(byte_at);
            return vec![first.trim(), second.trim()];
        }
    }
    // "…no piped gas yet. And the 208 shuttle hasn't stopped… Can help
    // check both?": a sentence opened by "And" in a message that asks
    // about both.
    if asks_for_both(&folded) {
        if let Some(at) = folded.match_indices(". and ").map(|(at, _)| at + 2).next() {
            let char_at = folded[..at].chars().count();
            let byte_at = text.char_indices().nth(char_at).map_or(text.len(), |(b, _)| b);
            let (first, second) = text.split_at(byte_at);
            return vec![first.trim(), second.trim()];
        }
    }
    vec![text]
}

/// Whether a message asks about two things by name: "check both",
/// "both issues", "these two".
fn asks_for_both(folded: &str) -> bool {
    [
        "both?",
        "check both",
        "help with both",
        "both issues",
        "both things",
        "these two",
    ]
    .iter()
    .any(|words| folded.contains(words))
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
