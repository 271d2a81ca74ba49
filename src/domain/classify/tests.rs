//! One test per rule of SPEC §4, named after it.

use super::*;
use chrono::TimeZone;

const CHAT: &str = "grp-zhongtai";
const REQUESTER: &str = "wang-yz";
const STAFF: &str = "wxid_wangyx";

/// The instant `minutes` after the test's origin (2024-05-30 10:00 Shanghai).
fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 30, 2, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// The 中泰 project's chat, one project staff member, one zone staff member and the bot.
fn directory() -> Directory {
    Directory::default()
        .with_chat("wechat:grp-zhongtai", "zhongtai")
        .with_staff("zhongtai", "wechat:wxid_wangyx")
        .with_zone_staff("wechat:wxid_zhujian")
        .with_bot("wechat:wxid_bot")
}

/// A message of `sender` in the 中泰 chat, with id `m-<minutes>`.
fn message(sender: &str, minutes: i64, text: &str) -> Message {
    Message {
        platform: "wechat".into(),
        message_id: format!("m-{minutes}"),
        chat_id: CHAT.into(),
        sender_id: sender.into(),
        sender_name: None,
        text: text.into(),
        at: t(minutes),
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// An open, unacknowledged issue `#seq` raised by the requester at `minutes`.
fn issue(seq: i64, minutes: i64) -> KnownIssue {
    KnownIssue {
        issue: format!("wechat:grp-zhongtai:m-{minutes}"),
        seq,
        state: IssueState::Open,
        raised_by: Some(identity("wechat", REQUESTER)),
        raised_at: t(minutes),
        acknowledged: false,
        title: "工地附近管道抢修，马上停水".into(),
        ..Default::default()
    }
}

fn acked(issue: KnownIssue) -> KnownIssue {
    KnownIssue {
        acknowledged: true,
        ..issue
    }
}

fn in_state(issue: KnownIssue, state: IssueState) -> KnownIssue {
    KnownIssue { state, ..issue }
}

fn open(issues: &[KnownIssue]) -> Context<'_> {
    Context {
        open_issues: issues,
        ..Context::default()
    }
}

fn run(message: &Message, context: &Context) -> Classification {
    classify(message, &directory(), context)
}

/// The actions, one line each: `acknowledged #1`, `closed(invalid) #2`, `raised <key> "<title>"`.
fn summary(classification: &Classification) -> Vec<String> {
    let Classification::Actions { actions, .. } = classification else {
        panic!("expected actions, got {classification:?}");
    };
    actions
        .iter()
        .map(|action| match (&action.kind, action.seq) {
            (ActionKind::Raised { title, .. }, _) => format!("raised {} {title:?}", action.issue),
            (ActionKind::Joined, Some(seq)) => format!("joined #{seq}"),
            (ActionKind::Event { kind, resolution }, Some(seq)) => match resolution {
                Some(r) => format!("{}({}) #{seq}", kind.as_str(), r.as_str()),
                None => format!("{} #{seq}", kind.as_str()),
            },
            (_, None) => panic!("an existing issue's action without seq: {action:?}"),
        })
        .collect()
}

/// Why the message was ignored, if it was.
fn ignored(classification: &Classification) -> Option<IgnoreReason> {
    match classification {
        Classification::Ignored(reason) => Some(*reason),
        Classification::Actions { .. } => None,
    }
}

fn role(classification: &Classification) -> Role {
    match classification {
        Classification::Actions { role, .. } => *role,
        other => panic!("expected actions, got {other:?}"),
    }
}

#[test]
fn the_water_outage_is_raised_acknowledged_handled_and_planned() {
    // 10:02, the enterprise's 王永忠 asks for help.
    let text = "工地附近管道抢修，马上停水，主体结构浇筑怎么办？";
    let raised = run(&message(REQUESTER, 2, text), &Context::default());
    let expected = Classification::Actions {
        project: "zhongtai".into(),
        role: Role::Requester,
        actions: vec![Action {
            issue: "wechat:grp-zhongtai:m-2".into(),
            seq: None,
            kind: ActionKind::Raised {
                title: text.into(),
                matter: text.into(),
            },
            because: Some(crate::domain::reading::Because::new("asks", "怎么办")),
            merged_into: None,
            undoes: Vec::new(),
        }],
        unplaced: Vec::new(),
    };
    assert_eq!(raised, expected);

    // 10:06, the team answers: acknowledged within the 10-minute target.
    let water = [issue(12, 2)];
    let answer = message(STAFF, 6, "已联系水务集团，正在协调应急供水");
    let acknowledged = run(&answer, &open(&water));
    assert_eq!(role(&acknowledged), Role::Staff);
    // Contacting the water company is action taken: it handles too.
    assert_eq!(summary(&acknowledged), ["acknowledged #12", "handled #12"]);

    let water = [acked(issue(12, 2))];
    let handled = run(&message(STAFF, 40, "#已处理 已安排送水车"), &open(&water));
    assert_eq!(summary(&handled), ["handled #12"]);

    let next_morning = message(STAFF, 23 * 60, "#计划 明天起铺设临时管道");
    assert_eq!(summary(&run(&next_morning, &open(&water))), ["planned #12"]);
}

#[test]
fn unmapped_chat_is_ignored() {
    let mut elsewhere = message(REQUESTER, 0, "停水了");
    elsewhere.chat_id = "grp-other".into();
    assert_eq!(
        ignored(&run(&elsewhere, &Context::default())),
        Some(IgnoreReason::UnmappedChat)
    );
    let mut other_platform = message(REQUESTER, 0, "停水了");
    other_platform.platform = "feishu".into();
    assert_eq!(
        ignored(&run(&other_platform, &Context::default())),
        Some(IgnoreReason::UnmappedChat)
    );
}

#[test]
fn bots_own_message_is_ignored_and_acknowledges_nothing() {
    let issues = [issue(1, 0)];
    let bot = message("wxid_bot", 1, "已受理，编号 #1");
    assert_eq!(
        ignored(&run(&bot, &open(&issues))),
        Some(IgnoreReason::OwnMessage)
    );
}

#[test]
fn requester_pleasantries_are_ignored() {
    let variants =
        "谢谢|谢谢！|好的谢谢|好的，谢谢！！|收到👍|👍👍|🙏|ok thanks!|OK|Ok~|ＯＫ|Thanks.|  收到  |好的好的\
        |？|...|～～|收到，谢谢…|@王主任 谢谢|<@U024BE7LH> thanks|谢谢 @_user_1|👍🏻|❤️|[OK]";
    for text in variants.split('|') {
        let classification = run(&message(REQUESTER, 0, text), &Context::default());
        assert_eq!(
            ignored(&classification),
            Some(IgnoreReason::Pleasantry),
            "{text:?}"
        );
    }
}

#[test]
fn requester_message_with_more_than_pleasantries_raises() {
    let texts = [
        "好的，另外塔吊什么时候验收？",
        "ok but the water is still off",
        "谢谢，另外门禁卡什么时候能办？",
    ];
    for text in texts {
        let classification = run(&message(REQUESTER, 0, text), &Context::default());
        assert!(summary(&classification)[0].starts_with("raised"), "{text:?}");
    }
}

#[test]
fn requester_message_without_text_is_ignored() {
    for text in ["", "   ", "\n\t"] {
        let classification = run(&message(REQUESTER, 0, text), &Context::default());
        assert_eq!(ignored(&classification), Some(IgnoreReason::Empty));
    }
}

#[test]
fn requester_reply_to_an_open_issue_joins_it() {
    let water = issue(3, 0);
    let mut follow_up = message(REQUESTER, 60, "补充：三号楼也停水了");
    follow_up.reply_to = Some("m-0".into());
    let context = Context {
        replied: Some(&water),
        ..Context::default()
    };
    assert_eq!(summary(&run(&follow_up, &context)), ["joined #3"]);
}

#[test]
fn requester_reply_to_a_paused_issue_joins_it() {
    let water = in_state(acked(issue(3, 0)), IssueState::Paused);
    let context = Context {
        replied: Some(&water),
        ..Context::default()
    };
    assert_eq!(
        summary(&run(&message(REQUESTER, 600, "材料已补齐"), &context)),
        ["joined #3"]
    );
}

#[test]
fn requester_reply_to_a_closed_issue_raises_a_new_one() {
    let water = in_state(acked(issue(3, 0)), IssueState::Closed);
    let context = Context {
        replied: Some(&water),
        ..Context::default()
    };
    let again = run(&message(REQUESTER, 600, "又停水了"), &context);
    assert_eq!(
        summary(&again),
        [r#"raised wechat:grp-zhongtai:m-600 "又停水了""#]
    );
}

#[test]
fn requester_follow_up_inside_the_merge_window_joins() {
    let issues = [issue(5, 0)];
    let follow_up = run(&message(REQUESTER, 10, "大概需要停多久？"), &open(&issues));
    assert_eq!(summary(&follow_up), ["joined #5"]);
}

#[test]
fn merge_window_counts_both_ways_for_messages_delivered_out_of_order() {
    let issues = [issue(5, 10)];
    let earlier = run(&message(REQUESTER, 2, "三号楼"), &open(&issues));
    assert_eq!(summary(&earlier), ["joined #5"]);
}

#[test]
fn requester_follow_up_after_acknowledgement_raises_a_new_issue() {
    let issues = [acked(issue(5, 0))];
    let follow_up = run(&message(REQUESTER, 3, "另外，临时用电也要申请"), &open(&issues));
    assert!(summary(&follow_up)[0].starts_with("raised"));
}

#[test]
fn requester_command_words_are_plain_text() {
    let issues = [acked(issue(5, 0))];
    let close = run(&message(REQUESTER, 30, "/close"), &open(&issues));
    assert_eq!(summary(&close), ["joined #5"]);
}

#[test]
fn raised_title_is_the_first_60_characters_on_one_line() {
    let text = format!("@张三 三号楼\n\n停水，\t{}", "很急".repeat(40));
    let classification = run(&message(REQUESTER, 0, &text), &Context::default());
    let Classification::Actions { actions, .. } = classification else {
        panic!()
    };
    let ActionKind::Raised { title, .. } = &actions[0].kind else {
        panic!()
    };
    assert!(title.starts_with("三号楼 停水， 很急很急"), "{title}");
    assert_eq!(title.chars().count(), TITLE_CHARS);
}

#[test]
fn staff_message_acknowledges_every_unacknowledged_open_issue_in_seq_order() {
    let issues = [
        issue(4, 5),
        acked(issue(2, 1)),
        in_state(issue(3, 3), IssueState::Paused),
        issue(1, 0),
    ];
    let reply = run(&message(STAFF, 6, "各位好，我们马上处理"), &open(&issues));
    assert_eq!(
        summary(&reply),
        ["acknowledged #1", "acknowledged #3", "acknowledged #4"]
    );
}

#[test]
fn staff_reply_acknowledges_only_the_replied_issue() {
    let issues = [issue(1, 0), issue(2, 1)];
    let mut reply = message(STAFF, 5, "这个我来跟进");
    reply.reply_to = Some("m-1".into());
    let context = Context {
        replied: Some(&issues[1]),
        ..open(&issues)
    };
    assert_eq!(summary(&run(&reply, &context)), ["acknowledged #2"]);
}

#[test]
fn staff_reply_to_an_acknowledged_or_closed_issue_acknowledges_nothing() {
    let issues = [issue(1, 0)];
    for replied in [acked(issue(2, 1)), in_state(issue(2, 1), IssueState::Closed)] {
        let context = Context {
            replied: Some(&replied),
            ..open(&issues)
        };
        assert!(summary(&run(&message(STAFF, 5, "好的"), &context)).is_empty());
    }
}

#[test]
fn staff_message_with_nothing_to_do_has_no_actions() {
    let chat = run(&message(STAFF, 0, "明天上午九点开协调会"), &Context::default());
    assert_eq!(role(&chat), Role::Staff);
    assert!(summary(&chat).is_empty());
    let issues = [acked(issue(1, 0))];
    assert!(summary(&run(&message(STAFF, 5, "好的"), &open(&issues))).is_empty());
}

#[test]
fn zone_staff_is_staff_in_every_project_chat() {
    let issues = [issue(1, 0)];
    let zone = run(&message("wxid_zhujian", 3, "已转交水务集团"), &open(&issues));
    assert_eq!(role(&zone), Role::Staff);
    assert_eq!(summary(&zone), ["acknowledged #1", "handled #1"]);
}

mod commands;

#[test]
fn requester_follow_up_joins_until_the_conversation_window_ends() {
    let issues = [acked(issue(5, 0))];
    let soon = run(&message(REQUESTER, 600, "大概需要停多久？"), &open(&issues));
    assert_eq!(summary(&soon), ["joined #5"]);
    let short = directory().with_conversation_window(TimeDelta::minutes(30));
    let later = classify(
        &message(REQUESTER, 60, "大概需要停多久？"),
        &short,
        &open(&issues),
    );
    assert!(summary(&later)[0].starts_with("raised"), "{later:?}");
}

#[test]
fn a_follow_up_joins_the_issue_it_is_about_whoever_raised_it() {
    let mut power = acked(issue(9, 8));
    power.raised_by = Some(identity("wechat", "li-colleague"));
    power.title = "二车间停电了，挤塑机停了".into();
    let issues = [acked(issue(6, 1)), power];
    assert_eq!(
        summary(&run(&message(REQUESTER, 20, "三车间也没电了"), &open(&issues))),
        ["joined #9"]
    );
    assert_eq!(
        summary(&run(&message(REQUESTER, 20, "怎么样了？"), &open(&issues))),
        ["joined #6"],
        "a question about progress joins the sender's own issue"
    );
}

#[test]
fn a_new_matter_raises_even_with_an_issue_open_and_two_matters_raise_two() {
    let issues = [acked(issue(5, 0))];
    let bus = run(
        &message(
            "li-colleague",
            5,
            "员工班车下个月合同到期，园区有没有推荐的客运公司？",
        ),
        &open(&issues),
    );
    assert!(summary(&bus)[0].starts_with("raised"), "{bus:?}");
    let two = run(
        &message(
            REQUESTER,
            0,
            "两件事：1.消防验收想约下周，能不能排上；2.新招的工人下周一进厂，宿舍还没落实",
        ),
        &Context::default(),
    );
    let keys: Vec<String> = summary(&two);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].starts_with("raised wechat:grp-zhongtai:m-0 "), "{keys:?}");
    assert!(
        keys[1].starts_with("raised wechat:grp-zhongtai:m-0:2 "),
        "{keys:?}"
    );
}

#[test]
fn a_confirmation_closes_and_a_withdrawal_withdraws() {
    let handled = [KnownIssue {
        handled: true,
        ..acked(issue(5, 0))
    }];
    assert_eq!(
        summary(&run(
            &message(REQUESTER, 90, "来电了，谢谢两位！"),
            &open(&handled)
        )),
        ["joined #5", "closed(resolved) #5"]
    );
    let waiting = [issue(6, 0)];
    assert_eq!(
        summary(&run(
            &message(REQUESTER, 5, "搞错了，是我们自己跳闸了，没事了"),
            &open(&waiting)
        )),
        ["joined #6", "closed(withdrawn) #6"]
    );
    let kept = directory().with_close_on_confirm("zhongtai", false);
    let only_joined = classify(&message(REQUESTER, 90, "来电了"), &kept, &open(&handled));
    assert_eq!(summary(&only_joined), ["joined #5"]);
}

#[test]
fn staff_pleasantries_and_images_do_not_acknowledge_but_words_do() {
    let issues = [issue(1, 0)];
    for text in ["👌", "", "[强]"] {
        assert!(
            summary(&run(&message(STAFF, 2, text), &open(&issues))).is_empty(),
            "{text:?}"
        );
    }
    assert_eq!(
        summary(&run(&message(STAFF, 2, "收到"), &open(&issues))),
        ["acknowledged #1"]
    );
}

#[test]
fn staff_talking_to_a_colleague_acknowledges_nothing() {
    let people = [
        Person {
            identity: identity("wechat", STAFF),
            name: "汪永新".into(),
            staff: true,
        },
        Person {
            identity: identity("wechat", "wxid_zhoumin"),
            name: "周敏（专班）".into(),
            staff: true,
        },
        Person {
            identity: identity("wechat", REQUESTER),
            name: "王永忠".into(),
            staff: false,
        },
    ];
    let issues = [issue(1, 0)];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    assert!(summary(&run(&message(STAFF, 3, "@周敏 这个你跟一下"), &context)).is_empty());
    assert_eq!(
        summary(&run(&message(STAFF, 3, "@王永忠 王总收到"), &context)),
        ["acknowledged #1"]
    );
}

#[test]
fn intentions_and_negations_do_not_handle_but_reports_and_plans_do() {
    let issues = [acked(issue(1, 0))];
    for text in [
        "我明天联系供水公司",
        "已安排专人对接",
        "还没联系上供水公司",
        "我去问一下",
    ] {
        assert!(
            summary(&run(&message(STAFF, 5, text), &open(&issues))).is_empty(),
            "{text:?}"
        );
    }
    assert_eq!(
        summary(&run(
            &message(STAFF, 5, "已经跟供水公司联系上了，抢修车已经出发"),
            &open(&issues)
        )),
        ["handled #1"]
    );
    assert_eq!(
        summary(&run(
            &message(STAFF, 5, "定下来了：周五前送两车水，下周一恢复管网供水"),
            &open(&issues)
        )),
        ["planned #1"]
    );
}

#[test]
fn staff_addressing_a_requester_by_full_name_acknowledges_only_their_issue() {
    let people = [
        Person {
            identity: identity("wechat", "wx_lin"),
            name: "林娜（东晟 人事）".into(),
            staff: false,
        },
        Person {
            identity: identity("wechat", "wx_hua"),
            name: "阿华 陈华（东晟 IT）".into(),
            staff: false,
        },
        Person {
            identity: identity("wechat", "wx_pan"),
            name: "潘宇".into(),
            staff: true,
        },
    ];
    let bus = KnownIssue {
        raised_by: Some(identity("wechat", "wx_lin")),
        title: "园区7:20那趟员工班车这周已经晚了三次了".into(),
        ..issue(1, 0)
    };
    let network = KnownIssue {
        issue: "wechat:grp-zhongtai:m-1".into(),
        raised_by: Some(identity("wechat", "wx_hua")),
        title: "断网了！！！园区专线从8点开始全断".into(),
        ..issue(2, 1)
    };
    let issues = [bus, network];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    // At the start, or further on for a requester.
    assert_eq!(
        summary(&run(&message(STAFF, 3, "阿华收到，我马上报运营商"), &context)),
        ["acknowledged #2"]
    );
    assert_eq!(
        summary(&run(
            &message(STAFF, 4, "断网的事潘宇跟，林娜班车的事我来，我查下这周的发车记录"),
            &context
        )),
        ["acknowledged #1"]
    );
    // A colleague named at the start: talking to the team, not the enterprise.
    assert!(summary(&run(&message(STAFF, 5, "潘宇，你先去机房看看"), &context)).is_empty());
}

#[test]
fn staff_answering_one_of_a_requesters_two_matters_acknowledges_that_one() {
    let people = [Person {
        identity: identity("wechat", REQUESTER),
        name: "马强".into(),
        staff: false,
    }];
    let road = KnownIssue {
        title: "一是园区东门外纬二路今天开始封路铺管网，我们的集卡进不去".into(),
        ..issue(1, 0)
    };
    let customs = KnownIssue {
        issue: "wechat:grp-zhongtai:m-0:2".into(),
        title: "二是上周到港的冷链货柜被海关查验滞留".into(),
        ..issue(2, 0)
    };
    let issues = [road, customs];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    assert_eq!(
        summary(&run(
            &message(STAFF, 3, "马总，封路的事我马上找建设局和施工单位"),
            &context
        )),
        ["acknowledged #1"]
    );
    assert_eq!(
        summary(&run(&message(STAFF, 3, "马总，两件事都收到了"), &context)),
        ["acknowledged #1", "acknowledged #2"]
    );
    assert_eq!(
        summary(&run(&message(STAFF, 3, "马总收到"), &context)),
        ["acknowledged #1", "acknowledged #2"]
    );
    // An answer in parts, one per matter, answers both, though the words
    // of only one part match.
    assert_eq!(
        summary(&run(
            &message(
                STAFF,
                3,
                "马总好，封路的事我马上找建设局；货柜那边小杜在对接海关，稍后回复您"
            ),
            &context
        )),
        ["acknowledged #1", "acknowledged #2"]
    );
}

#[test]
fn a_requesters_withdrawal_goes_to_their_own_matter_over_a_word_of_anothers() {
    let colleague = "wx_sabine";
    let customs = KnownIssue {
        raised_by: Some(identity("wechat", colleague)),
        title: "Our machines land at Shanghai port on the 28th and the duty exemption was rejected".into(),
        ..issue(1, 0)
    };
    let interpreter = KnownIssue {
        issue: "wechat:grp-zhongtai:m-2".into(),
        title: "does anyone know a German-Chinese interpreter for Thursday?".into(),
        ..acked(issue(2, 2))
    };
    let issues = [customs, interpreter];
    let withdrawn = summary(&run(
        &message(
            REQUESTER,
            5,
            "Never mind, our Shanghai office is sending someone. Thanks anyway!",
        ),
        &open(&issues),
    ));
    assert!(withdrawn.iter().any(|a| a.ends_with("#2")), "{withdrawn:?}");
    assert!(!withdrawn.iter().any(|a| a.ends_with("#1")), "{withdrawn:?}");
    // Many words of the colleague's matter still take it there.
    let about_customs = summary(&run(
        &message(
            REQUESTER,
            6,
            "Is the duty exemption for the machines at the port sorted?",
        ),
        &open(&issues),
    ));
    assert!(
        about_customs.iter().all(|a| a.ends_with("#1")),
        "{about_customs:?}"
    );
}

#[test]
fn a_new_problem_after_the_team_acted_is_new_and_details_before_are_not() {
    // The issue's title: "工地附近管道抢修，马上停水".
    let handled = [KnownIssue {
        handled: true,
        ..acked(issue(5, 0))
    }];
    let garbage = "厂门口东边那个垃圾房三天没人来收了，太阳一晒味道大得很";
    let raised = summary(&run(&message(REQUESTER, 200, garbage), &open(&handled)));
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(raised[0].starts_with("raised "), "{raised:?}");
    // Before the team has acted, the same words join as a detail.
    let waiting = [acked(issue(6, 0))];
    assert_eq!(
        summary(&run(&message(REQUESTER, 5, garbage), &open(&waiting))),
        ["joined #6"]
    );
    // Urging about the handled matter is no new problem.
    assert_eq!(
        summary(&run(
            &message(REQUESTER, 200, "停水的事能不能快点啊"),
            &open(&handled)
        )),
        ["joined #5"]
    );
}

#[test]
fn another_matter_said_so_is_new_though_its_news_is_good_so_far() {
    let tax = [KnownIssue {
        title: "我们去年12月认定了高新技术企业，但一季度预缴的时候系统还是按25%算的".into(),
        ..acked(issue(5, 0))
    }];
    let raised = summary(&run(
        &message(
            REQUESTER,
            30,
            "吴科，还有个事，3月份申请的留抵退税120万，税务局说审核通过了，到现在还没到账",
        ),
        &open(&tax),
    ));
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(raised[0].starts_with("raised "), "{raised:?}");
}

#[test]
fn a_colleagues_statement_in_the_words_of_the_answer_takes_it_up() {
    let colleague = "wx_libo";
    let samples = [KnownIssue {
        title: "我们从德国寄来的一批检测试剂样品被机场海关扣了".into(),
        about: "查验科说可以分拆处理：普通试剂补成分说明就能放行；含人源的两盒要做特殊物品审批或者退运"
            .into(),
        handled: true,
        ..acked(issue(5, 0))
    }];
    assert_eq!(
        summary(&run(
            &message(colleague, 60, "成分说明我们马上出。退运不行，那两盒是专门定制的"),
            &open(&samples)
        )),
        ["joined #5"]
    );
}

#[test]
fn another_persons_matter_sharing_a_word_by_chance_is_new_and_thanks_are_not() {
    let colleague = "wx_xu";
    let sewer = [acked(KnownIssue {
        title: "沈科 堆场门口那段污水管堵了 井盖往外冒水 臭得很 集卡进出都从这过".into(),
        ..issue(5, 0)
    })];
    let address = "沈科你们好，我们公司要把注册地址从老港区迁到堆场这边，市场监管说要先做税务迁移，\
                   税务又说要先在市场监管变更，来回踢皮球，到底先办哪个？";
    let raised = summary(&run(&message(colleague, 30, address), &open(&sewer)));
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(raised[0].starts_with("raised "), "{raised:?}");
    // Thanking the team, the same words take up the matter in hand.
    let thanks = "谢谢沈科，我们公司在堆场这边的排水能不能也顺便查一下，到底先办哪个？";
    assert_eq!(
        summary(&run(&message(colleague, 30, thanks), &open(&sewer))),
        ["joined #5"]
    );
}

#[test]
fn a_problem_back_again_is_a_problem_with_nothing_open() {
    let raised = summary(&run(&message(REQUESTER, 0, "门口那个井盖又没了"), &open(&[])));
    assert_eq!(raised.len(), 1, "{raised:?}");
}

#[test]
fn a_terse_new_matter_is_no_nudge() {
    for text in ["另外 招QA 急", "also VPN down"] {
        let raised = summary(&run(&message(REQUESTER, 0, text), &open(&[])));
        assert_eq!(raised.len(), 1, "{text}: {raised:?}");
    }
    for text in ["在吗", "？？", "急"] {
        assert!(
            ignored(&run(&message(REQUESTER, 0, text), &open(&[]))).is_some(),
            "{text}"
        );
    }
}

#[test]
fn staff_on_behalf_in_english_raises_for_the_enterprise() {
    let classified = run(
        &message(
            STAFF,
            0,
            "Just had a call from Priya at Sunrise: their effluent meter reads zero and she asked us to help",
        ),
        &open(&[]),
    );
    let Classification::Actions { actions, .. } = classified else {
        panic!("expected actions, got {classified:?}");
    };
    assert!(
        matches!(actions[0].kind, ActionKind::Raised { .. }),
        "{actions:?}"
    );
    assert_eq!(actions[1].kind, ACKNOWLEDGED, "{actions:?}");
}

#[test]
fn a_matter_said_to_be_another_raises_though_it_asks_when() {
    let well = KnownIssue {
        title: "我们三号大棚那边的灌溉井抽不上水了，泵是好的".into(),
        ..acked(issue(1, 0))
    };
    let issues = [well];
    let raised = summary(&run(
        &message(
            "wx_su",
            3,
            "郑站长，还有个事，我们申请的农机购置补贴公示了，钱什么时候能到账？",
        ),
        &open(&issues),
    ));
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(raised[0].starts_with("raised"), "{raised:?}");
    // Urging about the open issue itself still joins it.
    assert_eq!(
        summary(&run(
            &message(REQUESTER, 5, "灌溉井什么时候能来人看？苗等不及了"),
            &open(&issues)
        )),
        ["joined #1"]
    );
}

#[test]
fn acknowledging_a_colleague_by_name_acknowledges_nothing() {
    let people = [
        Person {
            identity: identity("wechat", "wxid_zhujian"),
            name: "陆振东（管委会主任）".into(),
            staff: true,
        },
        Person {
            identity: identity("wechat", REQUESTER),
            name: "魏东".into(),
            staff: false,
        },
    ];
    let issues = [issue(1, 0)];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    assert!(summary(&run(&message(STAFF, 3, "收到陆主任"), &context)).is_empty());
    assert_eq!(
        summary(&run(&message(STAFF, 3, "魏经理，收到"), &context)),
        ["acknowledged #1"]
    );
}

#[test]
fn a_requester_taking_up_what_the_team_said_follows_up_the_open_matter() {
    let permit = KnownIssue {
        title: "排污许可证要变更，系统里提交不上去".into(),
        ..acked(issue(3, 0))
    };
    let issues = [permit];
    for text in [
        "好，那线下材料要准备哪些？",
        "孙科那我们要怎么整改啊隔音屏要多少钱",
        "Thanks. Hmm, our tax manager says she already corrected those two lines yesterday. Maybe it hasn't synced?",
        "OK so who do we send the originals to?",
    ] {
        assert_eq!(
            summary(&run(&message(REQUESTER, 30, text), &open(&issues))),
            ["joined #3"],
            "{text}"
        );
    }
    // Said to be another matter, or with nothing open, it raises.
    for (text, context) in [
        ("好，另外宿舍的热水器坏了三台，什么时候能来修？", open(&issues)),
        ("食堂承包商下周不干了，三百人吃饭怎么办？", open(&issues)),
        ("好，那线下材料要准备哪些？", Context::default()),
    ] {
        let raised = summary(&run(&message(REQUESTER, 30, text), &context));
        assert!(raised[0].starts_with("raised"), "{text}: {raised:?}");
    }
}

#[test]
fn staff_on_behalf_words_about_an_open_matter_report_on_it() {
    let waste = KnownIssue {
        title: "hazardous waste labels and ledger rectification notice".into(),
        ..acked(issue(4, 0))
    };
    let issues = [waste];
    let report = summary(&run(
        &message(
            STAFF,
            60,
            "As agreed with Elena on the phone just now: waste labels reprinted by Friday, ledger backfilled by next Wednesday",
        ),
        &open(&issues),
    ));
    assert!(
        report.iter().all(|line| !line.starts_with("raised")),
        "{report:?}"
    );
    // A different matter passed on by phone is still raised for them.
    let other = run(
        &message(
            STAFF,
            60,
            "Just had a call from Priya at Sunrise: their effluent meter reads zero and she asked us to help",
        ),
        &open(&issues),
    );
    let Classification::Actions { actions, .. } = other else {
        panic!("expected actions, got {other:?}");
    };
    assert!(
        matches!(actions[0].kind, ActionKind::Raised { .. }),
        "{actions:?}"
    );
}

#[test]
fn numbered_matters_sharing_one_word_are_two_matters() {
    for text in [
        "Two things: (1) our export VAT rebate filed in July is still pending at the tax bureau; (2) we never heard back on the equipment subsidy we applied for with the industry bureau. Did we miss a deadline?",
        "两件事：一是化成车间要上第二路电源，供电公司说接入方案要排队；二是排污许可证要变更，环评批复拿到了，但是系统里提交不上去",
    ] {
        let raised = summary(&run(&message(REQUESTER, 0, text), &Context::default()));
        assert_eq!(raised.len(), 2, "{text}: {raised:?}");
    }
    // Two parts that share several words are details of one matter.
    let one = summary(&run(
        &message(
            REQUESTER,
            0,
            "1. 宿舍楼的热水器坏了，洗不了澡；2. 宿舍楼的热水器报修单提了一周没人来",
        ),
        &Context::default(),
    ));
    assert_eq!(one.len(), 1, "{one:?}");
}

#[test]
fn a_reply_under_a_message_of_two_matters_goes_to_the_one_it_speaks_of() {
    let titled = |seq: i64, title: &str| KnownIssue {
        title: title.into(),
        ..issue(seq, 0)
    };
    let two = [
        titled(
            1,
            "my residence permit expires on the 30th and the booking shows nothing",
        ),
        titled(
            2,
            "a local company just filed our name as a trademark in class 30",
        ),
    ];
    let directory = directory();
    for (text, want) in [
        (
            "/handled Permit: I booked you for Thursday 9:30 at the service hall",
            Some(0),
        ),
        ("/handled Ran a search on the trademark applicant", Some(1)),
        ("道路封闭的事我去问", Some(0)),
        ("OK", Some(0)),
    ] {
        assert_eq!(replied_issue(&two, text, &directory), want, "{text}");
    }
    // A closed matter is passed over, words or not.
    let one_closed = [in_state(two[0].clone(), IssueState::Closed), two[1].clone()];
    assert_eq!(
        replied_issue(&one_closed, "the permit booking", &directory),
        Some(1)
    );
    let both_closed = [
        in_state(two[0].clone(), IssueState::Closed),
        in_state(two[1].clone(), IssueState::Closed),
    ];
    assert_eq!(
        replied_issue(&both_closed, "the permit booking", &directory),
        None
    );
}

#[test]
fn a_requester_addressed_by_first_name_is_answered_though_a_colleague_is_mentioned() {
    let people = zone_colleague_and_requester("Kelvin Tan（德嘉 行政）");
    let issues = [issue(1, 0)];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    let mut text = message(STAFF, 3, "Kelvin 你好，收到。@朱健 增容你熟，看下走到哪一步了");
    text.mentions = vec!["wxid_zhujian".into()];
    assert_eq!(summary(&run(&text, &context)), ["acknowledged #1"]);
    // A name that only begins with it is someone else.
    let mut other = message(STAFF, 3, "Kelvins 的事 @朱健 你看下");
    other.mentions = vec!["wxid_zhujian".into()];
    let got = summary(&run(&other, &context));
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn a_reply_covering_both_answers_every_matter_its_message_raised() {
    let customs = issue(1, 0);
    let fiber = KnownIssue {
        issue: "wechat:grp-zhongtai:m-0:2".into(),
        seq: 2,
        ..issue(2, 0)
    };
    let other = issue(3, 1);
    let issues = [customs.clone(), fiber.clone(), other];
    // The replied issue as the store reads it: without its requester.
    let replied = KnownIssue {
        raised_by: None,
        ..fiber
    };
    let context = Context {
        replied: Some(&replied),
        ..open(&issues)
    };
    let mut both = message(STAFF, 5, "Hi, got both. Could you send me the B/L number?");
    both.reply_to = Some("m-0".into());
    assert_eq!(
        summary(&run(&both, &context)),
        ["acknowledged #1", "acknowledged #2"]
    );
    let mut one = message(STAFF, 5, "收到，光纤的事我来跟");
    one.reply_to = Some("m-0".into());
    assert_eq!(summary(&run(&one, &context)), ["acknowledged #2"]);
}

#[test]
fn a_question_right_after_the_team_answered_takes_up_the_answer() {
    let school = KnownIssue {
        title: "女儿今年上初一，户口还在北京，能不能在园区实验初中就近入学？".into(),
        last_active: t(40),
        ..acked(issue(7, 0))
    };
    let issues = [school];
    let question = "人才认定证书他有了，房子是租的，租房备案去哪里办？";
    assert_eq!(
        summary(&run(&message(REQUESTER, 45, question), &open(&issues))),
        ["joined #7"]
    );
    // Hours later it is a matter of its own, and so is a colleague's.
    let later = run(&message(REQUESTER, 300, question), &open(&issues));
    assert!(summary(&later)[0].starts_with("raised"), "{later:?}");
    let colleague = run(&message("li-colleague", 45, question), &open(&issues));
    assert!(summary(&colleague)[0].starts_with("raised"), "{colleague:?}");
    // A new matter said to be one raises however soon it comes.
    let marked = run(
        &message(REQUESTER, 45, "另外问一下，租房备案去哪里办？"),
        &open(&issues),
    );
    assert!(summary(&marked)[0].starts_with("raised"), "{marked:?}");
}

static DIRECTORY: std::sync::LazyLock<Directory> = std::sync::LazyLock::new(directory);

proptest::proptest! {
    #[test]
    fn classifying_any_text_never_panics(
        text in "(还有|另外|the |[0-9]{1,3}|st|th|[？。，!?]|停电|谢谢|已经|联系上了|got both|两个都收到|#已处理|#计划|/handled|#[0-9]|王科|Kelvin|@李娜| ){0,30}",
        staff in proptest::bool::ANY,
    ) {
        let issues = [issue(1, 0), acked(issue(2, 1))];
        let sender = if staff { STAFF } else { REQUESTER };
        let mut reply = message(sender, 5, &text);
        let _ = classify(&reply, &DIRECTORY, &open(&issues));
        reply.reply_to = Some("m-0".into());
        let context = Context { replied: Some(&issues[0]), ..open(&issues) };
        let _ = classify(&reply, &DIRECTORY, &context);
    }
}

#[test]
fn a_message_covering_both_matters_handles_each() {
    let license = KnownIssue {
        title: "canteen vendor 的 food license 下个月 expire".into(),
        ..acked(issue(1, 0))
    };
    let power = KnownIssue {
        issue: "wechat:grp-zhongtai:m-0:2".into(),
        title: "2号变压器的增容 application 至少 two months".into(),
        ..acked(issue(2, 0))
    };
    let issues = [license, power];
    let both =
        "两个事我刚都打了电话：1）问了市场监管园区所，材料齐当场发证；2）增容跟供电公司客户经理通过电话了";
    assert_eq!(
        summary(&run(&message(STAFF, 5, both), &open(&issues))),
        ["handled #1", "handled #2"]
    );
    // "都已…" does not outweigh the words of one matter.
    let one = "增容的事问了供电公司，资料都已交上去了";
    assert_eq!(
        summary(&run(&message(STAFF, 5, one), &open(&issues))),
        ["handled #2"]
    );
    // Counting other things is not speaking of both matters.
    let engineers = "增容的事我问了供电公司，both engineers booked for the site survey";
    assert_eq!(
        summary(&run(&message(STAFF, 5, engineers), &open(&issues))),
        ["handled #2"]
    );
}

#[test]
fn a_first_name_with_accents_addresses_its_owner() {
    let people = zone_colleague_and_requester("Tomás Ruiz (Helio)");
    let issues = [issue(1, 0)];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    let mut text = message(
        STAFF,
        3,
        "Tomás, noted - @朱健 will follow up with the gas company.",
    );
    text.mentions = vec!["wxid_zhujian".into()];
    assert_eq!(summary(&run(&text, &context)), ["acknowledged #1"]);
}

/// 朱健 of the zone (staff everywhere) and the requester, named `requester`.
fn zone_colleague_and_requester(requester: &str) -> [Person; 2] {
    [
        Person {
            identity: identity("wechat", "wxid_zhujian"),
            name: "朱健（管委会）".into(),
            staff: true,
        },
        Person {
            identity: identity("wechat", REQUESTER),
            name: requester.into(),
            staff: false,
        },
    ]
}

#[test]
fn a_colleague_answering_a_call_acknowledges_nothing() {
    let chat = ChatPeople::default();
    let mut call = message(STAFF, 1, "@钱波 那个三相插座你安排物业电工去看一下");
    call.sender_name = Some("汪永新".into());
    let (_, nobody) = chat.see(&call, true);
    assert!(nobody.is_none());
    // Called by the name they write in Chinese, though they show an English one first.
    let mut answer = message("wxid_zhujian", 3, "好的，我下午带电工过去");
    answer.sender_name = Some("Qian Bo 钱波（专班）".into());
    let (people, called) = chat.see(&answer, true);
    assert_eq!(called, Some(t(1)));
    let issues = [issue(1, 0)];
    let answering = Context {
        people: &people,
        called,
        ..open(&issues)
    };
    assert!(summary(&run(&answer, &answering)).is_empty());
    // Not called, or called long before: the same words answer the enterprise.
    let uncalled = Context {
        people: &people,
        called: None,
        ..open(&issues)
    };
    assert_eq!(summary(&run(&answer, &uncalled)), ["acknowledged #1"]);
    let later = message("wxid_zhujian", 90, "好的，我下午带电工过去");
    assert_eq!(summary(&run(&later, &answering)), ["acknowledged #1"]);
    // A requester's name at the start still makes it an answer to them.
    let mut named = message("wxid_zhujian", 4, "王总您好，我下午带电工过去");
    named.sender_name = answer.sender_name.clone();
    let people = [Person {
        identity: identity("wechat", REQUESTER),
        name: "王永忠".into(),
        staff: false,
    }];
    let context = Context {
        people: &people,
        called,
        ..open(&issues)
    };
    assert_eq!(summary(&run(&named, &context)), ["acknowledged #1"]);
}

#[test]
fn calling_on_a_colleague_about_a_requester_is_not_answering_the_requester() {
    let people = [
        Person {
            identity: identity("wechat", "wxid_zhoumin"),
            name: "周敏（专班）".into(),
            staff: true,
        },
        Person {
            identity: identity("wechat", REQUESTER),
            name: "王永忠".into(),
            staff: false,
        },
    ];
    let issues = [issue(1, 0)];
    let context = Context {
        people: &people,
        ..open(&issues)
    };
    assert!(summary(&run(
        &message(STAFF, 3, "@周敏 有熟人，你先跟王总说一声，我下午联系"),
        &context
    ))
    .is_empty());
}

#[test]
fn noted_all_three_acknowledges_each_matter_raised_together() {
    let mut first = issue(1, 0);
    first.title = "(1) the machining centre is held at customs".into();
    // One message raised all three: the keys of its second and third matters.
    let mut second = issue(2, 0);
    second.title = "(2) canteen operators".into();
    second.issue.push_str(":2");
    let mut third = issue(3, 0);
    third.title = "(3) the power notice for Sunday".into();
    third.issue.push_str(":3");
    let issues = [first, second, third];
    let mut reply = message(
        STAFF,
        4,
        "Hi Markus, noted all three. I'll look into the customs hold right away.",
    );
    reply.reply_to = Some("m-0".into());
    let context = Context {
        replied: Some(&issues[0]),
        ..open(&issues)
    };
    assert_eq!(
        summary(&run(&reply, &context)),
        ["acknowledged #1", "acknowledged #2", "acknowledged #3"]
    );
}

#[test]
fn issue_words_keep_the_newest_words_within_bounds() {
    let words = IssueWords::default();
    words.note("a", "  ");
    let mut issues = [issue(1, 0)];
    issues[0].issue = "a".into();
    words.fill(&mut issues);
    assert_eq!(&*issues[0].about, "", "blank text is not noted");
    words.note("a", "rent invoice");
    words.note("a", &"x".repeat(IssueWords::CHARS));
    words.fill(&mut issues);
    assert_eq!(issues[0].about.chars().count(), IssueWords::CHARS);
    assert!(issues[0].about.ends_with('x') && !issues[0].about.contains("rent"));
    let mut other = [issue(2, 0)];
    other[0].issue = "b".into();
    words.fill(&mut other);
    assert_eq!(&*other[0].about, "");
}

#[test]
fn words_beyond_the_title_match_a_later_message_to_its_issue() {
    // Two matters of one requester; the first's title stops before its
    // subject, which its words beyond the title name.
    let mut rent = issue(1, 0);
    rent.issue.push_str(":rent");
    rent.title = "Hi Sun Yue, we just received an invoice from the incubator f".into();
    let mut outlet = issue(2, 1);
    outlet.title = "Also, our lab needs a 380V three-phase outlet for the oven".into();
    let reply = message(
        STAFF,
        5,
        "Sorry, I was in a meeting. I'll check the rent with finance tomorrow.",
    );
    let issues = [rent.clone(), outlet.clone()];
    assert_eq!(
        summary(&run(&reply, &open(&issues))),
        ["acknowledged #1", "acknowledged #2"]
    );
    rent.about = "for Q3 rent at the full rate; the agreement says two years rent-free".into();
    let issues = [rent, outlet];
    assert_eq!(summary(&run(&reply, &open(&issues))), ["acknowledged #1"]);
}
