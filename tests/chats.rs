//! Chats no project lists (SPEC §4 rule 1): their messages are stored and
//! raise nothing, and the operator sees them: counted in
//! `slawatch_messages_unmapped_total{platform}` and listed, with the id to
//! copy into the configuration, at `GET /v1/chats?mapped=false` (admin).

#[macro_use]
mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

backend_tests!(unmapped_chats_are_counted_and_listed_for_the_operator);

const CONFIG: &str = r#"
[projects.zhongtai]
chats = ["wechat:grp-zhongtai"]
staff = ["wechat:wxid_wangyx"]
"#;

fn message(chat: &str, id: &str) -> Value {
    json!({
        "platform": "wechat", "chat_id": chat, "message_id": id,
        "sender": {"id": "wang-yz", "name": "王永忠"},
        "text": "工地停水了，怎么办？", "at": rfc3339(minutes_ago(1.0)),
    })
}

async fn post(app: &TestApp, message: &Value) -> StatusCode {
    let request = app.client.post(app.url("/v1/messages")).bearer_auth(BOT_SECRET);
    request.json(message).send().await.unwrap().status()
}

async fn chats(app: &TestApp, query: &str, secret: &str) -> (StatusCode, Value) {
    let request = app.client.get(app.url(&format!("/v1/chats{query}")));
    json_of(request.bearer_auth(secret).send().await.unwrap()).await
}

async fn unmapped_chats_are_counted_and_listed_for_the_operator(backend: Backend) {
    let app = spawn_app_with_env(backend, &format!("{TOKENS}\n{CONFIG}"), &TOKEN_ENV).await;
    assert_eq!(unmapped_total(&app, "wechat").await, 0, "present from the start");
    assert_eq!(post(&app, &message("grp-new", "m-1")).await, StatusCode::CREATED);
    assert_eq!(post(&app, &message("grp-new", "m-2")).await, StatusCode::CREATED);
    // A platform's retry of a stored message is no new message.
    assert_eq!(post(&app, &message("grp-new", "m-2")).await, StatusCode::OK);
    assert_eq!(
        post(&app, &message("grp-zhongtai", "m-3")).await,
        StatusCode::CREATED
    );

    assert_eq!(unmapped_total(&app, "wechat").await, 2);
    assert_eq!(unmapped_total(&app, "feishu").await, 0);

    let (status, unmapped) = chats(&app, "?mapped=false", ADMIN_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{unmapped}");
    let items = unmapped["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{unmapped}");
    let chat = &items[0];
    assert_eq!(
        (&chat["platform"], &chat["chat_id"], &chat["chat"]),
        (&json!("wechat"), &json!("grp-new"), &json!("wechat:grp-new")),
        "{chat}"
    );
    assert_eq!(
        (&chat["mapped"], &chat["messages"]),
        (&json!(false), &json!(2)),
        "{chat}"
    );
    assert!(chat["project"].is_null(), "{chat}");
    assert!(
        instant(&chat["first_seen"]) <= instant(&chat["last_seen"]),
        "{chat}"
    );

    let (_, mapped) = chats(&app, "?mapped=true", ADMIN_SECRET).await;
    assert_eq!(mapped["items"][0]["project"], "zhongtai", "{mapped}");
    assert_eq!(mapped["items"].as_array().unwrap().len(), 1, "{mapped}");
    let (_, every) = chats(&app, "", ADMIN_SECRET).await;
    assert_eq!(every["items"].as_array().unwrap().len(), 2, "{every}");

    let (status, _) = chats(&app, "?mapped=false", READER_SECRET).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admin scope only");
    let (status, _) = chats(&app, "?mapped=perhaps", ADMIN_SECRET).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn unmapped_total(app: &TestApp, platform: &str) -> u64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("slawatch_messages_unmapped_total{{platform=\"{platform}\"}} ");
    let line = text.lines().find_map(|line| line.strip_prefix(series.as_str()));
    line.unwrap_or_else(|| panic!("no {series} in:\n{text}"))
        .parse()
        .unwrap()
}
