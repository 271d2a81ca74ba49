//! Chat messages into issues (SPEC §4) through `POST /v1/messages`, end to
//! end on a real server: a scripted group conversation modelled on a real
//! case, then each classification rule on its own.

#[macro_use]
mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    the_water_cut_conversation_raises_acknowledges_handles_and_plans,
    pleasantries_raise_nothing,
    a_follow_up_within_the_merge_window_joins_and_later_raises_anew,
    a_reply_joins_the_issue_of_the_message_it_answers,
    a_staff_message_acknowledges_every_open_issue_of_the_chat,
    a_chat_finds_its_open_issues_after_a_close_a_reopening_and_a_restart,
    a_staff_reply_acknowledges_only_the_issue_replied_to,
    commands_address_the_issue_named_by_seq,
    the_bots_own_message_and_unmapped_chats_are_stored_without_events,
    a_resent_message_gets_the_same_answer_and_acts_once,
    messages_of_a_chat_sent_at_once_each_see_the_one_before,
    a_bad_message_is_refused_with_the_field_named,
    the_answer_carries_the_confirmation_the_project_asks_for,
    a_command_with_no_target_among_several_lists_them,
    decisions_say_why_in_the_timeline,
    corrections_take_back_merge_and_dismiss,
);

const CHAT: &str = "grp-zhongtai";
const REQUESTER: &str = "wang-yz";
const STAFF: &str = "wxid_wangyx";
const ZONE_STAFF: &str = "wxid_zhujian";

fn config() -> String {
    r#"
[engine]
merge_window = "10m"

[projects.zhongtai]
name = "中泰环保绿色环保过滤设备制造项目"
chats = ["wechat:grp-zhongtai", "wechat:grp-zhongtai-2"]
staff = ["wechat:wxid_wangyx"]

[zone]
staff = ["wechat:wxid_zhujian"]
bot_ids = ["wechat:wxid_bot"]
"#
    .to_string()
}

/// A message in the zhongtai group, `minutes_ago` minutes ago.
fn message(id: &str, sender: &str, text: &str, minutes_ago_: f64) -> Value {
    json!({
        "platform": "wechat",
        "message_id": id,
        "chat_id": CHAT,
        "sender": { "id": sender, "name": if sender == REQUESTER { "王永忠" } else { "服务专员" } },
        "text": text,
        "at": rfc3339(minutes_ago(minutes_ago_)),
    })
}

fn replying(mut message: Value, to: &str) -> Value {
    message["reply_to"] = to.into();
    message
}

async fn post(app: &TestApp, message: &Value) -> (StatusCode, Value) {
    let response = app
        .request(Method::POST, "/v1/messages")
        .json(message)
        .send()
        .await
        .expect("POST /v1/messages");
    json_of(response).await
}

/// Posts a message, asserts 201, returns its actions as (issue, kind).
async fn actions(app: &TestApp, message: &Value) -> Vec<(String, String)> {
    let (status, body) = post(app, message).await;
    assert_eq!(status, StatusCode::CREATED, "{message}: {body}");
    assert_eq!(body["message_id"], message["message_id"], "{body}");
    body["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            assert!(a["seq"].is_i64(), "every action names the seq: {body}");
            (
                a["issue"].as_str().unwrap().to_string(),
                a["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn key(message_id: &str) -> String {
    format!("wechat:{CHAT}:{message_id}")
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(issue, kind)| (issue.to_string(), kind.to_string()))
        .collect()
}

fn kinds(issue: &Value) -> Vec<String> {
    issue["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn the_water_cut_conversation_raises_acknowledges_handles_and_plans(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    let start = 22.0 * 60.0; // yesterday, 22 hours ago
    let report = message(
        "m-1",
        REQUESTER,
        "工地附近管道抢修，马上停水，主体结构浇筑怎么办？",
        start,
    );
    let raised = actions(&app, &report).await;
    assert_eq!(raised, pairs(&[(&key("m-1"), "raised")]));

    let reply = message("m-2", STAFF, "收到王总，马上联系水务集团", start - 4.0);
    assert_eq!(
        actions(&app, &reply).await,
        pairs(&[(&key("m-1"), "acknowledged")])
    );
    // A thank-you is stored, but it is no part of the issue.
    let thanks = message("m-3", REQUESTER, "好的，谢谢！", start - 5.0);
    assert_eq!(actions(&app, &thanks).await, pairs(&[]));
    let handled = message("m-4", STAFF, "#已处理 已安排送水车到场", start - 90.0);
    assert_eq!(actions(&app, &handled).await, pairs(&[(&key("m-1"), "handled")]));
    let plan = message(
        "m-5",
        STAFF,
        "#计划 明天起铺设临时供水管道，水务集团配合",
        start - 20.0 * 60.0,
    );
    assert_eq!(actions(&app, &plan).await, pairs(&[(&key("m-1"), "planned")]));

    let issue = app.issue_with_events(&key("m-1")).await;
    assert_eq!(issue["project"], "zhongtai");
    assert_eq!(issue["title"], "工地附近管道抢修，马上停水，主体结构浇筑怎么办？");
    for name in ["ack", "handle", "plan"] {
        assert_eq!(stage(&issue, name)["state"], "met", "{name}: {issue}");
    }
    assert_shown(&stage(&issue, "ack")["met_at"], instant(&reply["at"]));
    assert_eq!(
        kinds(&issue),
        [
            "message",
            "raised",
            "message",
            "acknowledged",
            "message",
            "handled",
            "message",
            "planned"
        ],
        "{issue}"
    );
    let events = issue["events"].as_array().unwrap();
    // Event ids lead with the message id (docs/chat-platforms.md).
    assert_eq!(events[1]["id"], format!("wechat:m-1:{CHAT}:0"));
    assert_eq!(events[1]["actor"]["id"], "wechat:wang-yz");
    assert_eq!(events[1]["actor"]["role"], "requester");
    assert_eq!(events[3]["actor"]["role"], "staff");
    assert_eq!(events[0]["text"], report["text"]);
}

async fn pleasantries_raise_nothing(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    for (index, text) in ["谢谢", "好的", "收到👍", "ok thanks!", "👍👍", "谢谢！！", ""]
        .iter()
        .enumerate()
    {
        let id = format!("p-{index}");
        assert_eq!(
            actions(&app, &message(&id, REQUESTER, text, 1.0)).await,
            pairs(&[]),
            "{text:?}"
        );
    }
    let open = app.walk("/v1/issues?state=open").await;
    assert!(open.is_empty(), "{open:#?}");
}

async fn a_follow_up_within_the_merge_window_joins_and_later_raises_anew(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(&app, &message("a-1", REQUESTER, "临时用电申请还没批", 30.0)).await;
    // Six minutes later, the same person adds detail: the same issue.
    let more = actions(&app, &message("a-2", REQUESTER, "施工队下午就要进场", 24.0)).await;
    assert_eq!(more, pairs(&[(&key("a-1"), "joined")]));
    // Fifteen minutes after the first: outside the window, a new issue.
    let later = actions(
        &app,
        &message("a-3", REQUESTER, "另外，环评材料需要补什么？", 15.0),
    )
    .await;
    assert_eq!(later, pairs(&[(&key("a-3"), "raised")]));
    // Acknowledged issues take no more follow-ups.
    actions(&app, &message("a-4", STAFF, "收到，马上处理", 14.0)).await;
    let after_ack = actions(&app, &message("a-5", REQUESTER, "还有消防验收的问题", 13.0)).await;
    assert_eq!(after_ack, pairs(&[(&key("a-5"), "raised")]));

    let issue = app.issue_with_events(&key("a-1")).await;
    assert_eq!(
        kinds(&issue),
        ["message", "raised", "message", "message", "acknowledged"],
        "{issue}"
    );
}

async fn a_reply_joins_the_issue_of_the_message_it_answers(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(&app, &message("r-1", REQUESTER, "道路积水，车辆进不来", 60.0)).await;
    actions(&app, &message("r-2", REQUESTER, "宿舍楼网络断了", 40.0)).await;
    // Long after the merge window, replying to the first one.
    let reply = replying(message("r-3", REQUESTER, "积水越来越深了", 5.0), "r-1");
    assert_eq!(actions(&app, &reply).await, pairs(&[(&key("r-1"), "joined")]));
}

async fn a_staff_message_acknowledges_every_open_issue_of_the_chat(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(&app, &message("s-1", REQUESTER, "道路积水", 8.0)).await;
    actions(&app, &message("s-2", "li-si", "另外，北侧围墙倒塌了", 6.0)).await;
    let ack = actions(&app, &message("s-3", ZONE_STAFF, "收到，两件事都已转交", 3.0)).await;
    // Passed on to whoever handles them: both are handled too.
    assert_eq!(
        ack,
        pairs(&[
            (&key("s-1"), "acknowledged"),
            (&key("s-2"), "acknowledged"),
            (&key("s-1"), "handled"),
            (&key("s-2"), "handled")
        ]),
        "zone staff count as staff in every chat"
    );
    for id in ["s-1", "s-2"] {
        assert_eq!(stage(&app.issue(&key(id)).await, "ack")["state"], "met");
    }
}

/// A chat's open issues are found however they came to be open: on SQLite
/// the writer keeps them in memory, forgets a closed one when a lookup finds
/// it closed, takes a reopened one back, and reads them again after a
/// restart.
async fn a_chat_finds_its_open_issues_after_a_close_a_reopening_and_a_restart(backend: Backend) {
    let mut app = spawn_app(backend, &config()).await;
    actions(&app, &message("o-1", REQUESTER, "道路积水", 40.0)).await;
    actions(&app, &message("o-2", "li-si", "另外，北侧围墙倒塌了", 35.0)).await;
    // Closed and reopened through the events API, not through the chat.
    app.accept(&closed(&key("o-1"), 30.0, "resolved")).await;
    // The closed issue is not acknowledged; the other one is.
    let ack = actions(&app, &message("o-4", STAFF, "收到", 25.0)).await;
    assert_eq!(ack, pairs(&[(&key("o-2"), "acknowledged")]));

    app.accept(&reopened(&key("o-1"), 20.0)).await;
    let ack = actions(&app, &message("o-5", STAFF, "好的，再去看看", 15.0)).await;
    assert_eq!(ack, pairs(&[(&key("o-1"), "acknowledged")]), "the reopened issue");

    app.restart().await;
    // Both are acknowledged: the requester's new message raises a new issue.
    let raised = actions(
        &app,
        &message(
            "o-6",
            REQUESTER,
            "另外，厂区东门的路灯坏了，能派人修一下吗？",
            10.0,
        ),
    )
    .await;
    assert_eq!(raised, pairs(&[(&key("o-6"), "raised")]));
    let joined = actions(&app, &message("o-7", REQUESTER, "路灯那边晚上黑得看不见", 9.0)).await;
    assert_eq!(joined, pairs(&[(&key("o-6"), "joined")]), "a follow-up about it");
    let ack = actions(&app, &message("o-8", ZONE_STAFF, "马上到", 5.0)).await;
    assert_eq!(ack, pairs(&[(&key("o-6"), "acknowledged")]));
    let handled = actions(&app, &message("o-9", STAFF, "/handled 路灯已经修好", 4.0)).await;
    assert_eq!(
        handled,
        pairs(&[(&key("o-6"), "handled")]),
        "the open issue its words match"
    );
}

async fn a_staff_reply_acknowledges_only_the_issue_replied_to(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(&app, &message("t-1", REQUESTER, "道路积水", 8.0)).await;
    actions(&app, &message("t-2", "li-si", "另外，北侧围墙倒塌了", 7.0)).await;
    let reply = replying(message("t-3", STAFF, "已派人排水", 3.0), "t-1");
    assert_eq!(
        actions(&app, &reply).await,
        pairs(&[(&key("t-1"), "acknowledged"), (&key("t-1"), "handled")])
    );
    assert_eq!(stage(&app.issue(&key("t-2")).await, "ack")["state"], "pending");
}

async fn commands_address_the_issue_named_by_seq(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    let first = post(&app, &message("c-1", REQUESTER, "道路积水", 30.0)).await.1;
    actions(&app, &message("c-2", "li-si", "另外，北侧围墙倒塌了", 20.0)).await;
    actions(&app, &message("c-3", STAFF, "收到", 10.0)).await;
    let seq = first["actions"][0]["seq"].as_i64().expect("seq");
    // With `#seq` a command acts on the issue named; without, on the one its words match.
    let named = actions(
        &app,
        &message("c-4", STAFF, &format!("#已解决 #{seq} 排水完毕"), 2.0),
    )
    .await;
    assert_eq!(named, pairs(&[(&key("c-1"), "closed")]));
    let newest = actions(&app, &message("c-5", STAFF, "/handled 已加固", 1.0)).await;
    assert_eq!(newest, pairs(&[(&key("c-2"), "handled")]));
    let closed = app.issue(&key("c-1")).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["resolution"], "resolved");
    // A requester's command word is just text: it closes nothing and joins the open issue.
    let requester = actions(&app, &message("c-6", REQUESTER, "/close 我自己关了", 0.5)).await;
    assert_eq!(requester, pairs(&[(&key("c-2"), "joined")]));
}

async fn the_bots_own_message_and_unmapped_chats_are_stored_without_events(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(&app, &message("b-1", REQUESTER, "道路积水", 5.0)).await;
    let bot = actions(&app, &message("b-2", "wxid_bot", "已受理，编号 #1", 4.0)).await;
    assert_eq!(bot, pairs(&[]), "the bot never acknowledges");
    assert_eq!(stage(&app.issue(&key("b-1")).await, "ack")["state"], "pending");

    let mut stray = message("u-1", REQUESTER, "这个群没有配置", 3.0);
    stray["chat_id"] = "grp-unknown".into();
    assert_eq!(actions(&app, &stray).await, pairs(&[]));
    let unknown = app.get("/v1/issues/wechat:grp-unknown:u-1").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // Stored all the same: sent again, it is a duplicate.
    let (status, body) = post(&app, &stray).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{body}"
    );
}

async fn a_resent_message_gets_the_same_answer_and_acts_once(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    let report = message("d-1", REQUESTER, "道路积水", 5.0);
    let (status, first) = post(&app, &report).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = post(&app, &report).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["actions"], first["actions"]);
    let issue = app.issue_with_events(&key("d-1")).await;
    assert_eq!(kinds(&issue), ["message", "raised"], "{issue}");
}

/// Many messages of two chats in flight at once: the writer takes them one
/// per chat per commit, so each sees what the one before it did. The same
/// requester's messages within the merge window make one issue per chat,
/// and a message sent twice at once is stored once.
async fn messages_of_a_chat_sent_at_once_each_see_the_one_before(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    const EACH: usize = 12;
    let mut sent = tokio::task::JoinSet::new();
    for i in 0..EACH {
        for chat in [CHAT, "grp-zhongtai-2"] {
            let mut body = message(&format!("{chat}-c-{i}"), REQUESTER, "工地停水了", 5.0);
            body["chat_id"] = chat.into();
            // The first message of each chat goes twice.
            let copies = if i == 0 { 2 } else { 1 };
            for _ in 0..copies {
                let request = app.request(Method::POST, "/v1/messages").json(&body);
                sent.spawn(async move { json_of(request.send().await.expect("POST /v1/messages")).await });
            }
        }
    }
    let mut answers = Vec::new();
    while let Some(answer) = sent.join_next().await {
        answers.push(answer.expect("request task"));
    }
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    let duplicates = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!((created, duplicates), (2 * EACH, 2), "{answers:?}");
    let mut raised = Vec::new();
    let mut joined = 0;
    for (status, body) in answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
    {
        for action in body["actions"].as_array().expect("actions") {
            match action["kind"].as_str() {
                Some("raised") => raised.push(action["issue"].as_str().unwrap_or_default().to_string()),
                Some("joined") => joined += 1,
                _ => panic!("{status}: {body}"),
            }
        }
    }
    assert_eq!(raised.len(), 2, "one issue per chat: {answers:?}");
    assert_eq!(joined, 2 * (EACH - 1), "{answers:?}");
    for issue in &raised {
        let timeline = app.issue_with_events(issue).await;
        let messages = kinds(&timeline).iter().filter(|kind| *kind == "message").count();
        assert_eq!(messages, EACH, "{timeline}");
    }
}

async fn a_bad_message_is_refused_with_the_field_named(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    let mut bad = message("x-1", REQUESTER, "道路积水", 1.0);
    bad["sender"] = json!({ "name": "无名" });
    let (status, body) = post(&app, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error_shape(&body);
    assert_eq!(body["error"]["field"], "sender.id");

    let response = app
        .request(Method::POST, "/v1/messages")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let unauthenticated = reqwest::Client::new()
        .post(app.url("/v1/messages"))
        .json(&message("x-2", REQUESTER, "道路积水", 1.0))
        .send()
        .await
        .unwrap();
    if app.config().auth_enabled() {
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    }
    let issue = app.get(&format!("/v1/issues/{}", key("x-1"))).await;
    assert_eq!(issue.status(), StatusCode::NOT_FOUND);
}

async fn the_answer_carries_the_confirmation_the_project_asks_for(backend: Backend) {
    let confirming = config().replacen("name = ", "confirm = \"all\"\nname = ", 1);
    let app = spawn_app(backend, &confirming).await;
    let (_, raised) = post(
        &app,
        &message("f-1", REQUESTER, "厂区停电了，生产线全停，怎么办？", 30.0),
    )
    .await;
    let seq = raised["actions"][0]["seq"].as_i64().expect("seq");
    assert_eq!(
        raised["reply"],
        format!("已受理 #{seq}：10分钟内回复、2小时内处理、1天内给出推进计划"),
        "{raised}"
    );
    let (_, handled) = post(&app, &message("f-2", STAFF, "#已处理 已派电工到现场", 20.0)).await;
    assert_eq!(
        handled["reply"],
        format!("#{seq} 已记为已处理（如有误，专班回复此消息 #撤销）"),
        "{handled}"
    );
    let (_, thanks) = post(&app, &message("f-3", REQUESTER, "好的，谢谢", 19.0)).await;
    assert!(thanks.get("reply").is_none(), "nothing to confirm: {thanks}");
    // Without `confirm` (the default is off) the answer has no reply.
    let quiet = spawn_app(backend, &config()).await;
    let (_, raised) = post(&quiet, &message("f-4", REQUESTER, "厂区停电了，怎么办？", 5.0)).await;
    assert!(raised.get("reply").is_none(), "{raised}");
}

async fn a_command_with_no_target_among_several_lists_them(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    let first = post(&app, &message("g-1", REQUESTER, "厂区停电了，怎么办？", 30.0))
        .await
        .1;
    let second = post(
        &app,
        &message("g-2", "li-si", "另外，宿舍楼的网络断了，能帮忙报修吗？", 29.0),
    )
    .await
    .1;
    let seqs = [&first, &second].map(|answer| answer["actions"][0]["seq"].as_i64().expect("seq"));
    let (status, answer) = post(&app, &message("g-3", STAFF, "#已处理", 20.0)).await;
    assert_eq!(status, StatusCode::CREATED);
    let kinds: Vec<&str> = answer["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"handled"), "nothing is guessed: {answer}");
    assert_eq!(answer["open_issues"], json!(seqs), "{answer}");
    // Words that match one of them place the command.
    let placed = actions(&app, &message("g-4", STAFF, "#已处理 宿舍网络已经修好", 10.0)).await;
    assert_eq!(placed, pairs(&[(&key("g-2"), "handled")]));
}

async fn decisions_say_why_in_the_timeline(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(&app, &message("w-1", REQUESTER, "厂区停电了，怎么办？", 30.0)).await;
    let (_, answer) = post(
        &app,
        &message("w-2", STAFF, "已经跟供电公司联系上了，抢修车已经出发", 25.0),
    )
    .await;
    let handled = answer["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "handled")
        .cloned()
        .expect("handled");
    assert_eq!(handled["rule"], "action", "{answer}");
    assert_eq!(handled["words"], "联系上", "{answer}");
    let issue = app.issue_with_events(&key("w-1")).await;
    let event = issue["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "handled")
        .cloned()
        .expect("handled event");
    assert_eq!(event["attributes"]["rule"], "action", "{issue}");
    assert_eq!(event["attributes"]["words"], "联系上", "{issue}");
}

async fn corrections_take_back_merge_and_dismiss(backend: Backend) {
    let app = spawn_app(backend, &config()).await;
    actions(
        &app,
        &message("u-1", REQUESTER, "厂区停电了，生产线全停，怎么办？", 60.0),
    )
    .await;
    let handled = actions(&app, &message("u-2", STAFF, "已经派电工到现场了", 55.0)).await;
    assert_eq!(
        handled,
        pairs(&[(&key("u-1"), "acknowledged"), (&key("u-1"), "handled")])
    );
    assert_eq!(stage(&app.issue(&key("u-1")).await, "handle")["state"], "met");
    // The team says it was not so: the reply takes the message's events back.
    let undo = actions(&app, &replying(message("u-3", STAFF, "#撤销", 50.0), "u-2")).await;
    assert_eq!(undo, pairs(&[(&key("u-1"), "undone")]));
    let issue = app.issue_with_events(&key("u-1")).await;
    assert!(stage(&issue, "handle")["met_at"].is_null(), "{issue}");
    assert!(stage(&issue, "ack")["met_at"].is_null(), "{issue}");
    let undone = issue["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "undone")
        .cloned()
        .expect("undone");
    assert_eq!(
        undone["attributes"]["undoes"].as_array().map(Vec::len),
        Some(2),
        "{undone}"
    );

    // A second report of the same matter is merged into the first.
    let second = post(
        &app,
        &message("u-4", "li-si", "另外，二车间的设备也全停了，能派人看看吗？", 40.0),
    )
    .await
    .1;
    let first_seq = app.issue(&key("u-1")).await["seq"].as_i64().unwrap();
    let second_seq = second["actions"][0]["seq"].as_i64().expect("raised");
    let merge = actions(
        &app,
        &message("u-5", STAFF, &format!("#合并 #{second_seq} #{first_seq}"), 30.0),
    )
    .await;
    assert!(merge.contains(&(key("u-4"), "closed".to_string())), "{merge:?}");
    assert!(merge.contains(&(key("u-1"), "joined".to_string())), "{merge:?}");
    let merged = app.issue_with_events(&key("u-4")).await;
    assert_eq!(merged["resolution"], "duplicate", "{merged}");

    // A message raised by mistake is dismissed by undoing it.
    actions(
        &app,
        &message(
            "u-6",
            "wang-wu",
            "另外，食堂的菜太咸了，能不能跟食堂说一下？",
            20.0,
        ),
    )
    .await;
    let dismissed = actions(&app, &replying(message("u-7", STAFF, "/undo", 10.0), "u-6")).await;
    assert!(
        dismissed.contains(&(key("u-6"), "closed".to_string())),
        "{dismissed:?}"
    );
    assert_eq!(app.issue(&key("u-6")).await["resolution"], "invalid");
}
