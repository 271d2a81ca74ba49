//! The ingest writer: one task owns the write path. Concurrent requests are
//! queued and committed together (group commit), so durability costs one
//! transaction per batch rather than one per request.

mod commit;
mod gather;

use super::command::{Command, MessageOutcome, Outcome};
use super::signal::TimerSignal;
use super::Rules;
use crate::domain::classify::Message;
use crate::domain::event::Event;
use crate::metrics::Metrics;
use crate::store::durable::LogSync;
use crate::store::health::StoreHealth;
use crate::store::{FaultKind, Store, StoreError, StoreResult};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Notify};

/// Requests waiting for the writer; more are refused with 503 until it catches up.
const QUEUE_CAPACITY: usize = 4096;

/// A handle for submitting work to the writer; cheap to clone. The writer
/// stops once every handle is dropped and the queue is drained.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Command>,
    /// Whether commits succeed, for `/readyz`.
    health: Arc<StoreHealth>,
}

impl Writer {
    /// Starts the writer task.
    pub fn start(
        store: Store,
        rules: Rules,
        timer: Arc<TimerSignal>,
        metrics: Arc<Metrics>,
        outbox: Arc<Notify>,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let health = Arc::new(StoreHealth::new(metrics.store_errors.clone()));
        let signals = Signals {
            timer,
            outbox,
            health: health.clone(),
        };
        // The writer runs on its own thread: on a worker shared with the
        // HTTP handlers it waited behind them after each of its statements
        // (every statement is a hand-off to the database driver and back),
        // which cost more than the statements themselves.
        let task = tokio::task::spawn_blocking(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(gather::run(store, rules, signals, metrics, receiver)),
                Err(error) => tracing::error!(%error, "cannot start the writer's runtime"),
            }
        });
        (Writer { queue, health }, task)
    }

    /// Whether the writer's commits succeed: `/readyz` reads it, so it
    /// answers at once whatever state the database is in.
    pub fn health(&self) -> &StoreHealth {
        &self.health
    }

    /// Stores events (already validated on their own) and answers once they
    /// are committed.
    pub async fn ingest(&self, events: Vec<Event>) -> StoreResult<Vec<Outcome>> {
        let (reply, answer) = oneshot::channel();
        let contents = events.iter().map(Event::content).collect();
        self.submit(Command::Ingest {
            events,
            contents,
            reply,
        })?;
        answer
            .await
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the writer stopped"))?
    }

    /// Classifies a chat message and stores it with the events it calls
    /// for, in one transaction; `source` names the token or hook.
    pub async fn receive_message(&self, message: Message, source: &str) -> StoreResult<MessageOutcome> {
        let (reply, answer) = oneshot::channel();
        self.submit(Command::Message {
            message: Box::new(message),
            source: source.to_string(),
            reply,
        })?;
        answer
            .await
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the writer stopped"))?
    }

    /// Queues events, waiting for room in the queue rather than refusing,
    /// and returns the answer to await: a bulk loader (`slawatch import`)
    /// keeps a few large batches in flight, answered in the order queued.
    pub async fn enqueue(&self, events: Vec<Event>) -> StoreResult<Pending<Vec<Outcome>>> {
        let (reply, answer) = oneshot::channel();
        let contents = events.iter().map(Event::content).collect();
        self.send(Command::Ingest {
            events,
            contents,
            reply,
        })
        .await?;
        Ok(Pending(answer))
    }

    /// Like [`Writer::enqueue`], for one chat message: the messages of a
    /// chat are classified in the order they are queued.
    pub async fn enqueue_message(
        &self,
        message: Message,
        source: &str,
    ) -> StoreResult<Pending<MessageOutcome>> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Message {
            message: Box::new(message),
            source: source.to_string(),
            reply,
        })
        .await?;
        Ok(Pending(answer))
    }

    async fn send(&self, command: Command) -> StoreResult<()> {
        self.queue
            .send(command)
            .await
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the writer stopped"))
    }

    fn submit(&self, command: Command) -> StoreResult<()> {
        self.queue
            .try_send(command)
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the write queue is full"))
    }

    /// Folds these issues again at the current time (the timer's visit).
    pub async fn revisit(&self, issues: Vec<String>) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Command::Revisit { issues, reply })
            .await
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the writer stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the writer stopped"))?
    }
}

/// The answer to queued work, once committed.
pub struct Pending<T>(oneshot::Receiver<StoreResult<T>>);

impl<T> Pending<T> {
    pub async fn answer(self) -> StoreResult<T> {
        self.0
            .await
            .map_err(|_| StoreError::unavailable(FaultKind::Writer, "the writer stopped"))?
    }
}

/// Whom the writer tells after a commit.
struct Signals {
    /// Something falls due earlier than the timer sleeps.
    timer: Arc<TimerSignal>,
    /// Notifications were queued.
    outbox: Arc<Notify>,
    /// Each commit's outcome.
    health: Arc<StoreHealth>,
}

/// What every commit of the writer uses.
struct WriterState<'a> {
    store: &'a Store,
    rules: &'a Rules,
    signals: &'a Signals,
    metrics: &'a Metrics,
    log_sync: Option<&'a LogSync>,
}
