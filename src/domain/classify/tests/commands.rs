//! Staff commands (SPEC §4 rule 3): how they are read and which issue they act on.

use super::*;

fn parse(text: &str) -> Parsed {
    parse_text(text, &Commands::default())
}

fn command(text: &str) -> Option<Command> {
    parse(text).command
}

fn named<'a>(issues: &'a [KnownIssue], target: &'a KnownIssue) -> Context<'a> {
    Context {
        named: Some(target),
        ..open(issues)
    }
}

fn replying<'a>(issues: &'a [KnownIssue], target: &'a KnownIssue) -> Context<'a> {
    Context {
        replied: Some(target),
        ..open(issues)
    }
}

#[test]
fn every_spec_command_word_is_recognised() {
    let words = [
        ("/handled", Command::Handle),
        ("#已处理", Command::Handle),
        ("/plan", Command::Plan),
        ("#计划", Command::Plan),
        ("/close", Command::Close(Resolution::Resolved)),
        ("#已解决", Command::Close(Resolution::Resolved)),
        ("/dismiss", Command::Close(Resolution::Invalid)),
        ("#无需处理", Command::Close(Resolution::Invalid)),
        ("/pause", Command::Pause),
        ("#暂停", Command::Pause),
        ("/resume", Command::Resume),
        ("#恢复", Command::Resume),
        ("/reopen", Command::Reopen),
        ("#重开", Command::Reopen),
    ];
    for (word, expected) in words {
        assert_eq!(command(&format!("{word} 说明")), Some(expected), "{word}");
        assert_eq!(command(word), Some(expected), "{word}");
    }
}

#[test]
fn ascii_commands_are_case_insensitive_and_fullwidth_tolerant() {
    for text in ["/HANDLED", "/Handled 已送水", "／ｈａｎｄｌｅｄ", "＃已处理"] {
        assert_eq!(command(text), Some(Command::Handle), "{text:?}");
    }
}

#[test]
fn ascii_command_must_end_at_a_word_boundary() {
    for text in ["/planning", "/handled2", "/close_all"] {
        assert_eq!(command(text), None, "{text:?}");
    }
    for text in ["/plan, 明天开工", "/handled#12", "/plan明天开工", "/close."] {
        assert!(command(text).is_some(), "{text:?}");
    }
}

/// Chinese is typed without spaces, so a Chinese command word may run straight into the text.
#[test]
fn chinese_command_needs_no_separator() {
    for text in ["#已处理，已送水", "#已处理已安排送水车", "#已处理了", "#已处理。"] {
        assert_eq!(command(text), Some(Command::Handle), "{text:?}");
    }
}

#[test]
fn seq_alone_or_a_command_later_in_the_text_is_no_command() {
    for text in ["#12", "#12 #已处理", "请 #已处理", "已处理", "/", "#"] {
        assert_eq!(parse(text), Parsed::default(), "{text:?}");
    }
}

#[test]
fn leading_mentions_are_skipped_before_the_command() {
    for text in [
        "@张三 #已处理",
        "@_user_1 @_user_2  /handled",
        "<@U024BE7LH> /handled",
        "  \n#已处理",
    ] {
        assert_eq!(command(text), Some(Command::Handle), "{text:?}");
    }
    assert_eq!(
        command("@张三#已处理"),
        None,
        "a mention needs the space after it"
    );
}

#[test]
fn seq_reference_follows_the_command() {
    let cases = [
        ("#已处理 #12 已安排送水车", Some(12)),
        ("/handled #12", Some(12)),
        ("#已处理#7", Some(7)),
        ("/handled ＃１２", Some(12)),
        ("/handled  #3，已送水", Some(3)),
        ("#已处理 已安排 #12", None),
        ("/handled #", None),
        ("/handled #99999999999999999999", None),
    ];
    for (text, seq) in cases {
        assert_eq!(parse(text).seq, seq, "{text:?}");
    }
}

#[test]
fn command_words_are_configurable() {
    let commands = Commands::none()
        .with(" #已回复 ", Command::Handle)
        .with("/Dup", Command::Close(Resolution::Duplicate))
        .with("   ", Command::Pause);
    assert_eq!(
        parse_text("#已回复 见上", &commands).command,
        Some(Command::Handle)
    );
    assert_eq!(parse_text("/dup #4", &commands), {
        Parsed {
            command: Some(Command::Close(Resolution::Duplicate)),
            seq: Some(4),
            second_seq: None,
        }
    });
    assert_eq!(parse_text("#已处理", &commands).command, None);
    assert_eq!(parse_text("随便说点什么", &commands).command, None);
}

#[test]
fn longer_command_word_wins_over_its_prefix() {
    let commands = Commands::default().with("#计划外", Command::Close(Resolution::Invalid));
    assert_eq!(
        parse_text("#计划外事项", &commands).command,
        Some(Command::Close(Resolution::Invalid))
    );
    assert_eq!(parse_text("#计划 明天", &commands).command, Some(Command::Plan));
}

#[test]
fn command_without_a_target_goes_to_the_issue_its_words_match_and_never_guesses() {
    let titled = |issue: KnownIssue, title: &str| KnownIssue {
        title: title.into(),
        ..issue
    };
    let issues = [
        titled(acked(issue(1, 0)), "厂区停电了，生产线全停"),
        titled(acked(issue(3, 20)), "员工宿舍还没落实"),
        titled(acked(issue(2, 10)), "施工许可证变更一直审核中"),
    ];
    let handled = run(&message(STAFF, 30, "/handled 宿舍已经联系好了"), &open(&issues));
    assert_eq!(summary(&handled), ["handled #3"]);
    let only = [titled(acked(issue(7, 0)), "停水")];
    assert_eq!(
        summary(&run(&message(STAFF, 30, "/plan"), &open(&only))),
        ["planned #7"]
    );
    // Several open and no words to go by: nothing is guessed; the answer lists them.
    let tie = [acked(issue(4, 0)), acked(issue(5, 0))];
    match run(&message(STAFF, 30, "/plan"), &open(&tie)) {
        Classification::Actions {
            actions, unplaced, ..
        } => {
            assert!(actions.is_empty(), "{actions:?}");
            assert_eq!(unplaced, [4, 5]);
        }
        other => panic!("expected actions, got {other:?}"),
    }
}

#[test]
fn command_targets_the_replied_issue() {
    let issues = [acked(issue(1, 0)), acked(issue(2, 10))];
    let reply = run(&message(STAFF, 30, "#已解决"), &replying(&issues, &issues[0]));
    assert_eq!(summary(&reply), ["closed(resolved) #1"]);
}

#[test]
fn command_targets_the_issue_named_by_seq() {
    let issues = [acked(issue(1, 0)), acked(issue(2, 10))];
    let dismiss = run(
        &message(STAFF, 30, "/dismiss #1 重复提交"),
        &named(&issues, &issues[0]),
    );
    assert_eq!(summary(&dismiss), ["closed(invalid) #1"]);
}

#[test]
fn reply_wins_over_a_named_seq() {
    let issues = [acked(issue(1, 0)), acked(issue(2, 10))];
    let context = Context {
        replied: Some(&issues[1]),
        named: Some(&issues[0]),
        ..open(&issues)
    };
    assert_eq!(
        summary(&run(&message(STAFF, 30, "/handled #1"), &context)),
        ["handled #2"]
    );
}

#[test]
fn command_naming_an_unknown_seq_does_nothing() {
    let issues = [acked(issue(1, 0))];
    assert!(summary(&run(&message(STAFF, 30, "/handled #42"), &open(&issues))).is_empty());
}

#[test]
fn command_on_an_unacknowledged_target_acknowledges_it_first() {
    let issues = [issue(1, 0), issue(2, 5)];
    let handled = run(
        &message(STAFF, 6, "#已处理 #2 已派人"),
        &named(&issues, &issues[1]),
    );
    assert_eq!(
        summary(&handled),
        ["acknowledged #1", "acknowledged #2", "handled #2"]
    );
    let reply = run(&message(STAFF, 6, "#已处理"), &replying(&issues, &issues[0]));
    assert_eq!(summary(&reply), ["acknowledged #1", "handled #1"]);
}

#[test]
fn command_without_any_target_does_nothing() {
    let none = run(&message(STAFF, 0, "/handled"), &Context::default());
    assert!(summary(&none).is_empty());
    let issues = [acked(issue(1, 0))];
    assert!(summary(&run(&message(STAFF, 5, "/reopen"), &open(&issues))).is_empty());
}

#[test]
fn pause_and_resume_act_only_where_they_fit() {
    let paused = in_state(acked(issue(1, 0)), IssueState::Paused);
    let running = acked(issue(2, 10));
    let issues = [paused.clone(), running.clone()];
    assert_eq!(
        summary(&run(&message(STAFF, 20, "#暂停"), &open(&issues))),
        ["paused #2"]
    );
    assert_eq!(
        summary(&run(&message(STAFF, 20, "#恢复"), &open(&issues))),
        ["resumed #1"]
    );
    let pause_paused = run(&message(STAFF, 20, "#暂停 #1"), &named(&issues, &paused));
    assert!(summary(&pause_paused).is_empty());
    let resume_running = run(&message(STAFF, 20, "/resume"), &replying(&issues, &running));
    assert!(summary(&resume_running).is_empty());
}

#[test]
fn only_reopen_acts_on_a_closed_issue() {
    let closed = in_state(acked(issue(1, 0)), IssueState::Closed);
    let issues = [acked(issue(2, 10))];
    let reopen = run(&message(STAFF, 60, "#重开 #1 又停水了"), &named(&issues, &closed));
    assert_eq!(summary(&reopen), ["reopened #1"]);
    let reply = run(&message(STAFF, 60, "/reopen"), &replying(&issues, &closed));
    assert_eq!(summary(&reply), ["reopened #1"]);
    for text in ["/handled #1", "/close #1", "/pause #1", "/resume #1"] {
        assert!(summary(&run(&message(STAFF, 60, text), &named(&issues, &closed))).is_empty());
    }
    let reopen_open = run(&message(STAFF, 60, "/reopen #2"), &named(&issues, &issues[0]));
    assert!(summary(&reopen_open).is_empty());
}

#[test]
fn title_falls_back_when_nothing_is_printable() {
    assert_eq!(text::title("\u{0}\n\t"), EMPTY_TITLE);
    assert_eq!(text::title("@张三 "), "@张三");
    assert_eq!(text::title("  a \r\n b  "), "a b");
    let long = "x".repeat(59) + " yz";
    assert_eq!(text::title(&long), "x".repeat(59), "no trailing space");
}

#[test]
fn a_telegram_menu_command_names_the_bot_and_still_reads_the_seq() {
    let parsed = parse("/handled@SlaWatchBot #12 done");
    assert_eq!((parsed.command, parsed.seq), (Some(Command::Handle), Some(12)));
    assert_eq!(parse("/plan@bot").command, Some(Command::Plan));
}

#[test]
fn a_handling_command_whose_words_only_intend_reports_no_action() {
    let issues = [acked(issue(7, 0))];
    for text in [
        "#已处理 已安排专人对接交警",
        "#已处理 马上联系供水公司",
        "/handled I'll call the water company tomorrow",
    ] {
        let done = summary(&run(&message(STAFF, 30, text), &open(&issues)));
        assert!(
            done.iter().all(|line| !line.starts_with("handled")),
            "{text}: {done:?}"
        );
    }
    for text in [
        "#已处理",
        "#已处理 已联系供水公司，抢修队已经到了",
        "/handled I registered him for Thursday 10:30, bring the passport",
    ] {
        let done = summary(&run(&message(STAFF, 30, text), &open(&issues)));
        assert_eq!(done, ["handled #7"], "{text}");
    }
    // A plan command stands on its own word: dated steps said as intentions
    // are still the course set out.
    let plan = summary(&run(
        &message(
            STAFF,
            30,
            "/plan The window will approve both renewals by Thursday; I'll collect the permits Friday",
        ),
        &open(&issues),
    ));
    assert_eq!(plan, ["planned #7"]);
    for text in [
        "#计划 我下周一再问一下",
        "/plan I'll follow up tomorrow",
        "#计划 #7 下周一跟进",
        "#计划 持续关注",
        "/plan follow up on Monday",
    ] {
        let none = summary(&run(&message(STAFF, 30, text), &open(&issues)));
        assert!(
            none.iter().all(|line| !line.starts_with("planned")),
            "{text}: {none:?}"
        );
    }
    for text in [
        "#计划",
        "#计划 周三前交材料，下周一预审，25号前网上提交",
        "#计划 明天起铺设临时管道",
        "#计划 周三前交材料，周五跟进审批结果",
    ] {
        let plan = summary(&run(&message(STAFF, 30, text), &open(&issues)));
        assert_eq!(plan, ["planned #7"], "{text}");
    }
}
