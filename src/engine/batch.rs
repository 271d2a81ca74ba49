//! One group commit: validate against stored state, de-duplicate, append,
//! fold every touched issue, and write its derived rows, breach records and
//! notifications in the same transaction.

use super::classification::{classify_batch, Classified};
use super::command::{Command, Outcome};
use super::Rules;
use crate::domain::breach::{reconcile_breaches, BreachAction, BreachNotice, BreachRecord, StoredBreach};
use crate::domain::classify::Message;
use crate::domain::event::{Event, EventKind, Invalid};
use crate::domain::issue::{fold, IssueStatus};
use crate::domain::notice::{notices, BreachEvent, OutboxEntry, Subject};
use crate::domain::outcome::{newly_settled, FinalOutcome, SettledStage, StoredCycle};
use crate::domain::Timestamp;
use crate::metrics::Metrics;
use crate::store::chat::MessageRecord;
use crate::store::rows::{BreachRow, IssueRow};
use crate::store::write::WriterConnection;
use crate::store::StoreResult;
use std::collections::{BTreeSet, HashMap};
use tokio::sync::oneshot;

/// One transaction for the whole batch: validate against stored state,
/// de-duplicate, append, fold every touched issue, write derived rows.
/// Chat messages are classified first, in the same transaction, and their
/// events join the batch's.
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
    let mut tally = Tally::default();
    let mut tx = connection.begin().await?;
    // Locks (chats', then issues') and issue numbers are taken in the order
    // the batches were gathered.
    turn.wait().await;

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
        classify_batch(&mut tx, rules, &incoming, now).await?
    }
    .into_iter();
    let classified: Vec<Option<Classified>> = batch
        .iter()
        .map(|command| match command {
            Command::Message { .. } => classified.next(),
            _ => None,
        })
        .collect();
    // The events each command brings, in order.
    let command_events: Vec<&[Event]> = batch
        .iter()
        .zip(&classified)
        .map(|(command, classified)| match (command, classified) {
            (Command::Ingest { events, .. }, _) => events.as_slice(),
            (_, Some(classified)) => classified.events(),
            _ => &[],
        })
        .collect();

    let mut touched: BTreeSet<String> = BTreeSet::new();
    for (command, events) in batch.iter().zip(&command_events) {
        touched.extend(events.iter().map(|e| e.issue.clone()));
        if let Command::Revisit { issues, .. } = command {
            touched.extend(issues.iter().cloned());
        }
    }
    let touched: Vec<String> = touched.into_iter().collect();

    tx.lock_issues(&touched).await?;
    let rows = tx.issue_rows(&touched).await?;
    let ids: Vec<&str> = command_events
        .iter()
        .flat_map(|events| events.iter().map(|e| e.id.as_str()))
        .collect();
    let mut contents = if ids.is_empty() {
        HashMap::new()
    } else {
        tx.stored_contents(&ids).await?
    };

    // Judge every event in order; an id seen earlier in the batch counts as stored.
    let mut verdicts: Vec<Vec<Verdict>> = Vec::with_capacity(batch.len());
    let mut to_insert: Vec<&Event> = Vec::new();
    let mut batch_raised: HashMap<&str, &Event> = HashMap::new();
    for (command, events) in batch.iter().zip(&command_events) {
        let given = match command {
            Command::Ingest { contents, .. } => contents.as_slice(),
            _ => &[],
        };
        let mut command_verdicts = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let verdict = if let Some(invalid) =
                invalid_against_state(event, rules, rows.get(&event.issue), &batch_raised)
            {
                Verdict::Rejected(invalid)
            } else {
                let content = given.get(index).cloned().unwrap_or_else(|| event.content());
                match contents.get(&event.id) {
                    Some(stored) if *stored == content => Verdict::Duplicate,
                    Some(_) => Verdict::Conflict,
                    None => {
                        contents.insert(event.id.clone(), content);
                        to_insert.push(event);
                        if event.kind == EventKind::Raised {
                            batch_raised
                                .entry(event.issue.as_str())
                                .and_modify(|earliest| {
                                    if event.at < earliest.at {
                                        *earliest = event
                                    }
                                })
                                .or_insert(event);
                        }
                        Verdict::Accepted
                    }
                }
            };
            command_verdicts.push(verdict);
        }
        verdicts.push(command_verdicts);
    }

    // An issue seen for the first time gets its number before its events
    // are stored: events point at their issue by number.
    // Numbered in the order they are first seen (SPEC §1), so that an
    // export imported elsewhere numbers its issues as they were.
    let mut first_seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let new_issues: Vec<&str> = to_insert
        .iter()
        .map(|e| e.issue.as_str())
        .filter(|issue| !rows.contains_key(*issue) && first_seen.insert(issue))
        .collect();
    let new_seqs: HashMap<&str, i64> = new_issues
        .iter()
        .copied()
        .zip(tx.next_seqs(new_issues.len()).await?)
        .collect();
    // What the next batch shares with this one it now finds locked, and its
    // new issues are numbered after these.
    turn.pass();
    // An issue's number: stored, or given just now; none for an issue that
    // was never stored (its raise was refused).
    let number = |issue: &str| {
        rows.get(issue)
            .map(|row| row.seq)
            .or_else(|| new_seqs.get(issue).copied())
    };
    let seq_of = |issue: &str| number(issue).unwrap_or_default();
    if !to_insert.is_empty() {
        let rows: Vec<(&Event, &str, i64)> = to_insert
            .iter()
            .map(|e| {
                (
                    *e,
                    contents.get(&e.id).map_or("", String::as_str),
                    seq_of(&e.issue),
                )
            })
            .collect();
        tx.insert_events(&rows).await?;
    }
    let messages: Vec<&MessageRecord> = classified
        .iter()
        .filter_map(|classified| match classified {
            Some(Classified::New { record, .. }) => Some(&**record),
            _ => None,
        })
        .collect();
    if !messages.is_empty() {
        tx.insert_messages(&messages, number).await?;
    }
    // Issues to fold again: those with new events, and every revisited one.
    let mut refold: BTreeSet<&str> = to_insert.iter().map(|e| e.issue.as_str()).collect();
    let mut revisited: BTreeSet<&str> = BTreeSet::new();
    for command in batch {
        if let Command::Revisit { issues, .. } = command {
            revisited.extend(issues.iter().map(String::as_str));
        }
    }
    refold.extend(revisited.iter().copied());
    tally.accepted = to_insert
        .iter()
        .map(|e| (e.kind.as_str(), e.source.clone()))
        .collect();
    let refold: Vec<String> = refold.into_iter().map(String::from).collect();

    let mut saved: HashMap<String, IssueRow> = HashMap::new();
    let mut earliest_due: Option<Timestamp> = None;
    if !refold.is_empty() {
        // An issue without a row has no stored events but this batch's, and
        // no breach records: only known issues are read back.
        let known: Vec<String> = refold.iter().filter(|k| rows.contains_key(*k)).cloned().collect();
        let known_seqs: Vec<i64> = known.iter().map(|issue| seq_of(issue)).collect();
        let mut events = if known.is_empty() {
            HashMap::new()
        } else {
            tx.events_of(&known_seqs).await?
        };
        // A new issue's events are all in this batch, stored in this order:
        // their position stands in for the arrival numbers, which only order
        // events of equal `at`.
        for (position, event) in to_insert.iter().enumerate() {
            if !rows.contains_key(&event.issue) {
                let mut stored = (*event).clone();
                stored.arrival = position as i64;
                events.entry(event.issue.clone()).or_default().push(stored);
            }
        }
        let existing_breaches = if known.is_empty() {
            Vec::new()
        } else {
            tx.breaches_of(&known).await?
        };
        let mut new_rows = Vec::with_capacity(refold.len());
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        let mut outbox = Vec::new();
        for issue in &refold {
            let Some(issue_events) = events.get(issue) else {
                continue;
            };
            let before = rows.get(issue);
            let seq = seq_of(issue);
            let breaches: Vec<_> = existing_breaches
                .iter()
                .filter(|b| &b.issue == issue)
                .cloned()
                .collect();
            let write = plan_issue(
                issue,
                issue_events,
                before,
                seq,
                &breaches,
                rules,
                revisited.contains(issue.as_str()),
                now,
                &mut tally,
            );
            if let Some(due) = write.row.next_due {
                earliest_due = Some(earliest_due.map_or(due, |e: Timestamp| e.min(due)));
            }
            new_rows.push(write.row);
            inserts.extend(write.inserts);
            updates.extend(write.updates);
            outbox.extend(write.outbox);
        }
        // A chat issue open again is a candidate for its chat's lookups again.
        let reopened: Vec<i64> = new_rows
            .iter()
            .filter(|row| matches!(row.status, IssueStatus::Open | IssueStatus::Paused))
            .filter(|row| {
                rows.get(&row.issue)
                    .is_some_and(|before| matches!(before.status, IssueStatus::Closed))
            })
            .map(|row| row.seq)
            .collect();
        tx.chat_issues_reopened(&reopened).await?;
        tally.notifications = outbox.len();
        if !outbox.is_empty() {
            tx.insert_notifications(&outbox, now).await?;
        }
        tx.save_issues(&new_rows, |issue| rows.contains_key(issue))
            .await?;
        if !inserts.is_empty() {
            tx.insert_breaches(&inserts).await?;
        }
        for (id, change) in &updates {
            tx.update_breach(*id, change).await?;
        }
        saved = new_rows.into_iter().map(|row| (row.issue.clone(), row)).collect();
    }
    tx.commit().await?;

    let row_of = |issue: &str| {
        saved
            .get(issue)
            .or_else(|| rows.get(issue))
            .cloned()
            .map(Box::new)
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for (events, command_verdicts) in command_events.iter().zip(verdicts) {
        outcomes.push(
            events
                .iter()
                .zip(command_verdicts)
                .map(|(event, verdict)| match verdict {
                    Verdict::Accepted => match row_of(&event.issue) {
                        Some(row) => Outcome::Accepted(row),
                        None => Outcome::Duplicate(None),
                    },
                    Verdict::Duplicate => {
                        tally.duplicates += 1;
                        Outcome::Duplicate(row_of(&event.issue))
                    }
                    Verdict::Conflict => {
                        tally.rejected.push("conflict");
                        Outcome::Conflict
                    }
                    Verdict::Rejected(invalid) => {
                        tally.rejected.push(invalid.reason);
                        Outcome::Rejected(invalid)
                    }
                })
                .collect(),
        );
    }
    Ok(Written {
        outcomes,
        classified,
        earliest_due,
        tally,
    })
}

/// A batch's place in the writer's order, when several are in flight
/// (PostgreSQL): it waits for the batch gathered before it to have taken
/// its locks and issue numbers before taking its own, and lets the next
/// one go once it has (or has failed). A batch that shares an issue or a
/// chat with an earlier one in flight thus waits on that one's lock until
/// it commits, then reads what it wrote; and issues are numbered in the
/// order they arrived, as `slawatch import` relies on.
pub(super) struct Turn {
    wait: Option<oneshot::Receiver<()>>,
    pass: Option<oneshot::Sender<()>>,
}

impl Turn {
    /// After the batch whose turn passes `previous` (none: at once);
    /// `pass` lets the next one go (so does dropping it).
    pub(super) fn new(previous: Option<oneshot::Receiver<()>>, pass: oneshot::Sender<()>) -> Self {
        Turn {
            wait: previous,
            pass: Some(pass),
        }
    }

    /// A turn that waits for nothing and lets nothing go.
    pub(super) fn free() -> Self {
        Turn {
            wait: None,
            pass: None,
        }
    }

    async fn wait(&mut self) {
        if let Some(previous) = self.wait.take() {
            // A sender dropped without a word lets us go as well.
            let _ = previous.await;
        }
    }

    fn pass(&mut self) {
        if let Some(next) = self.pass.take() {
            let _ = next.send(());
        }
    }
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

/// What one issue's fold writes.
struct IssueWrite {
    row: IssueRow,
    inserts: Vec<BreachRecord>,
    updates: Vec<(i64, BreachRecord)>,
    outbox: Vec<OutboxEntry>,
}

/// Folds one issue and decides its rows, breach records and notifications.
#[allow(clippy::too_many_arguments)]
fn plan_issue(
    issue: &str,
    events: &[Event],
    before: Option<&IssueRow>,
    seq: i64,
    breaches: &[BreachRow],
    rules: &Rules,
    revisited: bool,
    now: Timestamp,
    tally: &mut Tally,
) -> IssueWrite {
    let state = fold(events, &rules.policies);
    let next_due = state.next_due(now, rules.grace);
    let first_seen = before.map_or(now, |row| row.first_seen);
    let row = IssueRow::from_state(issue, seq, &state, first_seen, now, next_due);
    let stored: Vec<StoredBreach> = breaches.iter().map(BreachRow::stored).collect();
    let actions = reconcile_breaches(issue, &state, &stored, rules.grace, now);

    // Each stage's outcome is counted once: a breach when its record is
    // made, a met or waived stage only if it never had a breach record.
    let stored_clocks = before.map(IssueRow::stage_clocks).unwrap_or_default();
    let stored_cycle = before.and_then(|row| row.cycle_start).map(|start| StoredCycle {
        start,
        stages: &stored_clocks,
    });
    for settled in newly_settled(stored_cycle, &state) {
        let recorded = breaches
            .iter()
            .any(|b| b.stage == settled.stage && b.cycle_start == settled.cycle_start)
            || actions.iter().any(|action| {
                matches!(action, BreachAction::Insert(change, _)
                    if change.stage == settled.stage && change.cycle_start == settled.cycle_start)
            });
        let counted = settled.outcome != FinalOutcome::Breached && !recorded;
        tally.settled.push((state.project.clone(), settled, counted));
    }

    // Every record of the issue, changed or not: (id, change, notice, dirty).
    let mut planned: Vec<(Option<i64>, BreachRecord, Option<BreachNotice>, bool)> = Vec::new();
    for action in actions {
        match action {
            BreachAction::Insert(change, notice) => {
                // Only the running timer's catches measure detection delay;
                // an event that arrives late says nothing about the timer.
                let delay = revisited
                    .then(|| (now - (change.deadline + rules.grace)).num_milliseconds() as f64 / 1e3);
                tally.breaches.push((
                    change.project.clone(),
                    change.stage.as_str(),
                    notice.clone(),
                    delay,
                ));
                planned.push((None, change, Some(notice), true));
            }
            BreachAction::Update(id, change, notice) => {
                if let Some(notice) = &notice {
                    tally.breaches.push((
                        change.project.clone(),
                        change.stage.as_str(),
                        notice.clone(),
                        None,
                    ));
                }
                planned.push((Some(id), change, notice, true));
            }
        }
    }
    for stored in stored
        .into_iter()
        .filter(|stored| stored.record.retracted_at.is_none())
    {
        if !planned.iter().any(|(id, ..)| *id == Some(stored.id)) {
            planned.push((Some(stored.id), stored.record, None, false));
        }
    }

    let subject = Subject {
        issue,
        seq,
        state: &state,
        events,
        last_visit: before.map(|row| row.updated),
    };
    let breach_events: Vec<_> = planned
        .iter()
        .map(|(id, change, notice, _)| {
            let event = BreachEvent {
                stage: change.stage,
                cycle_start: change.cycle_start,
                cycle: change.cycle,
                deadline: change.deadline,
                met_at: change.met_at,
                notice: notice.as_ref(),
                stood_before: id.is_some_and(|id| stood(id, breaches, before)),
            };
            (event, change.escalation_step)
        })
        .collect();
    let (outbox, steps) = notices(&subject, &breach_events, &rules.routing, now);

    let mut write = IssueWrite {
        row,
        inserts: Vec::new(),
        updates: Vec::new(),
        outbox,
    };
    for ((id, mut change, _, dirty), step) in planned.into_iter().zip(steps) {
        let escalated = step != change.escalation_step;
        change.escalation_step = step;
        match id {
            None => write.inserts.push(change),
            Some(id) if dirty || escalated => write.updates.push((id, change)),
            Some(_) => {}
        }
    }
    write
}

/// What one committed batch adds to the metrics.
#[derive(Default)]
pub(super) struct Tally {
    accepted: Vec<(&'static str, String)>,
    duplicates: u64,
    rejected: Vec<&'static str>,
    /// (project, stage, whether its outcome is counted here).
    settled: Vec<(Option<String>, SettledStage, bool)>,
    /// (project, stage, what happened, detection delay in seconds).
    breaches: Vec<(Option<String>, &'static str, BreachNotice, Option<f64>)>,
    /// Outbox rows written.
    pub(super) notifications: usize,
}

impl Tally {
    pub(super) fn record(self, metrics: &Metrics) {
        metrics.mark_written();
        for (kind, source) in &self.accepted {
            metrics.events.with_label_values(&[kind, source.as_str()]).inc();
        }
        metrics.events_duplicate.inc_by(self.duplicates);
        for reason in self.rejected {
            metrics.reject(reason, 1);
        }
        for (project, settled, counted) in &self.settled {
            let project = metrics.project_label(project.as_deref());
            let stage = settled.stage.as_str();
            if *counted {
                metrics
                    .stage_outcomes
                    .with_label_values(&[project, stage, settled.outcome.as_str()])
                    .inc();
            }
            if let Some(clock_time) = settled.clock_time {
                let seconds = clock_time.num_milliseconds() as f64 / 1e3;
                metrics
                    .stage_duration
                    .with_label_values(&[project, stage])
                    .observe(seconds.max(0.0));
            }
        }
        for (project, stage, notice, delay) in &self.breaches {
            let project = metrics.project_label(project.as_deref());
            match notice {
                BreachNotice::Recorded => {
                    metrics.breaches.with_label_values(&[project, stage]).inc();
                    metrics
                        .stage_outcomes
                        .with_label_values(&[project, stage, "breached"])
                        .inc();
                }
                BreachNotice::Reinstated => metrics.breaches.with_label_values(&[project, stage]).inc(),
                BreachNotice::Retracted => metrics
                    .breaches_retracted
                    .with_label_values(&[project, stage])
                    .inc(),
            }
            if let Some(delay) = delay {
                metrics.breach_detection_delay.observe(delay.max(0.0));
            }
        }
    }
}

enum Verdict {
    Accepted,
    Duplicate,
    Conflict,
    Rejected(Invalid),
}

/// Validation that needs stored state: pausing under a policy that does not
/// allow it, once the issue's policy is known (SPEC §1, edge cases).
fn invalid_against_state(
    event: &Event,
    rules: &Rules,
    row: Option<&IssueRow>,
    batch_raised: &HashMap<&str, &Event>,
) -> Option<Invalid> {
    if !matches!(event.kind, EventKind::Paused | EventKind::Resumed) {
        return None;
    }
    let policy = match row.and_then(|r| r.policy.as_deref()) {
        Some(name) => rules.policies.by_name(name),
        None => batch_raised.get(event.issue.as_str()).map(|raised| {
            rules.policies.select(
                raised.project.as_deref().unwrap_or_default(),
                raised.priority.as_deref(),
            )
        }),
    }?;
    (!policy.allow_pause).then(|| {
        Invalid::new(
            "kind",
            "pause_not_allowed",
            format!(
                "policy `{}` does not allow pausing (allow_pause = false)",
                policy.name
            ),
        )
    })
}

/// Whether a stored breach record stood before this fold: not met, not
/// retracted, and its cycle the issue's open current one.
fn stood(id: i64, breaches: &[BreachRow], before: Option<&IssueRow>) -> bool {
    let Some(row) = breaches.iter().find(|row| row.id == id) else {
        return false;
    };
    let open = before.is_some_and(|issue| {
        matches!(issue.status, IssueStatus::Open | IssueStatus::Paused)
            && issue.cycle_start == Some(row.cycle_start)
    });
    open && row.retracted_at.is_none() && row.met_at.is_none()
}
