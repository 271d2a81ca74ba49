//! Telegram Bot API webhook: one `Update` per request.
//!
//! Authentication is the `secret_token` given to `setWebhook`, which
//! Telegram sends back in `X-Telegram-Bot-Api-Secret-Token`; it is compared
//! in constant time. Telegram signs nothing and sends no request timestamp,
//! so there is no replay window: a replayed update has the same `update_id`,
//! which is the delivery id the caller de-duplicates on.
//!
//! Mapping (SPEC §4): `message.message_id` is the message id (unique per
//! chat), `message.chat.id` the chat, `message.from.id` the sender (name from
//! `first_name` and `last_name`), `reply_to_message.message_id` the message
//! replied to, `date` (Unix seconds) the time, `text` or else `caption` the
//! text. Mentions come from `entities` (or `caption_entities`):
//! `text_mention` gives the user's numeric id, `mention` only a username,
//! which is kept with its `@` so it cannot be mistaken for an id. Only
//! `message` updates from people count; `edited_message`, channel posts,
//! callbacks and messages from bots are ignored. In a forum topic Telegram
//! puts the topic's creation message in `reply_to_message` of every message
//! that replies to nothing else; that is not a reply.

use super::crypto::constant_time_eq;
use super::{json_error, ChatMessage, HookError, HookOutcome, HookRequest, Secret};
use chrono::DateTime;
use serde::Deserialize;

/// The platform name in routes, issue keys and identities.
pub const PLATFORM: &str = "telegram";

/// The header Telegram echoes the webhook's `secret_token` in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// `[hooks.telegram]`: the `secret_token` passed to `setWebhook`.
#[derive(Debug, Clone)]
pub struct TelegramSecrets {
    /// 1–256 characters of `A-Z a-z 0-9 _ -`.
    pub secret_token: Secret,
}

impl TelegramSecrets {
    /// Reads the token from the variable `secret_token_env` names.
    pub fn from_env(secret_token_env: &str) -> Option<Self> {
        Some(TelegramSecrets {
            secret_token: Secret::from_env(secret_token_env)?,
        })
    }
}

/// Verifies the secret token, then maps a `message` update.
pub fn handle(request: &HookRequest, secrets: &TelegramSecrets) -> Result<HookOutcome, HookError> {
    request.require_post()?;
    let expected = secrets.secret_token.expose();
    if expected.is_empty() {
        return Err(HookError::NotConfigured);
    }
    let presented = request
        .header(SECRET_HEADER)
        .ok_or(HookError::BadSignature("missing X-Telegram-Bot-Api-Secret-Token"))?;
    if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(HookError::BadSignature(
            "X-Telegram-Bot-Api-Secret-Token does not match",
        ));
    }
    let update: Update = serde_json::from_slice(request.body).map_err(json_error)?;
    outcome(update)
}

/// Maps one `Update` as `getUpdates` returns it (the same object a webhook
/// receives; the bot token authenticated the call, so nothing is verified).
pub fn update(update: &serde_json::Value) -> Result<HookOutcome, HookError> {
    outcome(Update::deserialize(update).map_err(json_error)?)
}

fn outcome(update: Update) -> Result<HookOutcome, HookError> {
    let Some(message) = update.message.and_then(map_message).transpose()? else {
        return Ok(HookOutcome::Ignore);
    };
    Ok(HookOutcome::Message {
        message,
        delivery_id: update.update_id.to_string(),
        retry: false,
    })
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    from: Option<User>,
    chat: Chat,
    date: i64,
    text: Option<String>,
    caption: Option<String>,
    entities: Option<Vec<Entity>>,
    caption_entities: Option<Vec<Entity>>,
    reply_to_message: Option<Replied>,
}

/// The replied-to message: only its id matters, and whether it is the
/// service message that opened a forum topic.
#[derive(Deserialize)]
struct Replied {
    message_id: i64,
    forum_topic_created: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    // Absent in the examples of Telegram's own webhook guide.
    #[serde(default)]
    is_bot: bool,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

#[derive(Deserialize)]
struct Entity {
    #[serde(rename = "type")]
    kind: String,
    offset: usize,
    length: usize,
    user: Option<EntityUser>,
}

#[derive(Deserialize)]
struct EntityUser {
    id: i64,
}

/// `None` for updates that are not a person's message.
fn map_message(message: Message) -> Option<Result<ChatMessage, HookError>> {
    let from = message.from?;
    if from.is_bot {
        return None;
    }
    let (text, entities) = match (message.text, message.caption) {
        (Some(text), _) => (text, message.entities),
        (None, Some(caption)) => (caption, message.caption_entities),
        (None, None) => return None,
    };
    let Some(at) = DateTime::from_timestamp(message.date, 0) else {
        return Some(Err(HookError::Malformed("message.date is out of range".into())));
    };
    let name = [from.first_name, from.last_name]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(Ok(ChatMessage {
        platform: PLATFORM.to_string(),
        message_id: message.message_id.to_string(),
        chat_id: message.chat.id.to_string(),
        sender_id: from.id.to_string(),
        sender_name: Some(name).filter(|name| !name.is_empty()),
        mentions: mentions(&text, entities.as_deref().unwrap_or_default()),
        text,
        at,
        reply_to: message
            .reply_to_message
            .filter(|replied| replied.forum_topic_created.is_none())
            .map(|replied| replied.message_id.to_string()),
    }))
}

/// Mentioned users: ids of `text_mention`s, `@username` of `mention`s (whose
/// offsets count UTF-16 code units, as the Bot API documents).
fn mentions(text: &str, entities: &[Entity]) -> Vec<String> {
    let utf16: Vec<u16> = text.encode_utf16().collect();
    let mut found: Vec<String> = Vec::new();
    for entity in entities {
        let mention = match (entity.kind.as_str(), &entity.user) {
            ("text_mention", Some(user)) => Some(user.id.to_string()),
            ("mention", _) => entity
                .offset
                .checked_add(entity.length)
                .and_then(|end| utf16.get(entity.offset..end))
                .and_then(|units| String::from_utf16(units).ok()),
            _ => None,
        };
        if let Some(mention) = mention.filter(|mention| !found.contains(mention)) {
            found.push(mention);
        }
    }
    found
}

#[cfg(test)]
mod tests;
