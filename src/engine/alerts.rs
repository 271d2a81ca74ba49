//! Keeps Alertmanager's alerts alive. Alertmanager resolves an alert whose
//! `endsAt` passes without a re-send, so every `notifications.alert_resend`
//! (five minutes by default; and once at start, in case alerts lapsed while the service was down)
//! this worker sends every standing breach again to the Alertmanager
//! channels that heard of it: the project's team and the escalation steps
//! fired so far.
//!
//! The store is the source: nothing here needs to survive a restart, and a
//! missed round is covered by the alerts' validity of four intervals.
//! Resolutions travel through the outbox, in the transaction that ends the
//! breach. Every replica re-sends; Alertmanager merges identical alerts.

use crate::config::ChannelConfig;
use crate::domain::notice::Routing;
use crate::domain::policy::PolicySet;
use crate::notify::{alertmanager, Channel, Notification, NotificationKind, Templates};
use crate::store::standing::StandingBreach;
use crate::store::Store;
use chrono::Utc;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Alerts per request, so a large backlog does not make one huge body.
const ALERTS_PER_REQUEST: usize = 500;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything the re-send worker needs.
pub struct Resender {
    pub store: Store,
    /// Alertmanager channels only.
    pub channels: Vec<ChannelConfig>,
    pub routing: Arc<Routing>,
    pub policies: Arc<PolicySet>,
    pub templates: Arc<Templates>,
    /// `notifications.alert_resend`, five minutes unless configured.
    pub interval: Duration,
}

impl Resender {
    /// Runs until `shutdown`; returns at once when no Alertmanager channel is configured.
    pub async fn run(self, shutdown: CancellationToken) {
        if self.channels.is_empty() {
            return;
        }
        let client = match reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "cannot build the HTTP client; alerts are not re-sent");
                return;
            }
        };
        loop {
            match self.store.standing_breaches().await {
                Ok(standing) => self.resend(&client, &standing).await,
                Err(error) => tracing::warn!(%error, "cannot read standing breaches; re-sending next round"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }

    async fn resend(&self, client: &reqwest::Client, standing: &[StandingBreach]) {
        let now_ms = Utc::now().timestamp_millis();
        for (channel, alerts) in self.alerts_by_channel(standing, now_ms) {
            for chunk in alerts.chunks(ALERTS_PER_REQUEST) {
                let request = alertmanager::post(&channel, chunk);
                let result = client
                    .post(&request.url)
                    .header("content-type", "application/json")
                    .body(request.body)
                    .send()
                    .await;
                match result.map(|response| response.status()) {
                    Ok(status) if status.is_success() => {}
                    Ok(status) => {
                        tracing::warn!(channel = %channel.name, %status, "Alertmanager refused re-sent alerts")
                    }
                    Err(error) => {
                        let error = error.without_url();
                        tracing::warn!(channel = %channel.name, %error, "cannot re-send alerts");
                    }
                }
            }
            tracing::debug!(channel = %channel.name, alerts = alerts.len(), "alerts re-sent");
        }
    }

    /// The firing alert of every standing breach, grouped by the channels that heard of it.
    pub fn alerts_by_channel(&self, standing: &[StandingBreach], now_ms: i64) -> Vec<(Channel, Vec<Value>)> {
        let channels: BTreeMap<&str, Channel> = self
            .channels
            .iter()
            .map(|config| (config.name.as_str(), config.channel()))
            .collect();
        let mut grouped: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for breach in standing {
            let project = breach.breach.project.as_deref();
            let policy = breach
                .policy
                .as_deref()
                .and_then(|name| self.policies.by_name(name));
            let ladder = policy.as_ref().map(|p| p.escalation.clone()).unwrap_or_default();
            let notification = self.notification(breach, policy.as_deref(), now_ms);
            for name in self
                .routing
                .breach_channels(project, &ladder, breach.breach.escalation_step)
            {
                let Some(channel) = channels.get(name) else {
                    continue;
                };
                let alerts = alertmanager::alerts(channel, &notification, now_ms, &self.templates);
                // Only the critical alert is re-sent; the warning was cleared with the breach.
                grouped
                    .entry(name)
                    .or_default()
                    .extend(alerts.into_iter().take(1));
            }
        }
        grouped
            .into_iter()
            .filter_map(|(name, alerts)| Some((channels.get(name)?.clone(), alerts)))
            .collect()
    }

    fn notification(
        &self,
        standing: &StandingBreach,
        policy: Option<&crate::domain::policy::Policy>,
        now_ms: i64,
    ) -> Notification {
        let breach = &standing.breach;
        let project = breach.project.clone().unwrap_or_default();
        let project_name = self.routing.project_name(&project);
        let step = breach.escalation_step;
        Notification {
            delivery: String::new(),
            kind: if step > 0 {
                NotificationKind::Escalation
            } else {
                NotificationKind::Breach
            },
            issue: breach.issue.clone(),
            seq: standing.seq,
            project,
            project_name,
            stage: Some(breach.stage.as_str().to_string()),
            target: policy.and_then(|p| p.target(breach.stage)).map(|t| t.to_string()),
            cycle: breach.cycle,
            title: standing.title.clone().unwrap_or_default(),
            raised_by: standing.raised_by.clone(),
            raised_at: standing.raised_at.unwrap_or(breach.cycle_start),
            deadline: Some(breach.deadline),
            detected_at: breach.detected_at,
            escalation_step: step,
            url: self
                .routing
                .issue_url(&breach.issue, crate::domain::from_ms(now_ms)),
            time_zone: policy.map_or(chrono_tz::Asia::Shanghai, |p| p.calendar.time_zone()),
            resolved: false,
            digest: None,
            confirmation: None,
        }
    }
}
