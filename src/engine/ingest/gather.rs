//! The writer's loop: gathers queued commands into batches (a chat's
//! messages one per batch, in order) and keeps up to a backend's pipeline
//! depth of them in flight.

use super::super::batch::Turn;
use super::super::command::Command;
use super::super::Rules;
use super::commit::{commit, probe};
use super::{Signals, WriterState, QUEUE_CAPACITY};
use crate::metrics::Metrics;
use crate::store::write::WriterConnection;
use crate::store::{Backend, Store};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

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

pub(super) async fn run(
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
