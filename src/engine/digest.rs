//! The daily digest: at `notifications.digest_at` local time, yesterday's
//! figures per project (to its `digest` channels, the team's by default)
//! and for the whole zone (to the zone's), through the outbox.
//!
//! Delivery ids are derived from the day, the scope and the channel, so a
//! restart after the digest went out, or several replicas doing the same,
//! write nothing twice. A service that was down at digest time catches up
//! when it starts, within [`CATCH_UP`].

use crate::config::DigestSchedule;
use crate::domain::digest::{Digest, Overdue, ProjectLine, StageFigures, OVERDUE_LISTED};
use crate::domain::issue::IssueStatus;
use crate::domain::issue::StageState;
use crate::domain::link::{path_segment, Purpose};
use crate::domain::notice::{delivery_id, OutboxEntry, Routing};
use crate::domain::notification::{Notification, NotificationKind};
use crate::domain::workdays::local_instant;
use crate::domain::{to_ms, Timestamp};
use crate::store::read::IssueFilter;
use crate::store::rows::IssueRow;
use crate::store::{Store, StoreResult};
use chrono::{NaiveDate, TimeDelta, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A digest missed by more than this (the service was down) is skipped.
pub const CATCH_UP: TimeDelta = TimeDelta::hours(12);
/// Longest sleep, so a changed wall clock is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(3600);
const ON_ERROR: Duration = Duration::from_secs(60);
const PAGE: i64 = 500;
const STAGES: [&str; 3] = ["ack", "handle", "plan"];

/// Everything the digest worker needs.
pub struct DigestWorker {
    pub store: Store,
    pub schedule: DigestSchedule,
    pub routing: Arc<Routing>,
    /// Wakes the dispatcher once the digests are queued.
    pub outbox_wake: Arc<Notify>,
}

impl DigestWorker {
    /// Runs until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut done: Option<NaiveDate> = None;
        loop {
            let now = Utc::now();
            let (due, day) = latest_due(&self.schedule, now);
            let mut sleep = (next_due(&self.schedule, now) - now)
                .to_std()
                .unwrap_or(Duration::ZERO);
            if done != Some(day) && now - due <= CATCH_UP {
                match self.send(day, now).await {
                    Ok(queued) => {
                        tracing::info!(%day, queued, "daily digests queued");
                        done = Some(day);
                        self.outbox_wake.notify_one();
                    }
                    Err(error) => {
                        tracing::warn!(%error, %day, "cannot compile the daily digests; retrying");
                        sleep = ON_ERROR;
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(sleep.clamp(Duration::from_secs(1), MAX_SLEEP)) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }

    /// Compiles and queues the digests of `day`; how many deliveries were written.
    pub async fn send(&self, day: NaiveDate, now: Timestamp) -> StoreResult<usize> {
        let (start, end) = day_bounds(&self.schedule, day);
        let raised = self
            .all(IssueFilter {
                since: Some(start),
                until: Some(end),
                ..IssueFilter::default()
            })
            .await?;
        let overdue = self
            .all(IssueFilter {
                status: Some(IssueStatus::Open),
                stage_state: Some(StageState::Breached),
                ..IssueFilter::default()
            })
            .await?;
        let entries = entries(&self.routing, &self.schedule, day, &raised, &overdue, now);
        if !entries.is_empty() {
            let mut tx = self.store.begin().await?;
            tx.insert_notifications(&entries, now).await?;
            tx.commit().await?;
        }
        Ok(entries.len())
    }

    async fn all(&self, mut filter: IssueFilter) -> StoreResult<Vec<IssueRow>> {
        filter.limit = PAGE;
        let mut rows = Vec::new();
        loop {
            let page = self.store.list_issues(&filter, Utc::now()).await?;
            let full = page.len() as i64 == PAGE;
            filter.before_seq = page.last().map(|row| row.seq);
            rows.extend(page);
            if !full {
                return Ok(rows);
            }
        }
    }
}

/// The outbox rows of one day's digests: per project with digest channels,
/// and for the zone.
pub fn entries(
    routing: &Routing,
    schedule: &DigestSchedule,
    day: NaiveDate,
    raised: &[IssueRow],
    overdue: &[IssueRow],
    now: Timestamp,
) -> Vec<OutboxEntry> {
    let mut entries = Vec::new();
    let mut push = |scope: Option<&str>, channels: &[String], digest: Digest| {
        for channel in channels {
            let mut notification = digest_notification(routing, schedule, day, scope, digest.clone(), now);
            let key = format!(
                "daily_digest\u{0}{}\u{0}{day}\u{0}{channel}",
                scope.unwrap_or("*")
            );
            notification.delivery = delivery_id(&key);
            entries.push(OutboxEntry {
                channel: channel.clone(),
                notification,
            });
        }
    };
    for (key, route) in &routing.projects {
        if !route.digest.is_empty() {
            push(
                Some(key),
                &route.digest,
                compile(routing, day, raised, overdue, Some(key), now),
            );
        }
    }
    if !routing.zone_digest.is_empty() {
        push(
            None,
            &routing.zone_digest,
            compile(routing, day, raised, overdue, None, now),
        );
    }
    entries
}

fn digest_notification(
    routing: &Routing,
    schedule: &DigestSchedule,
    day: NaiveDate,
    scope: Option<&str>,
    digest: Digest,
    now: Timestamp,
) -> Notification {
    let project = scope.unwrap_or_default().to_string();
    let project_name = routing.project_name(&project);
    // The board of the project (or of the zone), breached first, signed so
    // that it opens from the chat without a login.
    let (path, subject) = match scope {
        Some(key) => (format!("/board/{}", path_segment(key)), key),
        None => ("/board".to_string(), "*"),
    };
    let board = routing.links.query(Purpose::Board, subject, now);
    Notification {
        delivery: String::new(),
        kind: NotificationKind::DailyDigest,
        issue: String::new(),
        seq: 0,
        project,
        project_name,
        stage: None,
        target: None,
        cycle: 0,
        title: String::new(),
        raised_by: None,
        raised_at: day_bounds(schedule, day).0,
        deadline: None,
        detected_at: now,
        escalation_step: 0,
        url: format!("{}{path}?{board}", routing.public_url),
        time_zone: schedule.zone,
        resolved: false,
        digest: Some(digest),
        confirmation: None,
    }
}

/// One scope's figures: a project's, or the zone's (`None`) with a line per project.
pub fn compile(
    routing: &Routing,
    day: NaiveDate,
    raised: &[IssueRow],
    overdue: &[IssueRow],
    project: Option<&str>,
    now: Timestamp,
) -> Digest {
    let in_scope = |row: &&IssueRow| project.is_none_or(|p| row.project.as_deref() == Some(p));
    let name_of = |key: &str| routing.project_name(key);
    let mut stages: Vec<StageFigures> = STAGES
        .iter()
        .map(|stage| StageFigures {
            stage: stage.to_string(),
            ..StageFigures::default()
        })
        .collect();
    let mut lines: BTreeMap<String, ProjectLine> = BTreeMap::new();
    let new_line = |key: &str| ProjectLine {
        project_name: name_of(key),
        raised: 0,
        breached: 0,
        overdue: 0,
    };
    let mut raised_count = 0;
    for row in raised
        .iter()
        .filter(in_scope)
        .filter(|row| row.raised_at.is_some())
    {
        raised_count += 1;
        let key = row.project.clone().unwrap_or_default();
        let line = lines.entry(key.clone()).or_insert_with(|| new_line(&key));
        line.raised += 1;
        for snapshot in &row.stages {
            let Some(figures) = stages.iter_mut().find(|f| f.stage == snapshot.stage.as_str()) else {
                continue;
            };
            match snapshot.to_clock().state(now) {
                StageState::Met => figures.met += 1,
                StageState::Breached => {
                    figures.breached += 1;
                    line.breached += 1;
                }
                StageState::Waived => figures.waived += 1,
                StageState::Pending | StageState::AtRisk => figures.running += 1,
            }
        }
    }
    let mut items: Vec<Overdue> = Vec::new();
    for row in overdue.iter().filter(in_scope) {
        let late = row
            .stages
            .iter()
            .filter(|s| s.met.is_none() && s.waived.is_none())
            .filter_map(|s| Some((s.deadline?, s.stage)))
            .filter(|(deadline, _)| *deadline < to_ms(now))
            .min();
        let Some((deadline_ms, stage)) = late else {
            continue;
        };
        let key = row.project.clone().unwrap_or_default();
        items.push(Overdue {
            seq: row.seq,
            issue: row.issue.clone(),
            title: row.title.clone().unwrap_or_default(),
            project_name: name_of(&key),
            stage: stage.as_str().to_string(),
            deadline_ms,
        });
        lines.entry(key.clone()).or_insert_with(|| new_line(&key)).overdue += 1;
    }
    items.sort_by_key(|item| (item.deadline_ms, item.seq));
    let overdue_total = items.len() as i64;
    items.truncate(OVERDUE_LISTED);
    Digest {
        day: day.to_string(),
        raised: raised_count,
        stages,
        overdue: items,
        overdue_total,
        projects: if project.is_none() {
            lines.into_values().collect()
        } else {
            Vec::new()
        },
    }
}

/// The latest scheduled instant at or before `now`, and the day it reports (the day before).
pub fn latest_due(schedule: &DigestSchedule, now: Timestamp) -> (Timestamp, NaiveDate) {
    let today = now.with_timezone(&schedule.zone).date_naive();
    let due_today = local(schedule, today, schedule.at);
    if due_today <= now {
        (due_today, today.pred_opt().unwrap_or(today))
    } else {
        let yesterday = today.pred_opt().unwrap_or(today);
        (
            local(schedule, yesterday, schedule.at),
            yesterday.pred_opt().unwrap_or(yesterday),
        )
    }
}

/// The first scheduled instant after `now`.
pub fn next_due(schedule: &DigestSchedule, now: Timestamp) -> Timestamp {
    let today = now.with_timezone(&schedule.zone).date_naive();
    let due_today = local(schedule, today, schedule.at);
    if due_today > now {
        due_today
    } else {
        local(schedule, today.succ_opt().unwrap_or(today), schedule.at)
    }
}

/// `[start, end)` of a local day.
pub fn day_bounds(schedule: &DigestSchedule, day: NaiveDate) -> (Timestamp, Timestamp) {
    let midnight = chrono::NaiveTime::MIN;
    (
        local(schedule, day, midnight),
        local(schedule, day.succ_opt().unwrap_or(day), midnight),
    )
}

/// A local date and time of the schedule's zone as an instant.
fn local(schedule: &DigestSchedule, day: NaiveDate, time: chrono::NaiveTime) -> Timestamp {
    local_instant(schedule.zone, day.and_time(time))
}

#[cfg(test)]
mod tests;
