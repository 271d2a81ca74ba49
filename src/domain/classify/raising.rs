//! The issues a message raises: one per matter it holds, each with its key.

use super::text::title;
use super::{Action, ActionKind, Directory, Message};
use crate::domain::reading::{matters, read, topic, Because, Topic};

/// One `raised` per matter of the message.
pub(super) fn raise_matters(
    message: &Message,
    directory: &Directory,
    because: Option<Because>,
) -> Vec<Action> {
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
