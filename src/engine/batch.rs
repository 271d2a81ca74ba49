//! One group commit, in named phases, all in one transaction:
//!
//! 1. **classify** the batch's chat messages into events (`classification`);
//! 2. **lock** the touched issues and read their rows and the stored
//!    contents of the batch's event ids;
//! 3. **judge** each event: accepted, duplicate, conflict or refused
//!    (`judge`, pure);
//! 4. **number** the new issues, then let the next batch take its turn;
//! 5. **append** the accepted events and the messages;
//! 6. **load** what each issue to fold needs, then **decide** per issue its
//!    row, breach records and notifications (`decide`, pure);
//! 7. **persist** the decisions and commit;
//! 8. **answer** each command (pure).
//!
//! What the metrics count is gathered in a [`Tally`] and recorded by the
//! writer only once the batch has committed.

mod decide;
mod judge;
mod persist;
mod tally;
mod turn;

use super::classification::{classify_batch, Classified};
use super::command::{Command, Outcome};
use super::Rules;
use crate::domain::breach::StoredBreach;
use crate::domain::classify::Message;
use crate::domain::event::Event;
use crate::domain::Timestamp;
use crate::store::chat::MessageRecord;
use crate::store::rows::IssueRow;
use crate::store::write::{WriteTx, WriterConnection};
use crate::store::StoreResult;
use decide::{decide, IssueDecision, IssueFacts};
use judge::{judge, new_issues, Judged, Verdict};
use persist::persist;
use std::collections::{BTreeSet, HashMap};
pub(super) use tally::Tally;
pub(super) use turn::Turn;

/// One transaction for the whole batch (see the phases above).
#[tracing::instrument(level = "debug", name = "write_batch", skip_all, fields(commands = batch.len()))]
pub(super) async fn write_batch(
    connection: &mut WriterConnection,
    rules: &Rules,
    batch: &[Command],
    now: Timestamp,
    turn: &mut Turn,
) -> StoreResult<Written> {
    let written = write_in_transaction(connection, rules, batch, now, turn).await;
    if written.is_err() {
        // The write lock is not held while the writer waits for more work.
        connection.abandon().await;
    }
    written
}

async fn write_in_transaction(
    connection: &mut WriterConnection,
    rules: &Rules,
    batch: &[Command],
    now: Timestamp,
    turn: &mut Turn,
) -> StoreResult<Written> {
    let mut tx = connection.begin().await?;
    // Locks (chats', then issues') and issue numbers are taken in the order
    // the batches were gathered.
    turn.wait().await;

    let classified = classify(&mut tx, rules, batch, now).await?;
    let brought = brought_by(batch, &classified);
    let touched = touched_issues(batch, &brought);
    tx.lock_issues(&touched).await?;
    let rows = tx.issue_rows(&touched).await?;
    let stored_contents = read_stored_contents(&mut tx, &brought).await?;

    let judged = judge(&brought, rules, &rows, stored_contents);
    let mut tally = Tally::default();
    tally.count_judged(&judged);

    let numbers = number(&mut tx, &judged, &rows).await?;
    // What the next batch shares with this one it now finds locked, and its
    // new issues are numbered after these.
    turn.pass();

    append(&mut tx, &judged, &classified, &numbers).await?;

    let facts = load(&mut tx, batch, &judged, &rows, &numbers).await?;
    let mut decisions: Vec<IssueDecision> = facts.iter().map(|facts| decide(facts, rules, now)).collect();
    for decision in &mut decisions {
        tally.count_decided(decision);
    }
    let saved = persist(&mut tx, decisions, &rows, now).await?;
    tx.commit().await?;

    let earliest_due = saved.values().filter_map(|row| row.next_due).min();
    Ok(Written {
        outcomes: answer(&brought, judged.verdicts, &saved, &rows),
        classified,
        earliest_due,
        tally,
    })
}

/// What one command brings to the batch: its events and, for an HTTP
/// ingest, their contents as the request's own task worked them out.
struct Brought<'a> {
    events: &'a [Event],
    contents: &'a [String],
}

/// Phase 1: the batch's chat messages classified, one entry per command
/// (none for a command that is not a message).
async fn classify(
    tx: &mut WriteTx<'_>,
    rules: &Rules,
    batch: &[Command],
    now: Timestamp,
) -> StoreResult<Vec<Option<Classified>>> {
    let incoming: Vec<(&Message, &str)> = batch
        .iter()
        .filter_map(|command| match command {
            Command::Message { message, source, .. } => Some((&**message, source.as_str())),
            _ => None,
        })
        .collect();
    let mut classified = if incoming.is_empty() {
        Vec::new()
    } else {
        classify_batch(tx, rules, &incoming, now).await?
    }
    .into_iter();
    Ok(batch
        .iter()
        .map(|command| match command {
            Command::Message { .. } => classified.next(),
            _ => None,
        })
        .collect())
}

/// The events each command brings, in order.
fn brought_by<'a>(batch: &'a [Command], classified: &'a [Option<Classified>]) -> Vec<Brought<'a>> {
    batch
        .iter()
        .zip(classified)
        .map(|(command, classified)| match (command, classified) {
            (Command::Ingest { events, contents, .. }, _) => Brought { events, contents },
            (_, Some(classified)) => Brought {
                events: classified.events(),
                contents: &[],
            },
            _ => Brought {
                events: &[],
                contents: &[],
            },
        })
        .collect()
}

/// Every issue the batch's events or revisits touch, sorted: the order
/// their locks are taken in.
fn touched_issues(batch: &[Command], brought: &[Brought]) -> Vec<String> {
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    for (command, brought) in batch.iter().zip(brought) {
        touched.extend(brought.events.iter().map(|e| e.issue.as_str()));
        if let Command::Revisit { issues, .. } = command {
            touched.extend(issues.iter().map(String::as_str));
        }
    }
    touched.into_iter().map(String::from).collect()
}

/// Phase 2: the stored contents of the batch's event ids.
async fn read_stored_contents(
    tx: &mut WriteTx<'_>,
    brought: &[Brought<'_>],
) -> StoreResult<HashMap<String, String>> {
    let ids: Vec<&str> = brought
        .iter()
        .flat_map(|command| command.events.iter().map(|e| e.id.as_str()))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    tx.stored_contents(&ids).await
}

/// Issue numbers: the stored ones, and those given to this batch's new issues.
struct Numbers<'a> {
    rows: &'a HashMap<String, IssueRow>,
    new: HashMap<&'a str, i64>,
}

impl Numbers<'_> {
    /// An issue's number; none for an issue that was never stored (its
    /// raise was refused).
    fn of(&self, issue: &str) -> Option<i64> {
        self.rows
            .get(issue)
            .map(|row| row.seq)
            .or_else(|| self.new.get(issue).copied())
    }

    fn seq(&self, issue: &str) -> i64 {
        self.of(issue).unwrap_or_default()
    }
}

/// Phase 4: an issue seen for the first time gets its number before its
/// events are stored: events point at their issue by number.
async fn number<'a>(
    tx: &mut WriteTx<'_>,
    judged: &Judged<'a>,
    rows: &'a HashMap<String, IssueRow>,
) -> StoreResult<Numbers<'a>> {
    let new_issues = new_issues(&judged.accepted, rows);
    let seqs = tx.next_seqs(new_issues.len()).await?;
    Ok(Numbers {
        rows,
        new: new_issues.into_iter().zip(seqs).collect(),
    })
}

/// Phase 5: the accepted events and the chat messages, appended.
async fn append(
    tx: &mut WriteTx<'_>,
    judged: &Judged<'_>,
    classified: &[Option<Classified>],
    numbers: &Numbers<'_>,
) -> StoreResult<()> {
    if !judged.accepted.is_empty() {
        let events: Vec<(&Event, &str, i64)> = judged
            .accepted
            .iter()
            .map(|event| (*event, judged.content_of(event), numbers.seq(&event.issue)))
            .collect();
        tx.insert_events(&events).await?;
    }
    let messages: Vec<&MessageRecord> = classified
        .iter()
        .filter_map(|classified| match classified {
            Some(Classified::New { record, .. }) => Some(&**record),
            _ => None,
        })
        .collect();
    if !messages.is_empty() {
        tx.insert_messages(&messages, |issue| numbers.of(issue)).await?;
    }
    Ok(())
}

/// Phase 6a: what each issue to fold again needs: those with new events
/// and every revisited one, each with all its events and breach records.
async fn load<'a>(
    tx: &mut WriteTx<'_>,
    batch: &'a [Command],
    judged: &Judged<'a>,
    rows: &'a HashMap<String, IssueRow>,
    numbers: &Numbers<'a>,
) -> StoreResult<Vec<IssueFacts<'a>>> {
    let mut refold: BTreeSet<&'a str> = judged.accepted.iter().map(|e| e.issue.as_str()).collect();
    let mut revisited: BTreeSet<&'a str> = BTreeSet::new();
    for command in batch {
        if let Command::Revisit { issues, .. } = command {
            revisited.extend(issues.iter().map(String::as_str));
        }
    }
    refold.extend(revisited.iter().copied());
    if refold.is_empty() {
        return Ok(Vec::new());
    }

    // An issue without a row has no stored events but this batch's, and
    // no breach records: only known issues are read back.
    let known: Vec<String> = refold
        .iter()
        .filter(|issue| rows.contains_key(**issue))
        .map(|issue| issue.to_string())
        .collect();
    let (mut events, stored_breaches) = if known.is_empty() {
        (HashMap::new(), Vec::new())
    } else {
        let seqs: Vec<i64> = known.iter().map(|issue| numbers.seq(issue)).collect();
        (tx.events_of(&seqs).await?, tx.breaches_of(&known).await?)
    };
    // A new issue's events are all in this batch, stored in this order:
    // their position stands in for the arrival numbers, which only order
    // events of equal `at`.
    for (position, event) in judged.accepted.iter().enumerate() {
        if !rows.contains_key(&event.issue) {
            let mut stored = (*event).clone();
            stored.arrival = position as i64;
            events.entry(event.issue.clone()).or_default().push(stored);
        }
    }
    let mut breaches: HashMap<String, Vec<StoredBreach>> = HashMap::new();
    for row in &stored_breaches {
        breaches.entry(row.issue.clone()).or_default().push(row.stored());
    }

    Ok(refold
        .into_iter()
        .filter_map(|issue| {
            // A revisited issue that was never stored has nothing to fold.
            let events = events.remove(issue)?;
            Some(IssueFacts {
                issue,
                seq: numbers.seq(issue),
                events,
                before: rows.get(issue),
                breaches: breaches.remove(issue).unwrap_or_default(),
                revisited: revisited.contains(issue),
            })
        })
        .collect())
}

/// Phase 8: each command's outcome per event, with the issue's row as
/// written now, or as stored for a duplicate.
fn answer(
    brought: &[Brought],
    verdicts: Vec<Vec<Verdict>>,
    saved: &HashMap<String, IssueRow>,
    rows: &HashMap<String, IssueRow>,
) -> Vec<Vec<Outcome>> {
    let row_of = |issue: &str| {
        saved
            .get(issue)
            .or_else(|| rows.get(issue))
            .cloned()
            .map(Box::new)
    };
    brought
        .iter()
        .zip(verdicts)
        .map(|(command, verdicts)| {
            command
                .events
                .iter()
                .zip(verdicts)
                .map(|(event, verdict)| match verdict {
                    Verdict::Accepted => match row_of(&event.issue) {
                        Some(row) => Outcome::Accepted(row),
                        None => Outcome::Duplicate(None),
                    },
                    Verdict::Duplicate => Outcome::Duplicate(row_of(&event.issue)),
                    Verdict::Conflict => Outcome::Conflict,
                    Verdict::Rejected(invalid) => Outcome::Rejected(invalid),
                })
                .collect()
        })
        .collect()
}

/// What a committed batch gives back.
pub(super) struct Written {
    /// Per command, in order: each of its events' outcome.
    pub outcomes: Vec<Vec<Outcome>>,
    /// Per command: for a chat message, what it was classified as.
    pub classified: Vec<Option<Classified>>,
    /// The earliest next visit of an issue written.
    pub earliest_due: Option<Timestamp>,
    /// What the metrics should count.
    pub tally: Tally,
}

#[cfg(test)]
mod tests;
