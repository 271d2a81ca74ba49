use super::test_support::{channel, notification, NOW_MS};
use super::*;
use proptest::prelude::*;

fn retries(verdict: &ReplyVerdict) -> bool {
    matches!(verdict, ReplyVerdict::Retry(_))
}

fn fails(verdict: &ReplyVerdict) -> bool {
    matches!(verdict, ReplyVerdict::Failed(_))
}

#[test]
fn server_errors_timeouts_and_rate_limits_are_retried_on_every_channel() {
    for kind in ChannelKind::ALL {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(retries(&judge_reply(kind, status, b"")), "{kind:?} {status}");
        }
    }
}

#[test]
fn other_client_errors_and_redirects_fail_for_good() {
    for kind in ChannelKind::ALL {
        for status in [301, 400, 401, 403, 404, 410, 413] {
            assert!(
                fails(&judge_reply(kind, status, b"invalid_payload")),
                "{kind:?} {status}"
            );
        }
    }
}

#[test]
fn a_failure_reason_quotes_the_status_and_the_start_of_the_reply() {
    let verdict = judge_reply(ChannelKind::Slack, 404, b"no_service\n");
    assert_eq!(verdict, ReplyVerdict::Failed("HTTP 404: no_service".into()));
    let long = "x".repeat(1000);
    let ReplyVerdict::Retry(reason) = judge_reply(ChannelKind::Webhook, 500, long.as_bytes()) else {
        panic!("500 is retried")
    };
    assert!(reason.chars().count() < 220);
}

#[test]
fn a_2xx_delivers_a_webhook_and_an_alertmanager_post() {
    assert_eq!(
        judge_reply(ChannelKind::Webhook, 204, b""),
        ReplyVerdict::Delivered
    );
    assert_eq!(
        judge_reply(ChannelKind::Alertmanager, 200, b""),
        ReplyVerdict::Delivered
    );
}

#[test]
fn platform_error_codes_in_a_200_are_judged_by_platform() {
    let wecom_limited = br#"{"errcode":45009,"errmsg":"api freq out of limit"}"#;
    assert!(retries(&judge_reply(ChannelKind::Wecom, 200, wecom_limited)));
    assert_eq!(
        judge_reply(ChannelKind::Wecom, 200, br#"{"errcode":0,"errmsg":"ok"}"#),
        ReplyVerdict::Delivered
    );
    let feishu_sign = br#"{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}"#;
    assert!(fails(&judge_reply(ChannelKind::Feishu, 200, feishu_sign)));
    let dingtalk_limited = br#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#;
    assert!(retries(&judge_reply(
        ChannelKind::Dingtalk,
        200,
        dingtalk_limited
    )));
    assert_eq!(
        judge_reply(ChannelKind::Slack, 200, b"ok"),
        ReplyVerdict::Delivered
    );
}

#[test]
fn kinds_and_languages_parse_from_their_config_strings() {
    for kind in ChannelKind::ALL {
        assert_eq!(ChannelKind::parse(kind.as_str()), Ok(kind));
    }
    assert!(ChannelKind::parse("wechat").unwrap_err().contains("wecom"));
    assert_eq!(Language::parse("en"), Ok(Language::En));
    assert!(Language::parse("fr").is_err());
    assert_eq!(Language::default(), Language::Zh);
    for kind in NotificationKind::ALL {
        assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(NotificationKind::DailyDigest.as_str(), "daily_digest");
}

#[test]
fn every_channel_builds_every_kind() {
    let templates = Templates::builtin();
    for channel_kind in ChannelKind::ALL {
        for kind in NotificationKind::ALL {
            let requests = build_requests(&channel(channel_kind), &notification(kind), NOW_MS, &templates)
                .unwrap_or_else(|e| panic!("{channel_kind:?} {kind:?}: {e}"));
            let expected = usize::from(
                !(channel_kind == ChannelKind::Alertmanager
                    && matches!(
                        kind,
                        NotificationKind::DailyDigest | NotificationKind::Confirmation
                    )),
            );
            assert_eq!(requests.len(), expected, "{channel_kind:?} {kind:?}");
            for request in requests {
                assert_eq!(request.method, "POST");
                assert!(request
                    .header("content-type")
                    .unwrap()
                    .starts_with("application/json"));
            }
        }
    }
}

#[test]
fn a_channel_without_url_is_refused() {
    let mut without_url = channel(ChannelKind::Slack);
    without_url.url = " ".into();
    let error = build_requests(
        &without_url,
        &notification(NotificationKind::Breach),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap_err();
    assert!(error.contains("team-slack"));
}

#[test]
fn debug_output_hides_robot_tokens_and_secrets() {
    let mut dingtalk = channel(ChannelKind::Dingtalk);
    dingtalk.secret = Some("SEC1234567890abcdef".into());
    let shown = format!("{dingtalk:?}");
    assert!(
        !shown.contains("566cc69da782ec") && !shown.contains("SEC1234567890abcdef"),
        "{shown}"
    );
    assert!(shown.contains("oapi.dingtalk.com"));
    let request = build_requests(
        &dingtalk,
        &notification(NotificationKind::Breach),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap()
    .remove(0);
    let shown = format!("{request:?}");
    assert!(
        !shown.contains("access_token") && !shown.contains("sign="),
        "{shown}"
    );
}

#[test]
fn truncation_marks_the_cut_and_keeps_short_text() {
    assert_eq!(truncate_bytes("短", 4096), "短");
    assert_eq!(truncate_bytes("中文字符", 7), "中…");
    assert_eq!(truncate_bytes("abcdef", 2), "ab");
    assert_eq!(truncate_chars("一二三四五", 3), "一二…");
    assert_eq!(truncate_chars("一二三", 3), "一二三");
}

proptest! {
    #[test]
    fn a_byte_cut_never_splits_a_character(text in "\\PC{0,3000}", max in 0usize..5000) {
        let cut = truncate_bytes(&text, max);
        prop_assert!(cut.len() <= max || cut == text);
        let kept = cut.strip_suffix('…').filter(|_| cut != text).unwrap_or(&cut);
        prop_assert!(text.starts_with(kept));
        prop_assert!(text.is_char_boundary(kept.len()));
    }

    #[test]
    fn wecom_markdown_fits_4096_bytes_whatever_the_title(title in "[\\p{Han}a-z😀 ]{0,3000}") {
        let mut long = notification(NotificationKind::Breach);
        long.title = title;
        long.digest = None;
        let requests = build_requests(&channel(ChannelKind::Wecom), &long, NOW_MS, &Templates::builtin()).unwrap();
        let body = test_support::json_body(&requests[0]);
        let content = body["markdown"]["content"].as_str().unwrap();
        prop_assert!(content.len() <= wecom::MARKDOWN_LIMIT_BYTES);
    }
}
