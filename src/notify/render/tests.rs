use super::*;
use crate::notify::test_support::{deadline, notification, NOW_MS};
use crate::notify::NotificationKind;

fn rendered(kind: NotificationKind, language: Language) -> Rendered {
    render(
        &Templates::builtin(),
        language,
        &notification(kind),
        NOW_MS,
        plain,
    )
}

#[test]
fn a_breach_renders_in_chinese() {
    assert_eq!(
        rendered(NotificationKind::Breach, Language::Zh).text,
        "### 【SLA 超时】中泰环保绿色环保过滤设备制造项目 #12\n\
         **超过10分钟未回复**，超时 12 分钟\n\
         - 问题：工地因管道抢修停水\n\
         - 提出：王永忠，2024-05-30 10:02 +08:00\n\
         - 期限：2024-05-30 10:12 +08:00\n\
         - [查看详情](http://127.0.0.1:8080/v1/issues/wechat:grp-zhongtai:m-88121)"
    );
}

#[test]
fn a_breach_renders_in_english() {
    assert_eq!(
        rendered(NotificationKind::Breach, Language::En).text,
        "### [SLA breached] 中泰环保绿色环保过滤设备制造项目 #12\n\
         **Breached: no reply within 10 minutes** — 12 minutes late\n\
         - Issue: 工地因管道抢修停水\n\
         - Raised by 王永忠 at 2024-05-30 10:02 +08:00\n\
         - Deadline: 2024-05-30 10:12 +08:00\n\
         - [Open the issue](http://127.0.0.1:8080/v1/issues/wechat:grp-zhongtai:m-88121)"
    );
}

#[test]
fn a_warning_says_how_much_time_is_left() {
    let mut at_risk = notification(NotificationKind::Warning);
    at_risk.deadline = Some(deadline() + TimeDelta::minutes(14));
    let zh = render(&Templates::builtin(), Language::Zh, &at_risk, NOW_MS, plain);
    assert!(
        zh.text.contains("**即将超过10分钟未回复**，距期限还剩 2 分钟"),
        "{}",
        zh.text
    );
    assert_eq!(zh.title, "【即将超时】中泰环保绿色环保过滤设备制造项目 #12");
    let en = render(&Templates::builtin(), Language::En, &at_risk, NOW_MS, plain);
    assert!(
        en.text
            .contains("**About to break: no reply within 10 minutes** — 2 minutes left"),
        "{}",
        en.text
    );
}

#[test]
fn an_escalation_names_its_step() {
    let zh = rendered(NotificationKind::Escalation, Language::Zh);
    assert!(zh.text.starts_with("### 【超时升级 · 第 1 级】"), "{}", zh.text);
    assert!(
        zh.text.contains("**超过10分钟未回复**，超时 12 分钟，仍未解决"),
        "{}",
        zh.text
    );
    let en = rendered(NotificationKind::Escalation, Language::En);
    assert!(en.text.starts_with("### [Escalation, step 1]"), "{}", en.text);
    assert!(
        en.text
            .contains("**Still unresolved: no reply within 10 minutes** — 12 minutes late"),
        "{}",
        en.text
    );
}

#[test]
fn a_retraction_withdraws_the_broken_promise() {
    let zh = rendered(NotificationKind::Retraction, Language::Zh);
    assert!(
        zh.text.contains("此前报告的“超过10分钟未回复”不成立"),
        "{}",
        zh.text
    );
    let en = rendered(NotificationKind::Retraction, Language::En);
    assert!(
        en.text
            .contains("The reported breach (\"no reply within 10 minutes\") did not happen"),
        "{}",
        en.text
    );
}

#[test]
fn a_digest_is_rendered_in_the_channel_language() {
    let zh = rendered(NotificationKind::DailyDigest, Language::Zh);
    assert_eq!(zh.title, "【SLA 日报】中泰环保绿色环保过滤设备制造项目");
    assert!(
        zh.text.contains("\n- 回复：按时 2，超时 1，进行中 0，免除 0\n"),
        "{}",
        zh.text
    );
    assert!(
        zh.text
            .contains("- #12 工地停水（中泰环保）：处理截止 2024-05-30 12:02 +08:00"),
        "{}",
        zh.text
    );
    let en = rendered(NotificationKind::DailyDigest, Language::En);
    assert_eq!(en.title, "[Daily SLA digest] 中泰环保绿色环保过滤设备制造项目");
    assert!(en.text.contains("- reply: 2 on time, 1 breached"), "{}", en.text);
}

#[test]
fn every_promise_is_worded_from_its_target() {
    let cases = [
        ("ack", "10m", "超过10分钟未回复", "no reply within 10 minutes"),
        ("handle", "2h", "超过2小时未处理", "not handled within 2 hours"),
        (
            "plan",
            "1d",
            "超过1天未形成推进方案",
            "no agreed plan within 1 day",
        ),
        ("ack", "90s", "超过90秒未回复", "no reply within 90 seconds"),
        ("handle", "1h", "超过1小时未处理", "not handled within 1 hour"),
    ];
    for (stage, target, zh, en) in cases {
        assert_eq!(promise(Some(stage), Some(target), Language::Zh), zh);
        assert_eq!(promise(Some(stage), Some(target), Language::En), en);
    }
    assert_eq!(promise(Some("plan"), None, Language::Zh), "未按时形成推进方案");
    assert_eq!(promise(None, Some("1d"), Language::En), "");
    assert_eq!(duration_words("ten", Language::En), "ten");
}

#[test]
fn lateness_reads_in_the_two_largest_units() {
    let due = deadline();
    let late_by = |seconds: i64, language| late(Some(due), due + TimeDelta::seconds(seconds), language);
    assert_eq!(late_by(30, Language::Zh), "超时 30 秒");
    assert_eq!(late_by(12 * 60 + 59, Language::Zh), "超时 12 分钟");
    assert_eq!(late_by(12 * 60, Language::En), "12 minutes late");
    assert_eq!(late_by(60, Language::En), "1 minute late");
    assert_eq!(late_by(3_900, Language::Zh), "超时 1 小时 5 分钟");
    assert_eq!(late_by(7_200, Language::En), "2 hours late");
    assert_eq!(
        late_by(2 * 86_400 + 3 * 3_600 + 59, Language::En),
        "2 days 3 hours late"
    );
    assert_eq!(late_by(-5, Language::Zh), "未超时");
    assert_eq!(late(None, due, Language::En), "not late yet");
}

#[test]
fn times_show_in_the_policy_zone_never_utc() {
    let mut in_new_york = notification(NotificationKind::Breach);
    in_new_york.time_zone = chrono_tz::America::New_York;
    let text = render(&Templates::builtin(), Language::En, &in_new_york, NOW_MS, plain).text;
    assert!(text.contains("at 2024-05-29 22:02 -04:00"), "{text}");
    assert!(!text.contains("02:02"), "{text}");
}

#[test]
fn an_unknown_requester_is_said_so() {
    let mut anonymous = notification(NotificationKind::Breach);
    anonymous.raised_by = None;
    let zh = render(&Templates::builtin(), Language::Zh, &anonymous, NOW_MS, plain).text;
    assert!(zh.contains("- 提出：（未知），2024-05-30 10:02 +08:00"), "{zh}");
    let en = render(&Templates::builtin(), Language::En, &anonymous, NOW_MS, plain).text;
    assert!(en.contains("Raised by (unknown) at"), "{en}");
}

#[test]
fn free_text_goes_through_the_channel_escape() {
    let mut sneaky = notification(NotificationKind::Breach);
    sneaky.title = "<at id=all></at>\n停水".into();
    let text = render(
        &Templates::builtin(),
        Language::Zh,
        &sneaky,
        NOW_MS,
        neutralize_markup,
    )
    .text;
    assert!(text.contains("问题：＜at id=all＞＜/at＞ 停水"), "{text}");
}

#[test]
fn the_body_is_the_message_without_its_heading() {
    let breach = rendered(NotificationKind::Breach, Language::En);
    assert!(breach.body().starts_with("**Breached:"), "{}", breach.body());
    let one_line = Rendered {
        title: "t".into(),
        text: "### only".into(),
    };
    assert_eq!(one_line.body(), "");
}
