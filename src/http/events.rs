//! `POST /v1/events`: one event or an array of up to 1000.

use super::auth::{Caller, IngestScope};
use super::error::{ApiError, ErrorBody};
use super::views::IssueView;
use super::{AppState, JsonBody};
use crate::domain::event::{Event, EventInput, Invalid, Receipt};
use crate::engine::command::Outcome;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use utoipa::ToSchema;

/// Most events in one array.
pub const MAX_BATCH: usize = 1000;

/// Answer to a single event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventAccepted {
    pub id: String,
    /// `accepted` or `duplicate`.
    pub status: String,
    pub issue: Option<IssueView>,
}

/// Answer to an array: each item judged on its own. The answer is `200`
/// even when items are refused: see `rejected` and each item's `status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub results: Vec<ItemResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResult {
    pub id: Option<String>,
    /// `accepted`, `duplicate`, `conflict` or `rejected`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<super::error::ErrorDetail>,
}

/// Store events; a 2xx answer means they are durably committed. Every event
/// refused (a 4xx, or an array item `rejected` or `conflict`) is counted in
/// `slawatch_events_rejected_total{reason}`.
#[utoipa::path(
    post, path = "/v1/events", tag = "events",
    request_body(content = EventInput, description = "one event object, or an array of up to 1000"),
    responses(
        (status = 201, description = "stored", body = EventAccepted),
        (status = 200, description = "a duplicate (single event), or the per-item results of an array", body = BatchResult),
        (status = 400, description = "malformed JSON", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "same id, different content", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "invalid field, named in `field`", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_events(
    State(state): State<AppState>,
    caller: Caller<IngestScope>,
    body: Result<JsonBody<Value>, ApiError>,
) -> Result<Response, ApiError> {
    // A body that cannot be read refuses what it held: counted once.
    let JsonBody(body) = body.inspect_err(|error| state.metrics.reject(error.code(), 1))?;
    let receipt = Receipt {
        received_at: Utc::now(),
        source: caller.name,
        max_future_skew: state.config.engine.max_future_skew,
    };
    match body {
        Value::Array(items) => post_batch(&state, &receipt, &items).await,
        single => post_single(&state, &receipt, &single).await,
    }
}

async fn post_single(state: &AppState, receipt: &Receipt, value: &Value) -> Result<Response, ApiError> {
    let event = Event::from_value(value, receipt, &"")
        .inspect_err(|invalid| state.metrics.reject(invalid.reason, 1))?;
    let id = event.id.clone();
    let outcome = state.writer.ingest(vec![event]).await?.pop();
    let now = Utc::now();
    let view = |row: &crate::store::rows::IssueRow| IssueView::build(row, &state.config.policies, now);
    match outcome {
        Some(Outcome::Accepted(row)) => Ok((
            StatusCode::CREATED,
            Json(EventAccepted {
                id,
                status: "accepted".into(),
                issue: Some(view(&row)),
            }),
        )
            .into_response()),
        Some(Outcome::Duplicate(row)) => Ok((
            StatusCode::OK,
            Json(EventAccepted {
                id,
                status: "duplicate".into(),
                issue: row.map(|r| view(&r)),
            }),
        )
            .into_response()),
        Some(Outcome::Conflict) => Err(ApiError::Conflict(format!(
            "event `{id}` was already stored with different content"
        ))),
        Some(Outcome::Rejected(invalid)) => Err(invalid.into()),
        None => Err(ApiError::Internal("the writer returned no outcome".into())),
    }
}

async fn post_batch(state: &AppState, receipt: &Receipt, items: &[Value]) -> Result<Response, ApiError> {
    if items.len() > MAX_BATCH {
        state.metrics.reject("batch_too_large", items.len() as u64);
        return Err(ApiError::Invalid {
            field: String::new(),
            code: "batch_too_large",
            message: format!(
                "an array holds at most {MAX_BATCH} events; this one holds {}",
                items.len()
            ),
        });
    }
    // Parse every item; only valid ones go to the writer.
    let mut results: Vec<Option<ItemResult>> = Vec::with_capacity(items.len());
    let mut valid = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match Event::from_value(item, receipt, &ItemPrefix(index)) {
            Ok(event) => {
                results.push(None);
                valid.push(event);
            }
            Err(invalid) => {
                state.metrics.reject(invalid.reason, 1);
                results.push(Some(rejected(id_of(item), invalid)));
            }
        }
    }
    let ids: Vec<String> = valid.iter().map(|e| e.id.clone()).collect();
    let outcomes = if valid.is_empty() {
        Vec::new()
    } else {
        state.writer.ingest(valid).await?
    };
    let mut outcomes = ids.into_iter().zip(outcomes);
    let mut answer = BatchResult {
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        results: Vec::with_capacity(items.len()),
    };
    for slot in results {
        let item = match slot {
            Some(item) => item,
            None => {
                let Some((id, outcome)) = outcomes.next() else {
                    continue;
                };
                match outcome {
                    Outcome::Accepted(_) => ItemResult {
                        id: Some(id),
                        status: "accepted".into(),
                        error: None,
                    },
                    Outcome::Duplicate(_) => ItemResult {
                        id: Some(id),
                        status: "duplicate".into(),
                        error: None,
                    },
                    Outcome::Conflict => ItemResult {
                        error: Some(
                            ApiError::Conflict(format!(
                                "event `{id}` was already stored with different content"
                            ))
                            .body()
                            .error,
                        ),
                        id: Some(id),
                        status: "conflict".into(),
                    },
                    Outcome::Rejected(invalid) => rejected(Some(id), invalid),
                }
            }
        };
        match item.status.as_str() {
            "accepted" => answer.accepted += 1,
            "duplicate" => answer.duplicates += 1,
            _ => answer.rejected += 1,
        }
        answer.results.push(item);
    }
    Ok((StatusCode::OK, Json(answer)).into_response())
}

/// `[3].`: where an array's item is, before its field names in errors.
/// Written out only for an error, so valid items cost no allocation.
struct ItemPrefix(usize);

impl fmt::Display for ItemPrefix {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "[{}].", self.0)
    }
}

fn rejected(id: Option<String>, invalid: Invalid) -> ItemResult {
    ItemResult {
        id,
        status: "rejected".into(),
        error: Some(ApiError::from(invalid).body().error),
    }
}

fn id_of(item: &Value) -> Option<String> {
    item.get("id")
        .and_then(Value::as_str)
        .map(|s| s.chars().take(128).collect())
}
