//! Capped exponential backoff with jitter, for reconnecting receivers.

use std::time::Duration;

/// The first wait after a failure.
pub const INITIAL: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
pub const MAX: Duration = Duration::from_secs(60);

/// Waits that double after each failure up to a cap; each wait is drawn
/// from its upper half ("equal jitter"), so that replicas refused at the
/// same moment do not all come back at the same moment, while a wait never
/// shrinks below half its step.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            failures: 0,
        }
    }

    /// The wait before the next attempt, given a random number; counts one
    /// more failure.
    pub fn next_wait_with(&mut self, random: u64) -> Duration {
        let step = self
            .initial
            .checked_mul(1u32.checked_shl(self.failures).unwrap_or(u32::MAX))
            .unwrap_or(self.max)
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        let half = step / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jitter = if spread == 0 { 0 } else { random % (spread + 1) };
        half + Duration::from_millis(jitter)
    }

    /// [`Backoff::next_wait_with`] with a random number from the OS.
    pub fn next_wait(&mut self) -> Duration {
        let mut bytes = [0u8; 8];
        // Without randomness the wait is the step's upper bound: still capped.
        let random = match getrandom::getrandom(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => u64::MAX,
        };
        self.next_wait_with(random)
    }

    /// Starts again from the first wait (after a connection that held).
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_within_their_upper_half_up_to_the_cap() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let steps: Vec<Duration> = (0..6).map(|_| backoff.next_wait_with(u64::MAX)).collect();
        for (wait, step) in steps.iter().zip([1, 2, 4, 8, 8, 8]) {
            let step = Duration::from_secs(step);
            assert!(*wait >= step / 2 && *wait <= step, "{wait:?} within {step:?}");
        }
        let mut low = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        assert_eq!(low.next_wait_with(0), Duration::from_millis(500));
    }

    #[test]
    fn reset_starts_from_the_first_wait() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..10 {
            backoff.next_wait_with(7);
        }
        backoff.reset();
        assert!(backoff.next_wait_with(7) <= Duration::from_secs(1));
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..1000 {
            assert!(backoff.next_wait() <= Duration::from_secs(60));
        }
    }
}
