use super::*;
use crate::notify::test_support::{channel, hmac_by_hand, json_body, notification, NOW_MS};
use crate::notify::{base64_encode, build_requests, ChannelKind, Language, NotificationKind};

// DingTalk's guide gives the algorithm and sample code (Java, Python) but no
// worked output. These values were computed independently with Python's
// `hmac` + `urllib.parse.quote_plus` (the documented sample) and checked
// with `openssl dgst -sha256 -hmac`, and are checked again below against an
// HMAC written out by hand. The second one contains `/`, `+` and `=`.
const DINGTALK_EXAMPLES: [(i64, &str, &str); 2] = [
    (
        1_577_262_236_757,
        "SEC1234567890abcdef",
        "f7qQ1A8KagEZ45y1gasTtKsEq5ERTeDXP9T%2BWkIqzDk%3D",
    ),
    (
        1_717_038_120_000,
        "SECb8f1d2f0a3c94e6f8b7a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3",
        "fSBMHXfBPBTrtCL8FV%2FqFFydmOek3tfo3S1D7IjYy3k%3D",
    ),
];

#[test]
fn the_sign_is_the_urlencoded_hmac_of_timestamp_and_secret() {
    for (timestamp, secret, expected) in DINGTALK_EXAMPLES {
        assert_eq!(url_encode(&sign(timestamp, secret)), expected);
        let by_hand = hmac_by_hand(secret.as_bytes(), format!("{timestamp}\n{secret}").as_bytes());
        assert_eq!(url_encode(&base64_encode(&by_hand)), expected);
    }
}

#[test]
fn timestamp_and_sign_are_appended_to_the_robot_url() {
    let (timestamp, secret, sign) = DINGTALK_EXAMPLES[0];
    assert_eq!(
        signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            timestamp,
            secret
        ),
        format!("https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp={timestamp}&sign={sign}")
    );
    assert!(signed_url("http://sink/robot", timestamp, secret).starts_with("http://sink/robot?timestamp="));
}

#[test]
fn the_message_is_markdown_with_title_text_and_at() {
    let mut dingtalk = channel(ChannelKind::Dingtalk);
    dingtalk.secret = Some("SEC1234567890abcdef".into());
    dingtalk.mention_mobiles = vec!["15000000000".into()];
    dingtalk.mention_user_ids = vec!["manager7140".into()];
    let sent = build_requests(
        &dingtalk,
        &notification(NotificationKind::Breach),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .url
            .starts_with(&format!("{}&timestamp={NOW_MS}&sign=", dingtalk.url)),
        "{}",
        sent[0].url
    );
    assert!(sent[0]
        .url
        .ends_with(&url_encode(&sign(NOW_MS, "SEC1234567890abcdef"))));
    let body = json_body(&sent[0]);
    assert_eq!(body["msgtype"], "markdown");
    assert_eq!(
        body["markdown"]["title"],
        "【SLA 超时】中泰环保绿色环保过滤设备制造项目 #12"
    );
    let text = body["markdown"]["text"].as_str().unwrap();
    assert!(text.starts_with("### 【SLA 超时】"), "{text}");
    assert!(text.ends_with("\n\n@15000000000 @manager7140"), "{text}");
    assert_eq!(body["at"]["atMobiles"], serde_json::json!(["15000000000"]));
    assert_eq!(body["at"]["atUserIds"], serde_json::json!(["manager7140"]));
    assert_eq!(body["at"]["isAtAll"], false);
}

#[test]
fn an_unsigned_robot_keeps_its_url() {
    let mut dingtalk = channel(ChannelKind::Dingtalk);
    dingtalk.language = Language::En;
    dingtalk.mention_all = true;
    let sent = build_requests(
        &dingtalk,
        &notification(NotificationKind::Retraction),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert_eq!(sent[0].url, dingtalk.url);
    let body = json_body(&sent[0]);
    assert_eq!(body["at"]["isAtAll"], true);
    assert_eq!(
        body["markdown"]["title"],
        "[Breach retracted] 中泰环保绿色环保过滤设备制造项目 #12"
    );
}

#[test]
fn replies_are_judged_by_errcode() {
    assert_eq!(judge(br#"{"errcode":0,"errmsg":"ok"}"#), ReplyVerdict::Delivered);
    let too_fast = br#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#;
    assert!(matches!(judge(too_fast), ReplyVerdict::Retry(_)));
    assert!(matches!(
        judge(br#"{"errcode":410100,"errmsg":"throttled"}"#),
        ReplyVerdict::Retry(_)
    ));
    assert!(matches!(
        judge(br#"{"errcode":310000,"errmsg":"sign not match"}"#),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(
        judge(br#"{"errcode":300001,"errmsg":"token is not exist"}"#),
        ReplyVerdict::Failed(_)
    ));
}
