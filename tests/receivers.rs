//! Receivers end to end (SPEC §4, §11 `[receivers.NAME]`): for each kind a
//! fake platform written from its documented protocol (cited at each
//! section) runs on random loopback ports; the real service connects to it,
//! takes a group message that becomes an issue, acknowledges it in the
//! documented shape only once committed, answers pings, reconnects after a
//! drop (a redelivered message acts once), and backs off, saying why, when
//! the credentials are refused.

#[macro_use]
mod common;
#[path = "receivers/fake.rs"]
mod fake;

use common::*;
use fake::*;
use serde_json::{json, Value};
use std::time::Duration;

backend_tests!(
    dingtalk_stream_message_becomes_an_issue_acknowledged_as_documented,
    dingtalk_stream_reconnects_and_a_redelivered_message_acts_once,
    dingtalk_stream_refused_credentials_are_logged_and_backed_off,
    telegram_poll_message_becomes_an_issue_and_the_offset_moves_on,
    telegram_poll_offset_survives_a_restart_and_repeats_act_once,
    telegram_poll_reconnects_after_a_failed_poll,
    telegram_poll_refused_token_is_logged_and_backed_off,
    telegram_poll_refuses_to_start_while_a_webhook_is_set,
    slack_socket_envelope_becomes_an_issue_acknowledged_by_envelope_id,
    slack_socket_reconnects_and_a_redelivered_envelope_acts_once,
    slack_socket_reconnects_before_the_connection_expires,
    slack_socket_refused_token_is_logged_and_backed_off,
    feishu_ws_event_becomes_an_issue_answered_in_the_frame,
    feishu_ws_reconnects_and_a_redelivered_event_acts_once,
    feishu_ws_refused_app_credentials_are_logged_and_backed_off,
);

const PROJECT_TOML: &str = r#"
[projects.zhongtai]
name = "中泰环保"
chats = ["dingtalk:cidGROUP1==", "telegram:-1001234567890", "slack:C0GROUP1", "feishu:oc_group1"]
staff = ["dingtalk:staff01", "telegram:42", "slack:U0STAFF01", "feishu:ou_staff"]
"#;

/// A receiver name unique to this test and backend (tests share the logs).
fn receiver_name(test: &str, backend: Backend) -> String {
    let backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "pg",
    };
    format!("{test}-{backend}")
}

/// The service with one receiver configured.
async fn app_with(backend: Backend, receiver_toml: &str, env: &[(&str, &str)]) -> TestApp {
    capture_logs();
    spawn_app_with_env(backend, &format!("{PROJECT_TOML}\n{receiver_toml}"), env).await
}

/// The receiver's entry in `/readyz`.
async fn readiness(app: &TestApp, name: &str) -> Value {
    let health = app.get_json("/readyz").await;
    health["receivers"][name].clone()
}

/// Waits until `/readyz` shows the receiver in `state`.
async fn wait_for_state(app: &TestApp, name: &str, state: &str) -> Value {
    eventually(PATIENCE, &format!("{name} {state}"), || async {
        let status = readiness(app, name).await;
        (status["state"] == state).then_some(status)
    })
    .await
}

/// The value of a receiver's metric series.
async fn metric(app: &TestApp, metric: &str, name: &str) -> f64 {
    let response = app.get("/metrics").await;
    let text = response.text().await.unwrap();
    let series = format!("{metric}{{receiver=\"{name}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics"))
}

/// Waits for an issue to exist; returns it with its events.
async fn wait_for_issue(app: &TestApp, key: &str) -> Value {
    let path = format!("/v1/issues/{}?include=events", path_segment(key));
    eventually(PATIENCE, &format!("issue {key}"), || async {
        let response = app.get(&path).await;
        if response.status() != reqwest::StatusCode::OK {
            return None;
        }
        response.json::<Value>().await.ok()
    })
    .await
}

/// The timeline entries of `kind`.
fn count(issue: &Value, kind: &str) -> usize {
    issue["events"].as_array().map_or(0, |events| {
        events.iter().filter(|event| event["kind"] == kind).count()
    })
}

/// An issue key as one path segment.
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

/// The calls made within `window` after the first one: a receiver that
/// backs off makes few.
fn attempts_within(calls: &[Call], window: Duration) -> usize {
    let Some(first) = calls.first() else { return 0 };
    calls
        .iter()
        .filter(|call| call.at.duration_since(first.at) <= window)
        .count()
}

/// Asserts that a refused receiver backs off (a few attempts, not a loop),
/// shows `backoff` with the reason in `/readyz`, and logs the reason at
/// error level with its name, never the secret.
async fn assert_backs_off(app: &TestApp, api: &FakeApi, path: &str, name: &str, reason: &str, secret: &str) {
    let status = wait_for_state(app, name, "backoff").await;
    assert!(
        status["error"].as_str().unwrap_or_default().contains(reason),
        "{status}"
    );
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let calls = api.calls_to(path);
    let attempts = attempts_within(&calls, Duration::from_secs(3));
    assert!(
        (2..=4).contains(&attempts),
        "1 s, 2 s… between attempts: {attempts} within 3 s"
    );
    let lines = log_lines_of(name);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("ERROR") && line.contains(reason)),
        "a clear error for {name}: {lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line.contains("retry_in")),
        "the wait is logged: {lines:#?}"
    );
    assert!(!all_logs().contains(secret), "a secret reached the logs");
}

// ---------------------------------------------------------------------------
// DingTalk Stream mode. The fake follows open-dingtalk developerpedia
// `docs/learn/stream/protocol.md` ("协议描述", mirrored from
// https://open.dingtalk.com/document/direction/stream-mode-protocol-access-description):
// POST /v1.0/gateway/connections/open {clientId, clientSecret,
// subscriptions} → {endpoint, ticket}; WebSocket to endpoint?ticket=…;
// JSON frames {specVersion, type, headers{topic, messageId, contentType,
// time}, data}; SYSTEM ping echoed with its data; SYSTEM disconnect → new
// connection; CALLBACK /v1.0/im/bot/messages/get answered
// {"code":200,"headers":{"contentType","messageId"},"message":"OK",
// "data":"{\"response\": null}"}. The robot message in `data` follows
// "接收消息" (https://open.dingtalk.com/document/orgapp/receive-message).
// ---------------------------------------------------------------------------

const DING_ID: &str = "dingtestclientid";
const DING_SECRET: &str = "ding-secret-of-this-test-0123456789";
const ROBOT_TOPIC: &str = "/v1.0/im/bot/messages/get";

struct DingTalk {
    api: FakeApi,
    socket: FakeSocket,
}

impl DingTalk {
    async fn start() -> DingTalk {
        let socket = FakeSocket::start().await;
        let endpoint = format!("{}/connect", socket.base);
        let mut tickets = 0;
        let api = FakeApi::start(move |call| {
            let body = call.json();
            if body["clientId"] != DING_ID || body["clientSecret"] != DING_SECRET {
                return Reply::json(
                    401,
                    json!({"code": "InvalidAuthentication", "message": "clientId or clientSecret is wrong"}),
                );
            }
            tickets += 1;
            Reply::json(
                200,
                json!({"endpoint": endpoint, "ticket": format!("ticket-{tickets}")}),
            )
        })
        .await;
        DingTalk { api, socket }
    }

    fn toml(&self, name: &str) -> String {
        format!(
            "[receivers.{name}]\nkind = \"dingtalk_stream\"\nclient_id_env = \"DING_ID\"\n\
             client_secret_env = \"DING_SECRET\"\nendpoint = \"{}\"\n",
            self.api.base
        )
    }
}

fn ding_env(secret: &'static str) -> [(&'static str, &'static str); 2] {
    [("DING_ID", DING_ID), ("DING_SECRET", secret)]
}

/// A robot message CALLBACK frame: a requester's text in the group.
fn ding_callback(frame_id: &str, msg_id: &str, text: &str) -> Value {
    let data = json!({
        "conversationId": "cidGROUP1==",
        "chatbotCorpId": "dingcorp",
        "chatbotUserId": "$:LWCP_v1:$robot",
        "msgId": msg_id,
        "senderNick": "王永忠",
        "isAdmin": false,
        "senderStaffId": "requester01",
        "sessionWebhookExpiredTime": 1_690_367_502_152_i64,
        "createAt": chrono::Utc::now().timestamp_millis(),
        "conversationType": "2",
        "senderId": "$:LWCP_v1:$sender",
        "conversationTitle": "中泰项目群",
        "isInAtList": true,
        "text": { "content": format!(" {text}") },
        "robotCode": "dingrobot",
        "msgtype": "text",
    });
    json!({
        "specVersion": "1.0",
        "type": "CALLBACK",
        "headers": {
            "appId": "1305d5f5-app",
            "contentType": "application/json",
            "messageId": frame_id,
            "time": chrono::Utc::now().timestamp_millis().to_string(),
            "topic": ROBOT_TOPIC,
        },
        "data": data.to_string(),
    })
}

fn ding_ack(frame_id: &str) -> Value {
    json!({
        "code": 200,
        "headers": { "contentType": "application/json", "messageId": frame_id },
        "message": "OK",
        "data": "{\"response\": null}",
    })
}

async fn dingtalk_stream_message_becomes_an_issue_acknowledged_as_documented(backend: Backend) {
    let mut ding = DingTalk::start().await;
    let name = receiver_name("ding-round-trip", backend);
    let app = app_with(backend, &ding.toml(&name), &ding_env(DING_SECRET)).await;

    let mut connection = ding.socket.accept().await;
    let open = ding.api.calls_to("/v1.0/gateway/connections/open");
    assert_eq!(open.len(), 1);
    let registration = open[0].json();
    assert_eq!(
        registration["subscriptions"],
        json!([{ "type": "CALLBACK", "topic": ROBOT_TOPIC }]),
        "{registration}"
    );
    assert_eq!(connection.uri, "/connect?ticket=ticket-1");
    wait_for_state(&app, &name, "connected").await;
    assert_eq!(metric(&app, "slawatch_receiver_connected", &name).await, 1.0);

    connection
        .send_text(&ding_callback(
            "frame-1",
            "msgA1",
            "工地附近管道抢修，马上停水，主体结构浇筑怎么办？",
        ))
        .await;
    assert_eq!(connection.recv_json().await, ding_ack("frame-1"));
    let issue = wait_for_issue(&app, "dingtalk:cidGROUP1==:msgA1").await;
    assert_eq!(issue["project"], "zhongtai", "{issue}");
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    let raised = issue["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "raised")
        .unwrap();
    assert_eq!(raised["source"], format!("receiver:{name}"), "{issue}");
    assert_eq!(metric(&app, "slawatch_receiver_messages_total", &name).await, 1.0);

    // SYSTEM ping: answered with code 200 and the ping's own data.
    connection
        .send_text(&json!({
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": { "topic": "ping", "messageId": "ping-1", "contentType": "application/json" },
            "data": "{\"opaque\" : \"123-dsfs\"}",
        }))
        .await;
    assert_eq!(
        connection.recv_json().await,
        json!({
            "code": 200,
            "headers": { "contentType": "application/json", "messageId": "ping-1" },
            "message": "OK",
            "data": "{\"opaque\" : \"123-dsfs\"}",
        })
    );
    // A WebSocket-level ping is answered too.
    connection.ping(b"keepalive").await;
}

async fn dingtalk_stream_reconnects_and_a_redelivered_message_acts_once(backend: Backend) {
    let mut ding = DingTalk::start().await;
    let name = receiver_name("ding-reconnect", backend);
    let app = app_with(backend, &ding.toml(&name), &ding_env(DING_SECRET)).await;

    let mut first = ding.socket.accept().await;
    first
        .send_text(&ding_callback("frame-1", "msgB1", "水管爆了，楼下漏水严重"))
        .await;
    assert_eq!(first.recv_json().await, ding_ack("frame-1"));
    wait_for_issue(&app, "dingtalk:cidGROUP1==:msgB1").await;

    // The network drops mid-stream; the receiver opens a new connection
    // with a fresh ticket, where the platform delivers the message again.
    first.drop_abruptly();
    let mut second = ding.socket.accept().await;
    assert_eq!(second.uri, "/connect?ticket=ticket-2");
    second
        .send_text(&ding_callback("frame-2", "msgB1", "水管爆了，楼下漏水严重"))
        .await;
    assert_eq!(second.recv_json().await, ding_ack("frame-2"));
    let issue = wait_for_issue(&app, "dingtalk:cidGROUP1==:msgB1").await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(count(&issue, "message"), 1, "{issue}");

    // SYSTEM disconnect: no answer, the connection is closed and a new one
    // opened with a new ticket.
    second
        .send_text(&json!({
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": { "topic": "disconnect", "messageId": "bye-1", "contentType": "application/json" },
            "data": "{\"reason\" : \"connection is expired\"}",
        }))
        .await;
    second.expect_closed().await;
    let third = ding.socket.accept().await;
    assert_eq!(third.uri, "/connect?ticket=ticket-3");
    wait_for_state(&app, &name, "connected").await;
    assert!(metric(&app, "slawatch_receiver_reconnects_total", &name).await >= 2.0);
}

async fn dingtalk_stream_refused_credentials_are_logged_and_backed_off(backend: Backend) {
    const WRONG: &str = "ding-wrong-secret-of-this-test-42";
    let ding = DingTalk::start().await;
    let name = receiver_name("ding-refused", backend);
    let app = app_with(backend, &ding.toml(&name), &ding_env(WRONG)).await;
    ding.api.wait_for_calls("/connections/open", 1).await;
    assert_backs_off(&app, &ding.api, "/connections/open", &name, "401", WRONG).await;
    assert_eq!(metric(&app, "slawatch_receiver_connected", &name).await, 0.0);
}

// ---------------------------------------------------------------------------
// Telegram getUpdates. The fake follows the Bot API documentation
// (https://core.telegram.org/bots/api#getting-updates): POST
// /bot{token}/getWebhookInfo → {"ok":true,"result":{"url":…}};
// /bot{token}/getUpdates {offset, timeout, allowed_updates} → {"ok":true,
// "result":[Update]}, where an offset of the last update_id + 1 confirms
// the updates before it; errors are {"ok":false,"error_code","description"}
// (401 Unauthorized for a wrong token, 409 Conflict while a webhook is set).
// ---------------------------------------------------------------------------

const BOT_TOKEN: &str = "123456789:AAH-test_token_of_this_test";

type Updates = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Vec<Value>>>>;

struct Telegram {
    api: FakeApi,
    /// Batches the next getUpdates calls answer, in order; an empty queue
    /// answers an empty list after a short wait (a long poll that timed out).
    updates: Updates,
}

impl Telegram {
    async fn start(webhook_url: &'static str) -> Telegram {
        let updates: Updates = Default::default();
        let queue = updates.clone();
        let api = FakeApi::start(move |call| {
            if !call.path.starts_with(&format!("/bot{BOT_TOKEN}/")) {
                return Reply::json(401, json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
            }
            if call.path.ends_with("/getWebhookInfo") {
                return Reply::json(
                    200,
                    json!({"ok": true, "result": {"url": webhook_url, "has_custom_certificate": false, "pending_update_count": 0}}),
                );
            }
            if webhook_url.is_empty() {
                match queue.lock().unwrap().pop_front() {
                    Some(batch) => Reply::json(200, json!({"ok": true, "result": batch})),
                    None => Reply::json(200, json!({"ok": true, "result": []})).delayed(Duration::from_millis(200)),
                }
            } else {
                Reply::json(
                    409,
                    json!({"ok": false, "error_code": 409, "description": "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}),
                )
            }
        })
        .await;
        Telegram { api, updates }
    }

    fn push(&self, batch: Vec<Value>) {
        self.updates.lock().unwrap().push_back(batch);
    }

    fn toml(&self, name: &str) -> String {
        format!(
            "[receivers.{name}]\nkind = \"telegram_poll\"\nbot_token_env = \"TG_TOKEN\"\nendpoint = \"{}\"\n",
            self.api.base
        )
    }

    /// The `offset` of every getUpdates call so far (`None` when absent).
    fn offsets(&self) -> Vec<Option<i64>> {
        self.api
            .calls_to("/getUpdates")
            .iter()
            .map(|call| call.json()["offset"].as_i64())
            .collect()
    }

    /// Waits for a getUpdates call with this offset.
    async fn wait_for_offset(&self, offset: i64) {
        eventually(PATIENCE, &format!("getUpdates offset={offset}"), || async {
            self.offsets().contains(&Some(offset)).then_some(())
        })
        .await
    }
}

/// A group message update from a requester.
fn tg_update(update_id: i64, message_id: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": { "id": 7001, "is_bot": false, "first_name": "Yongzhong", "last_name": "Wang" },
            "chat": { "id": -1001234567890_i64, "title": "Zhongtai", "type": "supergroup" },
            "date": chrono::Utc::now().timestamp(),
            "text": text,
        }
    })
}

async fn telegram_poll_message_becomes_an_issue_and_the_offset_moves_on(backend: Backend) {
    let telegram = Telegram::start("").await;
    let name = receiver_name("tg-round-trip", backend);
    telegram.push(vec![tg_update(
        5001,
        11,
        "The water pipe burst next to the site, what now?",
    )]);
    let app = app_with(backend, &telegram.toml(&name), &[("TG_TOKEN", BOT_TOKEN)]).await;

    let issue = wait_for_issue(&app, "telegram:-1001234567890:11").await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    telegram.wait_for_offset(5002).await;
    let calls = telegram.api.calls_to("/getUpdates");
    let first = calls[0].json();
    assert_eq!(first["allowed_updates"], json!(["message"]), "{first}");
    assert!(
        first["timeout"].as_u64().is_some_and(|timeout| timeout > 0),
        "long polling: {first}"
    );
    assert_eq!(first.get("offset"), None, "no offset saved yet: {first}");
    assert_eq!(telegram.api.calls_to("/getWebhookInfo").len(), 1);
    wait_for_state(&app, &name, "connected").await;
    assert_eq!(metric(&app, "slawatch_receiver_messages_total", &name).await, 1.0);
    assert!(
        !all_logs().contains("AAH-test_token"),
        "the token reached the logs"
    );
}

async fn telegram_poll_offset_survives_a_restart_and_repeats_act_once(backend: Backend) {
    let telegram = Telegram::start("").await;
    let name = receiver_name("tg-restart", backend);
    telegram.push(vec![tg_update(
        7001,
        21,
        "Power is out in building 3, please help",
    )]);
    let mut app = app_with(backend, &telegram.toml(&name), &[("TG_TOKEN", BOT_TOKEN)]).await;
    wait_for_issue(&app, "telegram:-1001234567890:21").await;
    telegram.wait_for_offset(7002).await;

    // Restarted between two getUpdates: the first call after the restart
    // resumes at the saved offset.
    app.stop().await;
    let before = telegram.offsets().len();
    app.start().await;
    telegram.api.wait_for_calls("/getUpdates", before + 1).await;
    assert_eq!(telegram.offsets()[before], Some(7002), "{:?}", telegram.offsets());

    // Telegram sends an update again (as after an offset that was not
    // saved): it is a stored message, acted on once.
    telegram.push(vec![
        tg_update(7001, 21, "Power is out in building 3, please help"),
        tg_update(7002, 22, "Also the lift is stuck on floor 2"),
    ]);
    wait_for_issue(&app, "telegram:-1001234567890:22").await;
    telegram.wait_for_offset(7003).await;
    let issue = wait_for_issue(&app, "telegram:-1001234567890:21").await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(count(&issue, "message"), 1, "{issue}");
}

async fn telegram_poll_reconnects_after_a_failed_poll(backend: Backend) {
    let telegram = Telegram::start("").await;
    let name = receiver_name("tg-drop", backend);
    let app = app_with(backend, &telegram.toml(&name), &[("TG_TOKEN", BOT_TOKEN)]).await;
    wait_for_state(&app, &name, "connected").await;

    // One poll fails (the platform's gateway answers 502), then the
    // message comes on the next one.
    let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let queue = telegram.updates.clone();
    let once = failed.clone();
    telegram.api.answer(move |call| {
        if call.path.ends_with("/getUpdates") && !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Reply::json(
                502,
                json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
            );
        }
        if call.path.ends_with("/getWebhookInfo") {
            return Reply::json(200, json!({"ok": true, "result": {"url": ""}}));
        }
        match queue.lock().unwrap().pop_front() {
            Some(batch) => Reply::json(200, json!({"ok": true, "result": batch})),
            None => Reply::json(200, json!({"ok": true, "result": []})).delayed(Duration::from_millis(200)),
        }
    });
    telegram.push(vec![tg_update(9001, 31, "No water since this morning")]);
    let issue = wait_for_issue(&app, "telegram:-1001234567890:31").await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert!(failed.load(std::sync::atomic::Ordering::SeqCst));
    assert!(metric(&app, "slawatch_receiver_reconnects_total", &name).await >= 1.0);
    wait_for_state(&app, &name, "connected").await;
}

async fn telegram_poll_refused_token_is_logged_and_backed_off(backend: Backend) {
    const WRONG: &str = "987654321:AAwrong_token_of_this_test";
    let telegram = Telegram::start("").await;
    let name = receiver_name("tg-refused", backend);
    let app = app_with(backend, &telegram.toml(&name), &[("TG_TOKEN", WRONG)]).await;
    telegram.api.wait_for_calls("/getWebhookInfo", 1).await;
    assert_backs_off(
        &app,
        &telegram.api,
        "/getWebhookInfo",
        &name,
        "does not know this bot token",
        WRONG,
    )
    .await;
    assert!(telegram.api.calls_to("/getUpdates").is_empty());
}

async fn telegram_poll_refuses_to_start_while_a_webhook_is_set(backend: Backend) {
    let telegram = Telegram::start("https://example.com/v1/hooks/telegram").await;
    let name = receiver_name("tg-webhook", backend);
    let app = app_with(backend, &telegram.toml(&name), &[("TG_TOKEN", BOT_TOKEN)]).await;
    let status = wait_for_state(&app, &name, "backoff").await;
    assert!(status["error"].as_str().unwrap().contains("webhook"), "{status}");
    let lines = log_lines_of(&name);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("ERROR") && line.contains("deleteWebhook")),
        "{lines:#?}"
    );
    assert!(
        telegram.api.calls_to("/getUpdates").is_empty(),
        "no poll while a webhook is set"
    );
}

// ---------------------------------------------------------------------------
// Slack Socket Mode. The fake follows "Using Socket Mode"
// (https://api.slack.com/apis/socket-mode) and `apps.connections.open`
// (https://api.slack.com/methods/apps.connections.open): POST with the
// app-level token as bearer → {"ok":true,"url":…} or {"ok":false,
// "error":"invalid_auth"}; on the WebSocket, `hello` (with
// debug_info.approximate_connection_time), `events_api` envelopes carrying
// the Events API payload, acknowledged with {"envelope_id":…}, and
// `disconnect` (reason `refresh_requested` or `warning`) before a close.
// ---------------------------------------------------------------------------

const SLACK_TOKEN: &str = "xapp-1-A0TEST-1-of-this-test-0123456789";

struct Slack {
    api: FakeApi,
    socket: FakeSocket,
}

impl Slack {
    async fn start() -> Slack {
        let socket = FakeSocket::start().await;
        let base = socket.base.clone();
        let mut tickets = 0;
        let api = FakeApi::start(move |call| {
            if call.header("authorization") != format!("Bearer {SLACK_TOKEN}") {
                return Reply::json(200, json!({"ok": false, "error": "invalid_auth"}));
            }
            tickets += 1;
            Reply::json(
                200,
                json!({"ok": true, "url": format!("{base}/link/?ticket=t{tickets}&app_id=A0TEST")}),
            )
        })
        .await;
        Slack { api, socket }
    }

    fn toml(&self, name: &str) -> String {
        format!(
            "[receivers.{name}]\nkind = \"slack_socket\"\napp_token_env = \"SLACK_APP_TOKEN\"\nendpoint = \"{}\"\n",
            self.api.base
        )
    }

    /// The next connection, greeted with `hello`.
    async fn accept(&mut self, lifetime_seconds: u64) -> Connection {
        let mut connection = self.socket.accept().await;
        connection
            .send_text(&json!({
                "type": "hello",
                "num_connections": 1,
                "debug_info": { "host": "applink-test", "build_number": 10, "approximate_connection_time": lifetime_seconds },
                "connection_info": { "app_id": "A0TEST" },
            }))
            .await;
        connection
    }
}

/// The Slack time of now, `seconds.micros`, unique per call.
fn slack_ts() -> String {
    let now = chrono::Utc::now();
    format!("{}.{:06}", now.timestamp(), now.timestamp_subsec_micros())
}

fn slack_envelope(envelope_id: &str, event_id: &str, ts: &str, text: &str, retry_attempt: u32) -> Value {
    json!({
        "envelope_id": envelope_id,
        "payload": {
            "token": "verification-token",
            "team_id": "T0TEAM",
            "api_app_id": "A0TEST",
            "event": {
                "type": "message",
                "channel": "C0GROUP1",
                "user": "U0REQUESTER",
                "text": text,
                "ts": ts,
                "event_ts": ts,
                "channel_type": "channel",
            },
            "type": "event_callback",
            "event_id": event_id,
            "event_time": chrono::Utc::now().timestamp(),
        },
        "type": "events_api",
        "accepts_response_payload": false,
        "retry_attempt": retry_attempt,
        "retry_reason": if retry_attempt > 0 { "timeout" } else { "" },
    })
}

async fn slack_socket_envelope_becomes_an_issue_acknowledged_by_envelope_id(backend: Backend) {
    let mut slack = Slack::start().await;
    let name = receiver_name("slack-round-trip", backend);
    let app = app_with(backend, &slack.toml(&name), &[("SLACK_APP_TOKEN", SLACK_TOKEN)]).await;
    let mut connection = slack.accept(18060).await;
    let open = slack.api.calls_to("/apps.connections.open");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].header("authorization"), format!("Bearer {SLACK_TOKEN}"));
    assert_eq!(connection.uri, "/link/?ticket=t1&app_id=A0TEST");
    wait_for_state(&app, &name, "connected").await;

    let ts = slack_ts();
    connection
        .send_text(&slack_envelope(
            "env-1",
            "Ev0001",
            &ts,
            "The gate is broken and trucks cannot enter",
            0,
        ))
        .await;
    assert_eq!(connection.recv_json().await, json!({ "envelope_id": "env-1" }));
    let issue = wait_for_issue(&app, &format!("slack:C0GROUP1:{ts}")).await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(metric(&app, "slawatch_receiver_messages_total", &name).await, 1.0);

    // Slack pings its connections; the pong carries the ping's payload.
    connection.ping(b"slack-ping-1").await;
    // Envelopes that are not Events API messages are acknowledged too.
    connection
        .send_text(&json!({"envelope_id": "env-2", "type": "slash_commands", "payload": {"command": "/x"}, "accepts_response_payload": true}))
        .await;
    assert_eq!(connection.recv_json().await, json!({ "envelope_id": "env-2" }));
}

async fn slack_socket_reconnects_and_a_redelivered_envelope_acts_once(backend: Backend) {
    let mut slack = Slack::start().await;
    let name = receiver_name("slack-reconnect", backend);
    let app = app_with(backend, &slack.toml(&name), &[("SLACK_APP_TOKEN", SLACK_TOKEN)]).await;
    let mut first = slack.accept(18060).await;
    let ts = slack_ts();
    first
        .send_text(&slack_envelope(
            "env-1",
            "Ev0002",
            &ts,
            "Our site has no power since 8am",
            0,
        ))
        .await;
    assert_eq!(first.recv_json().await, json!({ "envelope_id": "env-1" }));
    wait_for_issue(&app, &format!("slack:C0GROUP1:{ts}")).await;

    first.drop_abruptly();
    let mut second = slack.accept(18060).await;
    assert_eq!(second.uri, "/link/?ticket=t2&app_id=A0TEST");
    second
        .send_text(&slack_envelope(
            "env-1b",
            "Ev0002",
            &ts,
            "Our site has no power since 8am",
            1,
        ))
        .await;
    assert_eq!(second.recv_json().await, json!({ "envelope_id": "env-1b" }));
    let issue = wait_for_issue(&app, &format!("slack:C0GROUP1:{ts}")).await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(count(&issue, "message"), 1, "{issue}");

    // `disconnect` (refresh_requested): the receiver closes and connects again.
    second
        .send_text(&json!({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-test"}}))
        .await;
    second.expect_closed().await;
    let _third = slack.accept(18060).await;
    wait_for_state(&app, &name, "connected").await;
    assert!(metric(&app, "slawatch_receiver_reconnects_total", &name).await >= 2.0);
}

async fn slack_socket_reconnects_before_the_connection_expires(backend: Backend) {
    let mut slack = Slack::start().await;
    let name = receiver_name("slack-refresh", backend);
    let _app = app_with(backend, &slack.toml(&name), &[("SLACK_APP_TOKEN", SLACK_TOKEN)]).await;
    // A connection announced to last 63 s is replaced a minute early, 3 s in.
    let mut first = slack.accept(63).await;
    first.expect_closed().await;
    let second = slack.socket.accept().await;
    assert_eq!(second.uri, "/link/?ticket=t2&app_id=A0TEST");
}

async fn slack_socket_refused_token_is_logged_and_backed_off(backend: Backend) {
    const WRONG: &str = "xapp-1-A0TEST-1-wrong-token-of-this-test";
    let slack = Slack::start().await;
    let name = receiver_name("slack-refused", backend);
    let app = app_with(backend, &slack.toml(&name), &[("SLACK_APP_TOKEN", WRONG)]).await;
    slack.api.wait_for_calls("/apps.connections.open", 1).await;
    assert_backs_off(
        &app,
        &slack.api,
        "/apps.connections.open",
        &name,
        "invalid_auth",
        WRONG,
    )
    .await;
}

// ---------------------------------------------------------------------------
// Feishu long connection. The fake follows Feishu's official SDK
// (larksuite/oapi-sdk-go `ws/`: client.go, const.go, model.go and the
// generated pbbp2.pb.go of `pbbp2.proto`) and "使用长连接接收事件"
// (https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case):
// POST /callback/ws/endpoint {AppID, AppSecret} → {"code":0,"data":{"URL",
// "ClientConfig":{…,"PingInterval"}}}; binary protobuf frames; the client
// pings (control frame, header type=ping, the URL's service_id), the server
// answers pong (payload: a new ClientConfig); events come in data frames
// (type=event, split by sum/seq under one message_id) and are answered with
// the same frame plus header biz_rt and payload {"code":200}.
// ---------------------------------------------------------------------------

/// `pbbp2.Header`, declared here from the `.proto` independently of the
/// service's own declaration.
#[derive(Clone, PartialEq, prost::Message)]
struct PbHeader {
    #[prost(string, required, tag = "1")]
    key: String,
    #[prost(string, required, tag = "2")]
    value: String,
}

/// `pbbp2.Frame`.
#[derive(Clone, PartialEq, prost::Message)]
struct PbFrame {
    #[prost(uint64, required, tag = "1")]
    seq_id: u64,
    #[prost(uint64, required, tag = "2")]
    log_id: u64,
    #[prost(int32, required, tag = "3")]
    service: i32,
    #[prost(int32, required, tag = "4")]
    method: i32,
    #[prost(message, repeated, tag = "5")]
    headers: Vec<PbHeader>,
    #[prost(string, optional, tag = "6")]
    payload_encoding: Option<String>,
    #[prost(string, optional, tag = "7")]
    payload_type: Option<String>,
    #[prost(bytes = "vec", optional, tag = "8")]
    payload: Option<Vec<u8>>,
    #[prost(string, optional, tag = "9")]
    log_id_new: Option<String>,
}

impl PbFrame {
    fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
    }
}

const FEISHU_APP_ID: &str = "cli_a1b2c3d4e5test";
const FEISHU_SECRET: &str = "feishu-secret-of-this-test-0123456789";
const FEISHU_SERVICE: i32 = 33;

struct Feishu {
    api: FakeApi,
    socket: FakeSocket,
}

impl Feishu {
    async fn start() -> Feishu {
        let socket = FakeSocket::start().await;
        let base = socket.base.clone();
        let mut devices = 0;
        let api = FakeApi::start(move |call| {
            let body = call.json();
            if body["AppID"] != FEISHU_APP_ID || body["AppSecret"] != FEISHU_SECRET {
                return Reply::json(200, json!({"code": 10003, "msg": "invalid app_id or app_secret"}));
            }
            devices += 1;
            Reply::json(
                200,
                json!({"code": 0, "msg": "ok", "data": {
                    "URL": format!("{base}/ws?device_id=d{devices}&service_id={FEISHU_SERVICE}"),
                    "ClientConfig": {"ReconnectCount": -1, "ReconnectInterval": 120, "ReconnectNonce": 30, "PingInterval": 1},
                }}),
            )
        })
        .await;
        Feishu { api, socket }
    }

    fn toml(&self, name: &str) -> String {
        format!(
            "[receivers.{name}]\nkind = \"feishu_ws\"\napp_id_env = \"FEISHU_APP_ID\"\n\
             app_secret_env = \"FEISHU_APP_SECRET\"\nendpoint = \"{}\"\n",
            self.api.base
        )
    }
}

fn feishu_env(secret: &'static str) -> [(&'static str, &'static str); 2] {
    [("FEISHU_APP_ID", FEISHU_APP_ID), ("FEISHU_APP_SECRET", secret)]
}

/// An `im.message.receive_v1` event (schema 2.0) from a requester.
fn feishu_event(event_id: &str, message_id: &str, text: &str) -> Vec<u8> {
    json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": "",
            "create_time": chrono::Utc::now().timestamp_millis().to_string(),
            "event_type": "im.message.receive_v1",
            "tenant_key": "tenant",
            "app_id": FEISHU_APP_ID,
        },
        "event": {
            "sender": { "sender_id": { "open_id": "ou_requester01" }, "sender_type": "user", "tenant_key": "tenant" },
            "message": {
                "message_id": message_id,
                "create_time": chrono::Utc::now().timestamp_millis().to_string(),
                "chat_id": "oc_group1",
                "chat_type": "group",
                "message_type": "text",
                "content": json!({ "text": text }).to_string(),
                "mentions": [],
            }
        }
    })
    .to_string()
    .into_bytes()
}

/// Data frames carrying `payload` in `parts` parts.
fn feishu_event_frames(seq_id: u64, message_id: &str, payload: &[u8], parts: usize) -> Vec<PbFrame> {
    let size = payload.len().div_ceil(parts);
    payload
        .chunks(size)
        .enumerate()
        .map(|(seq, chunk)| {
            let header = |key: &str, value: String| PbHeader {
                key: key.into(),
                value,
            };
            PbFrame {
                seq_id,
                log_id: 900 + seq_id,
                service: FEISHU_SERVICE,
                method: 1,
                headers: vec![
                    header("type", "event".into()),
                    header("message_id", message_id.into()),
                    header("sum", parts.to_string()),
                    header("seq", seq.to_string()),
                    header("trace_id", "trace-1".into()),
                ],
                payload_encoding: Some(String::new()),
                payload_type: Some(String::new()),
                payload: Some(chunk.to_vec()),
                log_id_new: Some(String::new()),
            }
        })
        .collect()
}

async fn recv_frame(connection: &mut Connection, method: i32) -> PbFrame {
    loop {
        let frame = PbFrame::decode(connection.recv_binary().await.as_slice()).expect("a pbbp2.Frame");
        if frame.method == method {
            return frame;
        }
    }
}

/// Sends an event's frames and checks the answer: the last frame back with
/// `biz_rt` added and payload `{"code":200}`.
async fn feishu_deliver(connection: &mut Connection, frames: Vec<PbFrame>) {
    let last = frames.last().cloned().unwrap();
    for frame in frames {
        connection.send_binary(frame.encode_to_vec()).await;
    }
    let answer = recv_frame(connection, 1).await;
    assert_eq!(
        (answer.seq_id, answer.log_id, answer.service),
        (last.seq_id, last.log_id, last.service)
    );
    for key in ["type", "message_id", "sum", "seq", "trace_id"] {
        assert_eq!(answer.header(key), last.header(key), "{key} is kept");
    }
    assert!(
        answer
            .header("biz_rt")
            .is_some_and(|ms| ms.parse::<u64>().is_ok()),
        "{answer:?}"
    );
    let payload: Value = serde_json::from_slice(answer.payload.as_deref().unwrap()).unwrap();
    assert_eq!(payload, json!({ "code": 200 }));
}

use prost::Message as _;

async fn feishu_ws_event_becomes_an_issue_answered_in_the_frame(backend: Backend) {
    let mut feishu = Feishu::start().await;
    let name = receiver_name("feishu-round-trip", backend);
    let app = app_with(backend, &feishu.toml(&name), &feishu_env(FEISHU_SECRET)).await;
    let mut connection = feishu.socket.accept().await;
    let open = feishu.api.calls_to("/callback/ws/endpoint");
    assert_eq!(
        open[0].json(),
        json!({ "AppID": FEISHU_APP_ID, "AppSecret": FEISHU_SECRET })
    );
    assert_eq!(
        connection.uri,
        format!("/ws?device_id=d1&service_id={FEISHU_SERVICE}")
    );
    wait_for_state(&app, &name, "connected").await;

    // PingInterval 1: a ping comes within about a second, with the URL's
    // service_id; the pong slows it down again.
    let ping = recv_frame(&mut connection, 0).await;
    assert_eq!(
        (ping.service, ping.header("type")),
        (FEISHU_SERVICE, Some("ping"))
    );
    let mut pong = ping.clone();
    pong.headers = vec![PbHeader {
        key: "type".into(),
        value: "pong".into(),
    }];
    pong.payload = Some(
        br#"{"ReconnectCount":-1,"ReconnectInterval":120,"ReconnectNonce":30,"PingInterval":120}"#.to_vec(),
    );
    connection.send_binary(pong.encode_to_vec()).await;

    // An event split in two parts.
    let event = feishu_event("ev-0001", "om_0001", "项目部门口的路被挖断了，车进不来");
    feishu_deliver(&mut connection, feishu_event_frames(1, "msg-0001", &event, 2)).await;
    let issue = wait_for_issue(&app, "feishu:oc_group1:om_0001").await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(metric(&app, "slawatch_receiver_messages_total", &name).await, 1.0);

    // A ping from the server is answered with a pong.
    let mut server_ping = ping.clone();
    server_ping.seq_id = 77;
    connection.send_binary(server_ping.encode_to_vec()).await;
    let answer = recv_frame(&mut connection, 0).await;
    assert_eq!((answer.seq_id, answer.header("type")), (77, Some("pong")));
    connection.ping(b"lark").await;
}

async fn feishu_ws_reconnects_and_a_redelivered_event_acts_once(backend: Backend) {
    let mut feishu = Feishu::start().await;
    let name = receiver_name("feishu-reconnect", backend);
    let app = app_with(backend, &feishu.toml(&name), &feishu_env(FEISHU_SECRET)).await;
    let mut first = feishu.socket.accept().await;
    let event = feishu_event("ev-0002", "om_0002", "塔吊旁边的电缆冒烟了");
    feishu_deliver(&mut first, feishu_event_frames(2, "msg-0002", &event, 1)).await;
    wait_for_issue(&app, "feishu:oc_group1:om_0002").await;

    first.drop_abruptly();
    let mut second = feishu.socket.accept().await;
    assert_eq!(
        second.uri,
        format!("/ws?device_id=d2&service_id={FEISHU_SERVICE}")
    );
    feishu_deliver(&mut second, feishu_event_frames(3, "msg-0002b", &event, 3)).await;
    let issue = wait_for_issue(&app, "feishu:oc_group1:om_0002").await;
    assert_eq!(count(&issue, "raised"), 1, "{issue}");
    assert_eq!(count(&issue, "message"), 1, "{issue}");
    assert!(metric(&app, "slawatch_receiver_reconnects_total", &name).await >= 1.0);
}

async fn feishu_ws_refused_app_credentials_are_logged_and_backed_off(backend: Backend) {
    const WRONG: &str = "feishu-wrong-secret-of-this-test-42";
    let feishu = Feishu::start().await;
    let name = receiver_name("feishu-refused", backend);
    let app = app_with(backend, &feishu.toml(&name), &feishu_env(WRONG)).await;
    feishu.api.wait_for_calls("/callback/ws/endpoint", 1).await;
    assert_backs_off(&app, &feishu.api, "/callback/ws/endpoint", &name, "10003", WRONG).await;
}
