//! `GET /v1/projects`.

use super::auth::{Caller, ReadScope};
use super::error::{ApiError, ErrorBody};
use super::views::ProjectView;
use super::AppState;
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub items: Vec<ProjectView>,
}

/// Configured projects (and unconfigured ones seen in events) with live
/// counts: issues `open` and `paused` (as `GET /v1/issues?state=` lists
/// them), those with unmet stages, and their open, at-risk and breached
/// stages.
#[utoipa::path(
    get, path = "/v1/projects", tag = "projects",
    responses((status = 200, body = ProjectList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_projects(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
) -> Result<Json<ProjectList>, ApiError> {
    let counts = state.store.project_counts(Utc::now()).await?;
    let seen = state.store.projects_seen().await?;
    let mut items: Vec<ProjectView> = state
        .config
        .projects
        .values()
        .map(|project| {
            let count = counts.iter().find(|c| c.project == project.key);
            ProjectView::build(&project.key, Some(project.name.clone()), true, count)
        })
        .collect();
    for key in seen
        .iter()
        .filter(|key| !state.config.projects.contains_key(*key))
    {
        let count = counts.iter().find(|c| &c.project == key);
        items.push(ProjectView::build(key, None, false, count));
    }
    Ok(Json(ProjectList { items }))
}
