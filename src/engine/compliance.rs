//! Compliance over a period, per project and stage: how many stages were
//! met, breached, waived; the median and 90th percentile of the SLA-clock
//! time to meet them; which issues breached. Outcomes and clock times are
//! the metrics' own definitions ([`final_outcome`], [`clock_time_to_met`]),
//! so the page, its CSV and `slawatch_stage_outcomes_total` /
//! `slawatch_stage_duration_seconds` count alike.

use super::evaluate::{clock_time_to_met, final_outcome};
use crate::domain::policy::{PolicySet, Stage};
use crate::domain::Timestamp;
use crate::store::rows::IssueRow;
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// One project's figures for one stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub met: u64,
    pub breached: u64,
    pub waived: u64,
    /// Still running within its deadline: in no percentage.
    pub open: u64,
    /// SLA-clock seconds to meet, of every met stage (late ones too), sorted.
    pub seconds_to_meet: Vec<i64>,
}

impl Figures {
    /// Met on time out of met and breached; `None` with neither.
    pub fn met_percent(&self) -> Option<f64> {
        let judged = self.met + self.breached;
        (judged > 0).then(|| self.met as f64 * 100.0 / judged as f64)
    }

    pub fn median(&self) -> Option<i64> {
        percentile(&self.seconds_to_meet, 50)
    }

    pub fn p90(&self) -> Option<i64> {
        percentile(&self.seconds_to_meet, 90)
    }
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// A stage that breached in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Breached {
    pub issue: String,
    pub seq: i64,
    pub title: Option<String>,
    pub project: String,
    pub stage: Stage,
    pub deadline: Option<Timestamp>,
    /// How late it was met, or has been so far (`None` for a stage closed unmet).
    pub late: Option<TimeDelta>,
}

/// The report: figures by (project, stage), and the breached stages.
#[derive(Debug, Clone, Default)]
pub struct Compliance {
    pub figures: BTreeMap<(String, Stage), Figures>,
    pub breached: Vec<Breached>,
}

/// Folds the issues whose cycle started in the period into the report, as
/// things stand at `now`: a stage past its deadline and still unmet counts
/// as breached, as the breach record (and the metric) already did.
pub fn compliance(issues: &[IssueRow], policies: &PolicySet, now: Timestamp) -> Compliance {
    let mut report = Compliance::default();
    for issue in issues {
        let (Some(start), Some(project)) = (issue.cycle_start, issue.project.clone()) else {
            continue;
        };
        let policy = issue
            .policy
            .as_deref()
            .and_then(|name| policies.by_name(name))
            .unwrap_or_else(|| policies.select(&project, issue.priority.as_deref()));
        let calendar = policy.calendar.as_ref();
        for snapshot in &issue.stages {
            let clock = snapshot.to_clock();
            let overdue = clock.deadline.is_some_and(|deadline| deadline < now);
            let outcome = final_outcome(snapshot).or_else(|| {
                let running = clock.met_at.is_none() && clock.waived_at.is_none();
                (running && overdue).then_some("breached")
            });
            let figures = report.figures.entry((project.clone(), clock.stage)).or_default();
            match outcome {
                Some("met") => figures.met += 1,
                Some("breached") => figures.breached += 1,
                Some("waived") => figures.waived += 1,
                _ => figures.open += 1,
            }
            if let Some(time) = clock_time_to_met(&clock, start, calendar) {
                figures.seconds_to_meet.push(time.num_seconds());
            }
            if outcome == Some("breached") {
                report.breached.push(Breached {
                    issue: issue.issue.clone(),
                    seq: issue.seq,
                    title: issue.title.clone(),
                    project: project.clone(),
                    stage: clock.stage,
                    deadline: clock.deadline,
                    late: clock
                        .deadline
                        .filter(|_| !clock.final_breach)
                        .map(|deadline| clock.met_at.unwrap_or(now) - deadline),
                });
            }
        }
    }
    for figures in report.figures.values_mut() {
        figures.seconds_to_meet.sort_unstable();
    }
    report
}

/// The header of [`to_csv`].
pub const CSV_HEADER: &str =
    "project,project_name,stage,met,breached,waived,open,met_percent,median_seconds,p90_seconds";

/// A CSV field: quoted when it must be, and never read as a formula by a
/// spreadsheet.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The figures as CSV, one line per project and stage (the page's download
/// and `GET /v1/reports/compliance?format=csv` alike).
pub fn to_csv(report: &Compliance, name_of: &dyn Fn(&str) -> String) -> String {
    let mut out = format!("{CSV_HEADER}\r\n");
    for ((project, stage), figures) in &report.figures {
        let optional = |value: Option<String>| value.unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\r\n",
            field(project),
            field(&name_of(project)),
            stage.as_str(),
            figures.met,
            figures.breached,
            figures.waived,
            figures.open,
            optional(figures.met_percent().map(|p| format!("{p:.1}"))),
            optional(figures.median().map(|s| s.to_string())),
            optional(figures.p90().map(|s| s.to_string())),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{field, percentile};

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("中泰"), "中泰");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&values, 50), Some(5));
        assert_eq!(percentile(&values, 90), Some(9));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }
}
