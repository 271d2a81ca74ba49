//! Platform hooks end to end (SPEC §3, §4, §11): each platform's own webhook,
//! signed here independently of `src/hooks`, sent over real HTTP to the real
//! server. A genuine message raises `{platform}:{chat_id}:{message_id}` and a
//! staff reply acknowledges it; the URL-verification handshakes are answered;
//! a bad, missing or stale signature is a 401 that stores nothing; a
//! re-delivered request acts once; an unconfigured platform is a 404.

#[macro_use]
mod common;

use aes::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD as BASE64};
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use common::sink::Sink;
use common::*;
use hmac::{Hmac, Mac};
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::time::Duration;
use Platform::*;

/// `backend_tests!` over the named tests, after defining each `name =>
/// check(Platform)` as `async fn name(backend) { check(backend, Platform) }`.
macro_rules! hook_tests {
    (by_platform { $($name:ident => $check:ident($platform:ident)),+ $(,)? } $($other:ident),+ $(,)?) => {
        $(async fn $name(backend: Backend) { $check(backend, $platform).await })+
        backend_tests!($($name,)+ $($other,)+);
    };
}

hook_tests!(
    by_platform {
        slack_message_round_trip_raises_an_issue => round_trip(Slack),
        telegram_message_round_trip_raises_an_issue => round_trip(Telegram),
        feishu_message_round_trip_raises_an_issue => round_trip(Feishu),
        dingtalk_message_round_trip_raises_an_issue => round_trip(Dingtalk),
        wecom_message_round_trip_raises_an_issue => round_trip(Wecom),
        slack_bad_or_missing_signature_is_refused_and_nothing_stored => refuses_bad_signatures(Slack),
        telegram_bad_or_missing_secret_token_is_refused_and_nothing_stored => refuses_bad_signatures(Telegram),
        feishu_bad_or_missing_signature_is_refused_and_nothing_stored => refuses_bad_signatures(Feishu),
        dingtalk_bad_or_missing_sign_is_refused_and_nothing_stored => refuses_bad_signatures(Dingtalk),
        wecom_bad_or_missing_msg_signature_is_refused_and_nothing_stored => refuses_bad_signatures(Wecom),
        slack_timestamp_beyond_five_minutes_is_refused => refuses_stale_timestamps(Slack),
        feishu_timestamp_beyond_an_hour_is_refused => refuses_stale_timestamps(Feishu),
        dingtalk_timestamp_beyond_an_hour_is_refused => refuses_stale_timestamps(Dingtalk),
        wecom_timestamp_beyond_an_hour_is_refused => refuses_stale_timestamps(Wecom),
        slack_duplicate_delivery_acts_once => duplicate_acts_once(Slack),
        telegram_duplicate_delivery_acts_once => duplicate_acts_once(Telegram),
        feishu_duplicate_delivery_acts_once => duplicate_acts_once(Feishu),
        dingtalk_duplicate_delivery_acts_once => duplicate_acts_once(Dingtalk),
        wecom_duplicate_delivery_acts_once => duplicate_acts_once(Wecom),
        dingtalk_answer_carries_the_confirmation => answer_carries_the_confirmation(Dingtalk),
        telegram_answer_carries_the_confirmation => answer_carries_the_confirmation(Telegram),
        feishu_answer_stays_as_documented_with_confirmations_on => answer_carries_the_confirmation(Feishu),
        wecom_answer_stays_as_documented_with_confirmations_on => answer_carries_the_confirmation(Wecom),
        slack_confirmation_goes_through_the_group_robot => answer_carries_the_confirmation(Slack),
    }
    slack_url_verification_answers_the_challenge,
    feishu_url_verification_answers_the_challenge,
    wecom_url_verification_answers_the_decrypted_echostr,
    unconfigured_platforms_answer_404,
    dingtalk_ids_with_a_slash_keep_a_readable_key,
);

// Secrets are the documented examples of src/hooks/*/tests.rs, so that each
// platform's own worked vector verifies against the running server too.
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TELEGRAM_TOKEN: &str = "slawatch-Webhook_Token-01";
const FEISHU_TOKEN: &str = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV";
const FEISHU_KEY: &str = "test key";
const DINGTALK_SECRET: &str = "SEC1234567890abcdef";
const WECOM_TOKEN: &str = "QDG6eK";
const WECOM_AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const WECOM_CORP_ID: &str = "wx5823bf96d3bd56c7";

const HOOKS: &str = r#"
[projects.zhongtai]
name = "中泰环保绿色环保过滤设备制造项目"
chats = ["slack:C024BE91L", "telegram:-1001234567890", "feishu:oc_5ad11d72b830411d72b836c20",
         "dingtalk:cidSGS2Krr9YWH4JyWJqiSAg==", "dingtalk:cid7/Zq2+kJ8Xw==", "wecom:wrkSFfCgAAxxxx"]
staff = ["slack:U0STAFF01", "telegram:42", "feishu:ou_staff", "dingtalk:staff01", "wecom:lisi"]

[hooks.slack]
signing_secret_env = "SLACK_SIGNING_SECRET"

[hooks.telegram]
secret_token_env = "TELEGRAM_SECRET_TOKEN"

[hooks.feishu]
verification_token_env = "FEISHU_VERIFICATION_TOKEN"
encrypt_key_env = "FEISHU_ENCRYPT_KEY"

[hooks.dingtalk]
app_secret_env = "DINGTALK_APP_SECRET"

[hooks.wecom]
token_env = "WECOM_TOKEN"
encoding_aes_key_env = "WECOM_ENCODING_AES_KEY"
receive_id = "wx5823bf96d3bd56c7"
"#;

const HOOK_ENV: [(&str, &str); 7] = [
    ("SLACK_SIGNING_SECRET", SLACK_SECRET),
    ("TELEGRAM_SECRET_TOKEN", TELEGRAM_TOKEN),
    ("FEISHU_VERIFICATION_TOKEN", FEISHU_TOKEN),
    ("FEISHU_ENCRYPT_KEY", FEISHU_KEY),
    ("DINGTALK_APP_SECRET", DINGTALK_SECRET),
    ("WECOM_TOKEN", WECOM_TOKEN),
    ("WECOM_ENCODING_AES_KEY", WECOM_AES_KEY),
];

/// A requester's message raises an issue whose timeline holds the `raised`
/// event and the message; a staff member's reply acknowledges it.
async fn round_trip(backend: Backend, platform: Platform) {
    let app = hook_app(backend).await;
    let [name, _, requester, staff] = platform.ids();
    let source = format!("hook:{name}");
    let at = now_seconds();
    let first = platform.message(1, requester, at, None);
    let key = platform.key(&first.id);
    let response = platform.sign(&first, at, Sig::Good).post(&app).await;
    assert_taken(response, platform).await;

    let issue = app.issue_with_events(&path_segment(&key)).await;
    assert_eq!((&issue["issue"], &issue["state"]), (&json!(key), &json!("open")));
    assert_eq!(issue["seq"], 1, "{issue}");
    assert_eq!(issue["project"], "zhongtai", "{issue}");
    assert_eq!(stage(&issue, "ack")["state"], "pending", "{issue}");
    let raised = only(&issue, "raised");
    assert_eq!(raised["actor"]["id"], format!("{name}:{requester}"), "{issue}");
    assert_eq!(raised["actor"]["role"], "requester", "{issue}");
    assert_eq!(raised["source"], source, "{issue}");
    let message = only(&issue, "message");
    assert_eq!(
        (&message["id"], &message["source"]),
        (&json!(key), &json!(source))
    );
    assert_eq!(message["text"], first.text, "{issue}");
    assert_eq!(message["actor"]["id"], format!("{name}:{requester}"), "{issue}");

    // Slack, Telegram and Feishu name the replied-to message; DingTalk and
    // WeCom do not, and a staff message then acknowledges every open issue.
    let reply = platform.message(2, staff, at + TimeDelta::seconds(1), Some(&first.id));
    let response = platform.sign(&reply, now_seconds(), Sig::Good).post(&app).await;
    assert_taken(response, platform).await;

    let issue = app.issue_with_events(&path_segment(&key)).await;
    let ack = stage(&issue, "ack");
    assert_eq!(ack["state"], "met", "{issue}");
    assert!(ack["met_at"].is_string(), "{issue}");
    let acknowledged = only(&issue, "acknowledged");
    assert_eq!(acknowledged["actor"]["id"], format!("{name}:{staff}"), "{issue}");
    assert_eq!(acknowledged["actor"]["role"], "staff", "{issue}");
    assert_eq!(acknowledged["source"], source, "{issue}");
    assert_eq!(count(&issue, "message"), 2, "both messages: {issue}");
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
}

/// With `confirm = "raised"`, DingTalk's outgoing robot and Telegram get
/// the confirmation in the hook's answer (a `text` message, a `sendMessage`
/// call to the chat); Feishu, WeCom and Slack keep their documented
/// answers, and the project's group robot (`confirm_channels`) says it
/// instead, once. A retried delivery is answered without saying it again.
async fn answer_carries_the_confirmation(backend: Backend, platform: Platform) {
    let env: Vec<(&str, &str)> = TOKEN_ENV.iter().chain(HOOK_ENV.iter()).copied().collect();
    let robot = Sink::start().await;
    let hooks = HOOKS.replacen(
        "name = \"中泰",
        "confirm = \"raised\"\nconfirm_channels = [\"group\"]\nname = \"中泰",
        1,
    );
    let channel = format!(
        "[channels.group]\nkind = \"webhook\"\nurl = \"{}\"\nsecret_env = \"GROUP_SECRET\"\n",
        robot.url("/group")
    );
    let env: Vec<(&str, &str)> = env
        .into_iter()
        .chain([("GROUP_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")])
        .collect();
    let mut app = spawn_app_with_env(backend, &format!("{TOKENS}\n{hooks}\n{channel}"), &env).await;
    app.token = Some(READER_SECRET.to_string());
    let [_, chat, requester, _] = platform.ids();
    let at = now_seconds();
    let first = platform.message(1, requester, at, None);
    let response = platform.sign(&first, at, Sig::Good).post(&app).await;
    let wanted = "已受理 #1：10分钟内回复、2小时内处理、1天内给出推进计划";
    match platform {
        Dingtalk | Telegram => {
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = response.json().await.expect("a JSON answer");
            if platform == Dingtalk {
                assert_eq!(body, json!({"msgtype": "text", "text": {"content": wanted}}));
            } else {
                let chat: i64 = chat.parse().unwrap();
                assert_eq!(
                    body,
                    json!({"method": "sendMessage", "chat_id": chat, "text": wanted})
                );
            }
        }
        _ => assert_taken(response, platform).await,
    }
    let again = platform.sign(&first, now_seconds(), Sig::Good).post(&app).await;
    assert_taken(again, platform).await;
    let by_robot = matches!(platform, Feishu | Wecom | Slack);
    if by_robot {
        let said = robot
            .wait_for(Duration::from_secs(10), 1, "the group robot", |_| true)
            .await;
        let body = said[0].json();
        assert_eq!(body["kind"], "confirmation", "{body}");
        assert_eq!(body["text"], wanted, "{body}");
        assert_eq!(body["seq"], 1, "{body}");
    }
    // Said once, whatever the retries; never twice where the answer said it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        robot.requests().len(),
        usize::from(by_robot),
        "{:#?}",
        robot.summary()
    );
}

/// A wrong and an absent signature are both 401 with the SPEC error body;
/// neither the message nor an issue is stored (the genuine request that
/// follows is new, not a duplicate).
async fn refuses_bad_signatures(backend: Backend, platform: Platform) {
    let app = hook_app(backend).await;
    let at = now_seconds();
    let message = platform.message(7, platform.ids()[2], at, None);
    for sig in [Sig::Bad, Sig::Missing] {
        let response = platform.sign(&message, at, sig).post(&app).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "bad_signature").await;
    }
    assert_not_stored(&app, &platform.key(&message.id)).await;
    let response = platform.sign(&message, at, Sig::Good).post(&app).await;
    assert_taken(response, platform).await;
    let issue = app
        .issue_with_events(&path_segment(&platform.key(&message.id)))
        .await;
    assert_eq!(count(&issue, "raised"), 1, "stored now: {issue}");
}

/// A correctly signed request whose timestamp is outside the platform's
/// window, either way, is 401; so is the platform's documented example,
/// whose signature is genuine but years old.
async fn refuses_stale_timestamps(backend: Backend, platform: Platform) {
    let app = hook_app(backend).await;
    let (now, window, margin) = (now_seconds(), platform.window(), TimeDelta::minutes(1));
    let message = platform.message(9, platform.ids()[2], now, None);
    for sent_at in [now - window - margin, now + window + margin] {
        let response = platform.sign(&message, sent_at, Sig::Good).post(&app).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "stale_request").await;
    }
    let documented = platform.documented_request().post(&app).await;
    assert_error(documented, StatusCode::UNAUTHORIZED, "stale_request").await;
    assert_not_stored(&app, &platform.key(&message.id)).await;
    // Just inside the window is accepted.
    let inside = platform.sign(&message, now - window + margin, Sig::Good);
    assert_taken(inside.post(&app).await, platform).await;
    app.issue(&path_segment(&platform.key(&message.id))).await;
}

/// The same signed request delivered twice: both answers are the platform's
/// 200 and the timeline has one `raised` and one message.
async fn duplicate_acts_once(backend: Backend, platform: Platform) {
    let app = hook_app(backend).await;
    let at = now_seconds();
    let message = platform.message(3, platform.ids()[2], at, None);
    let request = platform.sign(&message, at, Sig::Good);
    assert_taken(request.post(&app).await, platform).await;
    assert_taken(request.post(&app).await, platform).await;
    let issue = app
        .issue_with_events(&path_segment(&platform.key(&message.id)))
        .await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(count(&issue, "message"), 1, "{issue}");
    assert_eq!(issue["events"].as_array().map(Vec::len), Some(2), "{issue}");
}

async fn slack_url_verification_answers_the_challenge(backend: Backend) {
    let app = hook_app(backend).await;
    let challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P";
    let body =
        json!({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"});
    let signed = Slack.signed_body(&body.to_string(), now_seconds(), Sig::Good);
    let expected = json!({ "challenge": challenge }).to_string();
    assert_challenge(signed.post(&app).await, "application/json", &expected).await;
    // The handshake is signed like everything else.
    let forged = Slack.signed_body(&body.to_string(), now_seconds(), Sig::Bad);
    assert_error(forged.post(&app).await, StatusCode::UNAUTHORIZED, "bad_signature").await;
}

async fn feishu_url_verification_answers_the_challenge(backend: Backend) {
    let app = hook_app(backend).await;
    let check = |token: &str, sig: Sig| {
        let body = json!({"challenge": "ajls384kdjx98XX", "token": token, "type": "url_verification"});
        Feishu.signed_body(&feishu_encrypt(&body.to_string()), now_seconds(), sig)
    };
    let expected = r#"{"challenge":"ajls384kdjx98XX"}"#;
    // Feishu encrypts the URL check but does not sign it.
    let unsigned = check(FEISHU_TOKEN, Sig::Missing).post(&app).await;
    assert_challenge(unsigned, "application/json", expected).await;
    let signed = check(FEISHU_TOKEN, Sig::Good).post(&app).await;
    assert_challenge(signed, "application/json", expected).await;
    let other_app = check("another-token", Sig::Missing).post(&app).await;
    assert_error(other_app, StatusCode::UNAUTHORIZED, "bad_signature").await;
}

async fn wecom_url_verification_answers_the_decrypted_echostr(backend: Backend) {
    let app = hook_app(backend).await;
    let echo = "1616140317555161061";
    // Base64 with `+`, `/` and `=`: the query must carry it percent-encoded.
    let echostr = wecom_encrypt(echo, WECOM_CORP_ID);
    let timestamp = now_seconds().timestamp().to_string();
    let check = |token: &str| {
        let signature = wecom_signature(token, &timestamp, "263014780", &echostr);
        let query = [
            ("msg_signature", signature.as_str()),
            ("timestamp", &timestamp),
            ("nonce", "263014780"),
            ("echostr", &echostr),
        ];
        app.client.get(app.url("/v1/hooks/wecom")).query(&query).send()
    };
    assert_challenge(check(WECOM_TOKEN).await.unwrap(), "text/plain", echo).await;
    let forged = check("another-token").await.unwrap();
    assert_error(forged, StatusCode::UNAUTHORIZED, "bad_signature").await;
}

async fn unconfigured_platforms_answer_404(backend: Backend) {
    let config = "[projects.zhongtai]\nchats = [\"slack:C024BE91L\"]\n\n\
                  [hooks.slack]\nsigning_secret_env = \"SLACK_SIGNING_SECRET\"\n";
    let app = spawn_app_with_env(backend, config, &HOOK_ENV).await;
    for platform in [Telegram, Feishu, Dingtalk, Wecom] {
        let at = now_seconds();
        let message = platform.message(1, platform.ids()[2], at, None);
        let response = platform.sign(&message, at, Sig::Good).post(&app).await;
        assert_error(response, StatusCode::NOT_FOUND, "hook_not_configured").await;
    }
    let wecom_check = app.client.get(app.url("/v1/hooks/wecom?echostr=x")).send();
    assert_error(
        wecom_check.await.unwrap(),
        StatusCode::NOT_FOUND,
        "hook_not_configured",
    )
    .await;
    let unknown = app.client.post(app.url("/v1/hooks/whatsapp")).body("{}").send();
    assert_error(
        unknown.await.unwrap(),
        StatusCode::NOT_FOUND,
        "hook_not_configured",
    )
    .await;
    // The configured one answers: the 404s are not a routing miss.
    let body = r#"{"challenge":"c","type":"url_verification"}"#;
    let slack = Slack.signed_body(body, now_seconds(), Sig::Good).post(&app).await;
    assert_challenge(slack, "application/json", r#"{"challenge":"c"}"#).await;
}

/// DingTalk's base64 ids often hold `/`, which a key may not: the key keeps
/// the ids readable with `/` written `%2F` (and `%` written `%25`), and the
/// `raised` event carries the platform's ids as they are.
async fn dingtalk_ids_with_a_slash_keep_a_readable_key(backend: Backend) {
    let app = hook_app(backend).await;
    let at = now_seconds();
    let mut message = Dingtalk.message(1, Dingtalk.ids()[2], at, None);
    let (chat, id) = ("cid7/Zq2+kJ8Xw==", "msg/Yw3y0wZ4jJdhx+1LqH6Q==");
    let mut body: Value = serde_json::from_str(&message.body).unwrap();
    body["conversationId"] = chat.into();
    body["msgId"] = id.into();
    message.body = body.to_string();
    assert_taken(Dingtalk.sign(&message, at, Sig::Good).post(&app).await, Dingtalk).await;

    let key = "dingtalk:cid7%2FZq2+kJ8Xw==:msg%2FYw3y0wZ4jJdhx+1LqH6Q==";
    let issue = app.issue_with_events(&path_segment(key)).await;
    assert_eq!(issue["issue"], key, "{issue}");
    let raised = only(&issue, "raised");
    // The platform's own ids, beside why the message raised an issue.
    assert_eq!(
        raised["attributes"],
        json!({"platform": "dingtalk", "chat_id": chat, "message_id": id, "rule": "asks", "words": "怎么办"}),
        "{issue}"
    );
}

/// Each signer reproduces the platform's documented (or independently
/// computed) vector quoted in src/hooks/*/tests.rs.
#[test]
fn signers_reproduce_the_documented_vectors() {
    let slack = slack_signature(SLACK_SECRET, "1531420618", SLACK_DOC_BODY.as_bytes());
    assert_eq!(slack, SLACK_DOC_SIGNATURE);
    let dingtalk = dingtalk_sign("1577262236757", DINGTALK_SECRET);
    assert_eq!(dingtalk, DINGTALK_DOC_SIGN);
    let feishu = feishu_signature("1717034520", "n0nce", FEISHU_KEY, FEISHU_DOC_BODY.as_bytes());
    assert_eq!(feishu, FEISHU_DOC_SIGNATURE);
    let echostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
    let wecom = wecom_signature(WECOM_TOKEN, "1409659589", "263014780", echostr);
    assert_eq!(wecom, "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3");
}

// ---------------------------------------------------------------- helpers

// The platforms' worked examples, as src/hooks/*/tests.rs quote them.
const SLACK_DOC_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SLACK_DOC_SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const FEISHU_DOC_BODY: &str = r#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
const FEISHU_DOC_SIGNATURE: &str = "b02e6d391b149da1114b67c31481bcdbe3a35ef4351bbada94bf6ca9ce440e0b";
const DINGTALK_DOC_SIGN: &str = "f7qQ1A8KagEZ45y1gasTtKsEq5ERTeDXP9T+WkIqzDk=";
const WECOM_DOC_BODY: &str = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Slack,
    Telegram,
    Feishu,
    Dingtalk,
    Wecom,
}

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sig {
    Good,
    /// Signed with the wrong secret.
    Bad,
    /// No signature (or secret token) at all.
    Missing,
}

/// A chat message in the platform's own payload, before it is wrapped.
struct ChatMessage {
    id: String,
    text: String,
    body: String,
}

/// A request ready to send, and to send again byte for byte.
struct HookRequest {
    path: String,
    query: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl HookRequest {
    fn new(platform: Platform, body: &str) -> Self {
        let (path, body) = (format!("/v1/hooks/{}", platform.ids()[0]), body.to_string());
        HookRequest {
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body,
        }
    }

    /// Sent with the test's plain client: hooks need no bearer token.
    async fn post(&self, app: &TestApp) -> Response {
        let mut request = app.client.post(app.url(&self.path)).query(&self.query);
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        let content_type = match self.body.as_bytes().first() {
            Some(b'<') => "text/xml",
            Some(b'{') => "application/json",
            _ => "application/x-www-form-urlencoded",
        };
        let request = request.header(header::CONTENT_TYPE, content_type);
        request
            .body(self.body.clone())
            .send()
            .await
            .expect("the hook request failed")
    }
}

impl Platform {
    /// Name, chat, a requester and a staff member, as [`HOOKS`] maps them.
    fn ids(self) -> [&'static str; 4] {
        match self {
            Slack => ["slack", "C024BE91L", "U2147483697", "U0STAFF01"],
            Telegram => ["telegram", "-1001234567890", "1111111", "42"],
            Feishu => [
                "feishu",
                "oc_5ad11d72b830411d72b836c20",
                "ou_84aad35d084aa403a838cf73ee18467",
                "ou_staff",
            ],
            Dingtalk => ["dingtalk", "cidSGS2Krr9YWH4JyWJqiSAg==", "user123", "staff01"],
            Wecom => ["wecom", "wrkSFfCgAAxxxx", "wangyongzhong", "lisi"],
        }
    }

    fn key(self, message_id: &str) -> String {
        format!("{}:{}:{message_id}", self.ids()[0], self.ids()[1])
    }

    /// The replay window the module implements (Telegram has none).
    fn window(self) -> TimeDelta {
        match self {
            Slack => TimeDelta::minutes(5),
            Telegram => panic!("Telegram sends no timestamp"),
            Feishu | Dingtalk | Wecom => TimeDelta::hours(1),
        }
    }

    /// Message `n` by `sender` (a requester's report, or a staff answer).
    fn message(self, n: u32, sender: &str, at: Timestamp, reply_to: Option<&str>) -> ChatMessage {
        let text = match reply_to {
            None => "工地附近管道抢修，马上停水，怎么办？",
            Some(_) => "已安排送水车，十分钟内到",
        };
        let (chat, millis) = (self.ids()[1], at.timestamp_millis());
        let (id, body) = match self {
            Slack => {
                let ts = format!("{}.{n:06}", at.timestamp());
                let mut event = json!({"type": "message", "channel": chat, "user": sender, "text": text,
                    "ts": ts, "event_ts": ts, "channel_type": "channel"});
                if let Some(parent) = reply_to {
                    event["thread_ts"] = parent.into();
                }
                let body = json!({"token": "XXYYZZ", "team_id": "T123ABC456", "type": "event_callback",
                    "event_id": format!("Ev{}", ts.replace('.', "")), "event_time": at.timestamp(), "event": event});
                (ts, body)
            }
            Telegram => {
                let id = 1360 + i64::from(n);
                let chat =
                    json!({"id": chat.parse::<i64>().unwrap(), "type": "supergroup", "title": "zhongtai"});
                let mut message = json!({"message_id": id, "chat": chat, "date": at.timestamp(), "text": text,
                    "from": {"id": sender.parse::<i64>().unwrap(), "is_bot": false, "first_name": "永忠"}});
                if let Some(parent) = reply_to {
                    message["reply_to_message"] = json!({"message_id": parent.parse::<i64>().unwrap(),
                        "chat": chat, "date": at.timestamp() - 1, "text": "earlier"});
                }
                (
                    id.to_string(),
                    json!({"update_id": 10_000 + id, "message": message}),
                )
            }
            Feishu => {
                let id = format!("om_5ce6d572455d361153b7cb51da1339{n:02}");
                let mut message = json!({"message_id": id, "create_time": millis.to_string(), "chat_id": chat,
                    "chat_type": "group", "message_type": "text", "content": json!({"text": text}).to_string()});
                if let Some(parent) = reply_to {
                    message["parent_id"] = parent.into();
                    message["root_id"] = parent.into();
                }
                let header = json!({"event_id": format!("5e3702a84e847582be8db7fb732830{n:02}"),
                    "event_type": "im.message.receive_v1", "create_time": millis.to_string(),
                    "token": FEISHU_TOKEN, "app_id": "cli_9f5343c580712544", "tenant_key": "2ca1d211f64f6438"});
                let sender = json!({"sender_id": {"open_id": sender}, "sender_type": "user"});
                (
                    id,
                    json!({"schema": "2.0", "header": header, "event": {"sender": sender, "message": message}}),
                )
            }
            Dingtalk => {
                // `=` and `+` in ids: the issue key must be percent-encoded in paths.
                let id = format!("msgqYw3y0wZ4jJdhx+{n}LqH6Q==");
                let robot = "$:LWCP_v1:$robot";
                let body = json!({"conversationId": chat, "msgId": id, "senderStaffId": sender, "senderNick": "杨xx",
                    "senderId": "$:LWCP_v1:$Ff09GIxxxxx", "createAt": millis, "conversationType": "2",
                    "chatbotUserId": robot, "atUsers": [{"dingtalkId": robot}], "isInAtList": true,
                    "text": {"content": format!(" {text}")}, "msgtype": "text"});
                (id, body)
            }
            Wecom => {
                // An intelligent robot's group message (JSON in a JSON envelope).
                let id = format!("CAIQ16HMjQYY+NGagIOAgAMgq4K{n:02}=");
                let body = json!({"msgid": id, "aibotid": "AIBOTID", "chatid": chat, "chattype": "group",
                    "from": {"userid": sender}, "response_url": "RESPONSEURL", "msgtype": "text",
                    "text": {"content": text}});
                (id, body)
            }
        };
        ChatMessage {
            id,
            text: text.to_string(),
            body: body.to_string(),
        }
    }

    /// The message as the platform delivers it, signed (and encrypted) at `sent_at`.
    fn sign(self, message: &ChatMessage, sent_at: Timestamp, sig: Sig) -> HookRequest {
        let body = match self {
            Feishu => feishu_encrypt(&message.body),
            Wecom => json!({"encrypt": wecom_encrypt(&message.body, WECOM_CORP_ID)}).to_string(),
            _ => message.body.clone(),
        };
        self.signed_body(&body, sent_at, sig)
    }

    /// `body` as sent, with the platform's signature headers or query.
    fn signed_body(self, body: &str, sent_at: Timestamp, sig: Sig) -> HookRequest {
        let (seconds, millis) = (
            sent_at.timestamp().to_string(),
            sent_at.timestamp_millis().to_string(),
        );
        let secret = |good: &'static str| if sig == Sig::Bad { "not-the-secret" } else { good };
        let mut request = HookRequest::new(self, body);
        let (headers, query) = (&mut request.headers, &mut request.query);
        let signature = match self {
            Slack => {
                headers.push(("x-slack-request-timestamp", seconds.clone()));
                let digest = slack_signature(secret(SLACK_SECRET), &seconds, body.as_bytes());
                ("x-slack-signature", digest)
            }
            Telegram => (
                "x-telegram-bot-api-secret-token",
                secret(TELEGRAM_TOKEN).to_string(),
            ),
            Feishu => {
                headers.push(("x-lark-request-timestamp", seconds.clone()));
                headers.push(("x-lark-request-nonce", "e2e-nonce-1".into()));
                let digest = feishu_signature(&seconds, "e2e-nonce-1", secret(FEISHU_KEY), body.as_bytes());
                ("x-lark-signature", digest)
            }
            Dingtalk => {
                headers.push(("timestamp", millis.clone()));
                ("sign", dingtalk_sign(&millis, secret(DINGTALK_SECRET)))
            }
            Wecom => {
                let envelope: Value = serde_json::from_str(body).expect("a JSON envelope");
                let encrypted = envelope["encrypt"].as_str().unwrap_or_default();
                query.push(("timestamp", seconds.clone()));
                query.push(("nonce", "1372623149".into()));
                let digest = wecom_signature(secret(WECOM_TOKEN), &seconds, "1372623149", encrypted);
                if sig != Sig::Missing {
                    query.push(("msg_signature", digest));
                }
                return request;
            }
        };
        if sig != Sig::Missing {
            headers.push(signature);
        }
        request
    }

    /// The platform's worked example: a genuine signature over an old timestamp.
    fn documented_request(self) -> HookRequest {
        let (body, signed): (String, &[(&'static str, &str)]) = match self {
            Slack => (
                SLACK_DOC_BODY.into(),
                &[
                    ("x-slack-request-timestamp", "1531420618"),
                    ("x-slack-signature", SLACK_DOC_SIGNATURE),
                ],
            ),
            Telegram => panic!("Telegram signs nothing"),
            Feishu => (
                FEISHU_DOC_BODY.into(),
                &[
                    ("x-lark-request-timestamp", "1717034520"),
                    ("x-lark-request-nonce", "n0nce"),
                    ("x-lark-signature", FEISHU_DOC_SIGNATURE),
                ],
            ),
            Dingtalk => (
                self.message(1, self.ids()[2], now_seconds(), None).body,
                &[("timestamp", "1577262236757"), ("sign", DINGTALK_DOC_SIGN)],
            ),
            Wecom => (
                WECOM_DOC_BODY.into(),
                &[
                    ("msg_signature", "477715d11cdb4164915debcba66cb864d751f3e6"),
                    ("timestamp", "1409659813"),
                    ("nonce", "1372623149"),
                ],
            ),
        };
        let mut request = HookRequest::new(self, &body);
        let signed = signed
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect();
        // WeCom signs in the query, the others in headers.
        match self {
            Wecom => request.query = signed,
            _ => request.headers = signed,
        }
        request
    }
}

/// The service with every hook configured, read with the reader token.
async fn hook_app(backend: Backend) -> TestApp {
    let env: Vec<(&str, &str)> = TOKEN_ENV.iter().chain(HOOK_ENV.iter()).copied().collect();
    let mut app = spawn_app_with_env(backend, &format!("{TOKENS}\n{HOOKS}"), &env).await;
    app.token = Some(READER_SECRET.to_string());
    app
}

/// Now, to the second: Slack, Telegram and WeCom times have no finer grain.
fn now_seconds() -> Timestamp {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("a valid clock")
}

/// An issue key as one path segment: `:` stays, everything else that is not
/// unreserved (`=`, `+`, `/`…) is percent-encoded.
fn path_segment(key: &str) -> String {
    let keep = |byte: u8| byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte);
    key.bytes()
        .map(|byte| {
            if keep(byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// A delivery taken as its platform documents: exactly `200`, Feishu with
/// the JSON object `{}`, the others (WeCom above all) with an empty body.
async fn assert_taken(response: Response, platform: Platform) {
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{platform:?}: {body}");
    match platform {
        Feishu => {
            assert_eq!(body, "{}", "{platform:?}");
            assert_eq!(content_type.as_deref(), Some("application/json"), "{platform:?}");
        }
        _ => assert_eq!(body, "", "{platform:?}"),
    }
}

async fn assert_not_stored(app: &TestApp, key: &str) {
    let response = app.get(&format!("/v1/issues/{}", path_segment(key))).await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

async fn assert_challenge(response: Response, content_type: &str, expected: &str) {
    let status = response.status();
    let actual_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(actual_type.starts_with(content_type), "{actual_type}");
    assert_eq!(body, expected);
}

/// The timeline entries of `kind`.
fn entries<'a>(issue: &'a Value, kind: &str) -> Vec<&'a Value> {
    let events = issue["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events: {issue}"));
    events.iter().filter(|event| event["kind"] == kind).collect()
}

fn count(issue: &Value, kind: &str) -> usize {
    entries(issue, kind).len()
}

fn only<'a>(issue: &'a Value, kind: &str) -> &'a Value {
    match entries(issue, kind).as_slice() {
        [one] => one,
        other => panic!("expected one `{kind}`, found {}: {issue}", other.len()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hmac_sha256(key: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `v0=` + hex(HMAC-SHA256(secret, `v0:{timestamp}:{body}`)).
fn slack_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let signed = [format!("v0:{timestamp}:").as_bytes(), body].concat();
    format!("v0={}", hex(&hmac_sha256(secret, &signed)))
}

/// Base64(HMAC-SHA256(secret, `{timestamp}\n{secret}`)).
fn dingtalk_sign(timestamp: &str, secret: &str) -> String {
    BASE64.encode(hmac_sha256(secret, format!("{timestamp}\n{secret}").as_bytes()))
}

/// hex(SHA-256(timestamp ‖ nonce ‖ encrypt key ‖ body)).
fn feishu_signature(timestamp: &str, nonce: &str, key: &str, body: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(key);
    hex(&digest.chain_update(body).finalize())
}

/// `{"encrypt": Base64(iv ‖ AES-256-CBC(SHA-256(key), iv, PKCS#7₁₆(json)))}`.
fn feishu_encrypt(plaintext: &str) -> String {
    let key: [u8; 32] = Sha256::digest(FEISHU_KEY).into();
    let iv = [0x3c; 16];
    let bytes = [iv.as_slice(), &aes_cbc(&key, &iv, plaintext.as_bytes(), 16)].concat();
    json!({"encrypt": BASE64.encode(bytes)}).to_string()
}

/// hex(SHA-1(sorted(token, timestamp, nonce, ciphertext) joined)).
fn wecom_signature(token: &str, timestamp: &str, nonce: &str, encrypted: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypted];
    parts.sort_unstable();
    hex(&Sha1::digest(parts.concat()))
}

/// Base64(AES-256-CBC(key, iv = key[..16], PKCS#7₃₂(random ‖ len ‖ msg ‖ receive id))),
/// the key being Base64(EncodingAESKey + "=") with loose trailing bits.
fn wecom_encrypt(message: &str, receive_id: &str) -> String {
    let loose = GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true);
    let key = GeneralPurpose::new(&base64::alphabet::STANDARD, loose).decode(format!("{WECOM_AES_KEY}="));
    let key: [u8; 32] = key.unwrap().try_into().unwrap();
    let length = u32::try_from(message.len()).unwrap().to_be_bytes();
    let plaintext = [
        b"e2e-random-16byt".as_slice(),
        &length,
        message.as_bytes(),
        receive_id.as_bytes(),
    ];
    BASE64.encode(aes_cbc(
        &key,
        key[..16].try_into().unwrap(),
        &plaintext.concat(),
        32,
    ))
}

/// AES-256-CBC after PKCS#7 padding to a multiple of `block` bytes.
fn aes_cbc(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8], block: usize) -> Vec<u8> {
    let padding = block - plaintext.len() % block;
    let mut buffer = plaintext.to_vec();
    buffer.resize(plaintext.len() + padding, padding as u8);
    let length = buffer.len();
    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buffer, length)
        .expect("whole blocks");
    buffer
}
