//! The pure phases of a group commit, without a database.
use super::decide::{decide, IssueFacts};
use super::judge::{judge, new_issues, Verdict};
use super::persist::reopened;
use super::{answer, Brought};
use crate::config::Config;
use crate::domain::event::{Event, EventKind};
use crate::domain::fixtures::{event, t};
use crate::domain::issue::IssueStatus;
use crate::domain::Timestamp;
use crate::engine::command::Outcome;
use crate::engine::Rules;
use crate::store::rows::IssueRow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

fn rules(toml: &str) -> Rules {
    let config = Config::from_toml(toml, Some(PathBuf::from("test.toml")), &|_| None).unwrap();
    Rules {
        policies: Arc::new(config.policies.clone()),
        grace: config.engine.grace,
        routing: Arc::new(config.routing()),
        chat: config.chat.clone(),
        max_future_skew: config.engine.max_future_skew,
    }
}

const NO_PAUSE: &str = "[[policies]]\nname = \"strict\"\ncalendar = \"24x7\"\n\
    targets = { ack = \"10m\", handle = \"2h\", plan = \"1d\" }\nallow_pause = false\n";

const WITH_TEAM: &str = "[projects.zhongtai]\nnotify = { team = [\"team\"] }\n\
    [channels.team]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\n";

fn of_issue(issue: &str, mut event: Event) -> Event {
    event.issue = issue.into();
    event.id = format!("{issue}-{}", event.id);
    event
}

fn brought(events: &[Event]) -> Vec<Brought<'_>> {
    vec![Brought {
        events,
        contents: &[],
    }]
}

#[test]
fn judge_tells_new_duplicate_and_conflicting_ids_apart() {
    let rules = rules("");
    let first = event(EventKind::Raised, 0, 1);
    let mut changed = first.clone();
    changed.text = Some("other words".into());
    // Stored before: e1 with its content; the batch brings e1 again,
    // e1 changed, e2 twice.
    let stored = HashMap::from([(first.id.clone(), first.content())]);
    let second = event(EventKind::Acknowledged, 5, 2);
    let events = [first.clone(), changed, second.clone(), second];
    let judged = judge(&brought(&events), &rules, &HashMap::new(), stored);
    let verdicts: Vec<&str> = judged.verdicts[0]
        .iter()
        .map(|v| match v {
            Verdict::Accepted => "accepted",
            Verdict::Duplicate => "duplicate",
            Verdict::Conflict => "conflict",
            Verdict::Rejected(_) => "rejected",
        })
        .collect();
    assert_eq!(verdicts, ["duplicate", "conflict", "accepted", "duplicate"]);
    assert_eq!(judged.accepted.len(), 1);
    assert_eq!(judged.accepted[0].id, "e2");
}

#[test]
fn judge_refuses_a_pause_under_a_policy_that_allows_none_even_one_raised_in_the_same_batch() {
    let rules = rules(NO_PAUSE);
    let events = [event(EventKind::Raised, 0, 1), event(EventKind::Paused, 3, 2)];
    let judged = judge(&brought(&events), &rules, &HashMap::new(), HashMap::new());
    assert!(matches!(judged.verdicts[0][0], Verdict::Accepted));
    match &judged.verdicts[0][1] {
        Verdict::Rejected(invalid) => assert_eq!(invalid.reason, "pause_not_allowed"),
        _ => panic!("a pause under `strict` must be refused"),
    }
    // Under a policy that allows pausing the same pause is accepted.
    let lenient = NO_PAUSE.replace("allow_pause = false", "allow_pause = true");
    let judged = judge(
        &brought(&events),
        &self::rules(&lenient),
        &HashMap::new(),
        HashMap::new(),
    );
    assert!(matches!(judged.verdicts[0][1], Verdict::Accepted));
}

#[test]
fn new_issues_are_numbered_in_the_order_first_seen_and_stored_ones_not_at_all() {
    let events = [
        of_issue("b", event(EventKind::Raised, 0, 1)),
        of_issue("a", event(EventKind::Raised, 0, 2)),
        of_issue("b", event(EventKind::Acknowledged, 1, 3)),
        of_issue("c", event(EventKind::Raised, 0, 4)),
    ];
    let accepted: Vec<&Event> = events.iter().collect();
    let stored = stored_row("c", 7, t(0));
    let rows = HashMap::from([("c".to_string(), stored)]);
    assert_eq!(new_issues(&accepted, &rows), ["b", "a"]);
}

fn stored_row(issue: &str, seq: i64, now: Timestamp) -> IssueRow {
    let rules = rules("");
    let events = [of_issue(issue, event(EventKind::Raised, 0, 1))];
    let facts = IssueFacts {
        issue,
        seq,
        events: events.to_vec(),
        before: None,
        breaches: Vec::new(),
        revisited: false,
    };
    decide(&facts, &rules, now).row
}

#[test]
fn decide_records_a_missed_ack_once_notifies_the_team_and_counts_the_timers_delay() {
    let rules = rules(WITH_TEAM);
    let events = vec![event(EventKind::Raised, 0, 1)];
    // 15 minutes on: the 10-minute ack is missed.
    let now = t(15);
    let facts = IssueFacts {
        issue: "water",
        seq: 1,
        events,
        before: None,
        breaches: Vec::new(),
        revisited: true,
    };
    let decision = decide(&facts, &rules, now);
    assert_eq!(decision.inserts.len(), 1);
    assert_eq!(decision.inserts[0].stage.as_str(), "ack");
    assert_eq!(decision.inserts[0].deadline, t(10));
    assert!(decision.updates.is_empty());
    assert_eq!(decision.outbox.len(), 1, "one breach notice to the team");
    let (project, stage, _, delay) = &decision.breaches[0];
    assert_eq!((project.as_deref(), *stage), (Some("zhongtai"), "ack"));
    let expected = (now - (t(10) + rules.grace)).num_milliseconds() as f64 / 1e3;
    assert_eq!(*delay, Some(expected));

    // Folded again with that record stored: nothing new is written.
    let stored = crate::domain::breach::StoredBreach {
        id: 41,
        record: decision.inserts[0].clone(),
    };
    let again = IssueFacts {
        before: Some(&decision.row),
        breaches: vec![stored],
        revisited: false,
        events: facts.events.clone(),
        ..facts
    };
    let later = decide(&again, &rules, t(16));
    assert!(later.inserts.is_empty());
    assert!(later.updates.is_empty());
    assert!(later.outbox.is_empty());
    assert!(later.breaches.is_empty());
}

#[test]
fn decide_counts_a_stage_met_in_time_once() {
    let rules = rules("");
    let events = vec![
        event(EventKind::Raised, 0, 1),
        event(EventKind::Acknowledged, 4, 2),
    ];
    let facts = IssueFacts {
        issue: "water",
        seq: 1,
        events,
        before: None,
        breaches: Vec::new(),
        revisited: false,
    };
    let decision = decide(&facts, &rules, t(5));
    assert!(decision.inserts.is_empty());
    let counted: Vec<(&str, &str, bool)> = decision
        .settled
        .iter()
        .map(|(_, settled, counted)| (settled.stage.as_str(), settled.outcome.as_str(), *counted))
        .collect();
    assert_eq!(counted, [("ack", "met", true)]);
    // The same fold over the stored row settles nothing new.
    let again = IssueFacts {
        before: Some(&decision.row),
        events: facts.events.clone(),
        ..facts
    };
    assert!(decide(&again, &rules, t(6)).settled.is_empty());
}

#[test]
fn reopened_lists_only_issues_closed_before_and_open_now() {
    let mut closed = stored_row("a", 1, t(0));
    closed.status = IssueStatus::Closed;
    let open_before = stored_row("b", 2, t(0));
    let before = HashMap::from([("a".to_string(), closed), ("b".to_string(), open_before)]);
    let now = [
        stored_row("a", 1, t(1)),
        stored_row("b", 2, t(1)),
        stored_row("c", 3, t(1)),
    ];
    assert_eq!(reopened(&now, &before), [1]);
}

#[test]
fn answer_gives_each_event_its_verdict_with_the_row_as_written_or_stored() {
    let events = [
        event(EventKind::Raised, 0, 1),
        event(EventKind::Acknowledged, 1, 2),
    ];
    let saved = HashMap::from([("water".to_string(), stored_row("water", 3, t(1)))]);
    let outcomes = answer(
        &brought(&events),
        vec![vec![Verdict::Accepted, Verdict::Conflict]],
        &saved,
        &HashMap::new(),
    );
    assert!(matches!(&outcomes[0][0], Outcome::Accepted(row) if row.seq == 3));
    assert!(matches!(outcomes[0][1], Outcome::Conflict));
    // An accepted event whose issue was never written answers a
    // duplicate without a row.
    let outcomes = answer(
        &brought(&events[..1]),
        vec![vec![Verdict::Accepted]],
        &HashMap::new(),
        &HashMap::new(),
    );
    assert!(matches!(outcomes[0][0], Outcome::Duplicate(None)));
}
