//! `GET /reports`: compliance per project and stage over this month, last
//! month or a custom range, for a session with `read` scope; `?format=csv`
//! downloads the same figures. The figures come from
//! [`crate::engine::compliance`], the metrics' own definitions.

use super::access::Viewer;
use super::text::{self, Lang};
use super::{lang_of, render, Frame, PageError};
use crate::config::Scope;
use crate::domain::link::path_segment;
use crate::engine::compliance::{to_csv, Compliance, GroupBy, Period};
use crate::engine::report::{load, Loaded, ReportRequest};
use crate::http::AppState;
use crate::store::compliance::REPORT_LIMIT;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, Months, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The longest custom range, in days.
const MAX_RANGE_DAYS: i64 = 400;
/// At most this many breached stages are listed on the page.
const BREACHED_SHOWN: usize = 500;

#[derive(Serialize)]
struct ReportPage {
    lang: Option<String>,
    period: &'static str,
    periods: Vec<(&'static str, &'static str)>,
    from: String,
    to: String,
    project: String,
    projects: Vec<(String, String)>,
    note: String,
    cut: Option<String>,
    rows: Vec<FigureRow>,
    breached: Vec<BreachedRow>,
    csv_href: String,
}

#[derive(Serialize)]
struct FigureRow {
    project_name: String,
    stage: &'static str,
    met_percent: String,
    met: u64,
    breached: u64,
    waived: u64,
    open: u64,
    median: String,
    p90: String,
}

#[derive(Serialize)]
struct BreachedRow {
    href: String,
    seq: i64,
    title: String,
    project_name: String,
    stage: &'static str,
    deadline: Option<String>,
    late: Option<String>,
}

/// The period asked for: `[from, to)` as local dates (`to` exclusive).
fn period(query: &HashMap<String, String>, today: NaiveDate) -> (&'static str, NaiveDate, NaiveDate) {
    let month_start = today.with_day(1).unwrap_or(today);
    let next_month = month_start + Months::new(1);
    let date = |name: &str| {
        query
            .get(name)
            .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
    };
    match query.get("period").map(String::as_str) {
        Some("last_month") => ("last_month", month_start - Months::new(1), month_start),
        Some("custom") => match (date("from"), date("to")) {
            (Some(from), Some(to)) if from <= to && (to - from).num_days() < MAX_RANGE_DAYS => {
                ("custom", from, to + Days::new(1))
            }
            _ => ("this_month", month_start, next_month),
        },
        _ => ("this_month", month_start, next_month),
    }
}

/// `GET /reports`.
#[utoipa::path(
    get, path = "/reports", tag = "pages",
    params(
        ("period" = Option<String>, Query, description = "this_month (default), last_month or custom"),
        ("from" = Option<String>, Query, description = "first day of a custom period (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "last day of a custom period (YYYY-MM-DD)"),
        ("project" = Option<String>, Query, description = "one project"),
        ("format" = Option<String>, Query, description = "`csv` to download"),
    ),
    responses((status = 200, description = "the page", content_type = "text/html"), (status = 403, description = "no session with read scope", content_type = "text/html"))
)]
pub async fn reports(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = lang_of(query.get("lang").map(String::as_str), &headers);
    let viewer = Viewer::of(&headers, &state)
        .filter(|v| v.allows(Scope::Read))
        .ok_or_else(|| PageError::forbidden(lang).back_to("/reports".into()))?;
    let now = Utc::now();
    let zone = state.config.policies.select("", None).calendar.time_zone();
    let (period_name, from, to) = period(&query, now.with_timezone(&zone).date_naive());
    let project = query.get("project").filter(|p| !p.is_empty()).cloned();
    let request = ReportRequest {
        period: Period::Dates { from, to },
        project: project.clone(),
        group_by: GroupBy::Project,
        limit: Some(REPORT_LIMIT),
    };
    let Loaded {
        report,
        truncated: cut,
    } = load(&state.store, &state.config.policies, &request, now)
        .await
        .map_err(|e| PageError::store(lang, e))?;
    let name_of = |key: &str| {
        state
            .config
            .projects
            .get(key)
            .map_or(key.to_string(), |p| p.name.clone())
    };
    let last_day = to - Days::new(1);
    if query.get("format").map(String::as_str) == Some("csv") {
        return Ok(csv(&report, &name_of, from, last_day));
    }
    let mut projects: Vec<(String, String)> = state
        .config
        .projects
        .iter()
        .map(|(key, p)| (key.clone(), p.name.clone()))
        .collect();
    for (key, _) in report.figures.keys() {
        if !projects.iter().any(|(known, _)| known == key) {
            projects.push((key.clone(), key.clone()));
        }
    }
    let mut csv_query: Vec<String> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "format")
        .map(|(k, v)| format!("{k}={}", path_segment(v)))
        .collect();
    csv_query.sort();
    csv_query.push("format=csv".into());
    let page = ReportPage {
        lang: query.get("lang").cloned(),
        period: period_name,
        periods: ["this_month", "last_month", "custom"]
            .into_iter()
            .map(|p| (p, lang.get(p)))
            .collect(),
        from: from.to_string(),
        to: last_day.to_string(),
        project: project.clone().unwrap_or_default(),
        projects,
        note: lang
            .get("report_note")
            .replace("{from}", &from.to_string())
            .replace("{to}", &last_day.to_string())
            .replace("{zone}", zone.name()),
        cut: cut.then(|| lang.get("report_cut").replace("{n}", &REPORT_LIMIT.to_string())),
        rows: report
            .figures
            .iter()
            .map(|((project, stage), figures)| FigureRow {
                project_name: name_of(project),
                stage: lang.get(&format!("stage_{}", stage.as_str())),
                met_percent: figures.met_percent().map_or("—".into(), |p| format!("{p:.1}%")),
                met: figures.met,
                breached: figures.breached,
                waived: figures.waived,
                open: figures.open,
                median: seconds(lang, figures.median()),
                p90: seconds(lang, figures.p90()),
            })
            .collect(),
        breached: report
            .breached
            .iter()
            .take(BREACHED_SHOWN)
            .map(|b| BreachedRow {
                href: format!("/i/{}", path_segment(&b.issue)),
                seq: b.seq,
                title: b.title.clone().unwrap_or_else(|| b.issue.clone()),
                project_name: name_of(&b.project),
                stage: lang.get(&format!("stage_{}", b.stage.as_str())),
                deadline: b.deadline.map(|at| text::time(at, zone)),
                late: b
                    .late
                    .map(|late| lang.get("late_by").replace("{span}", &text::span(lang, late))),
            })
            .collect(),
        csv_href: format!("/reports?{}", csv_query.join("&")),
    };
    let mut other: Vec<String> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "lang")
        .map(|(k, v)| format!("{k}={}", path_segment(v)))
        .collect();
    other.push(format!("lang={}", lang.other().code()));
    let frame = Frame::new(lang, format!("?{}", other.join("&")), Some(&viewer));
    Ok(render(StatusCode::OK, "reports.html", &frame, page))
}

fn seconds(lang: Lang, value: Option<i64>) -> String {
    value.map_or("—".into(), |s| text::span(lang, chrono::TimeDelta::seconds(s)))
}

/// The figures as a CSV download.
fn csv(report: &Compliance, name_of: &dyn Fn(&str) -> String, from: NaiveDate, to: NaiveDate) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"slawatch-compliance-{from}-{to}.csv\""),
            ),
        ],
        to_csv(report, name_of),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn periods_are_whole_local_months_or_the_days_asked_for() {
        let today = date("2026-12-07");
        assert_eq!(
            period(&query(&[]), today),
            ("this_month", date("2026-12-01"), date("2027-01-01"))
        );
        assert_eq!(
            period(&query(&[("period", "last_month")]), today),
            ("last_month", date("2026-11-01"), date("2026-12-01"))
        );
        let custom = query(&[("period", "custom"), ("from", "2026-10-03"), ("to", "2026-10-05")]);
        assert_eq!(
            period(&custom, today),
            ("custom", date("2026-10-03"), date("2026-10-06"))
        );
        let backwards = query(&[("period", "custom"), ("from", "2026-10-05"), ("to", "2026-10-03")]);
        assert_eq!(period(&backwards, today).0, "this_month");
    }
}
