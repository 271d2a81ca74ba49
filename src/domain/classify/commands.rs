//! What a staff command acts on and does: the issue it targets (replied
//! to, named by `#seq` or matched by its words), whether it fits that
//! issue's state, `/undo`, and whether its words only intend.

use super::matching::matching;
use super::text;
use super::{
    event, Action, ActionKind, Command, Commands, Context, Directory, IssueState, KnownIssue, COMMAND_WORDS,
};
use crate::domain::event::{EventKind, Resolution};
use crate::domain::reading::{read, time_anchors, Because, Lexicon, Topic};

/// The text after a leading command word and `#seq`.
/// Whether a handling or plan command's own words only intend: for a plan,
/// also with at most one time named (dated steps said as intentions are
/// still a course).
pub(super) fn only_intends(command: Command, text: &str, directory: &Directory) -> bool {
    let body = parse_text_body(text, &directory.commands);
    let reading = read(body, &directory.lexicon);
    let intends = reading.intends;
    match command {
        // "#计划 下周一跟进": to follow up is no step of a course.
        Command::Plan => {
            let folded: String = body.chars().map(crate::domain::reading::fold).collect();
            let follows_up = reading.action.is_none() && FOLLOW_UPS.iter().any(|word| folded.contains(word));
            (intends || follows_up) && time_anchors(body).len() <= 1
        }
        _ => intends,
    }
}

/// Words that only keep a matter in view: following it up is no step.
const FOLLOW_UPS: [&str; 6] = ["跟进", "跟踪", "关注", "follow up", "keep an eye", "keep track"];

pub(super) fn parse_text_body<'t>(text: &'t str, commands: &Commands) -> &'t str {
    text::body_after_command(text, commands)
}

/// What `/undo` does, as a reply to a message: an issue that message raised
/// is dismissed (closed as invalid); the other events it recorded are taken
/// back by one `undone` event per issue, so the fold no longer counts them.
pub(super) fn undo(target: &KnownIssue, context: &Context) -> Vec<Action> {
    let mut actions = Vec::new();
    if context.replied_raised && target.is_live() {
        actions.push(event(
            target,
            EventKind::Closed,
            Some(Resolution::Invalid),
            Because::new("undo", "raised"),
        ));
    }
    let mut by_issue: Vec<(&str, Vec<String>, Vec<&str>)> = Vec::new();
    for (id, issue, kind) in context.replied_events {
        if kind == "raised" {
            continue;
        }
        match by_issue.iter_mut().find(|(known, ..)| known == issue) {
            Some((_, ids, kinds)) => {
                ids.push(id.clone());
                kinds.push(kind);
            }
            None => by_issue.push((issue, vec![id.clone()], vec![kind])),
        }
    }
    for (issue, ids, kinds) in by_issue {
        let seq = context
            .open_issues
            .iter()
            .chain(context.replied)
            .find(|known| known.issue == issue)
            .map(|known| known.seq);
        actions.push(Action {
            issue: issue.to_string(),
            seq,
            kind: ActionKind::Event {
                kind: EventKind::Undone,
                resolution: None,
            },
            because: Some(Because::new("undo", kinds.join(" "))),
            merged_into: None,
            undoes: ids,
        });
    }
    actions
}

pub(super) fn command_name(command: Command) -> &'static str {
    COMMAND_WORDS
        .iter()
        .find(|(_, known, _)| *known == command)
        .map_or("command", |(name, ..)| name)
}

/// The issue a command acts on: the replied one, else the one named by
/// `#seq`, else the one its words match among the open issues it fits (the
/// only one, or the one sharing most words). `Err` lists the open issues'
/// numbers when several fit and none matches: nothing is guessed. An
/// explicit target the command does not fit (`/pause` on a paused issue),
/// or a `#seq` the caller could not find, means no action.
pub(super) fn command_target<'a>(
    command: Command,
    seq: Option<i64>,
    context: &Context<'a>,
    topic: &Topic,
    live: &[&'a KnownIssue],
    lexicon: &Lexicon,
) -> Result<Option<&'a KnownIssue>, Vec<i64>> {
    let target = match (context.replied, seq) {
        (Some(issue), _) => issue,
        (None, Some(_)) => match context.named {
            Some(issue) => issue,
            None => return Ok(None),
        },
        (None, None) => {
            let fitting: Vec<&KnownIssue> = if command == Command::Reopen {
                context
                    .open_issues
                    .iter()
                    .filter(|issue| fits(command, issue.state))
                    .collect()
            } else {
                live.iter()
                    .copied()
                    .filter(|issue| fits(command, issue.state))
                    .collect()
            };
            return match fitting.len() {
                0 => Ok(None),
                _ => match matching(topic, &fitting, lexicon) {
                    Some(issue) => Ok(Some(issue)),
                    None => {
                        let mut open: Vec<i64> = fitting.iter().map(|issue| issue.seq).collect();
                        open.sort_unstable();
                        Err(open)
                    }
                },
            };
        }
    };
    Ok(fits(command, target.state).then_some(target))
}

/// Whether `command` makes sense in `state`: only `/reopen` acts on a closed
/// issue (and only there), pausing needs a running issue, resuming a paused one.
fn fits(command: Command, state: IssueState) -> bool {
    match command {
        Command::Reopen => state == IssueState::Closed,
        Command::Pause => state == IssueState::Open,
        Command::Resume => state == IssueState::Paused,
        // Undoing a close is how a close made by mistake is taken back.
        Command::Undo => true,
        Command::Handle | Command::Plan | Command::Close(_) | Command::Merge | Command::Raise => {
            state != IssueState::Closed
        }
    }
}
