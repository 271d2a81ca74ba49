//! Gathers what a compliance report counts from the store: the current
//! cycles that started in the period, the earlier cycles of reopened
//! issues (folded again from their events), and, grouped by staff, who met
//! each stage. The counting itself is [`super::compliance`], pure.

use super::compliance::{compliance, cycles_of_rows, cycles_of_state, staff_who_met, Compliance};
use super::compliance::{GroupBy, MetBy, Period, ReportCycle};
use crate::domain::issue::fold;
use crate::domain::policy::PolicySet;
use crate::domain::Timestamp;
use crate::store::{Store, StoreResult};
use std::collections::HashSet;

/// Issue rows read per statement.
const PAGE: i64 = 20_000;

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub period: Period,
    pub project: Option<String>,
    pub group_by: GroupBy,
    /// The most issue rows read (the HTTP API's cut); `None` for all.
    pub limit: Option<i64>,
}

/// The report, and whether the issue rows were cut at the limit.
pub struct Loaded {
    pub report: Compliance,
    pub truncated: bool,
}

/// Reads and counts a report as things stand at `now`.
pub async fn load(
    store: &Store,
    policies: &PolicySet,
    request: &ReportRequest,
    now: Timestamp,
) -> StoreResult<Loaded> {
    let gathered = gather(store, policies, request).await?;
    Ok(Loaded {
        report: compliance(&gathered.cycles, request.group_by, &gathered.met_by, now),
        truncated: gathered.truncated,
    })
}

/// What a report counts, read once for any number of groupings.
pub struct Gathered {
    pub cycles: Vec<ReportCycle>,
    /// Who met each stage: read only when grouped by staff.
    pub met_by: MetBy,
    pub truncated: bool,
}

/// Reads the cycles of the period (and, under [`GroupBy::Staff`], who met
/// their stages).
pub async fn gather(store: &Store, policies: &PolicySet, request: &ReportRequest) -> StoreResult<Gathered> {
    let (from, to) = request.period.bounds();
    let project = request.project.as_deref();
    let limit = request.limit.unwrap_or(i64::MAX);
    let reopened = store.reopened_since(from, to, project).await?;
    let reopened_keys: HashSet<&str> = reopened.iter().map(|(key, _)| key.as_str()).collect();

    // Read a page at a time, each turned into the (smaller) cycles it
    // counts before the next is read. A reopened issue is counted from its
    // fold (every cycle), not its row.
    let mut cycles = Vec::new();
    let (mut read, mut after) = (0i64, 0i64);
    loop {
        let page_size = PAGE.min(limit - read);
        if page_size <= 0 {
            break;
        }
        let rows = store
            .cycles_started_page(from, to, project, after, page_size)
            .await?;
        read += rows.len() as i64;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let full = rows.len() as i64 == page_size;
        let plain: Vec<_> = rows
            .into_iter()
            .filter(|row| !reopened_keys.contains(row.issue.as_str()))
            .collect();
        cycles.extend(cycles_of_rows(&plain, policies, &request.period));
        if !full {
            break;
        }
    }
    let truncated = read >= limit;
    if !reopened.is_empty() {
        let seqs: Vec<i64> = reopened.iter().map(|(_, seq)| *seq).collect();
        let events = store.events_of_issues(&seqs).await?;
        for (key, seq) in &reopened {
            if let Some(issue_events) = events.get(key) {
                let state = fold(issue_events, policies);
                cycles.extend(cycles_of_state(key, *seq, &state, &request.period));
            }
        }
    }
    cycles.sort_by_key(|cycle| (cycle.start, cycle.seq));

    let met_by = if request.group_by == GroupBy::Staff {
        let mut seqs: Vec<i64> = cycles.iter().map(|cycle| cycle.seq).collect();
        seqs.dedup();
        let events = store.events_of_issues(&seqs).await?;
        staff_who_met(&cycles, &events)
    } else {
        MetBy::new()
    };
    Ok(Gathered {
        cycles,
        met_by,
        truncated,
    })
}
