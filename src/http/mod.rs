//! The HTTP edge: the API (SPEC §3), one module per resource, and the
//! staff's HTML pages (`pages`), over one [`AppState`].

pub mod auth;
pub mod breaches;
pub mod chats;
pub mod error;
pub mod events;
pub mod health;
pub mod hooks;
pub mod issues;
pub mod messages;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod pages;
pub mod projects;
pub mod query;
pub mod reports;
pub mod views;

use crate::config::Config;
use crate::engine::ingest::Writer;
use crate::engine::signal::TimerSignal;
use crate::metrics::Metrics;
use crate::store::Store;
use auth::RateLimiter;
use axum::extract::{DefaultBodyLimit, FromRequest, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use error::ApiError;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;

/// Everything a handler needs, shared: axum clones the state for every
/// request (router, middleware, extractors), so a clone is one reference
/// count rather than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub config: Arc<Config>,
    pub store: Store,
    pub writer: Writer,
    pub timer: Arc<TimerSignal>,
    pub rate_limiter: Arc<RateLimiter>,
    pub metrics: Arc<Metrics>,
    /// Wakes the dispatcher when a delivery is requeued.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Chat messages to events.
    pub inbox: crate::engine::inbox::Inbox,
    /// Chats no project lists that were logged already (once each).
    pub unmapped_chats: chats::UnmappedChats,
    /// The board's per-project counts, shared between requests.
    pub board_counts: Arc<pages::counts::BoardCounts>,
    /// The receivers' states, for `/readyz`.
    pub receivers: crate::receivers::Statuses,
}

/// A JSON body whose rejections answer with the API's error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// The whole API.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.server.body_limit;
    Router::new()
        .route("/v1/events", post(events::post_events))
        .route("/v1/messages", post(messages::post_message))
        .route(
            "/v1/hooks/{platform}",
            get(hooks::platform_hook).post(hooks::platform_hook),
        )
        .route("/v1/issues", get(issues::list_issues))
        .route("/v1/issues/{issue}", get(issues::get_issue))
        .route("/v1/breaches", get(breaches::list_breaches))
        .route("/v1/projects", get(projects::list_projects))
        .route("/v1/reports/compliance", get(reports::get_compliance))
        .route("/v1/chats", get(chats::list_chats))
        .route("/v1/notifications", get(notifications::list_notifications))
        .route(
            "/v1/notifications/{id}/retry",
            post(notifications::retry_notification),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/metrics", get(metrics::metrics))
        .merge(pages::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), trace_request))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a request handler panicked".into()).into_response()
        }))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /openapi.json".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this route does not take that method; see /openapi.json".into())
}

/// One span per request, named by route template (never the raw path), and
/// the request counted by route template and status.
async fn trace_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = request.method().clone();
    let span = tracing::info_span!("request", %method, %route);
    let started = std::time::Instant::now();
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    state
        .metrics
        .http_requests
        .with_label_values(&[route, status.as_str()])
        .inc();
    state
        .metrics
        .http_duration
        .with_label_values(&[route])
        .observe(elapsed);
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            elapsed_ms = elapsed * 1e3,
            "request done"
        )
    });
    response
}
