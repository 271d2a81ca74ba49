//! Compliance over a period: per group (project, stage, week, month or
//! staff member) and stage, how many stages were raised, met on time, met
//! late, breached, waived or are still open; the compliance percentage; the
//! median, 90th percentile and maximum of the SLA-clock time to meet them;
//! which stages breached. Outcomes and clock times are the metrics' own
//! definitions ([`final_outcome`], [`clock_time_to_met`]), so the page, the
//! API, its CSV, `slawatch report` and `slawatch_stage_outcomes_total` /
//! `slawatch_stage_duration_seconds` count alike. Pure: no I/O.

mod csv;
mod period;

pub use csv::{field, group_label, to_csv, CSV_HEADER};
pub use period::Period;

use crate::domain::event::{Event, EventKind};
use crate::domain::issue::{IssueState, StageClock};
use crate::domain::outcome::{clock_time_to_met, final_outcome, FinalOutcome};
use crate::domain::policy::{Policy, PolicySet, Stage};
use crate::domain::Timestamp;
use crate::store::rows::{IssueRow, StageSnapshot};
use chrono::{Datelike, TimeDelta};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What a report's rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One row per project and stage (the default).
    #[default]
    Project,
    /// One row per stage, every project together.
    Stage,
    /// One row per ISO week (Monday first) of the cycle start, in the
    /// policy's time zone, and stage.
    Week,
    /// One row per calendar month of the cycle start, and stage.
    Month,
    /// One row per staff member and stage: the stages their own message or
    /// event met. Descriptive, not a score: the SLA clock is the team's.
    Staff,
}

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Project,
        GroupBy::Stage,
        GroupBy::Week,
        GroupBy::Month,
        GroupBy::Staff,
    ];

    pub fn parse(text: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|group| group.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Project => "project",
            GroupBy::Stage => "stage",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::Staff => "staff",
        }
    }
}

/// One group's figures for one stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Stages of the cycles raised in the period (every outcome).
    pub raised: u64,
    /// Met at or before the deadline.
    pub met: u64,
    /// Met after the deadline (also counted in `breached`).
    pub met_late: u64,
    /// Every breach: met late, closed unmet past the deadline, or still
    /// unmet past it (`slawatch_stage_outcomes_total{outcome="breached"}`).
    pub breached: u64,
    pub waived: u64,
    /// Still running within its deadline: in no percentage.
    pub open: u64,
    /// SLA-clock seconds to meet, of every met stage (late ones too), sorted.
    pub seconds_to_meet: Vec<i64>,
}

impl Figures {
    /// The compliance percentage: met on time ÷ settled, where settled is
    /// met on time + breached (waived and open stages are in neither);
    /// `None` with no settled stage.
    pub fn met_percent(&self) -> Option<f64> {
        let judged = self.met + self.breached;
        (judged > 0).then(|| self.met as f64 * 100.0 / judged as f64)
    }

    /// Breached and never met (closed unmet, or still unmet past the deadline).
    pub fn unmet(&self) -> u64 {
        self.breached - self.met_late
    }

    pub fn median(&self) -> Option<i64> {
        percentile(&self.seconds_to_meet, 50)
    }

    pub fn p90(&self) -> Option<i64> {
        percentile(&self.seconds_to_meet, 90)
    }

    pub fn max(&self) -> Option<i64> {
        self.seconds_to_meet.last().copied()
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

/// The report: figures by (group, stage), and the breached stages.
#[derive(Debug, Clone, Default)]
pub struct Compliance {
    pub group_by: GroupBy,
    pub figures: BTreeMap<(String, Stage), Figures>,
    pub breached: Vec<Breached>,
}

/// One cycle to count: an issue's current cycle from its stored row, or a
/// cycle of a folded issue (issues reopened, whose earlier cycles the row
/// no longer holds).
#[derive(Debug, Clone)]
pub struct ReportCycle {
    pub issue: String,
    pub seq: i64,
    pub title: Option<String>,
    pub project: String,
    pub policy: Arc<Policy>,
    pub start: Timestamp,
    pub clocks: Vec<StageClock>,
}

/// The policy an issue row was folded under (by name), else the one that
/// would be chosen for it now.
fn policy_of(row: &IssueRow, project: &str, policies: &PolicySet) -> Arc<Policy> {
    row.policy
        .as_deref()
        .and_then(|name| policies.by_name(name))
        .unwrap_or_else(|| policies.select(project, row.priority.as_deref()))
}

/// The current cycles of stored issue rows that fall in `period`.
pub fn cycles_of_rows(rows: &[IssueRow], policies: &PolicySet, period: &Period) -> Vec<ReportCycle> {
    rows.iter()
        .filter_map(|row| {
            let (start, project) = (row.cycle_start?, row.project.clone()?);
            let policy = policy_of(row, &project, policies);
            period.contains(start, &policy).then(|| ReportCycle {
                issue: row.issue.clone(),
                seq: row.seq,
                title: row.title.clone(),
                project,
                policy,
                start,
                clocks: row.stages.iter().map(StageSnapshot::to_clock).collect(),
            })
        })
        .collect()
}

/// Every cycle of a folded issue that falls in `period`.
pub fn cycles_of_state(issue: &str, seq: i64, state: &IssueState, period: &Period) -> Vec<ReportCycle> {
    let (Some(policy), Some(project)) = (&state.policy, &state.project) else {
        return Vec::new();
    };
    state
        .cycles
        .iter()
        .filter(|cycle| period.contains(cycle.start, policy))
        .map(|cycle| ReportCycle {
            issue: issue.to_string(),
            seq,
            title: state.title.clone(),
            project: project.clone(),
            policy: policy.clone(),
            start: cycle.start,
            clocks: cycle.stages.clone(),
        })
        .collect()
}

/// Who met each stage: (issue, cycle start, stage) → the staff member
/// named by the event that met it. See [`staff_who_met`].
pub type MetBy = HashMap<(String, Timestamp, Stage), String>;

/// The stages an event of `kind` meets (SPEC §1 rules 2 and 4).
fn stages_met_by(kind: EventKind) -> &'static [Stage] {
    match kind {
        EventKind::Acknowledged => &[Stage::Ack],
        EventKind::Handled | EventKind::Closed => &[Stage::Ack, Stage::Handle],
        EventKind::Planned => &[Stage::Ack, Stage::Handle, Stage::Plan],
        _ => &[],
    }
}

/// For each met stage of `cycles`, the actor of the event that met it: the
/// earliest event of the issue that meets the stage at its `met_at` (an
/// event before the cycle start counts at the cycle start). An actor is
/// named `name (id)`, or by whichever of the two is known.
pub fn staff_who_met(cycles: &[ReportCycle], events: &HashMap<String, Vec<Event>>) -> MetBy {
    let mut met_by = MetBy::new();
    for cycle in cycles {
        let Some(issue_events) = events.get(&cycle.issue) else {
            continue;
        };
        for clock in &cycle.clocks {
            let Some(met_at) = clock.met_at else { continue };
            let actor = issue_events
                .iter()
                .filter(|event| stages_met_by(event.kind).contains(&clock.stage))
                .filter(|event| event.at.max(cycle.start) == met_at)
                .min_by_key(|event| (event.at, event.arrival))
                .and_then(|event| event.actor.as_ref())
                .and_then(|actor| match (&actor.name, &actor.id) {
                    (Some(name), Some(id)) => Some(format!("{name} ({id})")),
                    (Some(name), None) => Some(name.clone()),
                    (None, Some(id)) => Some(id.clone()),
                    (None, None) => None,
                });
            if let Some(actor) = actor {
                met_by.insert((cycle.issue.clone(), cycle.start, clock.stage), actor);
            }
        }
    }
    met_by
}

/// The group a cycle's stage counts in (`None`: not counted, e.g. a stage
/// no staff member met, under [`GroupBy::Staff`]).
fn group_of(cycle: &ReportCycle, stage: Stage, group_by: GroupBy, met_by: &MetBy) -> Option<String> {
    let local = || {
        cycle
            .start
            .with_timezone(&cycle.policy.calendar.time_zone())
            .date_naive()
    };
    Some(match group_by {
        GroupBy::Project => cycle.project.clone(),
        GroupBy::Stage => "*".to_string(),
        GroupBy::Week => {
            let week = local().iso_week();
            format!("{}-W{:02}", week.year(), week.week())
        }
        GroupBy::Month => local().format("%Y-%m").to_string(),
        GroupBy::Staff => met_by.get(&(cycle.issue.clone(), cycle.start, stage))?.clone(),
    })
}

/// Counts `cycles` as things stand at `now`: a stage past its deadline and
/// still unmet counts as breached, as the breach record (and the metric)
/// already did. `met_by` is only read under [`GroupBy::Staff`].
pub fn compliance(cycles: &[ReportCycle], group_by: GroupBy, met_by: &MetBy, now: Timestamp) -> Compliance {
    let mut report = Compliance {
        group_by,
        ..Compliance::default()
    };
    for cycle in cycles {
        let calendar = cycle.policy.calendar.as_ref();
        for clock in &cycle.clocks {
            let Some(group) = group_of(cycle, clock.stage, group_by, met_by) else {
                continue;
            };
            let overdue = clock.deadline.is_some_and(|deadline| deadline < now);
            let outcome = final_outcome(clock).or_else(|| {
                let running = clock.met_at.is_none() && clock.waived_at.is_none();
                (running && overdue).then_some(FinalOutcome::Breached)
            });
            let figures = report.figures.entry((group, clock.stage)).or_default();
            figures.raised += 1;
            match outcome {
                Some(FinalOutcome::Met) => figures.met += 1,
                Some(FinalOutcome::Breached) => {
                    figures.breached += 1;
                    if clock.met_at.is_some() {
                        figures.met_late += 1;
                    }
                }
                Some(FinalOutcome::Waived) => figures.waived += 1,
                None => figures.open += 1,
            }
            if let Some(time) = clock_time_to_met(clock, cycle.start, calendar) {
                figures.seconds_to_meet.push(time.num_seconds());
            }
            if outcome == Some(FinalOutcome::Breached) && group_by != GroupBy::Staff {
                report.breached.push(Breached {
                    issue: cycle.issue.clone(),
                    seq: cycle.seq,
                    title: cycle.title.clone(),
                    project: cycle.project.clone(),
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

#[cfg(test)]
mod tests;
