//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its job).

use super::AppState;
use crate::receivers::ReceiverStatus;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Each `[receivers.NAME]`'s connection: `connecting`, `connected` or
    /// `backoff` (with the last error). Shown, not judged: a platform that
    /// is down does not make this replica unready, since its API, timer
    /// and hooks still work.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub receivers: BTreeMap<String, ReceiverStatus>,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        problems: Vec::new(),
        receivers: BTreeMap::new(),
    })
}

/// Readiness: the store answers, migrations are applied, the timer runs;
/// with the receivers' connections in the details.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let mut problems = Vec::new();
    match state.store.ready().await {
        Ok(true) => {}
        Ok(false) => problems.push("migrations are not all applied".to_string()),
        Err(error) => problems.push(format!("store: {error}")),
    }
    if !state.timer.is_running() {
        problems.push("the timer is not running".to_string());
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = if problems.is_empty() { "ok" } else { "unavailable" };
    (
        status,
        Json(Health {
            status: word.into(),
            problems,
            receivers: state.receivers.snapshot(),
        }),
    )
}
