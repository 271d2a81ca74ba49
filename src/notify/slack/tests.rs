use super::*;
use crate::notify::test_support::{channel, json_body, notification, NOW_MS};
use crate::notify::{build_requests, ChannelKind, Language, NotificationKind};

#[test]
fn the_message_is_text_in_mrkdwn() {
    let mut slack = channel(ChannelKind::Slack);
    slack.language = Language::En;
    let sent = build_requests(
        &slack,
        &notification(NotificationKind::Breach),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, slack.url);
    let body = json_body(&sent[0]);
    assert_eq!(body.as_object().unwrap().len(), 1);
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("*[SLA breached] 中泰环保绿色环保过滤设备制造项目 #12*\n"),
        "{text}"
    );
    assert!(
        text.contains("*Breached: no reply within 10 minutes* — 12 minutes late"),
        "{text}"
    );
    assert!(
        text.contains("<http://127.0.0.1:8080/v1/issues/wechat:grp-zhongtai:m-88121|Open the issue>"),
        "{text}"
    );
}

#[test]
fn free_text_is_escaped_and_mentions_are_slack_syntax() {
    let mut slack = channel(ChannelKind::Slack);
    slack.mention_user_ids = vec!["U024BE7LH".into()];
    slack.mention_all = true;
    let mut sneaky = notification(NotificationKind::Breach);
    sneaky.title = "<!channel> A&B".into();
    let sent = build_requests(&slack, &sneaky, NOW_MS, &Templates::builtin()).unwrap();
    let text = json_body(&sent[0])["text"].as_str().unwrap().to_string();
    assert!(text.contains("&lt;!channel&gt; A&amp;B"), "{text}");
    assert!(text.ends_with("\n<@U024BE7LH> <!channel>"), "{text}");
}

#[test]
fn markdown_links_and_bold_convert() {
    assert_eq!(
        to_mrkdwn("### Title\n**bold** [x](http://a/b) [not a link]"),
        "*Title*\n*bold* <http://a/b|x> [not a link]"
    );
}

#[test]
fn only_an_ok_body_is_a_delivery() {
    assert_eq!(judge(b"ok"), ReplyVerdict::Delivered);
    assert!(matches!(judge(b""), ReplyVerdict::Retry(_)));
    assert!(matches!(
        crate::notify::judge_reply(ChannelKind::Slack, 410, b"channel_is_archived"),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(
        crate::notify::judge_reply(ChannelKind::Slack, 429, b"rate_limited"),
        ReplyVerdict::Retry(_)
    ));
}
