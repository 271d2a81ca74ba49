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
use std::time::{Duration, Instant};

backend_tests!(
    dingtalk_stream_message_becomes_an_issue_acknowledged_as_documented,
    dingtalk_stream_reconnects_and_a_redelivered_message_acts_once,
    dingtalk_stream_refused_credentials_are_logged_and_backed_off,
    telegram_poll_message_becomes_an_issue_and_the_offset_moves_on,
    telegram_poll_offset_survives_a_restart_and_repeats_act_once,
    telegram_poll_reconnects_after_a_failed_poll,
    telegram_poll_refused_token_is_logged_and_backed_off,
    telegram_poll_refuses_to_start_while_a_webhook_is_set,
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
    let _ = Instant::now();
}
