//! `GET /board`, `GET /board/{project}`: open issues, most urgent first,
//! 50 to a page, with per-project counts and filters by project and stage.
//! For a session with `read` scope, or a signed board link (a TV). With
//! `?fragment=1` only the rows are sent: the page's script polls that to
//! refresh the list without reloading the page; `?tv=1` is the large type.

use super::access::Viewer;
use super::text::{self, Lang};
use super::{lang_of, render, Frame, PageError};
use crate::config::Scope;
use crate::domain::issue::{StageClock, StageState};
use crate::domain::link::{path_segment, Purpose};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use crate::http::views::IssueView;
use crate::http::AppState;
use crate::store::board::{BoardCursor, BoardFilter};
use crate::store::rows::{status_str, IssueRow};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;
use std::collections::HashMap;

/// Issues per page.
pub const PAGE_SIZE: i64 = 50;
/// The last page a request may ask for (deeper paging is a report's job).
const MAX_PAGE: i64 = 2_000;

#[derive(Debug, Serialize)]
struct BoardPage {
    path: String,
    project: String,
    project_name: Option<String>,
    /// The project comes from the path (or the link): no project filter.
    fixed_project: bool,
    stage: String,
    stages: Vec<(&'static str, &'static str)>,
    counts: Vec<Count>,
    /// When the counts were taken ("as of HH:MM:SS"), empty without counts.
    counts_at: String,
    rows: Vec<Row>,
    hidden: Vec<(String, String)>,
    refresh: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    tv: bool,
    tv_href: Option<String>,
    tv_text: String,
}

#[derive(Debug, Serialize)]
struct Count {
    project: String,
    name: String,
    href: String,
    open: i64,
    at_risk: i64,
    breached: i64,
}

#[derive(Debug, Serialize)]
struct Row {
    seq: i64,
    href: String,
    title: String,
    project_name: String,
    stage_name: Option<String>,
    state: &'static str,
    state_label: &'static str,
    deadline: Option<String>,
    deadline_ms: Option<i64>,
    countdown: Option<String>,
}

/// `GET /board`.
#[utoipa::path(
    get, path = "/board", tag = "pages",
    params(
        ("project" = Option<String>, Query, description = "one project"),
        ("stage" = Option<String>, Query, description = "ack, handle or plan"),
        ("page" = Option<i64>, Query, description = "from 0; 50 issues a page"),
        ("tv" = Option<String>, Query, description = "large type"),
        ("fragment" = Option<String>, Query, description = "only the rows (what the page polls)"),
        ("exp" = Option<i64>, Query, description = "a signed board link's expiry"),
        ("sig" = Option<String>, Query, description = "a signed board link's signature"),
    ),
    responses((status = 200, description = "the page", content_type = "text/html"), (status = 403, description = "no session and no valid board link", content_type = "text/html"))
)]
pub async fn zone(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    board(state, None, query, headers).await
}

/// `GET /board/{project}`.
#[utoipa::path(
    get, path = "/board/{project}", tag = "pages",
    params(("project" = String, Path, description = "the project's key")),
    responses((status = 200, description = "the page", content_type = "text/html"), (status = 403, description = "no session and no valid board link", content_type = "text/html"))
)]
pub async fn project(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    board(state, Some(project), query, headers).await
}

async fn board(
    state: AppState,
    fixed: Option<String>,
    query: HashMap<String, String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = lang_of(query.get("lang").map(String::as_str), &headers);
    let viewer = Viewer::of(&headers, &state);
    let now = Utc::now();
    let session = viewer.as_ref().is_some_and(|v| v.allows(Scope::Read));
    let subject = fixed.clone().unwrap_or_else(|| "*".to_string());
    if !session {
        let (expires, signature) = (query.get("exp"), query.get("sig"));
        if expires.is_none() && signature.is_none() {
            let path = fixed
                .as_deref()
                .map_or("/board".to_string(), |p| format!("/board/{}", path_segment(p)));
            return Err(PageError::forbidden(lang).back_to(path));
        }
        state
            .config
            .server
            .links
            .verify(
                Purpose::Board,
                &subject,
                expires.map(String::as_str),
                signature.map(String::as_str),
                now,
            )
            .map_err(|_| PageError::link(lang))?;
    }
    let param = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
    let project = fixed.clone().or_else(|| param("project"));
    let stage = param("stage").and_then(|s| Stage::parse(&s));
    let page = param("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, MAX_PAGE);
    // A next page starts after the previous page's last row (a keyset
    // cursor, read as short as the first page); a page number alone (a
    // link kept from before, the previous page) skips rows.
    let after = param("after").and_then(|text| BoardCursor::parse(&text));
    let filter = BoardFilter {
        project: project.clone(),
        stage,
        offset: page * PAGE_SIZE,
        // One more than a page tells whether there is a next one.
        limit: PAGE_SIZE + 1,
        after,
    };
    let failed = |e| PageError::store(lang, e);
    let mut issues = state.store.board(&filter, now).await.map_err(failed)?;
    let has_next = issues.len() as i64 > PAGE_SIZE;
    issues.truncate(PAGE_SIZE as usize);
    let next_cursor = issues
        .last()
        .filter(|_| has_next)
        .map(|last| BoardCursor::of(last, stage, now).to_string());
    let name_of = |key: &str| {
        state
            .config
            .projects
            .get(key)
            .map_or(key.to_string(), |p| p.name.clone())
    };
    let rows = issues
        .iter()
        .map(|issue| row(&state, issue, lang, now, session, &name_of))
        .collect();

    // What every link of the page keeps: the language, TV mode, the link.
    let mut kept: Vec<(String, String)> = ["tv", "exp", "sig"]
        .into_iter()
        .filter_map(|name| Some((name.to_string(), param(name)?)))
        .collect();
    let lang_kept = param("lang");
    let path = match &fixed {
        Some(project) => format!("/board/{}", path_segment(project)),
        None => "/board".to_string(),
    };
    let mut hidden = kept.clone();
    if let Some(lang) = &lang_kept {
        hidden.push(("lang".into(), lang.clone()));
    }
    if fixed.is_none() {
        if let Some(project) = &project {
            kept.push(("project".into(), project.clone()));
        }
    }
    if let Some(stage) = stage {
        kept.push(("stage".into(), stage.as_str().into()));
    }
    let href = |extra: &[(&str, String)]| {
        let own_lang = extra.iter().any(|(k, _)| *k == "lang");
        let pairs: Vec<String> = kept
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .chain(lang_kept.clone().filter(|_| !own_lang).map(|lang| ("lang", lang)))
            .chain(extra.iter().cloned())
            .map(|(k, v)| format!("{k}={}", path_segment(&v)))
            .collect();
        format!("{path}?{}", pairs.join("&"))
    };
    let zone = state.config.policies.select("", None).calendar.time_zone();
    let snapshot = if query.contains_key("fragment") {
        None
    } else {
        Some(state.board_counts.get(&state.store).await.map_err(failed)?)
    };
    let counts_at = snapshot.as_ref().map_or(String::new(), |snapshot| {
        lang.get("counts_as_of").replace(
            "{time}",
            &snapshot.at.with_timezone(&zone).format("%H:%M:%S").to_string(),
        )
    });
    let counts = match &snapshot {
        None => Vec::new(),
        Some(snapshot) => snapshot
            .counts
            .iter()
            .filter(|c| fixed.is_none() || fixed.as_deref() == Some(c.project.as_str()))
            .map(|c| Count {
                href: match (&fixed, session) {
                    (None, true) => format!("/board/{}", path_segment(&c.project)),
                    _ => href(&[("project", c.project.clone())]),
                },
                name: name_of(&c.project),
                project: c.project.clone(),
                open: c.open + c.paused,
                at_risk: c.at_risk,
                breached: c.breached,
            })
            .collect(),
    };
    let links = &state.config.server.links;
    let page_data = BoardPage {
        project_name: project.as_deref().map(name_of),
        project: project.clone().unwrap_or_default(),
        fixed_project: fixed.is_some(),
        stage: stage.map_or(String::new(), |s| s.as_str().to_string()),
        stages: Stage::ALL
            .iter()
            .map(|s| (s.as_str(), lang.get(&format!("stage_{}", s.as_str()))))
            .collect(),
        counts,
        counts_at,
        rows,
        hidden,
        refresh: href(
            &[("page", page.to_string()), ("fragment", "1".into())]
                .into_iter()
                .chain(after.map(|after| ("after", after.to_string())))
                .collect::<Vec<_>>(),
        ),
        prev_href: (page > 0).then(|| href(&[("page", (page - 1).to_string())])),
        next_href: (has_next && page < MAX_PAGE).then(|| {
            href(
                &[("page", (page + 1).to_string())]
                    .into_iter()
                    .chain(next_cursor.map(|cursor| ("after", cursor)))
                    .collect::<Vec<_>>(),
            )
        }),
        tv: param("tv").is_some(),
        tv_href: session.then(|| format!("{path}?tv=1&{}", links.query(Purpose::Board, &subject, now))),
        tv_text: lang
            .get("tv_link_text")
            .replace("{days}", &links.ttl().num_days().to_string()),
        path: path.clone(),
    };
    let frame = Frame::new(
        lang,
        href(&[("lang", lang.other().code().to_string())]),
        viewer.as_ref().filter(|_| session),
    );
    let template = if query.contains_key("fragment") {
        "board_rows.html"
    } else {
        "board.html"
    };
    Ok(render(StatusCode::OK, template, &frame, page_data))
}

/// How urgent a clock is: breached, at risk, running; `None` once settled
/// or paused.
fn urgency(clock: &StageClock, now: Timestamp) -> Option<(u8, Timestamp)> {
    if clock.met_at.is_some() || clock.waived_at.is_some() || clock.final_breach {
        return None;
    }
    let deadline = clock.deadline?;
    let class = match clock.state(now) {
        StageState::Breached => 0,
        StageState::AtRisk => 1,
        _ => 2,
    };
    Some((class, deadline))
}

fn row(
    state: &AppState,
    issue: &IssueRow,
    lang: Lang,
    now: Timestamp,
    session: bool,
    name_of: &dyn Fn(&str) -> String,
) -> Row {
    let zone = IssueView::zone(issue, &state.config.policies);
    let urgent = issue
        .stages
        .iter()
        .map(|s| s.to_clock())
        .filter_map(|clock| Some((urgency(&clock, now)?, clock)))
        .min_by_key(|(key, _)| *key);
    let href = if session {
        format!("/i/{}", path_segment(&issue.issue))
    } else {
        // A TV has no session: each row opens with its own signed link.
        state.config.server.links.issue_url("", &issue.issue, now)
    };
    let (stage_name, state_key, deadline) = match &urgent {
        Some(((class, deadline), clock)) => (
            Some(lang.get(&format!("stage_{}", clock.stage.as_str())).to_string()),
            ["breached", "at_risk", "pending"][usize::from(*class)],
            Some(*deadline),
        ),
        None if issue.status == crate::domain::issue::IssueStatus::Paused => (None, "paused", None),
        None => (None, "met", None),
    };
    let state_label = match (urgent.is_some(), status_str(issue.status)) {
        (false, "open") => lang.get("no_clock"),
        _ => lang.get(&format!("outcome_{state_key}")),
    };
    Row {
        seq: issue.seq,
        href,
        title: issue.title.clone().unwrap_or_else(|| issue.issue.clone()),
        project_name: name_of(issue.project.as_deref().unwrap_or_default()),
        stage_name,
        state: state_key,
        state_label,
        deadline: deadline.map(|at| text::time(at, zone)),
        deadline_ms: deadline.map(|at| at.timestamp_millis()),
        countdown: deadline.map(|at| {
            let left = at - now;
            let key = if left >= chrono::TimeDelta::zero() {
                "remaining"
            } else {
                "overdue"
            };
            lang.get(key).replace("{span}", &text::span(lang, left))
        }),
    }
}
