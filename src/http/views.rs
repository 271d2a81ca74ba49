//! The JSON shapes of the API, built from stored rows at a clock reading.

use crate::domain::event::Event;
use crate::domain::policy::{Policy, PolicySet};
use crate::domain::Timestamp;
use crate::store::read::ProjectCounts;
use crate::store::rows::{status_str, BreachRow, IssueRow};
use chrono::SecondsFormat;
use chrono_tz::Tz;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// RFC 3339 with the offset of `zone`; fractions only when there are some.
pub fn stamp(at: Timestamp, zone: Tz) -> String {
    at.with_timezone(&zone)
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// One stage of the current cycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    /// `ack`, `handle` or `plan`.
    pub stage: String,
    /// The promise, e.g. `10m`, `2h`, `1d`.
    pub target: String,
    /// Null while the clock is paused.
    pub deadline: Option<String>,
    /// `pending`, `at_risk`, `met`, `breached` or `waived`.
    pub state: String,
    pub met_at: Option<String>,
    pub breached_at: Option<String>,
    /// Working time left (negative when overdue); null once met or waived.
    pub remaining_seconds: Option<i64>,
}

/// An issue with its stages.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssueView {
    pub issue: String,
    pub seq: i64,
    pub project: Option<String>,
    pub title: Option<String>,
    pub priority: Option<String>,
    pub policy: Option<String>,
    /// The calendar deadlines are computed in.
    pub calendar: Option<String>,
    /// The time zone timestamps are shown in.
    pub time_zone: String,
    /// `open`, `paused`, `closed` or `unraised`.
    pub state: String,
    pub cycle: i64,
    pub raised_at: Option<String>,
    pub closed_at: Option<String>,
    pub resolution: Option<String>,
    pub stages: Vec<StageView>,
    /// With `?include=events`: the timeline, in time order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
}

/// One event of a timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub kind: String,
    pub at: String,
    pub source: String,
    pub received_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub actor: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// A breach record.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreachView {
    pub issue: String,
    pub seq: Option<i64>,
    pub project: Option<String>,
    pub stage: String,
    pub cycle: i64,
    pub deadline: String,
    pub detected_at: String,
    /// Recorded more than 5 s after deadline + grace (downtime, backfill).
    pub detected_late: bool,
    pub met_at: Option<String>,
    pub retracted_at: Option<String>,
    /// Highest escalation step fired so far (0 = none).
    pub escalation_step: i64,
}

/// A project with live counts of its issues and stages. The issue counts use
/// the words of `GET /v1/issues?state=`: `open` counts what `state=open`
/// lists, `paused` what `state=paused` lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub project: String,
    pub name: Option<String>,
    /// False for projects seen in events but missing from the configuration.
    pub configured: bool,
    /// Issues in state `open`: what `GET /v1/issues?project=…&state=open` lists.
    pub open: i64,
    /// Issues in state `paused`: what `GET /v1/issues?project=…&state=paused` lists.
    pub paused: i64,
    /// Open or paused issues with at least one stage not yet met or waived (its
    /// clock running or paused); an open issue whose stages are all met is
    /// `open` but not counted here.
    pub open_with_unmet_stages: i64,
    /// Stages of open or paused issues not yet met or waived: pending, at risk,
    /// or breached and still unmet.
    pub open_stages: i64,
    /// Of `open_stages`, those at risk now.
    pub at_risk: i64,
    /// Of `open_stages`, those past their deadline and still unmet.
    pub breached: i64,
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn policy_of(row: &IssueRow, policies: &PolicySet) -> Arc<Policy> {
    row.policy
        .as_deref()
        .and_then(|name| policies.by_name(name))
        .unwrap_or_else(|| {
            policies.select(
                row.project.as_deref().unwrap_or_default(),
                row.priority.as_deref(),
            )
        })
}

impl IssueView {
    pub fn build(row: &IssueRow, policies: &PolicySet, now: Timestamp) -> IssueView {
        let policy = policy_of(row, policies);
        let calendar = policy.calendar.as_ref();
        let zone = calendar.time_zone();
        let show = |at: Option<Timestamp>| at.map(|at| stamp(at, zone));
        let stages = row
            .stages
            .iter()
            .map(|snapshot| {
                let clock = snapshot.to_clock();
                StageView {
                    stage: clock.stage.as_str().to_string(),
                    target: snapshot.target.clone(),
                    deadline: show(clock.deadline),
                    state: clock.state(now).as_str().to_string(),
                    met_at: show(clock.met_at),
                    breached_at: show(clock.breached_at(now)),
                    remaining_seconds: clock.remaining(calendar, now).map(|d| d.num_seconds()),
                }
            })
            .collect();
        IssueView {
            issue: row.issue.clone(),
            seq: row.seq,
            project: row.project.clone(),
            title: row.title.clone(),
            priority: row.priority.clone(),
            policy: row.policy.clone(),
            calendar: row.policy.as_ref().map(|_| calendar.name().to_string()),
            time_zone: zone.name().to_string(),
            state: status_str(row.status).to_string(),
            cycle: row.cycle,
            raised_at: show(row.raised_at),
            closed_at: show(row.closed_at),
            resolution: row.resolution.map(|r| r.as_str().to_string()),
            stages,
            events: None,
        }
    }

    /// The time zone this issue's times are shown in.
    pub fn zone(row: &IssueRow, policies: &PolicySet) -> Tz {
        policy_of(row, policies).calendar.time_zone()
    }
}

impl EventView {
    pub fn build(event: &Event, zone: Tz) -> EventView {
        EventView {
            id: event.id.clone(),
            kind: event.kind.as_str().to_string(),
            at: stamp(event.at, zone),
            source: event.source.clone(),
            received_at: stamp(event.received_at, zone),
            project: event.project.clone(),
            priority: event.priority.clone(),
            title: event.title.clone(),
            text: event.text.clone(),
            actor: event.actor.as_ref().and_then(|a| serde_json::to_value(a).ok()),
            resolution: event.resolution.map(|r| r.as_str().to_string()),
            attributes: event.attributes.clone(),
        }
    }
}

impl EventView {
    /// A chat message in a timeline: `kind` is `message`, `id` is
    /// `{platform}:{chat_id}:{message_id}`, and `attributes` keep the
    /// message's own fields.
    pub fn from_message(row: &crate::store::chat::MessageRow, zone: Tz) -> EventView {
        let message = &row.message;
        let mut attributes = serde_json::Map::new();
        attributes.insert("platform".into(), message.platform.clone().into());
        attributes.insert("chat_id".into(), message.chat_id.clone().into());
        attributes.insert("message_id".into(), message.message_id.clone().into());
        if let Some(reply_to) = &message.reply_to {
            attributes.insert("reply_to".into(), reply_to.clone().into());
        }
        if !message.mentions.is_empty() {
            attributes.insert("mentions".into(), message.mentions.clone().into());
        }
        let mut actor = serde_json::json!({ "id": format!("{}:{}", message.platform, message.sender_id) });
        if let Some(name) = &message.sender_name {
            actor["name"] = name.clone().into();
        }
        EventView {
            id: format!("{}:{}:{}", message.platform, message.chat_id, message.message_id),
            kind: "message".into(),
            at: stamp(message.at, zone),
            source: row.source.clone(),
            received_at: stamp(row.received_at, zone),
            project: None,
            priority: None,
            title: None,
            text: Some(message.text.clone()),
            actor: Some(actor),
            resolution: None,
            attributes,
        }
    }
}

impl BreachView {
    pub fn build(row: &BreachRow, zone: Tz) -> BreachView {
        BreachView {
            issue: row.issue.clone(),
            seq: row.seq,
            project: row.project.clone(),
            stage: row.stage.as_str().to_string(),
            cycle: row.cycle,
            deadline: stamp(row.deadline, zone),
            detected_at: stamp(row.detected_at, zone),
            detected_late: row.detected_late,
            met_at: row.met_at.map(|at| stamp(at, zone)),
            retracted_at: row.retracted_at.map(|at| stamp(at, zone)),
            escalation_step: row.escalation_step,
        }
    }
}

impl ProjectView {
    pub fn build(
        project: &str,
        name: Option<String>,
        configured: bool,
        counts: Option<&ProjectCounts>,
    ) -> ProjectView {
        let counts = counts.cloned().unwrap_or_default();
        ProjectView {
            project: project.to_string(),
            name,
            configured,
            open: counts.open,
            paused: counts.paused,
            open_with_unmet_stages: counts.open_with_unmet_stages,
            open_stages: counts.open_stages,
            at_risk: counts.at_risk,
            breached: counts.breached,
        }
    }
}
