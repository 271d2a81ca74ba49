//! `slawatch import events|messages FILE.jsonl`: past events (SPEC §3) or
//! chat messages (SPEC §4), one JSON object per line, through the writer in
//! large batches, exactly as if they had been posted: the same validation,
//! the same classification of messages, the same fold and breach records.
//!
//! Idempotent by event id (and message id): a run stopped halfway is simply
//! run again, and what was stored already counts as duplicate. A line that
//! is not valid is reported with its number and skipped; the rest go on.

use crate::domain::event::{Event, Receipt};
use crate::domain::message::parse_message;
use crate::engine::command::{MessageOutcome, Outcome};
use crate::engine::ingest::{Pending, Writer};
use anyhow::Context;
use chrono::{TimeDelta, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal};
use std::time::{Duration, Instant};

/// Events per writer command: one transaction each, large enough that a
/// commit is a small part of its cost.
const BATCH_EVENTS: usize = 4000;
/// Batches queued ahead of the one being committed: the next is parsed
/// while the writer commits.
const BATCHES_IN_FLIGHT: usize = 3;
/// Messages queued ahead: the writer takes one message per chat per
/// commit, so many chats' messages share each commit.
const MESSAGES_IN_FLIGHT: usize = 2000;
/// How often a plain progress line is written when stderr is no terminal.
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Lines between progress updates.
const PROGRESS_LINES: u64 = 1000;

/// What an import did, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Non-empty lines read.
    pub lines: u64,
    pub accepted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Messages only: the events their classification stored.
    pub events: u64,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lines: {} accepted, {} duplicate, {} rejected",
            self.lines, self.accepted, self.duplicate, self.rejected
        )
    }
}

/// Where progress and rejected lines go: a progress bar on a terminal,
/// plain periodic lines otherwise; rejected lines always, on stderr.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_plain: Instant,
    what: &'static str,
}

impl Progress {
    /// `total_bytes`: the input's size when known (a file), for the bar.
    pub fn new(what: &'static str, total_bytes: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total_bytes {
                Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            let template = if total_bytes.is_some() {
                "{elapsed_precise} [{wide_bar}] {percent}% {msg}"
            } else {
                "{elapsed_precise} {spinner} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            started: now,
            last_plain: now,
            what,
        }
    }

    fn rate(&self, tally: &Tally) -> f64 {
        tally.lines as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    fn update(&mut self, tally: &Tally, bytes: u64) {
        let rate = self.rate(tally);
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes);
                bar.set_message(format!("{tally} ({rate:.0} {}/s)", self.what));
            }
            None if self.last_plain.elapsed() >= PLAIN_PROGRESS_EVERY => {
                self.last_plain = Instant::now();
                eprintln!("import: {tally} ({rate:.0} {}/s)", self.what);
            }
            None => {}
        }
    }

    fn rejected(&self, line: u64, error: &str) {
        let text = format!("line {line}: {error}");
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Closes the bar; the rate over the whole run.
    pub fn finish(&self, tally: &Tally) -> f64 {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.rate(tally)
    }
}

/// A line that is not a JSON value: its error.
fn json_of(line: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(line).map_err(|error| format!("not JSON: {error}"))
}

/// Reads lines until one that is not blank; `None` at the end. Counts bytes
/// read for the progress bar.
fn next_line(
    input: &mut dyn BufRead,
    buffer: &mut String,
    number: &mut u64,
    bytes: &mut u64,
) -> anyhow::Result<bool> {
    loop {
        buffer.clear();
        let read = input.read_line(buffer).context("cannot read the input")?;
        if read == 0 {
            return Ok(false);
        }
        *bytes += read as u64;
        *number += 1;
        if !buffer.trim().is_empty() {
            return Ok(true);
        }
    }
}

/// Events parsed from a batch of lines, with their line numbers.
type EventBatch = (Vec<u64>, Pending<Vec<Outcome>>);

/// Imports events (SPEC §3), one per line; `source` becomes their source.
pub async fn import_events(
    writer: &Writer,
    input: &mut dyn BufRead,
    source: &str,
    max_future_skew: TimeDelta,
    progress: &mut Progress,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut in_flight: VecDeque<EventBatch> = VecDeque::new();
    let (mut lines, mut events) = (Vec::with_capacity(BATCH_EVENTS), Vec::with_capacity(BATCH_EVENTS));
    let (mut buffer, mut number, mut bytes) = (String::new(), 0u64, 0u64);
    let mut receipt = Receipt {
        received_at: Utc::now(),
        source: source.to_string(),
        max_future_skew,
    };
    loop {
        let more = next_line(input, &mut buffer, &mut number, &mut bytes)?;
        if more {
            tally.lines += 1;
            match json_of(&buffer).and_then(|value| {
                Event::parse(&value, &receipt, "").map_err(|invalid| {
                    if invalid.field.is_empty() {
                        invalid.message
                    } else {
                        format!("{}: {}", invalid.field, invalid.message)
                    }
                })
            }) {
                Ok(event) => {
                    lines.push(number);
                    events.push(event);
                }
                Err(error) => {
                    tally.rejected += 1;
                    progress.rejected(number, &error);
                }
            }
        }
        if events.len() >= BATCH_EVENTS || (!more && !events.is_empty()) {
            let batch = std::mem::replace(&mut events, Vec::with_capacity(BATCH_EVENTS));
            let pending = writer.enqueue(batch).await.context("cannot store events")?;
            in_flight.push_back((std::mem::take(&mut lines), pending));
            receipt.received_at = Utc::now();
        }
        // At the end every batch is waited for, also when the last one was
        // sent full before the input ended.
        while in_flight.len() > BATCHES_IN_FLIGHT || (!more && !in_flight.is_empty()) {
            if let Some((lines, pending)) = in_flight.pop_front() {
                let outcomes = pending.answer().await.context("cannot store events")?;
                settle_events(&lines, &outcomes, &mut tally, progress);
            }
        }
        if tally.lines % PROGRESS_LINES == 0 || !more {
            progress.update(&tally, bytes);
        }
        if !more {
            return Ok(tally);
        }
    }
}

fn settle_events(lines: &[u64], outcomes: &[Outcome], tally: &mut Tally, progress: &Progress) {
    for (line, outcome) in lines.iter().zip(outcomes) {
        match outcome {
            Outcome::Accepted(_) => tally.accepted += 1,
            Outcome::Duplicate(_) => tally.duplicate += 1,
            Outcome::Conflict => {
                tally.rejected += 1;
                progress.rejected(
                    *line,
                    "id: an event with this id is stored with different content",
                );
            }
            Outcome::Rejected(invalid) => {
                tally.rejected += 1;
                progress.rejected(*line, &format!("{}: {}", invalid.field, invalid.message));
            }
        }
    }
}

/// Imports chat messages (SPEC §4), one per line, in time order: each goes
/// through the classification a live message goes through.
pub async fn import_messages(
    writer: &Writer,
    input: &mut dyn BufRead,
    source: &str,
    max_future_skew: TimeDelta,
    progress: &mut Progress,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut in_flight: VecDeque<(u64, Pending<MessageOutcome>)> = VecDeque::new();
    let (mut buffer, mut number, mut bytes) = (String::new(), 0u64, 0u64);
    loop {
        let more = next_line(input, &mut buffer, &mut number, &mut bytes)?;
        if more {
            tally.lines += 1;
            let parsed = json_of(&buffer).and_then(|value| {
                parse_message(&value, Utc::now(), max_future_skew)
                    .map_err(|invalid| format!("{}: {}", invalid.field, invalid.message))
            });
            match parsed {
                Ok(message) => {
                    let pending = writer
                        .enqueue_message(message, source)
                        .await
                        .context("cannot store messages")?;
                    in_flight.push_back((number, pending));
                }
                Err(error) => {
                    tally.rejected += 1;
                    progress.rejected(number, &error);
                }
            }
        }
        while in_flight.len() > MESSAGES_IN_FLIGHT || (!more && !in_flight.is_empty()) {
            if let Some((line, pending)) = in_flight.pop_front() {
                match pending.answer().await.context("cannot store messages")? {
                    MessageOutcome::Known(_) => tally.duplicate += 1,
                    MessageOutcome::Invalid(invalid) => {
                        tally.rejected += 1;
                        progress.rejected(line, &format!("{}: {}", invalid.field, invalid.message));
                    }
                    MessageOutcome::Stored { outcomes, .. } => {
                        tally.accepted += 1;
                        tally.events += outcomes
                            .iter()
                            .filter(|outcome| matches!(outcome, Outcome::Accepted(_)))
                            .count() as u64;
                    }
                }
            }
        }
        if tally.lines % PROGRESS_LINES == 0 || !more {
            progress.update(&tally, bytes);
        }
        if !more {
            return Ok(tally);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_skipped_and_counted_in_line_numbers() {
        let mut input: &[u8] = b"{}\n\n  \n{\"a\":1}\n";
        let (mut buffer, mut number, mut bytes) = (String::new(), 0, 0);
        assert!(next_line(&mut input, &mut buffer, &mut number, &mut bytes).unwrap());
        assert_eq!(number, 1);
        assert!(next_line(&mut input, &mut buffer, &mut number, &mut bytes).unwrap());
        assert_eq!((number, buffer.trim()), (4, "{\"a\":1}"));
        assert!(!next_line(&mut input, &mut buffer, &mut number, &mut bytes).unwrap());
        assert_eq!(bytes, 15);
    }

    #[test]
    fn a_line_that_is_not_json_says_so() {
        assert!(json_of("{\"id\":").unwrap_err().starts_with("not JSON"));
    }
}
