//! `GET /v1/breaches`.

use super::auth::{Caller, ReadScope};
use super::error::{ApiError, ErrorBody};
use super::query::Params;
use super::views::{BreachView, Page};
use super::AppState;
use crate::domain::policy::Stage;
use crate::store::read::BreachFilter;
use axum::extract::State;
use axum::Json;

/// Breach records, newest first; retracted ones only on request.
#[utoipa::path(
    get, path = "/v1/breaches", tag = "breaches",
    params(
        ("project" = Option<String>, Query, description = "project key"),
        ("stage" = Option<String>, Query, description = "ack, handle or plan"),
        ("since" = Option<String>, Query, description = "deadline at or after (RFC 3339)"),
        ("until" = Option<String>, Query, description = "deadline before (RFC 3339)"),
        ("include_retracted" = Option<bool>, Query, description = "also list retracted breaches"),
        ("limit" = Option<i64>, Query, description = "1–500, default 100"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses((status = 200, body = Page<BreachView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_breaches(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    params: Params,
) -> Result<Json<Page<BreachView>>, ApiError> {
    params.only(&[
        "project",
        "stage",
        "since",
        "until",
        "include_retracted",
        "limit",
        "cursor",
    ])?;
    let filter = BreachFilter {
        project: params.text("project").map(String::from),
        stage: params.parsed("stage", "one of ack, handle, plan", Stage::parse)?,
        since: params.time("since")?,
        until: params.time("until")?,
        include_retracted: params.flag("include_retracted")?,
        before_id: params.cursor()?,
        limit: params.limit()?,
    };
    let rows = state.store.list_breaches(&filter).await?;
    let next_cursor = (rows.len() as i64 == filter.limit)
        .then(|| rows.last().map(|row| row.id.to_string()))
        .flatten();
    let zone = state.config.policies.select("", None).calendar.time_zone();
    let items = rows.iter().map(|row| BreachView::build(row, zone)).collect();
    Ok(Json(Page { items, next_cursor }))
}
