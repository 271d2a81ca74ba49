//! Acting from the issue page: mark handled, record a plan, close, reopen,
//! with a note. Needs a session with `ingest` scope and the session's CSRF
//! token; recorded as events with `source` = `web:{token name}` through the
//! same writer as `POST /v1/events`, so idempotency and the fold are the
//! API's own.

use super::access::Viewer;
use super::issue::{find, ActionKind, Actions};
use super::text::Lang;
use super::{lang_of, PageError};
use crate::config::Scope;
use crate::domain::event::{Event, Receipt};
use crate::domain::issue::IssueStatus;
use crate::domain::link::path_segment;
use crate::engine::command::Outcome;
use crate::http::AppState;
use crate::secret::random_key;
use crate::store::rows::IssueRow;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// What the page may record.
const KINDS: [&str; 4] = ["handled", "planned", "closed", "reopened"];

/// The longest note kept (characters).
const NOTE_CHARS: usize = 2000;

/// The action form for `row`: the kinds that fit its state. `link` is the
/// signed link's query (`exp=…&sig=…&`, or empty), kept for the way back.
pub fn form(row: &IssueRow, viewer: &Viewer, lang: Lang, link: &str) -> Actions {
    let kinds: &[&'static str] = match row.status {
        IssueStatus::Closed => &["reopened"],
        IssueStatus::Unraised => &[],
        IssueStatus::Open | IssueStatus::Paused => &["handled", "planned", "closed"],
    };
    let nonce: String = random_key()[..12].iter().map(|b| format!("{b:02x}")).collect();
    Actions {
        href: format!("/i/{}/actions?{link}", path_segment(&row.issue)),
        csrf: viewer.csrf.clone(),
        nonce,
        kinds: kinds
            .iter()
            .map(|kind| ActionKind {
                kind,
                label: lang.get(&format!("act_{kind}")),
            })
            .collect(),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    nonce: String,
}

/// `POST /i/{issue}/actions`: records the action, then shows the page again.
#[utoipa::path(
    post, path = "/i/{issue}/actions", tag = "pages",
    params(("issue" = String, Path, description = "the issue's key")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "`csrf`, `kind` (handled, planned, closed, reopened), `note`, `nonce`"),
    responses((status = 303, description = "recorded (or a duplicate); back to the issue page"),
              (status = 403, description = "no session with ingest scope, or no CSRF token", content_type = "text/html"),
              (status = 422, description = "refused by the rules", content_type = "text/html"))
)]
pub async fn act(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(None, &headers);
    let viewer = Viewer::of(&headers, &state)
        .filter(|v| v.allows(Scope::Ingest))
        .ok_or_else(|| PageError::forbidden(lang))?;
    if !viewer.csrf_matches(&form.csrf) {
        return Err(PageError::csrf(lang));
    }
    let Some(kind) = KINDS.iter().find(|kind| **kind == form.kind) else {
        return Err(PageError::refused(lang, &format!("`{}`", form.kind)));
    };
    let row = find(&state, &key, lang).await?;
    // The nonce rendered with the form names the event, so a double
    // submission is a duplicate, not a second event.
    let nonce: String = form
        .nonce
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    let nonce = if nonce.is_empty() {
        random_key()[..12].iter().map(|b| format!("{b:02x}")).collect()
    } else {
        nonce
    };
    let mut event = json!({
        "id": format!("web-{nonce}-{kind}"),
        "issue": row.issue,
        "kind": kind,
        "actor": { "id": format!("web:{}", viewer.name), "name": viewer.name, "role": "staff" },
    });
    let note: String = form.note.trim().chars().take(NOTE_CHARS).collect();
    if !note.is_empty() {
        event["text"] = note.into();
    }
    let receipt = Receipt {
        received_at: Utc::now(),
        source: format!("web:{}", viewer.name),
        max_future_skew: state.config.engine.max_future_skew,
    };
    let event = Event::parse(&event, &receipt, "").map_err(|invalid| {
        state.metrics.reject(invalid.reason, 1);
        PageError::refused(lang, &invalid.message)
    })?;
    let outcome = state
        .writer
        .ingest(vec![event])
        .await
        .map_err(|e| PageError::store(lang, e))?
        .pop();
    match outcome {
        Some(Outcome::Accepted(_) | Outcome::Duplicate(_)) => {
            tracing::info!(token = %viewer.name, kind, "action recorded from the issue page");
            // Back to the page, with the link it was opened by (if any).
            let link: String = ["exp", "sig"]
                .iter()
                .filter_map(|name| Some(format!("{name}={}&", path_segment(query.get(*name)?))))
                .collect();
            let back = format!("/i/{}?{link}done={kind}", path_segment(&row.issue));
            Ok((StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response())
        }
        Some(Outcome::Rejected(invalid)) => Err(PageError::refused(lang, &invalid.message)),
        Some(Outcome::Conflict) | None => Err(PageError::refused(lang, "conflict")),
    }
}
