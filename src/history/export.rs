//! `slawatch export events|issues|breaches`: the store as JSON lines (or
//! CSV for issues and breaches). `export events` then `import events` into
//! an empty store rebuilds the same issues and breaches: it is also the way
//! from the embedded SQLite store to PostgreSQL (docs/history.md).

use crate::domain::event::format_utc;
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use crate::engine::compliance::field;
use crate::store::history::ExportFilter;
use crate::store::rows::{status_str, BreachRow, IssueRow};
use crate::store::Store;
use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;

/// Rows read per statement.
const PAGE: i64 = 5000;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Events,
    Issues,
    Breaches,
}

/// How issues and breaches are written (events are always JSON lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// An event's line: its content as sent, with `at` always given (an event
/// posted without one took its time of receipt, which an import must not).
pub fn event_line(content: &str, at: Timestamp) -> anyhow::Result<String> {
    let mut value: Value = serde_json::from_str(content).context("a stored event is not JSON")?;
    if let Value::Object(object) = &mut value {
        object
            .entry("at")
            .or_insert_with(|| Value::String(format_utc(at)));
    }
    Ok(value.to_string())
}

/// One stage of an exported issue.
#[derive(Debug, Serialize, PartialEq)]
pub struct StageExport {
    pub stage: Stage,
    pub target: String,
    /// `met`, `met_late`, `breached`, `waived`, `running`, `paused` or `paused_at_risk`.
    pub outcome: &'static str,
    pub deadline: Option<String>,
    pub met_at: Option<String>,
    pub waived_at: Option<String>,
}

/// An exported issue: its current cycle as derived from its events (no
/// bookkeeping times, so two stores with the same events export the same).
#[derive(Debug, Serialize, PartialEq)]
pub struct IssueExport {
    pub issue: String,
    pub seq: i64,
    pub project: Option<String>,
    pub priority: Option<String>,
    pub title: Option<String>,
    pub policy: Option<String>,
    pub status: &'static str,
    pub cycle: i64,
    pub cycle_start: Option<String>,
    pub raised_at: Option<String>,
    pub closed_at: Option<String>,
    pub resolution: Option<&'static str>,
    pub stages: Vec<StageExport>,
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.map(|ms| format_utc(crate::domain::from_ms(ms)))
}

impl IssueExport {
    pub fn of(row: &IssueRow) -> IssueExport {
        IssueExport {
            issue: row.issue.clone(),
            seq: row.seq,
            project: row.project.clone(),
            priority: row.priority.clone(),
            title: row.title.clone(),
            policy: row.policy.clone(),
            status: status_str(row.status),
            cycle: row.cycle,
            cycle_start: row.cycle_start.map(format_utc),
            raised_at: row.raised_at.map(format_utc),
            closed_at: row.closed_at.map(format_utc),
            resolution: row.resolution.map(|r| r.as_str()),
            stages: row
                .stages
                .iter()
                .map(|snapshot| StageExport {
                    stage: snapshot.stage,
                    target: snapshot.target.clone(),
                    outcome: snapshot.outcome(),
                    deadline: time(snapshot.deadline),
                    met_at: time(snapshot.met),
                    waived_at: time(snapshot.waived),
                })
                .collect(),
        }
    }
}

/// An exported breach record.
#[derive(Debug, Serialize, PartialEq)]
pub struct BreachExport {
    pub issue: String,
    pub seq: Option<i64>,
    pub project: Option<String>,
    pub stage: Stage,
    pub cycle: i64,
    pub cycle_start: String,
    pub deadline: String,
    pub met_at: Option<String>,
    pub detected_at: String,
    pub detected_late: bool,
    pub retracted_at: Option<String>,
    pub escalation_step: i64,
}

impl BreachExport {
    pub fn of(row: &BreachRow) -> BreachExport {
        BreachExport {
            issue: row.issue.clone(),
            seq: row.seq,
            project: row.project.clone(),
            stage: row.stage,
            cycle: row.cycle,
            cycle_start: format_utc(row.cycle_start),
            deadline: format_utc(row.deadline),
            met_at: row.met_at.map(format_utc),
            detected_at: format_utc(row.detected_at),
            detected_late: row.detected_late,
            retracted_at: row.retracted_at.map(format_utc),
            escalation_step: row.escalation_step,
        }
    }
}

const ISSUE_CSV_HEADER: &str =
    "issue,seq,project,priority,title,policy,status,cycle,cycle_start,raised_at,closed_at,\
     resolution,ack_outcome,ack_deadline,ack_met_at,handle_outcome,handle_deadline,handle_met_at,\
     plan_outcome,plan_deadline,plan_met_at";

fn issue_csv(issue: &IssueExport) -> String {
    let text = |value: &Option<String>| field(value.as_deref().unwrap_or_default());
    let mut cells = vec![
        field(&issue.issue),
        issue.seq.to_string(),
        text(&issue.project),
        text(&issue.priority),
        text(&issue.title),
        text(&issue.policy),
        issue.status.to_string(),
        issue.cycle.to_string(),
        text(&issue.cycle_start),
        text(&issue.raised_at),
        text(&issue.closed_at),
        issue.resolution.unwrap_or_default().to_string(),
    ];
    for stage in Stage::ALL {
        match issue.stages.iter().find(|s| s.stage == stage) {
            Some(s) => cells.extend([s.outcome.to_string(), text(&s.deadline), text(&s.met_at)]),
            None => cells.extend([String::new(), String::new(), String::new()]),
        }
    }
    cells.join(",")
}

const BREACH_CSV_HEADER: &str =
    "issue,seq,project,stage,cycle,cycle_start,deadline,met_at,detected_at,detected_late,retracted_at,escalation_step";

fn breach_csv(breach: &BreachExport) -> String {
    let text = |value: &Option<String>| field(value.as_deref().unwrap_or_default());
    [
        field(&breach.issue),
        breach.seq.map(|s| s.to_string()).unwrap_or_default(),
        text(&breach.project),
        breach.stage.as_str().to_string(),
        breach.cycle.to_string(),
        breach.cycle_start.clone(),
        breach.deadline.clone(),
        text(&breach.met_at),
        breach.detected_at.clone(),
        breach.detected_late.to_string(),
        text(&breach.retracted_at),
        breach.escalation_step.to_string(),
    ]
    .join(",")
}

/// Writes the export to `out`; the number of records written.
pub async fn export(
    store: &Store,
    what: What,
    format: ExportFormat,
    filter: &ExportFilter,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let mut written = 0u64;
    let csv = format == ExportFormat::Csv;
    match what {
        What::Events => {
            let mut after = 0;
            loop {
                let page = store.events_page(filter, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.arrival;
                for event in &page {
                    writeln!(out, "{}", event_line(&event.content, event.at)?)?;
                    written += 1;
                }
            }
        }
        What::Issues => {
            if csv {
                writeln!(out, "{ISSUE_CSV_HEADER}")?;
            }
            let mut after = 0;
            loop {
                let page = store.issues_page(filter, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for row in &page {
                    let issue = IssueExport::of(row);
                    let line = if csv {
                        issue_csv(&issue)
                    } else {
                        serde_json::to_string(&issue)?
                    };
                    writeln!(out, "{line}")?;
                    written += 1;
                }
            }
        }
        What::Breaches => {
            if csv {
                writeln!(out, "{BREACH_CSV_HEADER}")?;
            }
            let mut after = 0;
            loop {
                let page = store.breaches_page(filter, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for row in &page {
                    let breach = BreachExport::of(row);
                    let line = if csv {
                        breach_csv(&breach)
                    } else {
                        serde_json::to_string(&breach)?
                    };
                    writeln!(out, "{line}")?;
                    written += 1;
                }
            }
        }
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exported_event_always_gives_its_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-02T10:00:00+08:00")
            .unwrap()
            .to_utc();
        let line = event_line(r#"{"id":"e1","issue":"i","kind":"acknowledged"}"#, at).unwrap();
        assert_eq!(
            line,
            r#"{"at":"2026-11-02T02:00:00.000Z","id":"e1","issue":"i","kind":"acknowledged"}"#
        );
        let given =
            r#"{"at":"2026-11-02T01:00:00.000Z","id":"e1","issue":"i","kind":"raised","project":"p"}"#;
        assert_eq!(event_line(given, at).unwrap(), given);
    }
}
