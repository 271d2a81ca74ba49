//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its job).

use super::AppState;
use crate::receivers::ReceiverStatus;
use crate::store::{FaultKind, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
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

/// How long `/readyz` waits for the database: the whole answer must come
/// within a second, well inside the probes' timeouts.
const STORE_CHECK: Duration = Duration::from_millis(800);

/// Readiness: writes succeed, the store answers, migrations are applied,
/// the timer runs; with the receivers' connections in the details. Answers
/// within a second whatever the database does.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let mut problems = Vec::new();
    let health = state.writer.health();
    if let Some(problem) = health.problem() {
        problems.push(problem);
    }
    match tokio::time::timeout(STORE_CHECK, state.store.ready()).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => problems.push("migrations are not all applied".to_string()),
        Ok(Err(error)) => {
            state.metrics.count_store_error(&error);
            problems.push(format!("store: {error}"));
        }
        Err(_) => {
            let error = StoreError::unavailable(
                FaultKind::Unreachable,
                format!("no answer within {} ms", STORE_CHECK.as_millis()),
            );
            state.metrics.count_store_error(&error);
            problems.push(format!("store: {error}"));
        }
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
