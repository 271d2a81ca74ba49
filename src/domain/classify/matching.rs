//! Which open issue a message is about: the one whose words it shares most,
//! the issues raised together with a replied-to one, or all of them when a
//! staff message speaks of every matter at once.

use super::{Directory, IssueState, KnownIssue};
use crate::domain::reading::{topic, Lexicon, Topic};

/// The live issue a message is about: the one whose words it shares most;
/// failing that, the newest one the sender raised.
pub(super) fn about<'a>(
    topic: &Topic,
    live: &[&'a KnownIssue],
    sender: Option<&str>,
    lexicon: &Lexicon,
) -> Option<&'a KnownIssue> {
    // A requester speaks of their own matter more often than of another's:
    // "Never mind, our Shanghai office is sending someone" withdraws the
    // sender's request, though "Shanghai" is a word of a colleague's.
    let own = |issue: &KnownIssue| sender.is_some() && issue.raised_by.as_deref() == sender;
    let best = live
        .iter()
        .map(|issue| (topic.overlap(issue.topic(lexicon)), *issue))
        .filter(|(overlap, _)| *overlap > 0)
        .max_by_key(|(overlap, issue)| {
            (
                overlap + OWN_MATTER * usize::from(own(issue)),
                issue.last_active,
                issue.seq,
            )
        });
    let own_unmatched = live
        .iter()
        .copied()
        .filter(|issue| own(issue))
        .max_by_key(|issue| (issue.last_active, issue.seq));
    if let (Some((overlap, issue)), Some(mine)) = (best, own_unmatched) {
        if !own(issue) && overlap <= OWN_MATTER {
            return Some(mine);
        }
    }
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

/// How many shared words a requester's own matter is worth over another's.
const OWN_MATTER: usize = 1;

/// The live issue a staff message's words point to when several are open:
/// the single one, or the one it shares strictly most words with.
pub(super) fn matching<'a>(
    topic: &Topic,
    candidates: &[&'a KnownIssue],
    lexicon: &Lexicon,
) -> Option<&'a KnownIssue> {
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
pub(super) fn raised_together<'a>(issue: &'a KnownIssue, live: &[&'a KnownIssue]) -> Vec<&'a KnownIssue> {
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
pub(super) fn covers_all(text: &str) -> bool {
    let folded: String = text.chars().map(crate::domain::reading::fold).collect();
    names_every_matter(text)
        || ["都已", "都在", "都办", "都安排", "都收到"]
            .iter()
            .any(|word| folded.contains(word))
}

/// Whether a staff message names its matters as all of them: "两个事",
/// "三件事", "got both", "Update on both".
pub(super) fn names_every_matter(text: &str) -> bool {
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
