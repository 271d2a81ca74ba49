use super::*;
use crate::notify::test_support::{channel, hmac_by_hand, json_body, notification, NOW_MS};
use crate::notify::{build_requests, ChannelKind, NotificationKind};

/// The test vector every Standard Webhooks reference library checks
/// (standard-webhooks/standard-webhooks, libraries/go/webhook_test.go
/// `TestWebhookSign`, also in the PHP, Python and JavaScript suites).
#[test]
fn signatures_match_the_standard_webhooks_test_vector() {
    let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let signature = sign(
        &key,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/// The Rust reference library's own `test_sign`
/// (standard-webhooks/standard-webhooks, libraries/rust/src/lib.rs).
#[test]
fn signatures_match_the_rust_reference_library_vector() {
    let key = decode_secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    assert_eq!(
        sign(&key, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

#[test]
fn the_whsec_prefix_is_optional_and_bad_secrets_are_refused() {
    assert_eq!(
        decode_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    );
    assert!(decode_secret("whsec_not base64!").is_err());
    assert!(decode_secret("whsec_").is_err());
}

fn signed_channel() -> crate::notify::Channel {
    let mut webhook = channel(ChannelKind::Webhook);
    webhook.secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
    webhook
}

fn build(channel: &crate::notify::Channel, kind: NotificationKind, now_ms: i64) -> OutgoingRequest {
    build_requests(channel, &notification(kind), now_ms, &Templates::builtin())
        .unwrap()
        .remove(0)
}

#[test]
fn a_signed_request_verifies_the_way_a_receiver_checks_it() {
    let request = build(&signed_channel(), NotificationKind::Breach, NOW_MS);
    let id = request.header("webhook-id").unwrap();
    let timestamp = request.header("webhook-timestamp").unwrap();
    assert_eq!(timestamp, (NOW_MS / 1000).to_string());
    // Recompute as a receiver would: decode the secret, HMAC by hand.
    let key = BASE64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let signed = [id.as_bytes(), b".", timestamp.as_bytes(), b".", &request.body].concat();
    let expected = format!("v1,{}", BASE64.encode(hmac_by_hand(&key, &signed)));
    assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
}

#[test]
fn the_webhook_id_is_the_delivery_and_stays_across_retries() {
    let first = build(&signed_channel(), NotificationKind::Breach, NOW_MS);
    let retry = build(&signed_channel(), NotificationKind::Breach, NOW_MS + 65_000);
    assert_eq!(first.header("webhook-id"), Some("ntf_01HZX3K9Q7"));
    assert_eq!(first.header("webhook-id"), retry.header("webhook-id"));
    assert_ne!(
        first.header("webhook-timestamp"),
        retry.header("webhook-timestamp")
    );
    assert_ne!(
        first.header("webhook-signature"),
        retry.header("webhook-signature")
    );
}

#[test]
fn without_a_secret_the_request_is_unsigned() {
    let request = build(&channel(ChannelKind::Webhook), NotificationKind::Breach, NOW_MS);
    assert_eq!(request.header("webhook-signature"), None);
    assert_eq!(request.header("webhook-id"), Some("ntf_01HZX3K9Q7"));
}

#[test]
fn the_body_has_exactly_the_spec_fields_with_local_times() {
    let request = build(&channel(ChannelKind::Webhook), NotificationKind::Breach, NOW_MS);
    let body = json_body(&request);
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "delivery",
        "kind",
        "issue",
        "seq",
        "project",
        "project_name",
        "stage",
        "cycle",
        "title",
        "raised_at",
        "deadline",
        "detected_at",
        "escalation_step",
        "url",
        "text",
    ];
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(body["delivery"], "ntf_01HZX3K9Q7");
    assert_eq!(body["kind"], "breach");
    assert_eq!(body["seq"], 12);
    assert_eq!(body["stage"], "ack");
    assert_eq!(body["raised_at"], "2024-05-30T10:02:00+08:00");
    assert_eq!(body["deadline"], "2024-05-30T10:12:00+08:00");
    assert_eq!(body["detected_at"], "2024-05-30T10:12:30+08:00");
    assert_eq!(body["escalation_step"], 0);
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("超过10分钟未回复") && text.contains("10:02 +08:00"),
        "{text}"
    );
    // The raw body lists the fields in the SPEC's order.
    let raw = String::from_utf8(request.body).unwrap();
    assert!(
        raw.starts_with(r#"{"delivery":"ntf_01HZX3K9Q7","kind":"breach","issue":"#),
        "{raw}"
    );
}

#[test]
fn a_digest_has_no_stage_and_no_deadline_when_none_is_given() {
    let mut digest = notification(NotificationKind::DailyDigest);
    digest.stage = None;
    digest.deadline = None;
    let request = build_requests(
        &channel(ChannelKind::Webhook),
        &digest,
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap()
    .remove(0);
    let body = json_body(&request);
    assert!(body["stage"].is_null() && body["deadline"].is_null());
    assert!(body["text"].as_str().unwrap().contains("新增问题 3 件"));
}

#[test]
fn a_delivery_id_with_a_dot_cannot_be_signed_safely() {
    let mut dotted = notification(NotificationKind::Breach);
    dotted.delivery = "ntf.1".into();
    let error = build_requests(&signed_channel(), &dotted, NOW_MS, &Templates::builtin()).unwrap_err();
    assert!(error.contains("ntf.1"));
}

#[test]
fn a_malformed_secret_is_a_configuration_error() {
    let mut bad = channel(ChannelKind::Webhook);
    bad.secret = Some("not-a-whsec".into());
    let result = build_requests(
        &bad,
        &notification(NotificationKind::Breach),
        NOW_MS,
        &Templates::builtin(),
    );
    assert!(result.unwrap_err().contains("whsec_"));
}
