//! Properties of classification that must hold for any message and any
//! chat state (SPEC §4), plus a huge-message check.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 30, 2, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn directory() -> Directory {
    Directory::default()
        .with_chat("wechat:grp", "zhongtai")
        .with_staff("zhongtai", "wechat:staff")
        .with_zone_staff("wechat:zone")
        .with_bot("wechat:bot")
}

fn message(chat: &str, sender: &str, message_id: &str, minutes: i64, text: String) -> Message {
    Message {
        platform: "wechat".into(),
        message_id: message_id.into(),
        chat_id: chat.into(),
        sender_id: sender.into(),
        sender_name: None,
        text,
        at: t(minutes),
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// Any text, biased towards what the rules look at: leading commands and
/// `#seq`, mentions, pleasantries, emoji, control characters.
fn any_text() -> impl Strategy<Value = String> {
    let command = prop::sample::select(vec![
        "#已处理",
        "/HANDLED",
        "#计划",
        "/close",
        "#无需处理",
        "#暂停",
        "/pause",
        "#恢复",
        "/resume",
        "#重开",
        "/reopen",
        "@张三\u{2005}/plan",
    ]);
    let piece = prop_oneof![
        any::<String>(),
        Just("＃１２".to_string()),
        Just(" #7".to_string()),
        Just("@张三\u{2005}".to_string()),
        Just("<@U1> ".to_string()),
        Just("谢谢".to_string()),
        Just("ok".to_string()),
        Just("👍🏻".to_string()),
        Just("\u{0}\r\n\t".to_string()),
        "[ #/a-z0-9，。！]{0,8}",
    ];
    (prop::option::of(command), prop::collection::vec(piece, 0..5))
        .prop_map(|(command, pieces)| command.unwrap_or_default().to_string() + &pieces.concat())
}

fn any_state() -> impl Strategy<Value = IssueState> {
    prop_oneof![
        Just(IssueState::Open),
        Just(IssueState::Paused),
        Just(IssueState::Closed)
    ]
}

fn any_issue() -> impl Strategy<Value = KnownIssue> {
    (
        1..20i64,
        any_state(),
        prop::bool::ANY,
        prop::bool::ANY,
        -30..30i64,
    )
        .prop_map(|(seq, state, acknowledged, by_requester, minutes)| KnownIssue {
            issue: format!("wechat:grp:m-{seq}"),
            seq,
            state,
            raised_by: by_requester.then(|| "wechat:requester".to_string()),
            raised_at: t(minutes),
            acknowledged,
            ..Default::default()
        })
}

fn any_sender() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("requester"), Just("staff"), Just("zone"), Just("bot")]
}

/// The state an event applies to, for checking that commands fit.
fn fits_state(kind: EventKind, state: IssueState) -> bool {
    match kind {
        EventKind::Reopened => state == IssueState::Closed,
        EventKind::Paused => state == IssueState::Open,
        EventKind::Resumed => state == IssueState::Paused,
        _ => state != IssueState::Closed,
    }
}

proptest! {
    #[test]
    fn parse_text_never_panics(text in any_text()) {
        let parsed = parse_text(&text, &Commands::default());
        prop_assert!(parsed.seq.is_none() || parsed.command.is_some());
    }

    #[test]
    fn unmapped_chat_never_yields_actions(text in any_text(), sender in any_sender()) {
        let message = message("elsewhere", sender, "m-1", 0, text);
        let classification = classify(&message, &directory(), &Context::default());
        prop_assert_eq!(classification, Classification::Ignored(IgnoreReason::UnmappedChat));
    }

    #[test]
    fn bot_message_never_yields_actions(text in any_text(), issues in prop::collection::vec(any_issue(), 0..4)) {
        let message = message("grp", "bot", "m-1", 0, text);
        let context = Context { open_issues: &issues, replied: issues.first(), named: issues.last(), ..Default::default() };
        let classification = classify(&message, &directory(), &context);
        prop_assert_eq!(classification, Classification::Ignored(IgnoreReason::OwnMessage));
    }

    /// What the store hands over (`Directory::open_issues_needed`) is enough:
    /// the chat's other open issues never change the outcome.
    #[test]
    fn the_needed_open_issues_classify_like_all_of_them(
        text in any_text(),
        sender in any_sender(),
        minutes in -30..30i64,
        issues in prop::collection::vec((any_issue(), prop::sample::select(vec!["requester", "other", "staff"])), 0..6),
        replied in prop::option::of(any_issue()),
    ) {
        let all: Vec<KnownIssue> = issues
            .into_iter()
            .filter(|(issue, _)| issue.state != IssueState::Closed)
            .map(|(issue, by)| KnownIssue { raised_by: issue.raised_by.as_ref().map(|_| format!("wechat:{by}")), ..issue })
            .collect();
        let message = message("grp", sender, "m-new", minutes, text);
        let needed: Vec<KnownIssue> = match directory().open_issues_needed(&message) {
            OpenIssues::None => Vec::new(),
            OpenIssues::All => all.clone(),
            OpenIssues::RaisedBy(requester) => all
                .iter()
                .filter(|issue| issue.raised_by.as_deref() == Some(requester.as_str()))
                .cloned()
                .collect(),
        };
        let context = |open_issues| Context { open_issues, replied: replied.as_ref(), named: None, ..Default::default() };
        prop_assert_eq!(
            classify(&message, &directory(), &context(&needed)),
            classify(&message, &directory(), &context(&all))
        );
    }

    #[test]
    fn actions_follow_the_rules(
        text in any_text(),
        sender in any_sender(),
        message_id in "[a-z0-9.-]{1,12}",
        minutes in -30..30i64,
        issues in prop::collection::vec(any_issue(), 0..5),
        replied in prop::option::of(any_issue()),
        named in prop::option::of(any_issue()),
    ) {
        // One entry per issue, as the store would give.
        let mut seen = std::collections::HashSet::new();
        let open_issues: Vec<KnownIssue> = issues
            .into_iter()
            .filter(|issue| issue.state != IssueState::Closed && seen.insert(issue.seq))
            .collect();
        // Distinct keys, so that each action's issue says which state it was in.
        let replied = replied.map(|issue| KnownIssue { issue: format!("replied-{}", issue.seq), ..issue });
        let named = named.map(|issue| KnownIssue { issue: format!("named-{}", issue.seq), ..issue });
        let context = Context { open_issues: &open_issues, replied: replied.as_ref(), named: named.as_ref(), ..Default::default() };
        let message = message("grp", sender, &message_id, minutes, text);
        let Classification::Actions { project, role, actions, .. } = classify(&message, &directory(), &context)
        else {
            return Ok(());
        };
        prop_assert_eq!(project, "zhongtai");
        let known = open_issues.iter().chain(&replied).chain(&named);
        if role == Role::Requester {
            prop_assert_eq!(actions.len(), 1);
        }
        let mut command_seen = false;
        let mut last_acknowledged = i64::MIN;
        for action in &actions {
            match &action.kind {
                ActionKind::Raised { title, .. } => {
                    prop_assert_eq!(role, Role::Requester);
                    prop_assert_eq!(&action.issue, &format!("wechat:grp:{message_id}"));
                    prop_assert!(!title.is_empty() && title.chars().count() <= TITLE_CHARS);
                    prop_assert!(!title.chars().any(char::is_control));
                    prop_assert_eq!(title.trim(), title.as_str());
                }
                ActionKind::Joined => prop_assert_eq!(role, Role::Requester),
                ActionKind::Event { kind, resolution } => {
                    prop_assert_eq!(role, Role::Staff);
                    let target = known.clone().find(|issue| issue.issue == action.issue);
                    prop_assert!(target.is_some(), "unknown issue {}", action.issue);
                    let state = target.map(|issue| issue.state).unwrap_or(IssueState::Open);
                    prop_assert!(fits_state(*kind, state), "{kind:?} on {state:?}");
                    prop_assert_eq!(resolution.is_some(), *kind == EventKind::Closed);
                    if *kind == EventKind::Acknowledged {
                        prop_assert!(!command_seen, "acknowledgements come before the command");
                        let seq = action.seq.unwrap_or(i64::MAX);
                        prop_assert!(seq > last_acknowledged, "acknowledged once each, in seq order");
                        last_acknowledged = seq;
                    } else {
                        prop_assert!(!command_seen, "one command at most");
                        command_seen = true;
                    }
                }
            }
        }
    }
}

#[test]
fn a_one_mebibyte_message_is_classified() {
    let issues = [KnownIssue {
        issue: "wechat:grp:m-0".into(),
        seq: 1,
        state: IssueState::Open,
        raised_by: Some("wechat:requester".into()),
        raised_at: t(-60),
        acknowledged: false,
        ..Default::default()
    }];
    let context = Context {
        open_issues: &issues,
        ..Context::default()
    };
    let huge = [
        "停水".repeat((1 << 20) / 6),
        "谢谢".repeat((1 << 20) / 6),
        "@".repeat(1 << 20),
        "@中".repeat(1 << 18),
        format!("#已处理 #{}", "9".repeat(1 << 20)),
        "\u{0}".repeat(1 << 20),
    ];
    for text in huge {
        for sender in ["requester", "staff"] {
            let message = message("grp", sender, "m-1", 0, text.clone());
            match classify(&message, &directory(), &context) {
                Classification::Actions { actions, .. } => {
                    for action in actions {
                        if let ActionKind::Raised { title, .. } = action.kind {
                            assert!(title.chars().count() <= TITLE_CHARS);
                        }
                    }
                }
                Classification::Ignored(reason) => assert_eq!(sender, "requester", "{reason:?}"),
            }
        }
    }
}
