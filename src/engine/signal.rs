//! How the writer and the timer talk: the writer says when something falls
//! due, the timer says how long it sleeps. Below both, so that neither
//! imports the other for it.

use crate::domain::{to_ms, Timestamp};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use tokio::sync::Notify;

/// Shared between the timer and the writer.
#[derive(Debug, Default)]
pub struct TimerSignal {
    pub(super) wake: Notify,
    /// Unix ms the timer currently sleeps until.
    pub(super) sleeping_until: AtomicI64,
    pub(super) running: AtomicBool,
}

impl TimerSignal {
    /// Tells the timer that something falls due at `due`; wakes it if it
    /// sleeps past that.
    pub fn due_at(&self, due: Timestamp) {
        if to_ms(due) < self.sleeping_until.load(Ordering::Acquire) {
            self.wake.notify_one();
        }
    }

    /// Whether the timer loop is running.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }
}
