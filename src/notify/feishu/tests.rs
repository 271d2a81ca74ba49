use super::*;
use crate::notify::test_support::{channel, hmac_by_hand, json_body, notification, NOW_MS};
use crate::notify::{build_requests, ChannelKind, Language};

// Feishu's guide gives the algorithm and sample code (Java, Go, Python) but
// no worked output. These values were computed independently with Python's
// `hmac` module and `openssl dgst -sha256 -hmac` (both agree), and are
// checked again below against an HMAC written out by hand.
const FEISHU_EXAMPLES: [(i64, &str, &str); 2] = [
    (
        1_599_360_473,
        "demo-secret",
        "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=",
    ),
    (
        1_717_038_120,
        "y7mX3c2QvZkL9pT1rW4sN8",
        "uHNDz4FgmUouJYQDTuCmsVtuT6Yv1m7R5RaeSWJeIKo=",
    ),
];

#[test]
fn the_sign_keys_hmac_with_timestamp_and_secret_over_an_empty_message() {
    for (timestamp, secret, expected) in FEISHU_EXAMPLES {
        assert_eq!(sign(timestamp, secret), expected);
        let by_hand = hmac_by_hand(format!("{timestamp}\n{secret}").as_bytes(), b"");
        assert_eq!(base64_encode(&by_hand), expected);
    }
}

#[test]
fn a_signed_card_carries_timestamp_in_seconds_and_sign() {
    let mut feishu = channel(ChannelKind::Feishu);
    feishu.secret = Some("demo-secret".into());
    let sent = build_requests(
        &feishu,
        &notification(NotificationKind::Breach),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, feishu.url);
    let body = json_body(&sent[0]);
    assert_eq!(body["timestamp"], "1717035840");
    assert_eq!(body["sign"], sign(1_717_035_840, "demo-secret"));
    assert_eq!(body["msg_type"], "interactive");
    let card = &body["card"];
    assert_eq!(card["header"]["title"]["tag"], "plain_text");
    assert_eq!(
        card["header"]["title"]["content"],
        "【SLA 超时】中泰环保绿色环保过滤设备制造项目 #12"
    );
    assert_eq!(card["header"]["template"], "red");
    assert_eq!(card["elements"][0]["tag"], "markdown");
    let content = card["elements"][0]["content"].as_str().unwrap();
    assert!(content.starts_with("**超过10分钟未回复**"), "{content}");
}

#[test]
fn an_unsigned_bot_gets_no_timestamp_or_sign() {
    let sent = build_requests(
        &channel(ChannelKind::Feishu),
        &notification(NotificationKind::Warning),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    let body = json_body(&sent[0]);
    assert!(body.get("sign").is_none() && body.get("timestamp").is_none());
    assert_eq!(body["card"]["header"]["template"], "orange");
}

#[test]
fn mentions_use_card_at_tags_and_titles_cannot_forge_them() {
    let mut feishu = channel(ChannelKind::Feishu);
    feishu.language = Language::En;
    feishu.mention_user_ids = vec!["ou_33af95b6".into()];
    feishu.mention_all = true;
    let mut sneaky = notification(NotificationKind::Breach);
    sneaky.title = "<at id=all></at> water cut".into();
    let sent = build_requests(&feishu, &sneaky, NOW_MS, &Templates::builtin()).unwrap();
    let content = json_body(&sent[0])["card"]["elements"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        content.ends_with("<at id=ou_33af95b6></at> <at id=all></at>"),
        "{content}"
    );
    assert!(content.contains("＜at id=all＞＜/at＞ water cut"), "{content}");
}

#[test]
fn the_body_stays_under_twenty_kilobytes() {
    let mut digest = notification(NotificationKind::DailyDigest);
    digest.digest = Some(crate::notify::test_support::digest_listing(
        "\"引号\"和换行\n",
        3000,
    ));
    let sent = build_requests(
        &channel(ChannelKind::Feishu),
        &digest,
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert!(sent[0].body.len() <= BODY_LIMIT_BYTES, "{}", sent[0].body.len());
}

#[test]
fn replies_are_judged_by_code() {
    assert_eq!(
        judge(br#"{"code":0,"data":{},"msg":"success"}"#),
        ReplyVerdict::Delivered
    );
    assert_eq!(
        judge(br#"{"Extra":null,"StatusCode":0,"StatusMessage":"success"}"#),
        ReplyVerdict::Delivered
    );
    let mismatch = br#"{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}"#;
    assert!(matches!(judge(mismatch), ReplyVerdict::Failed(reason) if reason.starts_with("code 19021")));
    assert!(matches!(
        judge(br#"{"code":19024,"msg":"Key Words Not Found"}"#),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(
        judge(br#"{"code":9499,"msg":"Bad Request","data":{}}"#),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(
        judge(br#"{"code":9499,"msg":"too many request","data":{}}"#),
        ReplyVerdict::Retry(_)
    ));
    assert!(matches!(
        judge(br#"{"code":11232,"msg":"frequency limited"}"#),
        ReplyVerdict::Retry(_)
    ));
}
