//! How fast deliveries go: each channel held to its platform's rate limit,
//! retries backed off with jitter, and a channel's waiting retries brought
//! forward once it answers again.

use super::PROBE_EVERY;
use crate::config::ChannelConfig;
use crate::notify::ChannelKind;
use chrono::TimeDelta;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// Per channel: whether its last delivery failed, and when its waiting
/// retries were last brought forward.
#[derive(Default)]
pub struct CatchUp {
    channels: Mutex<HashMap<String, Recovery>>,
}

#[derive(Default)]
struct Recovery {
    failing: bool,
    caught_up: Option<std::time::Instant>,
}

impl CatchUp {
    pub(super) fn failed(&self, channel: &str) {
        self.lock().entry(channel.to_string()).or_default().failing = true;
    }

    /// A delivery went through: whether to bring the channel's waiting
    /// retries forward (it was failing, or this was a retry), at most once
    /// per probe interval however many succeed together.
    pub(super) fn delivered(&self, channel: &str, was_retry: bool, now: std::time::Instant) -> bool {
        let mut channels = self.lock();
        let recovery = channels.entry(channel.to_string()).or_default();
        let due = (recovery.failing || was_retry)
            && recovery
                .caught_up
                .is_none_or(|last| now.duration_since(last) >= PROBE_EVERY);
        recovery.failing = false;
        if due {
            recovery.caught_up = Some(now);
        }
        due
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Recovery>> {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Sends per channel allowed within a window, as the platforms document them.
pub fn rate_limit(channel: &ChannelConfig) -> Option<(usize, Duration)> {
    if let Some(per_minute) = channel.per_minute {
        return Some((per_minute as usize, Duration::from_secs(60)));
    }
    match channel.kind {
        ChannelKind::Wecom | ChannelKind::Dingtalk => Some((20, Duration::from_secs(60))),
        ChannelKind::Feishu => Some((5, Duration::from_secs(1))),
        ChannelKind::Slack => Some((1, Duration::from_secs(1))),
        ChannelKind::Webhook | ChannelKind::Alertmanager => None,
    }
}

/// A sliding-window log of sends per channel: never more than N in any window.
#[derive(Default)]
pub(super) struct Limiter {
    sent: Mutex<HashMap<String, VecDeque<std::time::Instant>>>,
}

impl Limiter {
    /// Takes a send slot, or says how long to wait for one.
    pub(super) fn take(&self, channel: &ChannelConfig) -> Result<(), Duration> {
        let Some((limit, window)) = rate_limit(channel) else {
            return Ok(());
        };
        let now = std::time::Instant::now();
        let mut sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let log = sent.entry(channel.name.clone()).or_default();
        while log.front().is_some_and(|t| now.duration_since(*t) >= window) {
            log.pop_front();
        }
        if log.len() < limit {
            log.push_back(now);
            Ok(())
        } else {
            Err(window.saturating_sub(now.duration_since(log[0])) + Duration::from_millis(10))
        }
    }
}

/// Delay before retry number `attempt` (1-based): `first` doubling to at most
/// an hour, with ±20 % jitter so many failures do not retry in lockstep.
pub fn backoff(first: TimeDelta, attempt: i64, jitter_seed: u64) -> TimeDelta {
    let base = first
        .num_milliseconds()
        .saturating_mul(1_i64 << (attempt - 1).clamp(0, 20))
        .min(3_600_000);
    let jitter = (jitter_seed % 401) as i64 - 200; // -200..=200 per mille
    TimeDelta::milliseconds(base + base * jitter / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter_up_to_an_hour() {
        let first = TimeDelta::seconds(5);
        for seed in [0, 200, 400, 12_345] {
            let delay = backoff(first, 1, seed).num_milliseconds();
            assert!((4_000..=6_000).contains(&delay), "{delay}");
            assert!(backoff(first, 30, seed) <= TimeDelta::milliseconds(4_320_000));
        }
        assert!(backoff(first, 3, 200) > backoff(first, 2, 200));
    }

    #[test]
    fn a_channel_catches_up_once_when_it_answers_again() {
        let catch_up = CatchUp::default();
        let start = std::time::Instant::now();
        assert!(
            !catch_up.delivered("team", false, start),
            "a healthy channel has nothing waiting"
        );
        catch_up.failed("team");
        assert!(
            catch_up.delivered("team", false, start),
            "a fresh delivery after failures"
        );
        assert!(
            !catch_up.delivered("team", true, start + Duration::from_secs(1)),
            "once per interval"
        );
        assert!(
            catch_up.delivered("team", true, start + PROBE_EVERY),
            "a retry, an interval later"
        );
        catch_up.failed("ops");
        assert!(catch_up.delivered("ops", false, start), "channels are apart");
    }
}
