//! The request side of chat ingestion (SPEC §4): a message goes to the
//! writer, which classifies and stores it (`classification`); the answer
//! lists what it did, with the issues' numbers.

use super::command::{ActionTaken, MessageOutcome, Outcome};
use super::ingest::Writer;
use crate::domain::classify::Message;
use crate::domain::event::Invalid;
use crate::store::{Store, StoreError};

/// What receiving a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipted {
    /// False when the message had been stored before (a retry).
    pub new: bool,
    pub actions: Vec<ActionTaken>,
    /// The open issues' numbers, when a command named no issue and matched
    /// none of several: the bot can ask which one.
    pub open_issues: Vec<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", .0.message)]
    Invalid(Invalid),
}

/// Everything chat ingestion needs: the writer classifies and stores; the
/// store fills in the numbers of a retried message's issues.
#[derive(Clone)]
pub struct Inbox {
    pub store: Store,
    pub writer: Writer,
}

impl Inbox {
    /// Stores `message` and the events it calls for; `source` names the
    /// token or hook that delivered it.
    pub async fn receive(&self, message: Message, source: &str) -> Result<Receipted, ReceiveError> {
        let (taken, event_ids, outcomes, unplaced) =
            match self.writer.receive_message(message, source).await? {
                MessageOutcome::Known(stored) => {
                    let actions: Vec<ActionTaken> = serde_json::from_str(&stored).unwrap_or_default();
                    return Ok(Receipted {
                        new: false,
                        actions: self.with_seqs(actions).await?,
                        open_issues: Vec::new(),
                    });
                }
                MessageOutcome::Invalid(invalid) => return Err(ReceiveError::Invalid(invalid)),
                MessageOutcome::Stored {
                    taken,
                    event_ids,
                    outcomes,
                    unplaced,
                } => (taken, event_ids, outcomes, unplaced),
            };

        // Seqs come from the fold; an event the issue's state refused (a pause
        // its policy forbids) is left out of the answer.
        let mut answer = Vec::with_capacity(taken.len());
        let mut outcomes = event_ids.iter().zip(outcomes);
        for mut action in taken {
            if action.kind != "joined" {
                match outcomes.next() {
                    Some((_, Outcome::Accepted(row))) => action.seq = Some(row.seq),
                    Some((_, Outcome::Duplicate(Some(row)))) => action.seq = Some(row.seq),
                    Some((_, Outcome::Duplicate(None))) => {}
                    Some((id, Outcome::Rejected(invalid))) => {
                        tracing::info!(event = %id, reason = invalid.reason, "a chat command was refused");
                        continue;
                    }
                    Some((_, Outcome::Conflict)) | None => continue,
                }
            }
            answer.push(action);
        }
        Ok(Receipted {
            new: true,
            actions: answer,
            open_issues: unplaced,
        })
    }

    async fn with_seqs(&self, mut actions: Vec<ActionTaken>) -> Result<Vec<ActionTaken>, StoreError> {
        let issues: Vec<String> = actions.iter().map(|a| a.issue.clone()).collect();
        let seqs = self.store.seqs_of(&issues).await?;
        for action in &mut actions {
            action.seq = seqs.get(&action.issue).copied();
        }
        Ok(actions)
    }
}
