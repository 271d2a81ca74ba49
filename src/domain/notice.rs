//! Which notifications a fold calls for: a breach to the team, its retraction,
//! a warning when a stage becomes at risk, escalation steps while a breached
//! stage stays unmet. Pure: the writer stores what this returns in the same
//! transaction as the state change (the outbox).

use super::breach::BreachNotice;
use super::event::{Event, EventKind};
use super::issue::{IssueState, IssueStatus, StageClock};
use super::link::LinkSigner;
use super::notification::{Notification, NotificationKind};
use super::policy::{Audience, EscalationStep, Stage};
use super::{from_ms, to_ms, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// Who hears about which project.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// Project key → (name, team channels, lead channels).
    pub projects: BTreeMap<String, ProjectRoute>,
    pub zone: Vec<String>,
    /// Channels the zone's daily digest goes to.
    pub zone_digest: Vec<String>,
    /// Base of links to issues.
    pub public_url: String,
    /// Signs the links to issue pages.
    pub links: LinkSigner,
    /// Alertmanager channels: they also hear when a breach stops standing.
    pub alerting: BTreeSet<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectRoute {
    pub name: String,
    pub team: Vec<String>,
    pub lead: Vec<String>,
    /// Channels the project's daily digest goes to.
    pub digest: Vec<String>,
}

impl Routing {
    /// A project's configured name, else its key.
    pub fn project_name(&self, project: &str) -> String {
        self.projects
            .get(project)
            .map_or_else(|| project.to_string(), |route| route.name.clone())
    }

    /// The link to an issue: its page `/i/{issue}` under `public_url`,
    /// signed at `now` so that it opens without a token until it expires.
    pub fn issue_url(&self, issue: &str, now: Timestamp) -> String {
        self.links.issue_url(&self.public_url, issue, now)
    }

    /// The channels that heard about a breach whose ladder reached `step`.
    pub fn breach_channels(&self, project: Option<&str>, ladder: &[EscalationStep], step: i64) -> Vec<&str> {
        let mut channels: Vec<&str> = self
            .channels(project, Audience::Team)
            .iter()
            .map(String::as_str)
            .collect();
        for rung in ladder.iter().take(step.max(0) as usize) {
            channels.extend(self.channels(project, rung.to).iter().map(String::as_str));
        }
        channels.sort_unstable();
        channels.dedup();
        channels
    }

    fn channels(&self, project: Option<&str>, audience: Audience) -> &[String] {
        match audience {
            Audience::Zone => &self.zone,
            Audience::Team | Audience::Lead => {
                let Some(route) = project.and_then(|p| self.projects.get(p)) else {
                    return &[];
                };
                if audience == Audience::Team {
                    &route.team
                } else {
                    &route.lead
                }
            }
        }
    }
}

/// One outbox row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub channel: String,
    /// What to say; its `delivery` is the row's delivery id.
    pub notification: Notification,
}

/// A breach record's change, as the writer saw it.
pub struct BreachEvent<'a> {
    pub stage: Stage,
    pub cycle_start: Timestamp,
    pub cycle: i64,
    pub deadline: Timestamp,
    pub met_at: Option<Timestamp>,
    /// What happened to the record in this fold, if anything.
    pub notice: Option<&'a BreachNotice>,
    /// The record stood (unmet, unretracted, its cycle open) before this fold.
    pub stood_before: bool,
}

/// Everything about one issue the notices need.
pub struct Subject<'a> {
    pub issue: &'a str,
    pub seq: i64,
    pub state: &'a IssueState,
    pub events: &'a [Event],
    /// When the issue's row was last written before this fold (the last
    /// visit); `None` for a new issue.
    pub last_visit: Option<Timestamp>,
}

impl Subject<'_> {
    fn facts(
        &self,
        routing: &Routing,
        kind: NotificationKind,
        stage: Option<&StageClock>,
        now: Timestamp,
    ) -> Notification {
        let project = self.state.project.clone().unwrap_or_default();
        let project_name = routing.project_name(&project);
        let raised_by = self
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Raised)
            .min_by_key(|e| (e.at, e.arrival))
            .and_then(|e| e.actor.as_ref())
            .and_then(|actor| actor.name.clone().or_else(|| actor.id.clone()));
        let time_zone = self
            .state
            .policy
            .as_ref()
            .map_or(chrono_tz::Asia::Shanghai, |p| p.calendar.time_zone());
        Notification {
            delivery: String::new(),
            kind,
            issue: self.issue.to_string(),
            seq: self.seq,
            project,
            project_name,
            stage: stage.map(|s| s.stage.as_str().to_string()),
            target: stage.map(|s| s.target.to_string()),
            cycle: self.state.current_cycle().map_or(0, |c| i64::from(c.number)),
            title: self.state.title.clone().unwrap_or_default(),
            raised_by,
            raised_at: self.state.raised_at.unwrap_or_else(|| from_ms(0)),
            deadline: stage.and_then(|s| s.deadline),
            detected_at: now,
            escalation_step: 0,
            url: routing.issue_url(self.issue, now),
            time_zone,
            resolved: false,
            digest: None,
            confirmation: None,
        }
    }

    fn clock(&self, stage: Stage, cycle_start: Timestamp) -> Option<&StageClock> {
        self.state
            .cycles
            .iter()
            .find(|c| c.start == cycle_start)
            .and_then(|c| c.stages.iter().find(|s| s.stage == stage))
    }

    /// Whether the stage of this cycle is still unmet in the current, open cycle.
    fn stands_unmet(&self, stage: Stage, cycle_start: Timestamp) -> bool {
        let current = self.state.current_cycle().is_some_and(|c| c.start == cycle_start);
        current
            && self.state.status == IssueStatus::Open
            && self
                .clock(stage, cycle_start)
                .is_some_and(|c| c.met_at.is_none() && c.waived_at.is_none())
    }
}

/// The notices for one fold. `breaches` are the breach records this fold
/// made, changed or left alone (with `escalation_step` fired so far);
/// returns the entries and, per breach (same order), the escalation step now
/// reached.
pub fn notices(
    subject: &Subject<'_>,
    breaches: &[(BreachEvent<'_>, i64)],
    routing: &Routing,
    now: Timestamp,
) -> (Vec<OutboxEntry>, Vec<i64>) {
    let mut entries = Vec::new();
    let mut resolutions = Vec::new();
    let mut steps = Vec::with_capacity(breaches.len());
    let project = subject.state.project.as_deref();
    let mut send = |kind: &str, discriminator: String, audience: Audience, facts: Notification| {
        for channel in routing.channels(project, audience) {
            let key = format!("{kind}\u{0}{}\u{0}{discriminator}\u{0}{channel}", subject.issue);
            entries.push(OutboxEntry {
                channel: channel.clone(),
                notification: Notification {
                    delivery: delivery_id(&key),
                    ..facts.clone()
                },
            });
        }
    };

    for (breach, fired) in breaches {
        let clock = subject.clock(breach.stage, breach.cycle_start);
        let mut facts = subject.facts(routing, NotificationKind::Breach, clock, now);
        facts.cycle = breach.cycle;
        facts.deadline = Some(breach.deadline);
        let id = format!("{}\u{0}{}", breach.stage, to_ms(breach.cycle_start));
        match breach.notice {
            None => {}
            Some(BreachNotice::Recorded) => send("breach", id.clone(), Audience::Team, facts.clone()),
            Some(BreachNotice::Reinstated) => send(
                "breach",
                format!("{id}\u{0}{}", to_ms(now)),
                Audience::Team,
                facts.clone(),
            ),
            Some(BreachNotice::Retracted) => {
                let mut facts = facts.clone();
                facts.kind = NotificationKind::Retraction;
                facts.resolved = true;
                send(
                    "retraction",
                    format!("{id}\u{0}{}", to_ms(now)),
                    Audience::Team,
                    facts,
                );
            }
        }
        // Escalation steps fire at deadline + after (or now, if later),
        // only while the stage stays unmet and the breach stands.
        let mut reached = *fired;
        let retracted = matches!(breach.notice, Some(BreachNotice::Retracted));
        let stands =
            !retracted && breach.met_at.is_none() && subject.stands_unmet(breach.stage, breach.cycle_start);
        let ladder = subject
            .state
            .policy
            .as_ref()
            .map(|p| p.escalation.clone())
            .unwrap_or_default();
        // Met late or closed: the alert of a breach that stood is resolved
        // (a retraction already says so to every channel).
        if breach.stood_before && !stands && !retracted {
            let mut facts = facts.clone();
            facts.resolved = true;
            facts.escalation_step = *fired;
            for channel in routing.breach_channels(project, &ladder, *fired) {
                if routing.alerting.contains(channel) {
                    let key = format!(
                        "resolved\u{0}{}\u{0}{id}\u{0}{}\u{0}{channel}",
                        subject.issue,
                        to_ms(now)
                    );
                    resolutions.push(OutboxEntry {
                        channel: channel.to_string(),
                        notification: Notification {
                            delivery: delivery_id(&key),
                            ..facts.clone()
                        },
                    });
                }
            }
        }
        if stands {
            for (index, step) in ladder.iter().enumerate() {
                let number = index as i64 + 1;
                if number > reached && breach.deadline + step.after <= now {
                    let mut facts = facts.clone();
                    facts.kind = NotificationKind::Escalation;
                    facts.escalation_step = number;
                    send("escalation", format!("{id}\u{0}{number}"), step.to, facts);
                    reached = number;
                }
            }
        }
        steps.push(reached);
    }

    // A warning when a stage became at risk since the last visit.
    let last_visit = subject.last_visit;
    if let (Some(cycle), IssueStatus::Open) = (subject.state.current_cycle(), subject.state.status) {
        for clock in &cycle.stages {
            let (Some(at_risk), Some(deadline)) = (clock.at_risk_at, clock.deadline) else {
                continue;
            };
            let unmet = clock.met_at.is_none() && clock.waived_at.is_none();
            let newly = last_visit.is_none_or(|visit| visit < at_risk);
            if unmet && newly && at_risk <= now && now <= deadline {
                let facts = subject.facts(routing, NotificationKind::Warning, Some(clock), now);
                send(
                    "warning",
                    format!("{}\u{0}{}", clock.stage, to_ms(cycle.start)),
                    Audience::Team,
                    facts,
                );
            }
        }
    }
    entries.extend(resolutions);
    (entries, steps)
}

/// A delivery id fit for a header: `msg_` and 32 hex digits of a hash.
pub fn delivery_id(key: &str) -> String {
    format!("msg_{}", super::short_hash(key))
}

#[cfg(test)]
mod tests;
