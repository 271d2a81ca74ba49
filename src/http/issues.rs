//! `GET /v1/issues` and `GET /v1/issues/{issue}`.

use super::auth::{Caller, ReadScope};
use super::error::{ApiError, ErrorBody};
use super::query::Params;
use super::views::{EventView, IssueView, Page};
use super::AppState;
use crate::domain::issue::{IssueStatus, StageState};
use crate::domain::policy::Stage;
use crate::store::read::IssueFilter;
use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;

fn parse_status(text: &str) -> Option<IssueStatus> {
    match text {
        "open" => Some(IssueStatus::Open),
        "paused" => Some(IssueStatus::Paused),
        "closed" => Some(IssueStatus::Closed),
        "unraised" => Some(IssueStatus::Unraised),
        _ => None,
    }
}

fn parse_stage_state(text: &str) -> Option<StageState> {
    match text {
        "pending" => Some(StageState::Pending),
        "at_risk" => Some(StageState::AtRisk),
        "met" => Some(StageState::Met),
        "breached" => Some(StageState::Breached),
        "waived" => Some(StageState::Waived),
        _ => None,
    }
}

/// Issues, newest first, with cursor pagination.
#[utoipa::path(
    get, path = "/v1/issues", tag = "issues",
    params(
        ("project" = Option<String>, Query, description = "project key"),
        ("state" = Option<String>, Query, description = "open, paused, closed or unraised"),
        ("stage" = Option<String>, Query, description = "ack, handle or plan (with stage_state: that stage)"),
        ("stage_state" = Option<String>, Query, description = "pending, at_risk, met, breached or waived"),
        ("since" = Option<String>, Query, description = "raised at or after (RFC 3339)"),
        ("until" = Option<String>, Query, description = "raised before (RFC 3339)"),
        ("seq" = Option<i64>, Query, description = "the issue numbered so (`#12` in the group is `seq=12`)"),
        ("limit" = Option<i64>, Query, description = "1–500, default 100"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses((status = 200, body = Page<IssueView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_issues(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    params: Params,
) -> Result<Json<Page<IssueView>>, ApiError> {
    params.only(&[
        "project",
        "state",
        "stage",
        "stage_state",
        "since",
        "until",
        "seq",
        "limit",
        "cursor",
    ])?;
    let filter = IssueFilter {
        project: params.text("project").map(String::from),
        status: params.parsed("state", "one of open, paused, closed, unraised", parse_status)?,
        stage: params.parsed("stage", "one of ack, handle, plan", Stage::parse)?,
        stage_state: params.parsed(
            "stage_state",
            "one of pending, at_risk, met, breached, waived",
            parse_stage_state,
        )?,
        since: params.time("since")?,
        until: params.time("until")?,
        seq: params.parsed("seq", "a whole number from 1", |text| {
            text.parse::<i64>().ok().filter(|seq| *seq > 0)
        })?,
        before_seq: params.cursor()?,
        limit: params.limit()?,
    };
    let now = Utc::now();
    let rows = state.store.list_issues(&filter, now).await?;
    let next_cursor = (rows.len() as i64 == filter.limit)
        .then(|| rows.last().map(|row| row.seq.to_string()))
        .flatten();
    let items = rows
        .iter()
        .map(|row| IssueView::build(row, &state.config.policies, now))
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// The issue number a path names: `#12` (sent as `%2312`) or `seq:12`, as
/// people say it in the group.
fn seq_named(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('#').or_else(|| text.strip_prefix("seq:"))?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|seq| *seq > 0)
}

/// One issue with its stages; `?include=events` adds its timeline.
#[utoipa::path(
    get, path = "/v1/issues/{issue}", tag = "issues",
    params(
        ("issue" = String, Path, description = "the issue's external key, or its number as `#12` (URL-encoded `%2312`) or `seq:12`; a key that exists wins"),
        ("include" = Option<String>, Query, description = "`events` to add the timeline"),
    ),
    responses((status = 200, body = IssueView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_issue(
    State(state): State<AppState>,
    _caller: Caller<ReadScope>,
    Path(issue): Path<String>,
    params: Params,
) -> Result<Json<IssueView>, ApiError> {
    params.only(&["include"])?;
    let include_events = match params.text("include") {
        None => false,
        Some("events") => true,
        Some(_) => return Err(ApiError::invalid("include", "`include` may only be `events`")),
    };
    let not_found = || {
        ApiError::NotFound(format!(
            "no issue `{}`",
            issue.chars().take(128).collect::<String>()
        ))
    };
    // A key no event could have carried names no issue (and PostgreSQL refuses NUL).
    if issue.chars().count() > crate::domain::event::MAX_KEY_CHARS || issue.chars().any(char::is_control) {
        return Err(not_found());
    }
    let row = match (state.store.issue(&issue).await?, seq_named(&issue)) {
        (Some(row), _) => row,
        (None, Some(seq)) => state.store.issue_by_seq(seq).await?.ok_or_else(not_found)?,
        (None, None) => return Err(not_found()),
    };
    let issue = row.issue.clone();
    let mut view = IssueView::build(&row, &state.config.policies, Utc::now());
    if include_events {
        let zone = IssueView::zone(&row, &state.config.policies);
        let events = state.store.timeline(&issue).await?;
        let messages = state.store.messages_of(&issue).await?;
        // Messages and events in time order; a message comes before the
        // events it led to.
        let mut timeline: Vec<(crate::domain::Timestamp, u8, EventView)> = messages
            .iter()
            .map(|row| (row.message.at, 0, EventView::from_message(row, zone)))
            .chain(
                events
                    .iter()
                    .map(|event| (event.at, 1, EventView::build(event, zone))),
            )
            .collect();
        timeline.sort_by_key(|(at, order, _)| (*at, *order));
        view.events = Some(timeline.into_iter().map(|(_, _, view)| view).collect());
    }
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use super::seq_named;

    #[test]
    fn a_number_is_named_by_hash_or_seq_colon() {
        assert_eq!(seq_named("#12"), Some(12));
        assert_eq!(seq_named("seq:12"), Some(12));
        for other in [
            "12",
            "#",
            "#0",
            "#-1",
            "#+1",
            "#1a",
            "seq:",
            "wechat:grp:#12",
            "#99999999999999999999",
        ] {
            assert_eq!(seq_named(other), None, "{other}");
        }
    }
}
