use super::*;
use crate::hooks::test_support::TestRequest;

#[test]
fn errors_carry_the_spec_status_and_code() {
    let cases = [
        (
            HookError::BadSignature("missing X-Slack-Signature"),
            401,
            "bad_signature",
        ),
        (HookError::Stale, 401, "stale_request"),
        (
            HookError::Malformed("invalid JSON at line 1, column 2".into()),
            400,
            "malformed_payload",
        ),
        (HookError::NotConfigured, 404, "hook_not_configured"),
        (HookError::MethodNotAllowed, 405, "method_not_allowed"),
    ];
    for (error, status, code) in cases {
        assert_eq!(error.status(), status);
        assert_eq!(error.code(), code);
    }
}

#[test]
fn malformed_json_errors_name_the_place_not_the_content() {
    let error = serde_json::from_str::<u64>(r#""the water is off at site 3""#).unwrap_err();
    let message = json_error(error).to_string();
    assert!(message.contains("line 1"), "{message}");
    assert!(!message.contains("water"), "{message}");
}

#[test]
fn secrets_do_not_print() {
    let secret = Secret::new("8f742231b10e8888abcd99yyyzzz85a5");
    assert_eq!(format!("{secret:?}"), "***");
    let slack = slack::SlackSecrets {
        signing_secret: secret,
    };
    assert!(!format!("{slack:?}").contains("8f74"));
}

#[test]
fn an_unknown_or_unconfigured_platform_is_not_found() {
    let request = TestRequest::post("{}", 0);
    assert_eq!(
        dispatch("slack", &request.view(), &HookSecrets::default()),
        Err(HookError::NotConfigured)
    );
    assert_eq!(
        dispatch("irc", &request.view(), &HookSecrets::default()),
        Err(HookError::NotConfigured)
    );
}

#[test]
fn dispatch_routes_to_the_named_platform() {
    let secrets = HookSecrets {
        telegram: Some(telegram::TelegramSecrets {
            secret_token: Secret::new("s3cret"),
        }),
        ..HookSecrets::default()
    };
    let request =
        TestRequest::post(r#"{"update_id":1}"#, 0).header("x-telegram-bot-api-secret-token", "s3cret");
    assert_eq!(
        dispatch("telegram", &request.view(), &secrets),
        Ok(HookOutcome::Ignore)
    );
}

#[test]
fn the_replay_window_is_symmetric() {
    let now = DateTime::from_timestamp(1_000, 0).unwrap();
    let window = TimeDelta::seconds(10);
    assert!(check_window(now, DateTime::from_timestamp(990, 0).unwrap(), window).is_ok());
    assert!(check_window(now, DateTime::from_timestamp(1_010, 0).unwrap(), window).is_ok());
    assert_eq!(
        check_window(now, DateTime::from_timestamp(989, 0).unwrap(), window),
        Err(HookError::Stale)
    );
    assert_eq!(
        check_window(now, DateTime::from_timestamp(1_011, 0).unwrap(), window),
        Err(HookError::Stale)
    );
}

#[test]
fn unix_times_parse_or_refuse() {
    assert_eq!(
        parse_unix_seconds("1409659813"),
        DateTime::from_timestamp(1_409_659_813, 0)
    );
    assert_eq!(
        parse_unix_millis("1613630252678"),
        DateTime::from_timestamp_millis(1_613_630_252_678)
    );
    assert_eq!(parse_unix_seconds("soon"), None);
    assert_eq!(parse_unix_seconds("99999999999999999999"), None);
    assert_eq!(parse_unix_millis(&i64::MAX.to_string()), None);
}

#[test]
fn a_request_prints_without_its_body() {
    let request = TestRequest::post("the water is off at site 3", 0).query("echostr", "abc");
    let printed = format!("{:?}", request.view());
    assert!(printed.contains("body_bytes: 26"), "{printed}");
    assert!(
        !printed.contains("water") && !printed.contains("abc"),
        "{printed}"
    );
}
