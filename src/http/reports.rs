//! `GET /v1/reports/compliance`: per group and stage over `[from, to)`,
//! the counts and percentiles of the compliance page, as JSON or CSV. Both
//! come from [`crate::engine::compliance`]: one computation.

use super::auth::{Caller, ReadScope};
use super::error::{ApiError, ErrorBody};
use super::query::Params;
use super::views::stamp;
use super::AppState;
use crate::engine::compliance::{group_label, to_csv, GroupBy, Period};
use crate::engine::report::{load, Loaded, ReportRequest};
use crate::store::compliance::REPORT_LIMIT;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The longest period one report covers.
const MAX_PERIOD_DAYS: i64 = 400;

/// The report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceReport {
    pub from: String,
    pub to: String,
    /// `project`, `stage`, `week`, `month` or `staff`.
    pub group_by: String,
    /// Cycles raised in the period, per group and stage.
    pub items: Vec<ComplianceItem>,
    /// The stages that breached (not listed when grouped by staff).
    pub breached: Vec<BreachedStage>,
    /// More than the most issues one report reads started in the period:
    /// the figures count the first-numbered of them.
    pub truncated: bool,
}

/// One group's figures for one stage (docs/reports.md defines each).
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceItem {
    /// The group: a project key, `*` (every project), an ISO week
    /// (`2026-W45`), a month (`2026-11`) or a staff member.
    pub group: String,
    /// The project key when grouped by project (else the group again).
    pub project: String,
    /// The project's configured name when grouped by project.
    pub project_name: String,
    pub stage: String,
    /// Stages of the cycles raised in the period.
    pub raised: u64,
    /// Met on time.
    pub met: u64,
    /// Met after the deadline (also counted in `breached`).
    pub met_late: u64,
    /// Met late, closed unmet past the deadline, or still unmet past it.
    pub breached: u64,
    pub waived: u64,
    /// Still running within the deadline.
    pub open: u64,
    /// Compliance: met on time ÷ (met on time + breached), in percent; null with neither.
    pub met_percent: Option<f64>,
    /// SLA-clock seconds from cycle start to met (nearest rank).
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub max_seconds: Option<i64>,
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

/// Compliance per group and stage over `[from, to)`.
#[utoipa::path(
    get, path = "/v1/reports/compliance", tag = "reports",
    params(
        ("from" = String, Query, description = "start of the period, on the cycle start: a date (local midnight in each policy's time zone) or an RFC 3339 timestamp"),
        ("to" = String, Query, description = "end of the period, excluded, of the same kind as `from`; at most 400 days after it"),
        ("project" = Option<String>, Query, description = "one project"),
        ("group_by" = Option<String>, Query, description = "`project` (default), `stage`, `week`, `month` or `staff`"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; `Accept: text/csv` also asks for CSV"),
    ),
    responses((status = 200, body = ComplianceReport, description = "the report (CSV with format=csv)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_compliance(
    axum::extract::State(state): axum::extract::State<AppState>,
    _caller: Caller<ReadScope>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.only(&["from", "to", "project", "group_by", "format"])?;
    let required = |name: &str| ApiError::invalid(name, format!("`{name}` is required (a date or RFC 3339)"));
    let from = params.text("from").ok_or_else(|| required("from"))?;
    let to = params.text("to").ok_or_else(|| required("to"))?;
    let period = Period::parse(from, to, Some(MAX_PERIOD_DAYS))
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    let group_by = match params.text("group_by") {
        None => GroupBy::Project,
        Some(text) => GroupBy::parse(text).ok_or_else(|| {
            ApiError::invalid(
                "group_by",
                "`group_by` is `project`, `stage`, `week`, `month` or `staff`",
            )
        })?,
    };
    let accepts_csv = headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    let csv = match params.text("format") {
        None => accepts_csv,
        Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "`format` is `json` or `csv`")),
    };
    let request = ReportRequest {
        period,
        project: params.text("project").map(String::from),
        group_by,
        limit: Some(REPORT_LIMIT),
    };
    let Loaded { report, truncated } =
        load(&state.store, &state.config.policies, &request, Utc::now()).await?;
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
    let shown = |text: &str| match period {
        Period::Dates { .. } => text.to_string(),
        Period::Instants { .. } => DateTime::parse_from_rfc3339(text)
            .map(|at| stamp(at.with_timezone(&Utc), zone))
            .unwrap_or_else(|_| text.to_string()),
    };
    Ok(Json(ComplianceReport {
        from: shown(from),
        to: shown(to),
        group_by: group_by.as_str().to_string(),
        items: report
            .figures
            .iter()
            .map(|((group, stage), figures)| ComplianceItem {
                group: group.clone(),
                project: group.clone(),
                project_name: group_label(group_by, group, &name_of),
                stage: stage.as_str().to_string(),
                raised: figures.raised,
                met: figures.met,
                met_late: figures.met_late,
                breached: figures.breached,
                waived: figures.waived,
                open: figures.open,
                met_percent: figures.met_percent().map(|p| (p * 10.0).round() / 10.0),
                median_seconds: figures.median(),
                p90_seconds: figures.p90(),
                max_seconds: figures.max(),
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
