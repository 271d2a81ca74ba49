use super::*;
use crate::hooks::test_support::{at_millis, message_of, TestRequest};
use proptest::prelude::*;

const SECRET: &str = "SEC1234567890abcdef";
/// The header timestamp of DingTalk's own example ("接收消息").
const TIMESTAMP: i64 = 1_577_262_236_757;

/// The body of DingTalk's "接收消息" example, with its `xxx` placeholders
/// filled in and the robot itself among the `atUsers`.
const CALLBACK: &str = r#"{
    "conversationId": "cidSGS2Krr9YWH4JyWJqiSAg==",
    "atUsers": [
        {"dingtalkId": "$:LWCP_v1:$robot", "staffId": ""},
        {"dingtalkId": "$:LWCP_v1:$lead", "staffId": "manager7140"}
    ],
    "chatbotCorpId": "dinge8a565xxxx",
    "chatbotUserId": "$:LWCP_v1:$robot",
    "msgId": "msgqYw3y0wZ4jJdhxW0cLqH6Q==",
    "senderNick": "杨xx",
    "isAdmin": true,
    "senderStaffId": "user123",
    "sessionWebhookExpiredTime": 1613635652738,
    "createAt": 1613630252678,
    "senderCorpId": "dinge8a565xxxx",
    "conversationType": "2",
    "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
    "conversationTitle": "机器人测试-TEST",
    "isInAtList": true,
    "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx",
    "text": {"content": " 你好"},
    "msgtype": "text"
}"#;

fn secrets() -> DingtalkSecrets {
    DingtalkSecrets {
        app_secret: Secret::new(SECRET),
    }
}

fn signed(body: &str, timestamp: i64) -> TestRequest {
    TestRequest::post(body, timestamp / 1000)
        .header("timestamp", &timestamp.to_string())
        .header("sign", &sign(&timestamp.to_string(), SECRET))
}

#[test]
fn sign_matches_an_independently_computed_value() {
    // DingTalk documents the algorithm and sample code but no worked output.
    // This value was computed with Python's hmac (the documented sample) and
    // is the same vector the notify::dingtalk tests use for outgoing robots.
    assert_eq!(
        sign(&TIMESTAMP.to_string(), SECRET),
        "f7qQ1A8KagEZ45y1gasTtKsEq5ERTeDXP9T+WkIqzDk="
    );
}

#[test]
fn the_documented_callback_maps_to_a_message() {
    let (message, delivery_id, retry) =
        message_of(handle(&signed(CALLBACK, TIMESTAMP).view(), &secrets()).unwrap());
    assert_eq!(delivery_id, "msgqYw3y0wZ4jJdhxW0cLqH6Q==");
    assert!(!retry);
    assert_eq!(message.platform, "dingtalk");
    assert_eq!(message.message_id, "msgqYw3y0wZ4jJdhxW0cLqH6Q==");
    assert_eq!(message.chat_id, "cidSGS2Krr9YWH4JyWJqiSAg==");
    assert_eq!(message.sender_id, "user123");
    assert_eq!(message.sender_name.as_deref(), Some("杨xx"));
    assert_eq!(message.text, "你好");
    assert_eq!(message.at, at_millis(1_613_630_252_678));
    assert_eq!(message.reply_to, None);
    assert_eq!(message.mentions, ["manager7140"]);
}

#[test]
fn without_a_staff_id_the_sender_is_the_encrypted_sender_id() {
    let body = CALLBACK
        .replace(r#""senderStaffId": "user123","#, "")
        .replace("1613630252678", r#""1613630252678""#);
    let (message, _, _) = message_of(handle(&signed(&body, TIMESTAMP).view(), &secrets()).unwrap());
    assert_eq!(message.sender_id, "$:LWCP_v1:$Ff09GIxxxxx");
    assert_eq!(message.at, at_millis(1_613_630_252_678));
}

#[test]
fn a_missing_or_wrong_sign_is_refused() {
    let mut other_secret = secrets();
    other_secret.app_secret = Secret::new("SECanother");
    for request in [
        signed(CALLBACK, TIMESTAMP).without("sign"),
        signed(CALLBACK, TIMESTAMP).without("timestamp"),
        signed(CALLBACK, TIMESTAMP).header("sign", "not base64!"),
        signed(CALLBACK, TIMESTAMP).header("sign", &sign(&(TIMESTAMP + 1).to_string(), SECRET)),
        signed(CALLBACK, TIMESTAMP).header("timestamp", "yesterday"),
    ] {
        assert!(matches!(
            handle(&request.view(), &secrets()),
            Err(HookError::BadSignature(_))
        ));
    }
    let result = handle(&signed(CALLBACK, TIMESTAMP).view(), &other_secret);
    assert!(matches!(result, Err(HookError::BadSignature(_))));
}

#[test]
fn a_timestamp_beyond_an_hour_either_way_is_stale() {
    for now_millis in [TIMESTAMP + 3_600_001, TIMESTAMP - 3_600_001] {
        let mut request = signed(CALLBACK, TIMESTAMP);
        request.now = at_millis(now_millis);
        assert_eq!(handle(&request.view(), &secrets()), Err(HookError::Stale));
    }
    let mut within = signed(CALLBACK, TIMESTAMP);
    within.now = at_millis(TIMESTAMP + 3_600_000);
    assert!(handle(&within.view(), &secrets()).is_ok());
}

#[test]
fn a_genuine_request_with_a_bad_body_is_malformed() {
    for body in [
        "{",
        r#"{"msgtype":"text"}"#,
        &CALLBACK.replace("1613630252678", r#""soon""#),
    ] {
        assert!(matches!(
            handle(&signed(body, TIMESTAMP).view(), &secrets()),
            Err(HookError::Malformed(_))
        ));
    }
}

#[test]
fn other_message_types_are_ignored() {
    let picture = CALLBACK.replace(r#""msgtype": "text""#, r#""msgtype": "picture""#);
    assert_eq!(
        handle(&signed(&picture, TIMESTAMP).view(), &secrets()),
        Ok(HookOutcome::Ignore)
    );
}

#[test]
fn an_empty_secret_or_a_get_is_refused() {
    let empty = DingtalkSecrets {
        app_secret: Secret::new(""),
    };
    assert_eq!(
        handle(&signed(CALLBACK, TIMESTAMP).view(), &empty),
        Err(HookError::NotConfigured)
    );
    let get = TestRequest {
        method: http::Method::GET,
        ..signed(CALLBACK, TIMESTAMP)
    };
    assert_eq!(handle(&get.view(), &secrets()), Err(HookError::MethodNotAllowed));
}

proptest! {
    #[test]
    fn signed_arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut request = signed("", TIMESTAMP);
        request.body = body;
        let _ = handle(&request.view(), &secrets());
    }

    #[test]
    fn arbitrary_headers_never_panic(timestamp in "\\PC{0,24}", sign in "\\PC{0,60}") {
        let mut request = TestRequest::post(CALLBACK, TIMESTAMP / 1000);
        if let (Ok(t), Ok(s)) = (http::HeaderValue::from_str(&timestamp), http::HeaderValue::from_str(&sign)) {
            request.headers.insert("timestamp", t);
            request.headers.insert("sign", s);
        }
        prop_assert!(handle(&request.view(), &secrets()).is_err());
    }
}
