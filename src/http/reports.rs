//! `GET /v1/reports/compliance`: per project and stage over `[from, to)`,
//! the counts and percentiles of the compliance page, as JSON or CSV. Both
//! come from [`crate::engine::compliance`]: one computation.

use super::auth::{Caller, ReadScope};
use super::error::{ApiError, ErrorBody};
use super::query::Params;
use super::views::stamp;
use super::AppState;
use crate::engine::compliance::{compliance, to_csv};
use crate::store::compliance::REPORT_LIMIT;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The longest period one report covers.
const MAX_PERIOD_DAYS: i64 = 400;

/// The report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceReport {
    pub from: String,
    pub to: String,
    /// Issues whose current cycle started in the period, per project and stage.
    pub items: Vec<ComplianceItem>,
    /// The stages that breached.
    pub breached: Vec<BreachedStage>,
    /// More than the most issues one report reads started in the period:
    /// the figures count the earliest of them.
    pub truncated: bool,
}

/// One project's figures for one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceItem {
    pub project: String,
    pub project_name: String,
    pub stage: String,
    pub met: u64,
    /// Met late, closed unmet past the deadline, or still unmet past it.
    pub breached: u64,
    pub waived: u64,
    /// Still running within the deadline.
    pub open: u64,
    /// Met ÷ (met + breached), in percent; null with neither.
    pub met_percent: Option<f64>,
    /// SLA-clock seconds from cycle start to met (nearest rank).
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// A stage that breached.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreachedStage {
    pub issue: String,
    pub seq: i64,
    pub project: String,
    pub stage: String,
    pub deadline: Option<String>,
    /// How late it was met, or has been so far; null when closed unmet.
    pub late_seconds: Option<i64>,
}

/// Compliance per project and stage over `[from, to)`.
#[utoipa::path(
    get, path = "/v1/reports/compliance", tag = "reports",
    params(
        ("from" = String, Query, description = "start of the period (RFC 3339), on the cycle start"),
        ("to" = String, Query, description = "end of the period, excluded (RFC 3339); at most 400 days after `from`"),
        ("project" = Option<String>, Query, description = "one project"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`"),
    ),
    responses((status = 200, body = ComplianceReport, description = "the report (CSV with format=csv)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_compliance(
    axum::extract::State(state): axum::extract::State<AppState>,
    _caller: Caller<ReadScope>,
    params: Params,
) -> Result<Response, ApiError> {
    params.only(&["from", "to", "project", "format"])?;
    let required = |name: &str| ApiError::invalid(name, format!("`{name}` is required (RFC 3339)"));
    let from = params.time("from")?.ok_or_else(|| required("from"))?;
    let to = params.time("to")?.ok_or_else(|| required("to"))?;
    if to <= from || to - from > TimeDelta::days(MAX_PERIOD_DAYS) {
        return Err(ApiError::invalid(
            "to",
            format!("`to` must be after `from`, by at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    let csv = match params.text("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "`format` is `json` or `csv`")),
    };
    let issues = state
        .store
        .cycles_started(from, to, params.text("project"))
        .await?;
    let truncated = issues.len() as i64 >= REPORT_LIMIT;
    let report = compliance(&issues, &state.config.policies, Utc::now());
    let name_of = |key: &str| {
        state
            .config
            .projects
            .get(key)
            .map_or(key.to_string(), |p| p.name.clone())
    };
    if csv {
        return Ok((
            [(CONTENT_TYPE, "text/csv; charset=utf-8")],
            to_csv(&report, &name_of),
        )
            .into_response());
    }
    let zone = state.config.policies.select("", None).calendar.time_zone();
    Ok(Json(ComplianceReport {
        from: stamp(from, zone),
        to: stamp(to, zone),
        items: report
            .figures
            .iter()
            .map(|((project, stage), figures)| ComplianceItem {
                project: project.clone(),
                project_name: name_of(project),
                stage: stage.as_str().to_string(),
                met: figures.met,
                breached: figures.breached,
                waived: figures.waived,
                open: figures.open,
                met_percent: figures.met_percent().map(|p| (p * 10.0).round() / 10.0),
                median_seconds: figures.median(),
                p90_seconds: figures.p90(),
            })
            .collect(),
        breached: report
            .breached
            .iter()
            .map(|b| BreachedStage {
                issue: b.issue.clone(),
                seq: b.seq,
                project: b.project.clone(),
                stage: b.stage.as_str().to_string(),
                deadline: b.deadline.map(|at| stamp(at, zone)),
                late_seconds: b.late.map(|late| late.num_seconds()),
            })
            .collect(),
        truncated,
    })
    .into_response())
}
