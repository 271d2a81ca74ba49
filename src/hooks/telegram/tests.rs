use super::*;
use crate::hooks::test_support::{message_of, TestRequest};
use proptest::prelude::*;

const TOKEN: &str = "slawatch-Webhook_Token-01";

/// The update from "Testing your bot with updates" in Telegram's webhook
/// guide (https://core.telegram.org/bots/webhooks), verbatim.
const GUIDE_UPDATE: &str = r#"{
"update_id":10000,
"message":{
  "date":1441645532,
  "chat":{
     "last_name":"Test Lastname",
     "id":1111111,
     "first_name":"Test",
     "username":"Test"
  },
  "message_id":1365,
  "from":{
     "last_name":"Test Lastname",
     "id":1111111,
     "first_name":"Test",
     "username":"Test"
  },
  "text":"/start"
}
}"#;

/// A group reply with a `mention` after non-BMP and CJK characters (UTF-16
/// offsets) and a `text_mention`, fields as the Bot API documents them.
const GROUP_REPLY: &str = r#"{"update_id":5001,"message":{"message_id":88,"from":{"id":42,"is_bot":false,"first_name":"永忠","last_name":"王"},"chat":{"id":-1001234567890,"type":"supergroup","title":"zhongtai"},"date":1717034520,"text":"🚰停水 @site_lead 和 Wang 请看","entities":[{"type":"mention","offset":5,"length":10},{"type":"text_mention","offset":18,"length":4,"user":{"id":777,"is_bot":false,"first_name":"Wang"}}],"reply_to_message":{"message_id":80,"from":{"id":9,"is_bot":false,"first_name":"Li"},"chat":{"id":-1001234567890,"type":"supergroup"},"date":1717034000,"text":"earlier"}}}"#;

fn secrets() -> TelegramSecrets {
    TelegramSecrets {
        secret_token: Secret::new(TOKEN),
    }
}

fn authentic(body: &str) -> TestRequest {
    TestRequest::post(body, 1_717_034_530).header(SECRET_HEADER, TOKEN)
}

#[test]
fn the_guide_update_maps_to_a_message() {
    let (message, delivery_id, retry) =
        message_of(handle(&authentic(GUIDE_UPDATE).view(), &secrets()).unwrap());
    assert_eq!(delivery_id, "10000");
    assert!(!retry);
    assert_eq!(message.platform, "telegram");
    assert_eq!(message.message_id, "1365");
    assert_eq!(message.chat_id, "1111111");
    assert_eq!(message.sender_id, "1111111");
    assert_eq!(message.sender_name.as_deref(), Some("Test Test Lastname"));
    assert_eq!(message.text, "/start");
    assert_eq!(message.at, DateTime::from_timestamp(1_441_645_532, 0).unwrap());
    assert_eq!(message.reply_to, None);
    assert!(message.mentions.is_empty());
}

#[test]
fn a_reply_maps_reply_to_and_mentions_by_utf16_offsets() {
    let (message, _, _) = message_of(handle(&authentic(GROUP_REPLY).view(), &secrets()).unwrap());
    assert_eq!(message.chat_id, "-1001234567890");
    assert_eq!(message.sender_name.as_deref(), Some("永忠 王"));
    assert_eq!(message.reply_to.as_deref(), Some("80"));
    assert_eq!(message.mentions, ["@site_lead", "777"]);
    assert_eq!(message.at, DateTime::from_timestamp(1_717_034_520, 0).unwrap());
}

#[test]
fn a_caption_is_the_text_of_a_photo() {
    let body = r#"{"update_id":7,"message":{"message_id":3,"from":{"id":5,"is_bot":false,"first_name":"A"},"chat":{"id":5,"type":"private"},"date":1717034520,"photo":[],"caption":"pipe burst @ops","caption_entities":[{"type":"mention","offset":11,"length":4}]}}"#;
    let (message, _, _) = message_of(handle(&authentic(body).view(), &secrets()).unwrap());
    assert_eq!(message.text, "pipe burst @ops");
    assert_eq!(message.mentions, ["@ops"]);
}

#[test]
fn the_forum_topic_opener_is_not_a_reply() {
    let body = GROUP_REPLY.replace(
        r#""text":"earlier""#,
        r#""forum_topic_created":{"name":"Water","icon_color":7322096}"#,
    );
    let (message, _, _) = message_of(handle(&authentic(&body).view(), &secrets()).unwrap());
    assert_eq!(message.reply_to, None);
}

#[test]
fn edits_bots_channel_posts_and_stickers_are_ignored() {
    let edited = GROUP_REPLY.replace(r#""message":"#, r#""edited_message":"#);
    let bot = GROUP_REPLY.replace(r#""id":42,"is_bot":false"#, r#""id":42,"is_bot":true"#);
    let sticker = r#"{"update_id":8,"message":{"message_id":4,"from":{"id":5,"first_name":"A"},"chat":{"id":5},"date":1717034520,"sticker":{}}}"#;
    let channel_post = r#"{"update_id":9,"channel_post":{"message_id":1,"chat":{"id":-100},"date":1717034520,"text":"news"}}"#;
    for body in [edited.as_str(), bot.as_str(), sticker, channel_post] {
        assert_eq!(
            handle(&authentic(body).view(), &secrets()),
            Ok(HookOutcome::Ignore),
            "{body}"
        );
    }
}

#[test]
fn a_missing_or_wrong_secret_token_is_refused() {
    for request in [
        authentic(GUIDE_UPDATE).without(SECRET_HEADER),
        authentic(GUIDE_UPDATE).header(SECRET_HEADER, "slawatch-Webhook_Token-02"),
        authentic(GUIDE_UPDATE).header(SECRET_HEADER, "slawatch"),
        authentic(GUIDE_UPDATE).header(SECRET_HEADER, ""),
    ] {
        assert!(matches!(
            handle(&request.view(), &secrets()),
            Err(HookError::BadSignature(_))
        ));
    }
}

#[test]
fn a_replayed_update_keeps_its_update_id_for_deduplication() {
    // Telegram sends no timestamp to hold a replay window against; a replay
    // is caught by the caller's de-duplication on `update_id`.
    let first = message_of(handle(&authentic(GUIDE_UPDATE).view(), &secrets()).unwrap());
    let mut replay = authentic(GUIDE_UPDATE);
    replay.now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
    let again = message_of(handle(&replay.view(), &secrets()).unwrap());
    assert_eq!(first.1, again.1);
}

#[test]
fn malformed_json_with_the_right_token_is_malformed() {
    for body in [
        "{",
        r#"{"update_id":"ten"}"#,
        r#"{"update_id":1,"message":{"message_id":1}}"#,
    ] {
        assert!(matches!(
            handle(&authentic(body).view(), &secrets()),
            Err(HookError::Malformed(_))
        ));
    }
}

#[test]
fn an_empty_token_or_a_get_is_refused() {
    let empty = TelegramSecrets {
        secret_token: Secret::new(""),
    };
    assert_eq!(
        handle(&authentic(GUIDE_UPDATE).view(), &empty),
        Err(HookError::NotConfigured)
    );
    let get = TestRequest {
        method: http::Method::GET,
        ..authentic(GUIDE_UPDATE)
    };
    assert_eq!(handle(&get.view(), &secrets()), Err(HookError::MethodNotAllowed));
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let request = TestRequest::post(body, 0).header(SECRET_HEADER, TOKEN);
        let _ = handle(&request.view(), &secrets());
    }

    #[test]
    fn arbitrary_entity_offsets_never_panic(text in "\\PC{0,40}", offset in any::<usize>(), length in any::<usize>()) {
        let entities = [Entity { kind: "mention".into(), offset, length, user: None }];
        let _ = mentions(&text, &entities);
    }
}
