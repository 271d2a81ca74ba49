//! The keys of issues a chat message raises and the ids of the events it
//! records, derived from the platform's ids in a reversible key encoding.

use crate::domain::classify::{self, Message};
use crate::domain::event::MAX_KEY_CHARS;

/// `{platform}:{chat_id}:{message_id}` (SPEC §4) in the key encoding of
/// [`encode_key`], or, when that is longer than a key may be,
/// `{platform}:#` and a hash of it.
pub fn issue_key(message: &Message) -> String {
    issue_key_n(message, 0)
}

/// The key of the `n`th issue (from 0) a message raises: [`issue_key`], then
/// `…:2`, `…:3` for a message that names several matters.
pub fn issue_key_n(message: &Message, n: usize) -> String {
    valid_or_hashed(&message.platform, classify::raised_key(message, n))
}

/// The id of the `index`th event a message records:
/// `{platform}:{message_id}:{chat_id}:{index}`, or its hashed form. The
/// message id comes first because most platforms number messages in time
/// order, so new ids land at the end of the events' id index rather than at
/// a random place in it by chat (docs/benchmarks.md). The chat stays in the
/// id: Slack and Telegram number messages per chat.
pub(super) fn event_id(message: &Message, index: usize) -> String {
    valid_or_hashed(
        &message.platform,
        format!(
            "{}:{}:{}:{index}",
            message.platform, message.message_id, message.chat_id
        ),
    )
}

/// `key` in the key encoding when it fits in a key, else `{platform}:#` and
/// a hash of it.
fn valid_or_hashed(platform: &str, key: String) -> String {
    let encoded = encode_key(&key);
    if encoded.chars().count() <= MAX_KEY_CHARS {
        encoded
    } else {
        format!("{platform}:#{}", crate::domain::short_hash(&key))
    }
}

/// The key encoding of platform ids (docs/chat-platforms.md): a key holds no
/// `/`, and DingTalk's base64 ids often do, so `/` is written `%2F` and `%`
/// itself `%25`, as in a URL; every other character stays. Reversible:
/// [`decode_key`] gives the ids back.
pub fn encode_key(text: &str) -> String {
    text.replace('%', "%25").replace('/', "%2F")
}

/// The text [`encode_key`] encoded.
pub fn decode_key(key: &str) -> String {
    let mut decoded = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(at) = rest.find('%') {
        decoded.push_str(&rest[..at]);
        let (character, skip) = match &rest[at..] {
            tail if tail.starts_with("%2F") => ('/', 3),
            tail if tail.starts_with("%25") => ('%', 3),
            _ => ('%', 1),
        };
        decoded.push(character);
        rest = &rest[at + skip..];
    }
    decoded.push_str(rest);
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(chat_id: &str, message_id: &str) -> Message {
        Message {
            platform: "wechat".into(),
            chat_id: chat_id.into(),
            message_id: message_id.into(),
            sender_id: "wang-yz".into(),
            sender_name: None,
            text: "停水了".into(),
            at: chrono::Utc::now(),
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn issue_keys_lead_with_the_chat_and_event_ids_with_the_message() {
        let message = message("grp-zhongtai", "m-88121");
        assert_eq!(issue_key(&message), "wechat:grp-zhongtai:m-88121");
        assert_eq!(event_id(&message, 0), "wechat:m-88121:grp-zhongtai:0");
        assert_eq!(event_id(&message, 1), "wechat:m-88121:grp-zhongtai:1");
    }

    #[test]
    fn keys_that_are_too_long_are_hashed() {
        let long = message(&"g".repeat(120), "m-1");
        for key in [issue_key(&long), event_id(&long, 0)] {
            assert!(key.starts_with("wechat:#"), "{key}");
            assert_eq!(key.len(), "wechat:#".len() + 32, "{key}");
        }
        assert_ne!(issue_key(&long), event_id(&long, 0));
        assert_ne!(event_id(&long, 0), event_id(&long, 1));
    }

    #[test]
    fn keys_with_a_slash_stay_readable_and_decode_to_the_platform_ids() {
        let mut dingtalk = message("cidSGS2Krr9YWH4JyWJq/iSAg==", "msgqYw3y0w/Z4jJd%hx+LqH6Q==");
        dingtalk.platform = "dingtalk".into();
        let key = issue_key(&dingtalk);
        assert_eq!(
            key,
            "dingtalk:cidSGS2Krr9YWH4JyWJq%2FiSAg==:msgqYw3y0w%2FZ4jJd%25hx+LqH6Q=="
        );
        assert_eq!(
            decode_key(&key),
            "dingtalk:cidSGS2Krr9YWH4JyWJq/iSAg==:msgqYw3y0w/Z4jJd%hx+LqH6Q=="
        );
        assert!(!event_id(&dingtalk, 0).contains('/'));
        assert!(event_id(&dingtalk, 0).starts_with("dingtalk:msgqYw3y0w%2FZ4jJd"));
        // `%2F` in an id stays what it was: `%` is encoded too.
        let literal = message("grp%2F1", "m-1");
        assert_ne!(issue_key(&literal), issue_key(&message("grp/1", "m-1")));
        assert_eq!(decode_key(&issue_key(&literal)), "wechat:grp%2F1:m-1");
        for text in ["%/", "%252F", "a%b/c%2", "%%2F%25/"] {
            assert_eq!(decode_key(&encode_key(text)), text, "{text}");
        }
    }
}
