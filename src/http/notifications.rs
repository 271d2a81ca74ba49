//! `GET /v1/notifications` and `POST /v1/notifications/{id}/retry` (admin).

use super::auth::{AdminScope, Caller};
use super::error::{ApiError, ErrorBody};
use super::query::Params;
use super::views::{stamp, Page};
use super::AppState;
use crate::store::outbox::NotificationRow;
use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

/// One delivery of a notification to one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// The delivery id (`webhook-id`), stable across retries.
    pub delivery: String,
    pub channel: String,
    /// `warning`, `breach`, `escalation`, `retraction`, `daily_digest` or `confirmation`.
    pub kind: String,
    pub issue: Option<String>,
    pub project: Option<String>,
    pub stage: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

impl NotificationView {
    fn build(row: &NotificationRow, zone: chrono_tz::Tz) -> Self {
        NotificationView {
            id: row.id,
            delivery: row.delivery.clone(),
            channel: row.channel.clone(),
            kind: row.kind.clone(),
            issue: row.issue.clone(),
            project: row.project.clone(),
            stage: row.stage.clone(),
            state: row.state.clone(),
            attempts: row.attempts,
            next_attempt_at: (row.state == "pending").then(|| stamp(row.next_attempt, zone)),
            last_error: row.last_error.clone(),
            created_at: stamp(row.created, zone),
            delivered_at: row.delivered.map(|at| stamp(at, zone)),
        }
    }
}

/// Deliveries and their state, newest first.
#[utoipa::path(
    get, path = "/v1/notifications", tag = "notifications",
    params(
        ("state" = Option<String>, Query, description = "pending, delivered or failed"),
        ("limit" = Option<i64>, Query, description = "1–500, default 100"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses((status = 200, body = Page<NotificationView>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    _caller: Caller<AdminScope>,
    params: Params,
) -> Result<Json<Page<NotificationView>>, ApiError> {
    params.only(&["state", "limit", "cursor"])?;
    let wanted = params.parsed("state", "one of pending, delivered, failed", |text| {
        ["pending", "delivered", "failed"]
            .contains(&text)
            .then(|| text.to_string())
    })?;
    let limit = params.limit()?;
    let rows = state
        .store
        .list_notifications(wanted.as_deref(), params.cursor()?, limit)
        .await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|row| row.id.to_string()))
        .flatten();
    let zone = state.config.policies.select("", None).calendar.time_zone();
    Ok(Json(Page {
        items: rows
            .iter()
            .map(|row| NotificationView::build(row, zone))
            .collect(),
        next_cursor,
    }))
}

/// Requeues a failed delivery for another 24 hours of attempts.
#[utoipa::path(
    post, path = "/v1/notifications/{id}/retry", tag = "notifications",
    params(("id" = i64, Path, description = "the delivery's `id`")),
    responses((status = 202, description = "requeued"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "no failed delivery with this id", body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn retry_notification(
    State(state): State<AppState>,
    _caller: Caller<AdminScope>,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    let not_found = || ApiError::NotFound("no failed delivery with this id".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    if state.store.retry_notification(id, Utc::now()).await? {
        state.outbox_wake.notify_one();
        Ok(axum::http::StatusCode::ACCEPTED)
    } else {
        Err(not_found())
    }
}
