//! Judge: each event of the batch against stored state and what came before
//! it in the batch. Pure: the stored rows and contents are read beforehand.

use super::super::Rules;
use super::Brought;
use crate::domain::event::{Event, EventKind, Invalid};
use crate::store::rows::IssueRow;
use std::collections::HashMap;

/// What becomes of one event.
#[derive(Debug)]
pub(super) enum Verdict {
    Accepted,
    /// Stored before, with the same content.
    Duplicate,
    /// Stored before under the same id with other content.
    Conflict,
    Rejected(Invalid),
}

/// The batch's verdicts and what is to be appended.
pub(super) struct Judged<'a> {
    /// Per command, in order: each of its events' verdict.
    pub verdicts: Vec<Vec<Verdict>>,
    /// The accepted events, in the order they are appended.
    pub accepted: Vec<&'a Event>,
    /// Each id's content: stored before, or accepted just now.
    pub contents: HashMap<String, String>,
}

impl Judged<'_> {
    /// The content an accepted event is stored with.
    pub fn content_of(&self, event: &Event) -> &str {
        self.contents.get(&event.id).map_or("", String::as_str)
    }
}

/// Judges every event in order; an id accepted earlier in the batch counts
/// as stored. `stored` holds the stored contents of the batch's ids.
pub(super) fn judge<'a>(
    brought: &[Brought<'a>],
    rules: &Rules,
    rows: &HashMap<String, IssueRow>,
    stored: HashMap<String, String>,
) -> Judged<'a> {
    let mut contents = stored;
    let mut verdicts = Vec::with_capacity(brought.len());
    let mut accepted: Vec<&'a Event> = Vec::new();
    // Each new issue's earliest raise in the batch: it names the policy a
    // later pause in the same batch is judged under.
    let mut batch_raised: HashMap<&str, &Event> = HashMap::new();
    for command in brought {
        let mut command_verdicts = Vec::with_capacity(command.events.len());
        for (index, event) in command.events.iter().enumerate() {
            let verdict = if let Some(invalid) =
                invalid_against_state(event, rules, rows.get(&event.issue), &batch_raised)
            {
                Verdict::Rejected(invalid)
            } else {
                let content = command
                    .contents
                    .get(index)
                    .cloned()
                    .unwrap_or_else(|| event.content());
                match contents.get(&event.id) {
                    Some(stored) if *stored == content => Verdict::Duplicate,
                    Some(_) => Verdict::Conflict,
                    None => {
                        contents.insert(event.id.clone(), content);
                        accepted.push(event);
                        if event.kind == EventKind::Raised {
                            batch_raised
                                .entry(event.issue.as_str())
                                .and_modify(|earliest| {
                                    if event.at < earliest.at {
                                        *earliest = event
                                    }
                                })
                                .or_insert(event);
                        }
                        Verdict::Accepted
                    }
                }
            };
            command_verdicts.push(verdict);
        }
        verdicts.push(command_verdicts);
    }
    Judged {
        verdicts,
        accepted,
        contents,
    }
}

/// Issues accepted events bring that have no stored row, in the order they
/// are first seen: the order they are numbered in (SPEC §1), so that an
/// export imported elsewhere numbers its issues as they were.
pub(super) fn new_issues<'a>(accepted: &[&'a Event], rows: &HashMap<String, IssueRow>) -> Vec<&'a str> {
    let mut first_seen = std::collections::HashSet::new();
    accepted
        .iter()
        .map(|event| event.issue.as_str())
        .filter(|issue| !rows.contains_key(*issue) && first_seen.insert(*issue))
        .collect()
}

/// Validation that needs stored state: pausing under a policy that does not
/// allow it, once the issue's policy is known (SPEC §1, edge cases).
fn invalid_against_state(
    event: &Event,
    rules: &Rules,
    row: Option<&IssueRow>,
    batch_raised: &HashMap<&str, &Event>,
) -> Option<Invalid> {
    if !matches!(event.kind, EventKind::Paused | EventKind::Resumed) {
        return None;
    }
    let policy = match row.and_then(|r| r.policy.as_deref()) {
        Some(name) => rules.policies.by_name(name),
        None => batch_raised.get(event.issue.as_str()).map(|raised| {
            rules.policies.select(
                raised.project.as_deref().unwrap_or_default(),
                raised.priority.as_deref(),
            )
        }),
    }?;
    (!policy.allow_pause).then(|| {
        Invalid::new(
            "kind",
            "pause_not_allowed",
            format!(
                "policy `{}` does not allow pausing (allow_pause = false)",
                policy.name
            ),
        )
    })
}
