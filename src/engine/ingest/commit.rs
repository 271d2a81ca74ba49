//! One batch committed: its requests answered once the commit is on disk,
//! a failed batch retried request by request; and the probe write that
//! tells whether writes work again.

use super::super::batch::{write_batch, Turn, Written};
use super::super::command::{Command, MessageOutcome, Outcome};
use super::WriterState;
use crate::store::durable::LogSync;
use crate::store::health::StoreHealth;
use crate::store::write::WriterConnection;
use crate::store::{FaultKind, Store, StoreError, StoreResult};
use chrono::Utc;
use tokio::sync::oneshot;

/// Commits a batch and answers its requests once the commit is on disk. A
/// batch that fails for a reason other than the store being unavailable is
/// split and retried request by request, so one bad request cannot fail the
/// others committed with it.
#[tracing::instrument(level = "debug", name = "commit", skip_all, fields(commands = batch.len()))]
pub(super) async fn commit(
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
pub(super) async fn probe(
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
