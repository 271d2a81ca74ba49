//! From the configuration and the outbox's stored facts to this module's types.

use super::{Channel, ChannelKind, Language, Notification, NotificationKind};
use crate::config::ChannelConfig;
use crate::engine::notices::Facts;
use crate::store::from_ms;

impl Channel {
    /// The channel as configured (kind and language were validated at start).
    pub fn from_config(config: &ChannelConfig) -> Channel {
        Channel {
            name: config.name.clone(),
            kind: ChannelKind::parse(&config.kind).unwrap_or(ChannelKind::Webhook),
            url: config.url.expose().to_string(),
            secret: config.secret.as_ref().map(|s| s.expose().to_string()),
            language: Language::parse(&config.language).unwrap_or_default(),
            mention_mobiles: config.mention_mobiles.clone(),
            mention_user_ids: config.mention_user_ids.clone(),
            mention_all: config.mention_all,
        }
    }
}

impl Notification {
    /// The notification a delivery carries; an error for facts of a kind
    /// this version does not know.
    pub fn from_facts(delivery: &str, facts: &Facts) -> Result<Notification, String> {
        let kind = NotificationKind::parse(&facts.kind)
            .ok_or_else(|| format!("unknown notification kind `{}`", facts.kind))?;
        Ok(Notification {
            delivery: delivery.to_string(),
            kind,
            issue: facts.issue.clone(),
            seq: facts.seq,
            project: facts.project.clone(),
            project_name: facts.project_name.clone(),
            stage: facts.stage.clone(),
            target: facts.target.clone(),
            cycle: facts.cycle,
            title: facts.title.clone(),
            raised_by: facts.raised_by.clone(),
            raised_at: from_ms(facts.raised_at_ms),
            deadline: facts.deadline_ms.map(from_ms),
            detected_at: from_ms(facts.detected_at_ms),
            escalation_step: facts.escalation_step,
            url: facts.url.clone(),
            time_zone: facts.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
            resolved: facts.resolved,
            digest: facts.digest.clone(),
            confirmation: facts.confirmation.clone(),
        })
    }
}
