//! `GET /v1/chats` (admin): the chats messages came from, so that an
//! operator finds the id of a chat no project lists yet and copies it into
//! the configuration; and the notice that a message came from such a chat.

use super::auth::{AdminScope, Caller};
use super::error::{ApiError, ErrorBody};
use super::query::Params;
use super::views::stamp;
use super::AppState;
use crate::domain::classify::identity;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Mutex;
use utoipa::ToSchema;

/// Unmapped chats remembered for the warn-once log; past this many, further
/// ones are still counted and listed but logged no more.
const MAX_REMEMBERED: usize = 10_000;

/// The unmapped chats this process has already logged.
#[derive(Debug, Default)]
pub struct UnmappedChats(Mutex<HashSet<String>>);

impl UnmappedChats {
    /// True the first time a chat is seen (so the caller logs it once).
    pub fn first_sighting(&self, chat: &str) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.len() < MAX_REMEMBERED && seen.insert(chat.to_string())
    }
}

/// Counts a new message from a chat that no project lists, and logs the chat
/// once (SPEC §4: stored, no event, logged and counted).
pub(super) fn note_unmapped(state: &AppState, platform: &str, chat_id: &str, platform_label: &str) {
    state
        .metrics
        .messages_unmapped
        .with_label_values(&[platform_label])
        .inc();
    let chat = identity(platform, chat_id);
    if state.unmapped_chats.first_sighting(&chat) {
        tracing::warn!(
            %chat,
            "a message came from a chat that no project lists: it is stored but raises nothing; \
             add the chat to a project's `chats` (GET /v1/chats?mapped=false lists such chats)"
        );
    }
}

/// A chat messages came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatView {
    pub platform: String,
    pub chat_id: String,
    /// `platform:chat_id`, as a project's `chats` lists it.
    pub chat: String,
    /// Whether a project lists the chat.
    pub mapped: bool,
    /// The project that lists it.
    pub project: Option<String>,
    /// When slawatch received its first and its latest stored message.
    pub first_seen: String,
    pub last_seen: String,
    /// Stored messages of the chat (within `retention.messages`).
    pub messages: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatList {
    pub items: Vec<ChatView>,
}

/// Chats messages came from, most recently active first.
#[utoipa::path(
    get, path = "/v1/chats", tag = "messages",
    params(("mapped" = Option<bool>, Query, description = "false: only chats no project lists; true: only listed ones")),
    responses((status = 200, body = ChatList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_chats(
    State(state): State<AppState>,
    _caller: Caller<AdminScope>,
    params: Params,
) -> Result<Json<ChatList>, ApiError> {
    params.only(&["mapped"])?;
    let mapped = params.parsed("mapped", "true or false", |text| match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })?;
    let directory = &state.config.chat.directory;
    let zone = state.config.policies.select("", None).calendar.time_zone();
    let mut seen = state.store.chats_seen().await?;
    seen.sort_by_key(|chat| std::cmp::Reverse(chat.last_received));
    let items = seen
        .into_iter()
        .map(|seen| {
            let project = directory
                .project_of(&seen.platform, &seen.chat_id)
                .map(String::from);
            ChatView {
                chat: identity(&seen.platform, &seen.chat_id),
                mapped: project.is_some(),
                project,
                first_seen: stamp(seen.first_received, zone),
                last_seen: stamp(seen.last_received, zone),
                messages: seen.messages,
                platform: seen.platform,
                chat_id: seen.chat_id,
            }
        })
        .filter(|chat| mapped.is_none_or(|mapped| chat.mapped == mapped))
        .collect();
    Ok(Json(ChatList { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unmapped_chat_is_logged_once() {
        let seen = UnmappedChats::default();
        assert!(seen.first_sighting("wechat:grp-new"));
        assert!(!seen.first_sighting("wechat:grp-new"));
        assert!(seen.first_sighting("wecom:wr-other"));
    }
}
