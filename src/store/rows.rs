//! What the derived tables hold, and conversions to and from the domain.

use super::Columns;
use super::{from_ms, get, to_ms, StoreError, StoreResult};
use crate::domain::breach::{BreachRecord, StoredBreach};
use crate::domain::duration::Target;
use crate::domain::event::Resolution;
use crate::domain::issue::{running_clock, IssueState, IssueStatus, RunningClock, StageClock};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// A stage clock as kept in `issues.stages` (time-independent; its state at
/// any instant is derived on read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSnapshot {
    pub stage: Stage,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_risk: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_remaining: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused_at_risk: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub final_breach: bool,
}

impl StageSnapshot {
    pub fn from_clock(clock: &StageClock) -> Self {
        StageSnapshot {
            stage: clock.stage,
            target: clock.target.to_string(),
            deadline: clock.deadline.map(to_ms),
            at_risk: clock.at_risk_at.map(to_ms),
            met: clock.met_at.map(to_ms),
            waived: clock.waived_at.map(to_ms),
            paused_remaining: clock.paused_remaining.map(|d| d.num_milliseconds()),
            paused_at_risk: clock.paused_at_risk,
            final_breach: clock.final_breach,
        }
    }

    pub fn to_clock(&self) -> StageClock {
        StageClock {
            stage: self.stage,
            target: Target::parse(&self.target).unwrap_or(Target::Working(TimeDelta::zero())),
            deadline: self.deadline.map(from_ms),
            at_risk_at: self.at_risk.map(from_ms),
            met_at: self.met.map(from_ms),
            waived_at: self.waived.map(from_ms),
            paused_remaining: self.paused_remaining.map(TimeDelta::milliseconds),
            paused_at_risk: self.paused_at_risk,
            final_breach: self.final_breach,
        }
    }

    /// The time-independent outcome kept in `stages.outcome`: the domain's
    /// [`StageOutcome`](crate::domain::outcome::StageOutcome) of the stored
    /// clock.
    pub fn outcome(&self) -> &'static str {
        self.to_clock().outcome().as_str()
    }
}

/// One row of `issues`.
#[derive(Debug, Clone)]
pub struct IssueRow {
    pub issue: String,
    pub seq: i64,
    pub project: Option<String>,
    pub priority: Option<String>,
    pub title: Option<String>,
    pub policy: Option<String>,
    pub status: IssueStatus,
    pub cycle: i64,
    pub cycle_start: Option<Timestamp>,
    pub raised_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub resolution: Option<Resolution>,
    pub first_seen: Timestamp,
    pub updated: Timestamp,
    pub next_due: Option<Timestamp>,
    pub stages: Vec<StageSnapshot>,
}

/// The current cycle's stage clocks as columns of `issues`, for filters and
/// live counts: per stage of [`Stage::ALL`], its outcome (as
/// [`StageSnapshot::outcome`]), deadline and at-risk time.
pub(super) const STAGE_COLUMNS: &str = "ack_outcome, ack_deadline_ms, ack_at_risk_ms, \
     handle_outcome, handle_deadline_ms, handle_at_risk_ms, plan_outcome, plan_deadline_ms, plan_at_risk_ms";

/// The board's keys (SQLite migration 0012, PostgreSQL 0009): the earliest
/// deadline of the current cycle's running clocks and the earliest instant
/// one of them is at risk, as [`IssueRow::running_clock`]; NULL when none
/// runs. Together with `updated_ms` (the time of the row's last write) they
/// put an open issue in the board's index ranges (`store::board`).
pub(super) const BOARD_COLUMNS: &str = "running_deadline_ms, running_at_risk_ms";

/// An issue row as one JSON array of the values of `ISSUE_COLUMNS`,
/// `STAGE_COLUMNS` and then `BOARD_COLUMNS`, in that order (see
/// `Backend::json_rows`).
pub(super) struct IssueValues<'a>(pub &'a IssueRow);

impl Serialize for IssueValues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let row = self.0;
        let mut values = serializer.serialize_tuple(27)?;
        values.serialize_element(&row.issue)?;
        values.serialize_element(&row.seq)?;
        values.serialize_element(&row.project)?;
        values.serialize_element(&row.priority)?;
        values.serialize_element(&row.title)?;
        values.serialize_element(&row.policy)?;
        values.serialize_element(status_str(row.status))?;
        values.serialize_element(&row.cycle)?;
        values.serialize_element(&row.cycle_start.map(to_ms))?;
        values.serialize_element(&row.raised_at.map(to_ms))?;
        values.serialize_element(&row.closed_at.map(to_ms))?;
        values.serialize_element(&row.resolution.map(|r| r.as_str()))?;
        values.serialize_element(&to_ms(row.first_seen))?;
        values.serialize_element(&to_ms(row.updated))?;
        values.serialize_element(&row.next_due.map(to_ms))?;
        values.serialize_element(&serde_json::to_string(&row.stages).unwrap_or_else(|_| "[]".into()))?;
        for stage in Stage::ALL {
            let snapshot = row.stages.iter().find(|snapshot| snapshot.stage == stage);
            values.serialize_element(&snapshot.map(StageSnapshot::outcome))?;
            values.serialize_element(&snapshot.and_then(|snapshot| snapshot.deadline))?;
            values.serialize_element(&snapshot.and_then(|snapshot| snapshot.at_risk))?;
        }
        let running = row.running_clock();
        values.serialize_element(&running.map(|clock| to_ms(clock.deadline)))?;
        values.serialize_element(&running.map(|clock| to_ms(clock.at_risk)))?;
        values.end()
    }
}

pub(super) const ISSUE_COLUMNS: &str =
    "issue, seq, project, priority, title, policy, status, cycle, cycle_start_ms, \
     raised_ms, closed_ms, resolution, first_seen_ms, updated_ms, next_due_ms, stages";

impl IssueRow {
    /// The row for a freshly folded state.
    pub fn from_state(
        issue: &str,
        seq: i64,
        state: &IssueState,
        first_seen: Timestamp,
        updated: Timestamp,
        next_due: Option<Timestamp>,
    ) -> Self {
        let current = state.current_cycle();
        IssueRow {
            issue: issue.to_string(),
            seq,
            project: state.project.clone(),
            priority: state.priority.clone(),
            title: state.title.clone(),
            policy: state.policy.as_ref().map(|p| p.name.clone()),
            status: state.status,
            cycle: current.map_or(0, |c| i64::from(c.number)),
            cycle_start: current.map(|c| c.start),
            raised_at: state.raised_at,
            closed_at: current.and_then(|c| c.closed_at),
            resolution: current.and_then(|c| c.resolution),
            first_seen,
            updated,
            next_due,
            stages: current
                .map(|c| c.stages.iter().map(StageSnapshot::from_clock).collect())
                .unwrap_or_default(),
        }
    }

    /// The stored stage clocks of the current cycle.
    pub fn stage_clocks(&self) -> Vec<StageClock> {
        self.stages.iter().map(StageSnapshot::to_clock).collect()
    }

    /// The current cycle's running clocks as the board orders them
    /// ([`IssueState::running_clock`]), from the stored stage clocks.
    pub fn running_clock(&self) -> Option<RunningClock> {
        if self.status == IssueStatus::Closed {
            return None;
        }
        let clocks: Vec<StageClock> = self.stages.iter().map(StageSnapshot::to_clock).collect();
        running_clock(&clocks)
    }

    /// The clock of `stage` as its board orders it: running (neither
    /// settled nor frozen) in an open issue, or none.
    pub fn stage_running_clock(&self, stage: Stage) -> Option<RunningClock> {
        if self.status == IssueStatus::Closed {
            return None;
        }
        let clock = self.stages.iter().find(|s| s.stage == stage)?.to_clock();
        running_clock([&clock])
    }

    pub(super) fn from_row(row: &impl Columns) -> StoreResult<IssueRow> {
        let stages_json: String = get(row, "stages")?;
        let opt_time = |column: &str| -> StoreResult<Option<Timestamp>> {
            Ok(get::<Option<i64>>(row, column)?.map(from_ms))
        };
        Ok(IssueRow {
            issue: get(row, "issue")?,
            seq: get(row, "seq")?,
            project: get(row, "project")?,
            priority: get(row, "priority")?,
            title: get(row, "title")?,
            policy: get(row, "policy")?,
            status: parse_status(&get::<String>(row, "status")?),
            cycle: get(row, "cycle")?,
            cycle_start: opt_time("cycle_start_ms")?,
            raised_at: opt_time("raised_ms")?,
            closed_at: opt_time("closed_ms")?,
            resolution: get::<Option<String>>(row, "resolution")?
                .as_deref()
                .and_then(Resolution::parse),
            first_seen: from_ms(get(row, "first_seen_ms")?),
            updated: from_ms(get(row, "updated_ms")?),
            next_due: opt_time("next_due_ms")?,
            stages: serde_json::from_str(&stages_json)
                .map_err(|error| StoreError::Other(format!("unreadable stages of an issue row: {error}")))?,
        })
    }
}

pub fn status_str(status: IssueStatus) -> &'static str {
    match status {
        IssueStatus::Unraised => "unraised",
        IssueStatus::Open => "open",
        IssueStatus::Paused => "paused",
        IssueStatus::Closed => "closed",
    }
}

pub fn parse_status(text: &str) -> IssueStatus {
    match text {
        "open" => IssueStatus::Open,
        "paused" => IssueStatus::Paused,
        "closed" => IssueStatus::Closed,
        _ => IssueStatus::Unraised,
    }
}

/// One row of `breaches`.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachRow {
    pub id: i64,
    pub issue: String,
    pub seq: Option<i64>,
    pub project: Option<String>,
    pub stage: Stage,
    pub cycle: i64,
    pub cycle_start: Timestamp,
    pub deadline: Timestamp,
    pub met_at: Option<Timestamp>,
    pub detected_at: Timestamp,
    pub detected_late: bool,
    pub retracted_at: Option<Timestamp>,
    pub escalation_step: i64,
}

pub(super) const BREACH_COLUMNS: &str =
    "b.id, b.issue, b.project, b.stage, b.cycle, b.cycle_start_ms, b.deadline_ms, \
     b.met_ms, b.detected_ms, b.detected_late, b.retracted_ms, b.escalation_step";

impl BreachRow {
    /// The record as the domain reconciles it.
    pub fn stored(&self) -> StoredBreach {
        StoredBreach {
            id: self.id,
            record: BreachRecord {
                issue: self.issue.clone(),
                project: self.project.clone(),
                stage: self.stage,
                cycle_start: self.cycle_start,
                cycle: self.cycle,
                deadline: self.deadline,
                met_at: self.met_at,
                detected_at: self.detected_at,
                detected_late: self.detected_late,
                retracted_at: self.retracted_at,
                escalation_step: self.escalation_step,
            },
        }
    }

    pub(super) fn from_row(row: &impl Columns, with_seq: bool) -> StoreResult<BreachRow> {
        Ok(BreachRow {
            id: get(row, "id")?,
            issue: get(row, "issue")?,
            seq: if with_seq { get(row, "seq")? } else { None },
            project: get(row, "project")?,
            stage: {
                let stage: String = get(row, "stage")?;
                Stage::parse(&stage)
                    .ok_or_else(|| StoreError::Other(format!("a breach row names no stage: `{stage}`")))?
            },
            cycle: get(row, "cycle")?,
            cycle_start: from_ms(get(row, "cycle_start_ms")?),
            deadline: from_ms(get(row, "deadline_ms")?),
            met_at: get::<Option<i64>>(row, "met_ms")?.map(from_ms),
            detected_at: from_ms(get(row, "detected_ms")?),
            detected_late: get::<i64>(row, "detected_late")? != 0,
            retracted_at: get::<Option<i64>>(row, "retracted_ms")?.map(from_ms),
            escalation_step: get(row, "escalation_step")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_round_trip_through_json() {
        let snapshot = StageSnapshot {
            stage: Stage::Handle,
            target: "2h".into(),
            deadline: Some(1_717_041_720_000),
            at_risk: Some(1_717_040_280_000),
            met: None,
            waived: None,
            paused_remaining: None,
            paused_at_risk: false,
            final_breach: false,
        };
        let json = serde_json::to_string(&[&snapshot]).unwrap();
        let back: Vec<StageSnapshot> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0], snapshot);
        assert_eq!(StageSnapshot::from_clock(&snapshot.to_clock()), snapshot);
    }
}
