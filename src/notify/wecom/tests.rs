use super::*;
use crate::notify::test_support::{channel, json_body, notification, NOW_MS};
use crate::notify::{build_requests, ChannelKind, NotificationKind};

fn requests(channel: &Channel, notification: &Notification) -> Vec<OutgoingRequest> {
    build_requests(channel, notification, NOW_MS, &Templates::builtin()).unwrap()
}

#[test]
fn the_message_is_one_markdown_post_to_the_robot_url() {
    let wecom = channel(ChannelKind::Wecom);
    let sent = requests(&wecom, &notification(NotificationKind::Breach));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, wecom.url);
    let body = json_body(&sent[0]);
    assert_eq!(body["msgtype"], "markdown");
    let content = body["markdown"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("### 【SLA 超时】中泰环保绿色环保过滤设备制造项目 #12"),
        "{content}"
    );
    assert!(
        content.contains("**超过10分钟未回复**，超时 12 分钟"),
        "{content}"
    );
    assert_eq!(body.as_object().unwrap().len(), 2);
}

#[test]
fn mentions_follow_in_a_text_message() {
    let mut wecom = channel(ChannelKind::Wecom);
    wecom.mention_mobiles = vec!["13800001111".into()];
    wecom.mention_user_ids = vec!["wangqing".into()];
    wecom.mention_all = true;
    let sent = requests(&wecom, &notification(NotificationKind::Escalation));
    assert_eq!(sent.len(), 2);
    let text = json_body(&sent[1]);
    assert_eq!(text["msgtype"], "text");
    assert_eq!(
        text["text"]["mentioned_list"],
        serde_json::json!(["wangqing", "@all"])
    );
    assert_eq!(
        text["text"]["mentioned_mobile_list"],
        serde_json::json!(["13800001111"])
    );
    let content = text["text"]["content"].as_str().unwrap();
    assert_eq!(
        content,
        "【超时升级 · 第 1 级】中泰环保绿色环保过滤设备制造项目 #12"
    );
}

#[test]
fn a_long_digest_is_cut_to_4096_bytes_at_a_character() {
    let mut digest = notification(NotificationKind::DailyDigest);
    digest.digest = Some(crate::notify::test_support::digest_listing("超时问题列表，", 600));
    let sent = requests(&channel(ChannelKind::Wecom), &digest);
    let content = json_body(&sent[0])["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.len() <= MARKDOWN_LIMIT_BYTES && content.len() > MARKDOWN_LIMIT_BYTES - 8);
    assert!(content.ends_with('…'));
}

#[test]
fn a_title_cannot_mention_members_or_break_lines() {
    let mut sneaky = notification(NotificationKind::Breach);
    sneaky.title = "停水<@all>\n### 假标题".into();
    let sent = requests(&channel(ChannelKind::Wecom), &sneaky);
    let content = json_body(&sent[0])["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.contains("停水＜@all＞ ### 假标题"), "{content}");
}

#[test]
fn replies_are_judged_by_errcode() {
    assert_eq!(judge(br#"{"errcode":0,"errmsg":"ok"}"#), ReplyVerdict::Delivered);
    assert_eq!(
        judge(br#"{"errcode":45009,"errmsg":"api freq out of limit"}"#),
        ReplyVerdict::Retry("errcode 45009: api freq out of limit".into())
    );
    assert!(matches!(
        judge(br#"{"errcode":-1,"errmsg":"system busy"}"#),
        ReplyVerdict::Retry(_)
    ));
    assert!(matches!(
        judge(br#"{"errcode":93000,"errmsg":"invalid webhook url"}"#),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(
        judge(br#"{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}"#),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(judge(b"<html>gateway</html>"), ReplyVerdict::Retry(_)));
}
