//! `GET /i/{issue}`: the issue page that alert links open. A valid signed
//! link (`?exp=…&sig=…`) or a session with `read` scope shows it; a
//! tampered, expired or foreign link gets a 403 page and no data.

mod cards;

use super::access::Viewer;
use super::text::{self, Lang};
use super::{lang_of, render, Frame, PageError};
use crate::config::Scope;
use crate::domain::classify::identity;
use crate::domain::event::{Event, EventKind, Role};
use crate::domain::link::{path_segment, Purpose};
use crate::domain::Timestamp;
use crate::http::views::IssueView;
use crate::http::AppState;
use crate::store::rows::{status_str, IssueRow};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cards::card;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::HashMap;

/// At most this many notifications are listed on the page.
const NOTIFICATIONS_SHOWN: i64 = 100;

/// The page's content.
#[derive(Debug, Serialize)]
pub struct IssuePage {
    pub issue: String,
    pub title: String,
    pub project_name: String,
    pub seq: i64,
    pub state: &'static str,
    pub state_label: &'static str,
    pub requester: Option<String>,
    pub raised_at: Option<String>,
    pub closed_at: Option<String>,
    pub zone: String,
    pub cards: Vec<Card>,
    pub timeline: Vec<Entry>,
    pub notifications: Vec<Sent>,
    /// The action form, for a session with `ingest` scope.
    pub actions: Option<Actions>,
    /// What the last action did (after a redirect).
    pub notice: Option<String>,
}

/// One promise: `10 分钟回复`, `2 小时处理`, `1 天计划`.
#[derive(Debug, Serialize)]
pub struct Card {
    pub stage: &'static str,
    pub name: String,
    /// `pending`, `at_risk`, `met`, `breached`, `waived`.
    pub state: &'static str,
    pub state_label: &'static str,
    pub deadline: Option<String>,
    /// The deadline in Unix milliseconds, for the live countdown.
    pub deadline_ms: Option<i64>,
    /// Time left (or overdue) while the clock runs, as of the page's render.
    pub countdown: Option<String>,
    pub met: Option<String>,
    pub met_by: Option<String>,
    pub late: Option<String>,
    pub paused: bool,
}

/// A message or an event of the timeline.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub at: String,
    pub who: String,
    pub staff: bool,
    pub what: &'static str,
    pub text: Option<String>,
}

/// A notification sent (or being sent) about the issue.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub at: String,
    pub kind: &'static str,
    pub stage: Option<&'static str>,
    pub channel: String,
    pub state: &'static str,
}

/// The action form.
#[derive(Debug, Serialize)]
pub struct Actions {
    pub href: String,
    pub csrf: String,
    /// Names the form's event: a second submission is a duplicate.
    pub nonce: String,
    pub kinds: Vec<ActionKind>,
}

#[derive(Debug, Serialize)]
pub struct ActionKind {
    pub kind: &'static str,
    pub label: &'static str,
}

/// `GET /i/{issue}`.
#[utoipa::path(
    get, path = "/i/{issue}", tag = "pages",
    params(
        ("issue" = String, Path, description = "the issue's key"),
        ("exp" = Option<i64>, Query, description = "the signed link's expiry (Unix seconds)"),
        ("sig" = Option<String>, Query, description = "the signed link's signature"),
        ("lang" = Option<String>, Query, description = "`zh` (default) or `en`"),
    ),
    responses((status = 200, description = "the page", content_type = "text/html"),
              (status = 403, description = "a tampered, expired or foreign link, or no session: a readable page, no data", content_type = "text/html"),
              (status = 404, description = "no such issue", content_type = "text/html"))
)]
pub async fn issue_page(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = lang_of(query.get("lang").map(String::as_str), &headers);
    let viewer = Viewer::of(&headers, &state);
    let link = allowed(&state, &key, &query, viewer.as_ref(), lang)?;
    let row = find(&state, &key, lang).await?;
    let mut page = build(&state, &row, lang, Utc::now()).await?;
    if let Some(viewer) = viewer.as_ref().filter(|v| v.allows(Scope::Ingest)) {
        page.actions = Some(super::actions::form(&row, viewer, lang, &link));
    }
    page.notice = query
        .get("done")
        .map(|kind| kind_label(lang, kind))
        .filter(|label| !label.is_empty())
        .map(|label| format!("✓ {label}"));
    let frame = Frame::new(
        lang,
        format!("?{link}lang={}", lang.other().code()),
        viewer.as_ref(),
    );
    Ok(render(StatusCode::OK, "issue.html", &frame, page))
}

/// Whether this request may see `key`: a session with `read` scope, or a
/// valid signed link. Returns the link's query (`exp=…&sig=…&`, empty for a
/// session) so that links on the page keep it.
pub fn allowed(
    state: &AppState,
    key: &str,
    query: &HashMap<String, String>,
    viewer: Option<&Viewer>,
    lang: Lang,
) -> Result<String, PageError> {
    let (expires, signature) = (query.get("exp"), query.get("sig"));
    let keep = match (expires, signature) {
        (Some(exp), Some(sig)) => format!("exp={exp}&sig={sig}&"),
        _ => String::new(),
    };
    if viewer.is_some_and(|v| v.allows(Scope::Read)) {
        return Ok(keep);
    }
    if expires.is_none() && signature.is_none() {
        return Err(PageError::forbidden(lang).back_to(format!("/i/{}", path_segment(key))));
    }
    state
        .config
        .server
        .links
        .verify(
            Purpose::Issue,
            key,
            expires.map(String::as_str),
            signature.map(String::as_str),
            Utc::now(),
        )
        .map_err(|_| PageError::link(lang))?;
    Ok(keep)
}

/// The issue's row, or a 404 page.
pub async fn find(state: &AppState, key: &str, lang: Lang) -> Result<IssueRow, PageError> {
    // A key no event could have carried names no issue (and PostgreSQL refuses NUL).
    if key.chars().count() > crate::domain::event::MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(PageError::not_found(lang));
    }
    state
        .store
        .issue(key)
        .await
        .map_err(|e| PageError::store(lang, e))?
        .ok_or_else(|| PageError::not_found(lang))
}

/// Everything the page shows, read from the store at `now`.
pub async fn build(
    state: &AppState,
    row: &IssueRow,
    lang: Lang,
    now: Timestamp,
) -> Result<IssuePage, PageError> {
    let failed = |e| PageError::store(lang, e);
    let events = state.store.timeline(&row.issue).await.map_err(failed)?;
    let messages = state.store.messages_of(&row.issue).await.map_err(failed)?;
    let sent = state
        .store
        .notifications_of(&row.issue, NOTIFICATIONS_SHOWN)
        .await
        .map_err(failed)?;
    let zone = IssueView::zone(row, &state.config.policies);
    let project = row.project.clone().unwrap_or_default();
    let project_name = state
        .config
        .projects
        .get(&project)
        .map_or(project.clone(), |p| p.name.clone());
    let requester = events
        .iter()
        .find(|e| e.kind == EventKind::Raised)
        .and_then(|e| e.actor.as_ref())
        .and_then(|a| a.name.clone().or_else(|| a.id.clone()));
    let status = status_str(row.status);
    let cards = row
        .stages
        .iter()
        .map(|snapshot| {
            card(
                &snapshot.to_clock(),
                &snapshot.target,
                row,
                &events,
                lang,
                zone,
                now,
            )
        })
        .collect();
    let mut timeline: Vec<(Timestamp, u8, Entry)> = messages
        .iter()
        .map(|m| {
            let message = &m.message;
            let sender = identity(&message.platform, &message.sender_id);
            let entry = Entry {
                at: text::time(message.at, zone),
                who: message.sender_name.clone().unwrap_or(sender.clone()),
                staff: state
                    .config
                    .chat
                    .directory
                    .is_staff_in(&message.platform, &message.chat_id, &sender),
                what: lang.get("kind_message"),
                text: Some(message.text.clone()),
            };
            (message.at, 0, entry)
        })
        .chain(events.iter().map(|event| (event.at, 1, entry(event, lang, zone))))
        .collect();
    // A message comes before the events it led to, as in the API's timeline.
    timeline.sort_by_key(|(at, order, _)| (*at, *order));
    Ok(IssuePage {
        issue: row.issue.clone(),
        title: row.title.clone().unwrap_or_else(|| row.issue.clone()),
        project_name,
        seq: row.seq,
        state: status,
        state_label: lang.get(&format!("state_{status}")),
        requester,
        raised_at: row.raised_at.map(|at| text::time(at, zone)),
        closed_at: row.closed_at.map(|at| text::time(at, zone)),
        zone: zone.name().to_string(),
        cards,
        timeline: timeline.into_iter().map(|(_, _, entry)| entry).collect(),
        notifications: sent
            .iter()
            .map(|n| Sent {
                at: text::time(n.created, zone),
                kind: lang.get(&format!("notice_{}", n.kind)),
                stage: n
                    .stage
                    .as_deref()
                    .map(|stage| lang.get(&format!("stage_{stage}"))),
                channel: n.channel.clone(),
                state: lang.get(&format!("delivery_{}", n.state)),
            })
            .collect(),
        actions: None,
        notice: None,
    })
}

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match EventKind::ALL.iter().find(|k| k.as_str() == kind) {
        Some(kind) => lang.get(&format!("kind_{}", kind.as_str())),
        None => "",
    }
}

fn entry(event: &Event, lang: Lang, zone: Tz) -> Entry {
    let actor = event.actor.as_ref();
    Entry {
        at: text::time(event.at, zone),
        who: actor
            .and_then(|a| a.name.clone().or_else(|| a.id.clone()))
            .unwrap_or_else(|| event.source.clone()),
        staff: actor.is_some_and(|a| matches!(a.role, Some(Role::Staff | Role::Lead))),
        what: kind_label(lang, event.kind.as_str()),
        text: event.text.clone(),
    }
}
