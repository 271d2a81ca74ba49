use super::*;
use crate::hooks::test_support::{message_of, TestRequest};
use proptest::prelude::*;

// Slack's worked example in "Verifying requests from Slack"
// (https://api.slack.com/authentication/verifying-requests-from-slack):
// a slash-command request, its signing secret, timestamp and signature.
const DOC_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TIMESTAMP: i64 = 1_531_420_618;
const DOC_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

/// A message event shaped after Slack's `message.channels` example.
const MESSAGE_EVENT: &str = r#"{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"message","channel":"C024BE91L","user":"U2147483697","text":"<@U024BE7LH> water is off at site 3, <@U0G9QF9C6|lead> please look","ts":"1355517523.000005","thread_ts":"1355517500.000100","event_ts":"1355517523.000005","channel_type":"channel"},"type":"event_callback","authed_users":["U024BE7LH"],"event_id":"Ev024BE91L","event_time":1355517523}"#;

fn secrets() -> SlackSecrets {
    SlackSecrets {
        signing_secret: Secret::new(DOC_SECRET),
    }
}

/// A request signed as Slack signs it, sent and received at `now`.
fn signed(body: &str, now: i64) -> TestRequest {
    let timestamp = now.to_string();
    TestRequest::post(body, now)
        .header("x-slack-request-timestamp", &timestamp)
        .header(
            "x-slack-signature",
            &signature(DOC_SECRET, &timestamp, body.as_bytes()),
        )
}

#[test]
fn signature_matches_slacks_documented_example() {
    assert_eq!(
        signature(DOC_SECRET, &DOC_TIMESTAMP.to_string(), DOC_BODY.as_bytes()),
        DOC_SIGNATURE
    );
}

#[test]
fn the_documented_request_verifies_and_then_fails_only_as_not_json() {
    // The example is a slash command (form-encoded), not an event: passing
    // the signature and failing on the JSON is the expected result.
    let request = TestRequest::post(DOC_BODY, DOC_TIMESTAMP)
        .header("x-slack-request-timestamp", &DOC_TIMESTAMP.to_string())
        .header("x-slack-signature", DOC_SIGNATURE);
    assert!(matches!(
        handle(&request.view(), &secrets()),
        Err(HookError::Malformed(_))
    ));
}

#[test]
fn url_verification_answers_the_challenge() {
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let outcome = handle(&signed(body, DOC_TIMESTAMP).view(), &secrets()).unwrap();
    assert_eq!(
        outcome,
        HookOutcome::Challenge(Challenge {
            content_type: "application/json",
            body: r#"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#.into(),
        })
    );
}

#[test]
fn a_message_maps_ts_channel_user_thread_and_mentions() {
    let (message, delivery_id, retry) =
        message_of(handle(&signed(MESSAGE_EVENT, 1_355_517_530).view(), &secrets()).unwrap());
    assert_eq!(delivery_id, "Ev024BE91L");
    assert!(!retry);
    assert_eq!(message.platform, "slack");
    assert_eq!(message.message_id, "1355517523.000005");
    assert_eq!(message.chat_id, "C024BE91L");
    assert_eq!(message.sender_id, "U2147483697");
    assert_eq!(message.sender_name, None);
    assert_eq!(message.reply_to.as_deref(), Some("1355517500.000100"));
    assert_eq!(message.mentions, ["U024BE7LH", "U0G9QF9C6"]);
    assert_eq!(
        message.at,
        DateTime::from_timestamp(1_355_517_523, 5_000).unwrap()
    );
    assert!(message.text.starts_with("<@U024BE7LH> water is off"));
}

#[test]
fn a_thread_root_replies_to_nothing() {
    let body = MESSAGE_EVENT.replace(
        r#""thread_ts":"1355517500.000100""#,
        r#""thread_ts":"1355517523.000005""#,
    );
    let (message, _, _) = message_of(handle(&signed(&body, 1_355_517_530).view(), &secrets()).unwrap());
    assert_eq!(message.reply_to, None);
}

#[test]
fn a_retry_is_verified_and_flagged() {
    let request = signed(MESSAGE_EVENT, 1_355_517_530).header("x-slack-retry-num", "1");
    let (_, delivery_id, retry) = message_of(handle(&request.view(), &secrets()).unwrap());
    assert!(retry);
    assert_eq!(delivery_id, "Ev024BE91L");
    let forged = request.header("x-slack-signature", "v0=00");
    assert!(matches!(
        handle(&forged.view(), &secrets()),
        Err(HookError::BadSignature(_))
    ));
}

#[test]
fn bot_posts_edits_joins_and_app_mentions_are_ignored() {
    let with_event = |event: &str| MESSAGE_EVENT.replace(r#""type":"message","#, event);
    for body in [
        with_event(r#""type":"message","bot_id":"B123","#),
        with_event(r#""type":"message","subtype":"bot_message","#),
        with_event(r#""type":"message","subtype":"message_changed","#),
        with_event(r#""type":"message","subtype":"channel_join","#),
        with_event(r#""type":"app_mention","#),
        r#"{"type":"app_rate_limited","team_id":"T1"}"#.to_owned(),
    ] {
        let outcome = handle(&signed(&body, 1_355_517_530).view(), &secrets()).unwrap();
        assert_eq!(outcome, HookOutcome::Ignore, "{body}");
    }
    let broadcast = with_event(r#""type":"message","subtype":"thread_broadcast","#);
    message_of(handle(&signed(&broadcast, 1_355_517_530).view(), &secrets()).unwrap());
}

#[test]
fn a_missing_or_wrong_signature_is_refused() {
    let now = 1_355_517_530;
    let mut tampered = signed(MESSAGE_EVENT, now);
    tampered.body = MESSAGE_EVENT.replace("site 3", "site 4").into_bytes();
    for request in [
        signed(MESSAGE_EVENT, now).without("x-slack-signature"),
        signed(MESSAGE_EVENT, now).without("x-slack-request-timestamp"),
        signed(MESSAGE_EVENT, now).header("x-slack-request-timestamp", "yesterday"),
        signed(MESSAGE_EVENT, now).header("x-slack-signature", DOC_SIGNATURE),
        signed(MESSAGE_EVENT, now).header("x-slack-signature", "v0=zz"),
        signed(MESSAGE_EVENT, now).header("x-slack-signature", "v1=00"),
        tampered,
    ] {
        assert!(matches!(
            handle(&request.view(), &secrets()),
            Err(HookError::BadSignature(_))
        ));
    }
    let other_secret = SlackSecrets {
        signing_secret: Secret::new("another secret"),
    };
    let result = handle(&signed(MESSAGE_EVENT, now).view(), &other_secret);
    assert!(matches!(result, Err(HookError::BadSignature(_))));
}

#[test]
fn a_timestamp_beyond_five_minutes_either_way_is_stale() {
    let sent = 1_355_517_530;
    for now in [sent + 301, sent - 301] {
        let mut request = signed(MESSAGE_EVENT, sent);
        request.now = DateTime::from_timestamp(now, 0).unwrap();
        assert_eq!(handle(&request.view(), &secrets()), Err(HookError::Stale));
    }
    let mut at_the_edge = signed(MESSAGE_EVENT, sent);
    at_the_edge.now = DateTime::from_timestamp(sent + 300, 0).unwrap();
    assert!(handle(&at_the_edge.view(), &secrets()).is_ok());
}

#[test]
fn a_get_or_an_unconfigured_secret_is_refused() {
    let get = TestRequest {
        method: http::Method::GET,
        ..signed(MESSAGE_EVENT, 1_355_517_530)
    };
    assert_eq!(handle(&get.view(), &secrets()), Err(HookError::MethodNotAllowed));
    let empty = SlackSecrets {
        signing_secret: Secret::new(""),
    };
    assert_eq!(
        handle(&signed(MESSAGE_EVENT, 1).view(), &empty),
        Err(HookError::NotConfigured)
    );
}

#[test]
fn slack_timestamps_parse_to_microseconds() {
    assert_eq!(
        parse_ts("1355517523.000005"),
        DateTime::from_timestamp(1_355_517_523, 5_000)
    );
    assert_eq!(
        parse_ts("1355517523.5"),
        DateTime::from_timestamp(1_355_517_523, 500_000_000)
    );
    assert_eq!(parse_ts("1355517523"), DateTime::from_timestamp(1_355_517_523, 0));
    assert_eq!(parse_ts("1355517523.0000001"), None);
    assert_eq!(parse_ts("x.1"), None);
    assert_eq!(parse_ts("1.-1"), None);
}

proptest! {
    #[test]
    fn signed_arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let timestamp = "1355517530";
        let request = TestRequest::post(body.clone(), 1_355_517_530)
            .header("x-slack-request-timestamp", timestamp)
            .header("x-slack-signature", &signature(DOC_SECRET, timestamp, &body));
        let _ = handle(&request.view(), &secrets());
    }

    #[test]
    fn arbitrary_headers_never_panic(timestamp in "\\PC{0,20}", signature in "\\PC{0,80}") {
        let mut request = TestRequest::post(MESSAGE_EVENT, 1_355_517_530);
        if let (Ok(t), Ok(s)) = (http::HeaderValue::from_str(&timestamp), http::HeaderValue::from_str(&signature)) {
            request.headers.insert("x-slack-request-timestamp", t);
            request.headers.insert("x-slack-signature", s);
        }
        prop_assert!(handle(&request.view(), &secrets()).is_err());
    }

    #[test]
    fn mention_parsing_never_panics(text in "\\PC{0,200}") {
        let _ = mentions(&text);
    }
}
