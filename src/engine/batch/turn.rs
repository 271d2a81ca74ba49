//! A batch's turn: batches in flight at once take their locks and issue
//! numbers in the order they were gathered.

use tokio::sync::oneshot;

/// A batch's place in the writer's order, when several are in flight
/// (PostgreSQL): it waits for the batch gathered before it to have taken
/// its locks and issue numbers before taking its own, and lets the next
/// one go once it has (or has failed). A batch that shares an issue or a
/// chat with an earlier one in flight thus waits on that one's lock until
/// it commits, then reads what it wrote; and issues are numbered in the
/// order they arrived, as `slawatch import` relies on.
pub(in crate::engine) struct Turn {
    wait: Option<oneshot::Receiver<()>>,
    pass: Option<oneshot::Sender<()>>,
}

impl Turn {
    /// After the batch whose turn passes `previous` (none: at once);
    /// `pass` lets the next one go (so does dropping it).
    pub(in crate::engine) fn new(previous: Option<oneshot::Receiver<()>>, pass: oneshot::Sender<()>) -> Self {
        Turn {
            wait: previous,
            pass: Some(pass),
        }
    }

    /// A turn that waits for nothing and lets nothing go.
    pub(in crate::engine) fn free() -> Self {
        Turn {
            wait: None,
            pass: None,
        }
    }

    pub(super) async fn wait(&mut self) {
        if let Some(previous) = self.wait.take() {
            // A sender dropped without a word lets us go as well.
            let _ = previous.await;
        }
    }

    pub(super) fn pass(&mut self) {
        if let Some(next) = self.pass.take() {
            let _ = next.send(());
        }
    }
}
