//! The issue page's promise cards: each stage's state, deadline and
//! countdown, when it was met and by whom, or how late.

use super::super::text::{self, Lang};
use super::Card;
use crate::domain::event::{Event, EventKind};
use crate::domain::issue::StageClock;
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use crate::store::rows::IssueRow;
use chrono_tz::Tz;

/// One promise card.
pub(super) fn card(
    clock: &StageClock,
    target: &str,
    row: &IssueRow,
    events: &[Event],
    lang: Lang,
    zone: Tz,
    now: Timestamp,
) -> Card {
    let stage_state = clock.state(now);
    let settled = clock.met_at.is_some() || clock.waived_at.is_some() || clock.final_breach;
    let paused = !settled && clock.deadline.is_none();
    let running = !settled && row.closed_at.is_none() && clock.deadline.is_some();
    let state = if paused { "paused" } else { stage_state.as_str() };
    let span = |delta| text::span(lang, delta);
    let countdown = clock.deadline.filter(|_| running).map(|deadline| {
        let left = deadline - now;
        let key = if left >= chrono::TimeDelta::zero() {
            "remaining"
        } else {
            "overdue"
        };
        lang.get(key).replace("{span}", &span(left))
    });
    let (met, late) = match (clock.met_at, clock.deadline, clock.waived_at) {
        (Some(met), Some(deadline), _) if met > deadline => (
            Some(lang.get("met_late").replace("{at}", &text::time(met, zone))),
            Some(lang.get("late_by").replace("{span}", &span(met - deadline))),
        ),
        (Some(met), _, _) => (
            Some(lang.get("met_when").replace("{at}", &text::time(met, zone))),
            None,
        ),
        (None, _, Some(waived)) => (
            Some(lang.get("waived_when").replace("{at}", &text::time(waived, zone))),
            None,
        ),
        (None, Some(deadline), None) if clock.final_breach => {
            let end = row.closed_at.unwrap_or(now);
            (
                None,
                Some(lang.get("late_by").replace("{span}", &span(end - deadline))),
            )
        }
        _ => (None, None),
    };
    let met_by = clock
        .met_at
        .and_then(|at| who_met(clock.stage, at, row, events))
        .map(|who| lang.get("met_by").replace("{who}", &who));
    Card {
        stage: clock.stage.as_str(),
        name: lang
            .get("card_name")
            .replace("{target}", &text::target(lang, target))
            .replace("{stage}", lang.get(&format!("stage_{}", clock.stage.as_str()))),
        state,
        state_label: lang.get(&format!("outcome_{state}")),
        deadline: clock.deadline.map(|at| text::time(at, zone)),
        deadline_ms: clock.deadline.map(|at| at.timestamp_millis()),
        countdown,
        met,
        met_by,
        late,
        paused,
    }
}

/// Who met `stage` at `at`: the first event that meets it whose time (or
/// the cycle's start, for one before it) is `at`.
fn who_met(stage: Stage, at: Timestamp, row: &IssueRow, events: &[Event]) -> Option<String> {
    let start = row.cycle_start.unwrap_or(at);
    let meets = |kind: EventKind| match stage {
        Stage::Ack => matches!(
            kind,
            EventKind::Acknowledged | EventKind::Handled | EventKind::Planned | EventKind::Closed
        ),
        Stage::Handle => matches!(kind, EventKind::Handled | EventKind::Planned | EventKind::Closed),
        Stage::Plan => kind == EventKind::Planned,
    };
    events
        .iter()
        .find(|e| meets(e.kind) && e.at.max(start) == at)
        .map(|e| {
            e.actor
                .as_ref()
                .and_then(|a| a.name.clone().or_else(|| a.id.clone()))
                .unwrap_or_else(|| e.source.clone())
        })
}
