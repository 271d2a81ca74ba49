//! The ingest writer: one task owns the write path. Concurrent requests are
//! queued and committed together (group commit), so durability costs one
//! transaction per batch rather than one per request.

use super::batch::{write_batch, Turn, Written};
use super::command::{Command, MessageOutcome, Outcome};
use super::signal::TimerSignal;
use super::Rules;
use crate::domain::classify::Message;
use crate::domain::event::Event;
use crate::metrics::Metrics;
use crate::store::durable::LogSync;
use crate::store::health::StoreHealth;
use crate::store::write::WriterConnection;
use crate::store::{Backend, FaultKind, Store, StoreError, StoreResult};
use chrono::Utc;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Notify};

/// Requests waiting for the writer; more are refused with 503 until it catches up.
const QUEUE_CAPACITY: usize = 4096;
/// How often the writer tries a write of its own while writes fail and no
/// request comes.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Events in one transaction on SQLite: large enough to amortize a
/// commit, small enough to keep each commit short.
const MAX_BATCH_EVENTS: usize = 4000;
/// Events in one transaction on PostgreSQL: a batch of 1000 new issues
/// keeps the server busy for about 100 ms, and arrays posted at once go in
/// batches of their own, in flight together, rather than in one.
const POSTGRES_MAX_BATCH_EVENTS: usize = 1000;
/// PostgreSQL: batches in flight at once (see [`pipeline_depth`]). Two
/// already overlap one batch's commit (the log flush, 40-45 % of a batch of
/// single events) with the next batch's statements; three kept arrays of
/// 1000 from four clients moving too. On two cores shared with the load
/// generator and other work, two to four measured within the noise.
const POSTGRES_PIPELINE: usize = 3;
/// While a batch is in flight, the next one waits for this many events (or
/// for a batch to be done) before it starts: each transaction costs the
/// server a log flush and a round trip per statement, whatever its size.
const MIN_PIPELINED_BATCH: usize = 24;

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
                Ok(runtime) => runtime.block_on(run(store, rules, signals, metrics, receiver)),
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

async fn run(
    store: Store,
    rules: Rules,
    signals: Signals,
    metrics: Arc<Metrics>,
    mut receiver: mpsc::Receiver<Command>,
) {
    // SQLite: answers wait for the log to be synced, off this thread.
    let log_sync = match store.log_sync() {
        Ok(log_sync) => log_sync,
        Err(error) => {
            tracing::error!(%error, "cannot start the writer");
            return;
        }
    };
    let writer = WriterState {
        store: &store,
        rules: &rules,
        signals: &signals,
        metrics: &metrics,
        log_sync: log_sync.as_ref(),
    };
    // The writer's connections not in use by a batch in flight; each is
    // opened at its first batch, and again after an error that may have
    // broken it.
    let max_batch = max_batch_events(store.backend());
    let mut idle: Vec<Option<WriterConnection>> =
        (0..pipeline_depth(store.backend())).map(|_| None).collect();
    let mut in_flight = FuturesUnordered::new();
    // The turn the next batch waits for: the batch before it has taken its
    // locks and issue numbers.
    let mut previous: Option<oneshot::Receiver<()>> = None;
    // Messages of a chat that already has one in the batch being built wait
    // for the next one, in order: each is classified knowing what the one
    // before it did.
    let mut held: VecDeque<Command> = VecDeque::new();
    loop {
        let Some(connection) = idle.pop() else {
            if let Some(connection) = in_flight.next().await {
                idle.push(connection);
            }
            continue;
        };
        let first = match held.pop_front() {
            Some(command) => command,
            // While writes fail and nothing comes, the writer tries a write
            // of its own now and then, so that readiness comes back by
            // itself (a load balancer sends nothing to an unready replica).
            None if signals.health.failing() && in_flight.is_empty() => {
                let mut connection = connection;
                let command = match tokio::time::timeout(PROBE_EVERY, receiver.recv()).await {
                    Ok(Some(command)) => Some(command),
                    Ok(None) => {
                        idle.push(connection);
                        break;
                    }
                    Err(_) => {
                        probe(&store, &signals.health, log_sync.as_ref(), &mut connection).await;
                        None
                    }
                };
                idle.push(connection);
                if let Some(command) = command {
                    held.push_front(command);
                }
                continue;
            }
            None if in_flight.is_empty() => match receiver.recv().await {
                Some(command) => command,
                None => {
                    idle.push(connection);
                    break;
                }
            },
            None => {
                tokio::select! {
                    command = receiver.recv() => match command {
                        Some(command) => command,
                        None => {
                            idle.push(connection);
                            break;
                        }
                    },
                    Some(done) = in_flight.next() => {
                        idle.push(connection);
                        idle.push(done);
                        continue;
                    }
                }
            }
        };
        let mut batch = Batch::default();
        batch.add(first);
        for command in std::mem::take(&mut held) {
            if batch.weight >= max_batch || !batch.takes(&command) {
                held.push_back(command);
            } else {
                batch.add(command);
            }
        }
        // Held-back messages count against the queue: once as many wait as
        // it holds, the queue fills and new requests are refused with 503.
        while batch.weight < max_batch && held.len() < QUEUE_CAPACITY {
            match receiver.try_recv() {
                Ok(command) if batch.takes(&command) => batch.add(command),
                Ok(command) => held.push_back(command),
                Err(_) => break,
            }
        }
        // With batches in flight, a small batch waits for more work until
        // one of them is done: many small transactions cost the server
        // more than a few larger ones.
        let mut closed = false;
        while !in_flight.is_empty() && batch.weight < MIN_PIPELINED_BATCH && held.len() < QUEUE_CAPACITY {
            tokio::select! {
                command = receiver.recv() => match command {
                    Some(command) if batch.takes(&command) => batch.add(command),
                    Some(command) => held.push_back(command),
                    None => {
                        closed = true;
                        break;
                    }
                },
                Some(done) = in_flight.next() => {
                    idle.push(done);
                    break;
                }
            }
        }
        let (pass, next) = oneshot::channel();
        let turn = Turn::new(previous.replace(next), pass);
        let writer = &writer;
        in_flight.push(async move {
            let mut connection = connection;
            commit(writer, &mut connection, batch.commands, turn).await;
            connection
        });
        if closed {
            break;
        }
    }
    while let Some(connection) = in_flight.next().await {
        idle.push(connection);
    }
    for connection in idle.into_iter().flatten() {
        connection.close().await;
    }
}

/// The most events the writer puts in one batch.
fn max_batch_events(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => MAX_BATCH_EVENTS,
        Backend::Postgres => POSTGRES_MAX_BATCH_EVENTS,
    }
}

/// Batches the writer has in flight at once. On PostgreSQL most of a
/// batch's time is spent waiting: on each statement's round trip and on
/// the commit's flush of the log. With several batches in flight, each on
/// a connection of its own, one batch's waits overlap the next one's work,
/// and the server flushes the commits that arrive together at once.
/// Batches take their locks and issue numbers in the order they were
/// gathered (see [`Turn`]), so they store what they share in that order.
/// SQLite has one writer: the next batch starts once a batch is committed
/// (its log is synced off the writer's thread, see `store::durable`).
fn pipeline_depth(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => POSTGRES_PIPELINE,
    }
}

/// A group commit being gathered.
#[derive(Default)]
struct Batch {
    commands: Vec<Command>,
    weight: usize,
    /// The chats with a message in the batch, and those with a message held
    /// back (by hash: a collision only holds a message back one more batch).
    chats: HashSet<u64>,
}

impl Batch {
    fn add(&mut self, command: Command) {
        if let Some(chat) = chat_of(&command) {
            self.chats.insert(chat);
        }
        self.weight += command.weight();
        self.commands.push(command);
    }

    /// Whether `command` may join: a message only if its chat has no message
    /// in the batch or held back. A refused message counts as held back.
    fn takes(&mut self, command: &Command) -> bool {
        chat_of(command).is_none_or(|chat| self.chats.insert(chat))
    }
}

fn chat_of(command: &Command) -> Option<u64> {
    let Command::Message { message, .. } = command else {
        return None;
    };
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&(&message.platform, &message.chat_id), &mut hasher);
    Some(std::hash::Hasher::finish(&hasher))
}

/// What every commit of the writer uses.
struct WriterState<'a> {
    store: &'a Store,
    rules: &'a Rules,
    signals: &'a Signals,
    metrics: &'a Metrics,
    log_sync: Option<&'a LogSync>,
}

/// Commits a batch and answers its requests once the commit is on disk. A
/// batch that fails for a reason other than the store being unavailable is
/// split and retried request by request, so one bad request cannot fail the
/// others committed with it.
#[tracing::instrument(level = "debug", name = "commit", skip_all, fields(commands = batch.len()))]
async fn commit(
    writer: &WriterState<'_>,
    connection: &mut Option<WriterConnection>,
    batch: Vec<Command>,
    mut turn: Turn,
) {
    let WriterState {
        store,
        rules,
        signals,
        metrics,
        log_sync,
    } = *writer;
    let now = Utc::now();
    let result = match connection {
        Some(open) => write_batch(open, rules, &batch, now, &mut turn).await,
        None => match store.writer_connection().await {
            Ok(opened) => write_batch(connection.insert(opened), rules, &batch, now, &mut turn).await,
            Err(error) => Err(error),
        },
    };
    if matches!(result, Err(StoreError::Unavailable(_))) {
        if let Some(broken) = connection.take() {
            broken.close().await;
        }
    }
    if let Err(error) = &result {
        signals.health.failed(error);
    }
    match result {
        Ok(Written {
            outcomes,
            classified,
            earliest_due,
            tally,
        }) => {
            if let Some(due) = earliest_due {
                signals.timer.due_at(due);
            }
            if tally.notifications > 0 {
                signals.outbox.notify_one();
            }
            tally.record(metrics);
            // One entry per command, in order (empty for a revisit).
            let answers: Vec<Answer> = batch
                .into_iter()
                .zip(outcomes)
                .zip(classified)
                .map(|((command, outcome), classified)| match command {
                    Command::Ingest { reply, .. } => Answer::Ingest(reply, outcome),
                    Command::Message { reply, .. } => Answer::Message(
                        reply,
                        classified
                            .map(|classified| classified.outcome(outcome))
                            .ok_or_else(|| StoreError::Other("the message was not classified".into())),
                    ),
                    Command::Revisit { reply, .. } => Answer::Revisit(reply),
                })
                .collect();
            let health = signals.health.clone();
            let deliver = move |synced: StoreResult<()>| {
                match &synced {
                    Ok(()) => health.succeeded(),
                    Err(error) => health.failed(error),
                }
                for answer in answers {
                    answer.send(synced.clone());
                }
            };
            match log_sync {
                Some(log_sync) => log_sync.after_sync(Box::new(deliver)),
                None => deliver(Ok(())),
            }
        }
        Err(StoreError::Other(detail)) if batch.len() > 1 => {
            tracing::warn!(error = %detail, commands = batch.len(), "write batch failed; retrying one by one");
            // Retried in order, before the next batch takes its locks (the
            // turn is passed once they are done, unless this batch passed
            // it before it failed).
            for command in batch {
                Box::pin(commit(writer, connection, vec![command], Turn::free())).await;
            }
            drop(turn);
        }
        Err(error) => {
            tracing::error!(%error, commands = batch.len(), "write batch failed");
            for command in batch {
                let error = error.clone();
                match command {
                    Command::Ingest { reply, .. } => drop(reply.send(Err(error))),
                    Command::Message { reply, .. } => drop(reply.send(Err(error))),
                    Command::Revisit { reply, .. } => drop(reply.send(Err(error))),
                }
            }
        }
    }
}

/// Rewrites the store's probe row (committed and synced like any batch)
/// and records whether that worked.
async fn probe(
    store: &Store,
    health: &StoreHealth,
    log_sync: Option<&LogSync>,
    connection: &mut Option<WriterConnection>,
) {
    let now = Utc::now();
    let written = match connection {
        Some(open) => open.probe(now).await,
        None => match store.writer_connection().await {
            Ok(opened) => connection.insert(opened).probe(now).await,
            Err(error) => Err(error),
        },
    };
    let synced = match (written, log_sync) {
        (Ok(()), Some(log_sync)) => {
            let (reply, answer) = oneshot::channel();
            log_sync.after_sync(Box::new(move |synced| drop(reply.send(synced))));
            answer
                .await
                .unwrap_or_else(|_| Err(StoreError::unavailable(FaultKind::Writer, "the log sync stopped")))
        }
        (written, _) => written,
    };
    match synced {
        Ok(()) => health.succeeded(),
        Err(error) => {
            if matches!(error, StoreError::Unavailable(_)) {
                if let Some(broken) = connection.take() {
                    broken.close().await;
                }
            }
            health.failed(&error);
        }
    }
}

/// A committed request's answer, given once its commit is on disk; if it
/// could not be put there, the request gets that error instead.
enum Answer {
    Ingest(oneshot::Sender<StoreResult<Vec<Outcome>>>, Vec<Outcome>),
    Message(
        oneshot::Sender<StoreResult<MessageOutcome>>,
        StoreResult<MessageOutcome>,
    ),
    Revisit(oneshot::Sender<StoreResult<()>>),
}

impl Answer {
    fn send(self, synced: StoreResult<()>) {
        // A requester that gave up waiting is no longer listening.
        match self {
            Answer::Ingest(reply, outcome) => drop(reply.send(synced.map(|()| outcome))),
            Answer::Message(reply, outcome) => drop(reply.send(synced.and(outcome))),
            Answer::Revisit(reply) => drop(reply.send(synced)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Invalid;

    #[test]
    fn an_answer_is_the_outcome_once_synced_and_the_error_otherwise() {
        let (reply, mut answer) = oneshot::channel();
        Answer::Ingest(reply, vec![Outcome::Conflict]).send(Ok(()));
        assert!(matches!(answer.try_recv(), Ok(Ok(outcomes)) if outcomes.len() == 1));

        let (reply, mut answer) = oneshot::channel();
        Answer::Ingest(reply, vec![Outcome::Conflict])
            .send(Err(StoreError::unavailable(FaultKind::Io, "disk")));
        assert!(matches!(answer.try_recv(), Ok(Err(StoreError::Unavailable(_)))));

        let (reply, mut answer) = oneshot::channel();
        let invalid = Invalid::new("at", "too_far_ahead", "later than allowed");
        Answer::Message(reply, Ok(MessageOutcome::Invalid(invalid)))
            .send(Err(StoreError::unavailable(FaultKind::Io, "disk")));
        assert!(matches!(answer.try_recv(), Ok(Err(StoreError::Unavailable(_)))));

        let (reply, mut answer) = oneshot::channel();
        Answer::Revisit(reply).send(Ok(()));
        assert!(matches!(answer.try_recv(), Ok(Ok(()))));
    }
}
