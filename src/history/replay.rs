//! `slawatch replay [--config OTHER] [--from --to] [--project P] [--apply]`:
//! folds every issue's events again under a configuration (its policies,
//! calendars and targets) and compares the result with the derived state
//! on record, per project and stage: how many breaches there would be, and
//! how many issues' stage outcomes would change. In memory: nothing is
//! written and nothing is sent. `--apply` then rebuilds the derived state
//! in place through a writer under that configuration, announcing nothing;
//! run it with the service stopped (docs/history.md).

use super::quiet_writer;
use crate::config::Config;
use crate::domain::issue::{fold, IssueState, StageClock};
use crate::domain::policy::{PolicySet, Stage};
use crate::domain::Timestamp;
use crate::engine::compliance::Period;
use crate::store::history::ExportFilter;
use crate::store::rows::{BreachRow, IssueRow, StageSnapshot};
use crate::store::Store;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Issues read and compared per step.
const CHUNK: i64 = 2000;

/// A stage's outcome at an instant, as a report counts it.
fn outcome(clock: &StageClock, now: Timestamp) -> &'static str {
    let outcome = StageSnapshot::from_clock(clock).outcome();
    match outcome {
        "running" | "paused" | "paused_at_risk" if clock.deadline.is_some_and(|deadline| deadline < now) => {
            "breached"
        }
        "running" | "paused" | "paused_at_risk" => "open",
        other => other,
    }
}

/// One project's and stage's figures, on record and replayed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageDiff {
    /// Current cycles compared.
    pub stages: u64,
    /// Breaches (every cycle) on record, and replayed.
    pub breaches_before: u64,
    pub breaches_after: u64,
    /// Issues whose current cycle's outcome of this stage differs.
    pub changed: u64,
}

/// The comparison: per (project, stage), and a few issues that change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub stages: BTreeMap<(String, Stage), StageDiff>,
    pub issues: u64,
    /// Up to [`EXAMPLES`] `(issue, stage, before, after)`.
    pub examples: Vec<(String, Stage, String, String)>,
}

/// How many changed issues are named.
pub const EXAMPLES: usize = 20;

impl Diff {
    /// Whether replaying changes nothing.
    pub fn is_empty(&self) -> bool {
        self.stages
            .values()
            .all(|stage| stage.changed == 0 && stage.breaches_before == stage.breaches_after)
    }
}

/// What to replay.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub period: Option<Period>,
    pub project: Option<String>,
}

/// Compares one issue's record (its row and breach records) with its
/// events folded under `policies`, at `now`, into `diff`. Pure.
pub fn compare(
    row: &IssueRow,
    breaches: &[BreachRow],
    replayed: &IssueState,
    policies: &PolicySet,
    scope: &Scope,
    now: Timestamp,
    diff: &mut Diff,
) {
    let project = replayed
        .project
        .clone()
        .or_else(|| row.project.clone())
        .unwrap_or_default();
    if scope.project.as_ref().is_some_and(|wanted| *wanted != project) {
        return;
    }
    let in_period = |start: Timestamp| {
        let Some(period) = &scope.period else { return true };
        let policy = replayed
            .policy
            .clone()
            .unwrap_or_else(|| policies.select(&project, row.priority.as_deref()));
        period.contains(start, &policy)
    };
    diff.issues += 1;

    // Breaches on record: the standing records, and current stages that
    // read breached now though the timer has not recorded them yet.
    let mut before: BTreeSet<(Stage, Timestamp)> = breaches
        .iter()
        .filter(|b| b.retracted_at.is_none())
        .map(|b| (b.stage, b.cycle_start))
        .collect();
    if let Some(start) = row.cycle_start {
        for snapshot in &row.stages {
            if matches!(outcome(&snapshot.to_clock(), now), "breached" | "met_late") {
                before.insert((snapshot.stage, start));
            }
        }
    }
    let after: BTreeSet<(Stage, Timestamp)> = replayed
        .breaches(now, chrono::TimeDelta::zero())
        .into_iter()
        .map(|fact| (fact.stage, fact.cycle_start))
        .collect();
    for (stage, _) in before.iter().filter(|(_, start)| in_period(*start)) {
        diff.stages
            .entry((project.clone(), *stage))
            .or_default()
            .breaches_before += 1;
    }
    for (stage, _) in after.iter().filter(|(_, start)| in_period(*start)) {
        diff.stages
            .entry((project.clone(), *stage))
            .or_default()
            .breaches_after += 1;
    }

    // The current cycle's outcomes.
    let current = replayed.current_cycle();
    let starts = (row.cycle_start, current.map(|cycle| cycle.start));
    if !starts.0.into_iter().chain(starts.1).any(&in_period) {
        return;
    }
    let stages: BTreeSet<Stage> = row
        .stages
        .iter()
        .map(|s| s.stage)
        .chain(current.into_iter().flat_map(|c| c.stages.iter().map(|s| s.stage)))
        .collect();
    for stage in stages {
        let was = row
            .stages
            .iter()
            .find(|s| s.stage == stage)
            .map(|s| outcome(&s.to_clock(), now));
        let is = current
            .and_then(|c| c.stage(stage))
            .map(|clock| outcome(clock, now));
        let entry = diff.stages.entry((project.clone(), stage)).or_default();
        entry.stages += 1;
        let moved = was != is || (starts.0 != starts.1);
        if moved {
            entry.changed += 1;
            if diff.examples.len() < EXAMPLES {
                let shown = |o: Option<&str>| o.unwrap_or("none").to_string();
                diff.examples
                    .push((row.issue.clone(), stage, shown(was), shown(is)));
            }
        }
    }
}

/// The difference as text, one line per project and stage that changes
/// (or a line saying nothing does).
pub fn describe(diff: &Diff, target_changes: &[String]) -> String {
    let mut out = String::new();
    for change in target_changes {
        out.push_str(&format!("{change}\n"));
    }
    out.push_str(&format!("{} issues replayed\n", diff.issues));
    let mut any = false;
    for ((project, stage), figures) in &diff.stages {
        if figures.changed == 0 && figures.breaches_before == figures.breaches_after {
            continue;
        }
        any = true;
        let delta = figures.breaches_after as i64 - figures.breaches_before as i64;
        let direction = match delta {
            0 => "as many breaches".to_string(),
            d if d < 0 => format!("{} fewer breaches", -d),
            d => format!("{d} more breaches"),
        };
        out.push_str(&format!(
            "{project} {stage}: {direction} ({} -> {} of {} stages); {} issues change outcome\n",
            figures.breaches_before, figures.breaches_after, figures.stages, figures.changed
        ));
    }
    if !any {
        out.push_str("no differences\n");
    }
    for (issue, stage, was, is) in &diff.examples {
        out.push_str(&format!("  {issue} {stage}: {was} -> {is}\n"));
    }
    out
}

/// How two configurations' policies differ in targets, calendar and pausing.
pub fn target_changes(current: &PolicySet, other: &PolicySet) -> Vec<String> {
    let mut changes = Vec::new();
    let names: BTreeSet<String> = current
        .iter()
        .chain(other.iter())
        .map(|policy| policy.name.clone())
        .chain(std::iter::once("default".to_string()))
        .collect();
    for name in names {
        match (current.by_name(&name), other.by_name(&name)) {
            (Some(was), Some(is)) => {
                for stage in Stage::ALL {
                    let (a, b) = (was.target(stage), is.target(stage));
                    if a != b {
                        let shown = |t: Option<crate::domain::duration::Target>| {
                            t.map_or("none".to_string(), |t| t.to_string())
                        };
                        changes.push(format!(
                            "policy {name}: {stage} target {} instead of {}",
                            shown(b),
                            shown(a)
                        ));
                    }
                }
                if was.calendar.name() != is.calendar.name() {
                    changes.push(format!(
                        "policy {name}: calendar {} instead of {}",
                        is.calendar.name(),
                        was.calendar.name()
                    ));
                }
            }
            (None, Some(_)) => changes.push(format!("policy {name}: new")),
            (Some(_), None) => changes.push(format!("policy {name}: gone")),
            (None, None) => {}
        }
    }
    changes
}

/// Replays every issue of the store under `config` and compares.
pub async fn replay(store: &Store, config: &Config, scope: &Scope, now: Timestamp) -> anyhow::Result<Diff> {
    let mut diff = Diff::default();
    let mut after = 0;
    loop {
        let rows = store.issues_page(&ExportFilter::default(), after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        let through = last.seq;
        let events = store.events_of_seq_range(after, through).await?;
        let keys: Vec<String> = rows.iter().map(|row| row.issue.clone()).collect();
        let mut breaches: HashMap<String, Vec<BreachRow>> = HashMap::new();
        for breach in store.breaches_of_issues(&keys).await? {
            breaches.entry(breach.issue.clone()).or_default().push(breach);
        }
        let events: HashMap<&str, _> = events
            .iter()
            .map(|(key, _, events)| (key.as_str(), events))
            .collect();
        for row in &rows {
            let Some(issue_events) = events.get(row.issue.as_str()) else {
                continue;
            };
            let replayed = fold(issue_events, &config.policies);
            let stored = breaches.get(&row.issue).map_or(&[][..], Vec::as_slice);
            compare(row, stored, &replayed, &config.policies, scope, now, &mut diff);
        }
        after = through;
    }
    Ok(diff)
}

/// Rebuilds the derived state of every issue in place under `config`:
/// each is folded again by a writer under that configuration's rules, its
/// row rewritten and its breach records brought in line (recorded,
/// retracted or reinstated), with no notification. The number of issues.
pub async fn apply(store: &Store, config: &Config) -> anyhow::Result<u64> {
    let (writer, task) = quiet_writer(store, config);
    let mut after = 0;
    let mut count = 0u64;
    loop {
        let rows = store.issues_page(&ExportFilter::default(), after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        count += rows.len() as u64;
        writer
            .revisit(rows.into_iter().map(|row| row.issue).collect())
            .await?;
    }
    drop(writer);
    let _ = task.await;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_changed_reads_as_no_differences() {
        let mut diff = Diff::default();
        diff.stages.insert(
            ("p".into(), Stage::Ack),
            StageDiff {
                stages: 3,
                breaches_before: 1,
                breaches_after: 1,
                changed: 0,
            },
        );
        assert!(diff.is_empty());
        assert!(describe(&diff, &[]).contains("no differences"));
        diff.stages
            .get_mut(&("p".into(), Stage::Ack))
            .unwrap()
            .breaches_after = 0;
        assert!(!diff.is_empty());
        assert!(describe(&diff, &[]).contains("p ack: 1 fewer breaches (1 -> 0 of 3 stages)"));
    }
}
