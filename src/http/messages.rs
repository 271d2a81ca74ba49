//! `POST /v1/messages`: one chat message from any bot (SPEC §4), classified
//! into events, answered with what it did.

use super::auth::{Caller, IngestScope};
use super::error::{ApiError, ErrorBody};
use super::{AppState, JsonBody};
use crate::domain::message::{parse_message, MessageInput};
use crate::engine::command::ActionTaken;
use crate::engine::inbox::ReceiveError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// What a message did: `kind` is an event kind, or `joined`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageAnswer {
    pub message_id: String,
    /// `accepted`, or `duplicate` for a message stored before (its answer again).
    pub status: &'static str,
    pub actions: Vec<ActionTaken>,
    /// When a command named no issue and its words matched none of several
    /// open ones: their numbers, so that the bot can ask which.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_issues: Vec<i64>,
    /// What the bot may say in the group (the project's `confirm`), e.g.
    /// 「已受理 #12：10分钟内回复、2小时内处理、1天内给出推进计划」.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// Store a chat message and the events it calls for.
#[utoipa::path(
    post, path = "/v1/messages", tag = "messages",
    request_body = MessageInput,
    responses(
        (status = 201, description = "stored, with the actions taken (possibly none)", body = MessageAnswer),
        (status = 200, description = "stored before: the same answer", body = MessageAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "invalid field, named in `field`", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller<IngestScope>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let message = parse_message(&body, Utc::now(), state.config.engine.max_future_skew)?;
    // The bot that posted the message says the reply itself.
    let answer = take(&state, message, &caller.name, ReplyVia::Answer).await?;
    let status = match answer.status {
        "accepted" => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(answer)).into_response())
}

/// Who says a message's confirmation in the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyVia {
    /// The answer carries it (`reply`): the bot that called `/v1/messages`,
    /// or a hook whose platform takes a message in its answer.
    Answer,
    /// The project's group robots (`confirm_channels`), through the outbox:
    /// hooks whose answer cannot carry a message, and receivers.
    GroupRobot,
}

/// Stores a parsed message and the events it calls for, and says what it
/// did; every route that receives messages goes through here.
pub(super) async fn take(
    state: &AppState,
    message: crate::domain::classify::Message,
    source: &str,
    via: ReplyVia,
) -> Result<MessageAnswer, ApiError> {
    let message_id = message.message_id.clone();
    let (platform, chat_id) = (message.platform.clone(), message.chat_id.clone());
    let text = message.text.clone();
    let receipted = state
        .inbox
        .receive(message, source)
        .await
        .map_err(|error| match error {
            ReceiveError::Store(error) => ApiError::from(error),
            ReceiveError::Invalid(invalid) => ApiError::from(invalid),
        })?;
    let outcome = match (receipted.new, receipted.actions.is_empty()) {
        (false, _) => "duplicate",
        (true, true) => "none",
        (true, false) => "acted",
    };
    state
        .metrics
        .messages
        .with_label_values(&[platform_label(&platform), outcome])
        .inc();
    let directory = &state.config.chat.directory;
    if receipted.new && directory.project_of(&platform, &chat_id).is_none() {
        super::chats::note_unmapped(state, &platform, &chat_id, platform_label(&platform));
    }
    let project = directory.project_of(&platform, &chat_id);
    let reply = project.and_then(|project| confirmation(state, project, &receipted.actions, &text));
    if let (ReplyVia::GroupRobot, Some(project), Some(reply)) = (via, project, &reply) {
        // A redelivered message queues nothing new: the delivery ids are
        // the message's, so a retry after a lost answer still gets it said.
        let said = ConfirmationSaid {
            platform: &platform,
            chat_id: &chat_id,
            message_id: &message_id,
            project,
            text: reply,
            actions: &receipted.actions,
        };
        queue_confirmation(state, &said).await?;
    }
    Ok(MessageAnswer {
        message_id,
        status: if receipted.new { "accepted" } else { "duplicate" },
        actions: receipted.actions,
        open_issues: receipted.open_issues,
        reply,
    })
}

/// A confirmation to be said by a project's group robots.
struct ConfirmationSaid<'a> {
    platform: &'a str,
    chat_id: &'a str,
    message_id: &'a str,
    project: &'a str,
    text: &'a str,
    actions: &'a [ActionTaken],
}

/// Queues `said` in the outbox for each of the project's `confirm_channels`,
/// once per message and channel (the delivery id is the message's).
async fn queue_confirmation(state: &AppState, said: &ConfirmationSaid<'_>) -> Result<(), ApiError> {
    use crate::domain::notice::{delivery_id, OutboxEntry};
    use crate::domain::notification::{Notification, NotificationKind};
    let Some(project) = state.config.projects.get(said.project) else {
        return Ok(());
    };
    if project.confirm_channels.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let first = said.actions.iter().find(|action| action.seq.is_some());
    let policy = state.config.policies.select(said.project, None);
    let notification = Notification {
        delivery: String::new(),
        kind: NotificationKind::Confirmation,
        issue: first.map_or_else(String::new, |action| action.issue.clone()),
        seq: first.and_then(|action| action.seq).unwrap_or_default(),
        project: said.project.to_string(),
        project_name: project.name.clone(),
        stage: None,
        target: None,
        cycle: 0,
        title: String::new(),
        raised_by: None,
        raised_at: now,
        deadline: None,
        detected_at: now,
        escalation_step: 0,
        url: String::new(),
        time_zone: policy.calendar.time_zone(),
        resolved: false,
        digest: None,
        confirmation: Some(said.text.to_string()),
    };
    let entries: Vec<OutboxEntry> = project
        .confirm_channels
        .iter()
        .map(|channel| OutboxEntry {
            channel: channel.clone(),
            notification: Notification {
                delivery: delivery_id(&format!(
                    "confirmation\u{0}{}\u{0}{}\u{0}{}\u{0}{channel}",
                    said.platform, said.chat_id, said.message_id
                )),
                ..notification.clone()
            },
        })
        .collect();
    let mut tx = state.store.begin().await?;
    tx.insert_notifications(&entries, now).await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Receivers hand their messages to the same path as hooks: `take`, with
/// its metrics, unmapped-chat notes and stored answers.
impl crate::receivers::Sink for AppState {
    async fn take(
        &self,
        message: crate::domain::classify::Message,
        source: &str,
    ) -> Result<bool, crate::receivers::TakeError> {
        use crate::receivers::TakeError;
        // A receiver's connection carries no answer into the group.
        match take(self, message, source, ReplyVia::GroupRobot).await {
            Ok(answer) => Ok(answer.status == "accepted"),
            Err(error @ (ApiError::Unavailable | ApiError::Internal(_))) => {
                Err(TakeError::Unavailable(error.to_string()))
            }
            Err(error) => Err(TakeError::Refused(error.to_string())),
        }
    }
}

/// What the bot says in the group about what a message did (the project's
/// `confirm`), in the message's language, with the policy's targets.
fn confirmation(state: &AppState, project: &str, actions: &[ActionTaken], text: &str) -> Option<String> {
    use crate::notify::confirm::{self, Confirm, Done};
    let mode = state
        .config
        .projects
        .get(project)
        .map_or(Confirm::Off, |p| p.confirm);
    if mode == Confirm::Off {
        return None;
    }
    let policy = state.config.policies.select(project, None);
    let targets: Vec<(&str, String)> = policy
        .targets
        .iter()
        .map(|(stage, target)| (stage.as_str(), target.to_string()))
        .collect();
    let done: Vec<Done> = actions
        .iter()
        .filter_map(|action| {
            Some(Done {
                seq: action.seq?,
                kind: &action.kind,
            })
        })
        .collect();
    confirm::confirmation(mode, &done, &targets, confirm::language_of(text))
}

/// The platforms with hooks keep their name; any other bot's platform name
/// is `other`, so a label never takes arbitrary values.
fn platform_label(platform: &str) -> &'static str {
    crate::metrics::MESSAGE_PLATFORMS
        .into_iter()
        .find(|known| *known == platform)
        .unwrap_or("other")
}
