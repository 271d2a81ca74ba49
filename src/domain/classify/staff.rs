//! SPEC §4 rule 3: what a staff message does. A command, a problem passed
//! on from a phone call, or acknowledgement and plain-word handling or
//! planning of the issues it is about.

use super::audience::audience;
use super::commands::{command_name, command_target, only_intends, parse_text_body, undo};
use super::matching::{covers_all, matching, names_every_matter, raised_together};
use super::raising::raised_key;
use super::requester::TURN;
use super::text::title;
use super::{
    act, event, joined, parse_text, Action, ActionKind, Command, Context, Directory, KnownIssue, Message,
    ACKNOWLEDGED,
};
use crate::domain::event::{EventKind, Resolution};
use crate::domain::reading::{read, topic, Because};

/// SPEC §4 rule 3: a command, a problem passed on, or acknowledgement and
/// plain-word handling. Returns the actions and, for a command that named no
/// issue and matched none of several, the open issues' numbers.
pub(super) fn staff_actions(
    message: &Message,
    directory: &Directory,
    context: &Context,
    live: &[&KnownIssue],
) -> (Vec<Action>, Vec<i64>) {
    let parsed = parse_text(&message.text, &directory.commands);
    let reading = read(&message.text, &directory.lexicon);
    let topic = topic(&message.text, &directory.lexicon);
    let replied = context.replied.filter(|issue| issue.is_live());

    // A problem the team passes on for the enterprise: raised, and answered
    // by the same message.
    let raise = match parsed.command {
        Some(Command::Raise) => Some(Because::new("command", "raise")),
        // Not when an open matter shares its words: "as agreed with Elena on
        // the phone" reports on that matter.
        None if replied.is_none()
            && (reading.asks.is_some() || topic.weight() >= 4)
            && live
                .iter()
                .all(|issue| topic.overlap(issue.title_topic(&directory.lexicon)) == 0) =>
        {
            reading.on_behalf.clone()
        }
        _ => None,
    };
    if let Some(because) = raise {
        let key = raised_key(message, 0);
        return (
            vec![
                Action {
                    issue: key.clone(),
                    seq: None,
                    kind: ActionKind::Raised {
                        title: title(parse_text_body(&message.text, &directory.commands)),
                        matter: parse_text_body(&message.text, &directory.commands).to_string(),
                    },
                    because: Some(because.clone()),
                    merged_into: None,
                    undoes: Vec::new(),
                },
                Action {
                    issue: key,
                    seq: None,
                    kind: ACKNOWLEDGED,
                    because: Some(because),
                    merged_into: None,
                    undoes: Vec::new(),
                },
            ],
            Vec::new(),
        );
    }

    let (requesters, only_colleagues) = audience(message, directory, context.people);
    // "好的，我下午带电工过去" just after a colleague's "@钱波 …你安排一下":
    // answering the call, not the enterprise.
    let answers_call = context
        .called
        .is_some_and(|at| message.at >= at && message.at - at <= TURN)
        && requesters.is_empty()
        && context.replied.is_none();
    let only_colleagues = only_colleagues || answers_call;
    let mut actions = Vec::new();
    let ack_words = !reading.media_only
        && !reading.announcement
        && (!reading.pleasantry || is_acknowledgement(&message.text));
    if ack_words && !only_colleagues {
        let targets: Vec<&KnownIssue> = match (context.replied, replied) {
            // "Hi Daniel, got both." under a message that raised two.
            (_, Some(issue)) if covers_all(&message.text) => raised_together(issue, live),
            (_, Some(issue)) => vec![issue],
            // A reply to a closed issue's message is about that issue alone.
            (Some(_), None) => Vec::new(),
            (None, None) => {
                let theirs: Vec<&KnownIssue> = live
                    .iter()
                    .copied()
                    .filter(|issue| issue.raised_by.as_ref().is_some_and(|by| requesters.contains(by)))
                    .collect();
                // Of one person's several matters, a message about one of
                // them answers that one ("马总，封路的事我马上找建设局").
                // "热水器我马上找物业；入学的事孟科在对接": a message in
                // parts answers each of them.
                let theirs =
                    if theirs.len() >= 2 && !covers_all(&message.text) && !in_parts(&message.text, directory)
                    {
                        let about: Vec<&KnownIssue> = theirs
                            .iter()
                            .copied()
                            .filter(|issue| topic.overlap(issue.topic(&directory.lexicon)) > 0)
                            .collect();
                        if about.is_empty() {
                            theirs
                        } else {
                            about
                        }
                    } else {
                        theirs
                    };
                if theirs.is_empty() {
                    // A message about one of several matters answers that one.
                    let about: Vec<&KnownIssue> = live
                        .iter()
                        .copied()
                        .filter(|issue| topic.overlap(issue.topic(&directory.lexicon)) > 0)
                        .collect();
                    if about.is_empty() || live.len() < 2 {
                        live.to_vec()
                    } else {
                        about
                    }
                } else {
                    theirs
                }
            }
        };
        let mut acks: Vec<Action> = targets
            .into_iter()
            .filter(|issue| !issue.acknowledged)
            .map(|issue| act(issue, ACKNOWLEDGED))
            .collect();
        acks.sort_by_key(|action| action.seq);
        acks.dedup_by(|a, b| a.issue == b.issue);
        actions.extend(acks);
    }

    if let Some(command) = parsed.command {
        let target = command_target(command, parsed.seq, context, &topic, live, &directory.lexicon);
        return match target {
            Ok(Some(target)) => {
                let because = Because::new("command", command_name(command));
                match command {
                    Command::Merge => {
                        let Some(into) = context.named_other.filter(|other| other.issue != target.issue)
                        else {
                            return (actions, Vec::new());
                        };
                        let words = format!("#{} → #{}", target.seq, into.seq);
                        actions.push(event(
                            target,
                            EventKind::Closed,
                            Some(Resolution::Duplicate),
                            Because::new("merge", words),
                        ));
                        actions.push(Action {
                            merged_into: Some(into.issue.clone()),
                            ..joined(into)
                        });
                    }
                    Command::Undo => actions.extend(undo(target, context)),
                    // "#已处理 已安排专人对接": a handling command whose own
                    // words only intend reports no action; "#计划 我下周一再问一下",
                    // an intention with at most one time, sets out no course.
                    Command::Handle | Command::Plan if only_intends(command, &message.text, directory) => {}
                    _ => {
                        let (kind, resolution) = command.event();
                        actions.push(event(target, kind, resolution, because));
                    }
                }
                (actions, Vec::new())
            }
            Ok(None) => (actions, Vec::new()),
            Err(open) => (actions, open),
        };
    }

    if reading.announcement && replied.is_none() {
        return (actions, Vec::new());
    }
    let stage = match (reading.plan.clone(), reading.action.clone()) {
        (Some(plan), _) => Some((EventKind::Planned, plan)),
        (None, Some(action)) => Some((EventKind::Handled, action)),
        (None, None) => None,
    };
    if let Some((kind, because)) = stage {
        let candidates: Vec<&KnownIssue> = match replied {
            Some(issue) => vec![issue],
            None => {
                let theirs: Vec<&KnownIssue> = live
                    .iter()
                    .copied()
                    .filter(|issue| issue.raised_by.as_ref().is_some_and(|by| requesters.contains(by)))
                    .collect();
                if theirs.is_empty() {
                    live.to_vec()
                } else {
                    theirs
                }
            }
        };
        // Words first; "两件事都…" covers them all; failing both, the issue
        // the conversation was last about.
        let about: Vec<&KnownIssue> = match matching(&topic, &candidates, &directory.lexicon) {
            // "两个事我刚都打了电话：1）…2）…", "Update on both: …": each of
            // them, though the words match one better ("都在办" alone is not
            // enough to override the words).
            _ if names_every_matter(&message.text) && candidates.len() > 1 => {
                let mut all = candidates.clone();
                all.sort_by_key(|issue| issue.seq);
                all
            }
            Some(issue) => vec![issue],
            None if covers_all(&message.text) => {
                let mut all = candidates.clone();
                all.sort_by_key(|issue| issue.seq);
                all
            }
            None => candidates
                .iter()
                .copied()
                .max_by_key(|issue| (issue.last_active, issue.seq))
                .into_iter()
                .collect(),
        };
        for issue in about {
            let done = match kind {
                EventKind::Planned => issue.planned,
                _ => issue.handled,
            };
            if !done {
                actions.push(event(issue, kind, None, because.clone()));
            }
        }
    }
    (actions, Vec::new())
}

/// Whether a message is in two or more parts of substance, set apart by
/// semicolons or lines.
fn in_parts(text: &str, directory: &Directory) -> bool {
    text.split(['；', ';', '\n'])
        .filter(|part| topic(part, &directory.lexicon).weight() >= 2)
        .count()
        >= 2
}

/// Staff words that acknowledge though they are pleasantries from a requester.
fn is_acknowledgement(text: &str) -> bool {
    let folded: String = text.chars().map(crate::domain::reading::fold).collect();
    [
        "收到",
        "好的",
        "明白",
        "了解",
        "知道了",
        "ok",
        "noted",
        "got it",
        "sure",
        "on it",
        "好嘞",
        "马上",
    ]
    .iter()
    .any(|word| folded.contains(word))
}
