//! The fold itself: events in time order applied to the current cycle's
//! stage clocks (met, closed, paused, resumed, reopened).

use super::{Cycle, IssueState, IssueStatus, StageClock};
use crate::domain::event::{Event, EventKind, Resolution};
use crate::domain::policy::{Policy, PolicySet, Stage};
use crate::domain::Timestamp;
use chrono::TimeDelta;
use std::sync::Arc;

/// Folds events (in any order) into the issue's state. Only the earliest
/// `raised` starts the issue; its `project` and `priority` choose the policy.
pub fn fold(events: &[Event], policies: &PolicySet) -> IssueState {
    // Corrections first: an `undone` event takes the events it names out of
    // the fold (both stay in the timeline).
    let undone: std::collections::HashSet<&str> = events
        .iter()
        .filter(|event| event.kind == EventKind::Undone)
        .flat_map(|event| crate::domain::event::undoes(&event.attributes))
        .collect();
    let mut ordered: Vec<&Event> = events
        .iter()
        .filter(|event| !undone.contains(event.id.as_str()))
        .collect();
    ordered.sort_by_key(|event| (event.at, event.arrival));
    let Some(first) = ordered.iter().position(|event| event.kind == EventKind::Raised) else {
        return IssueState::unraised();
    };
    let raised = ordered[first];
    let policy = policies.select(
        raised.project.as_deref().unwrap_or_default(),
        raised.priority.as_deref(),
    );
    let mut folder = Folder {
        policy: policy.clone(),
        status: IssueStatus::Open,
        finished: Vec::new(),
        cycle: new_cycle(&policy, 1, raised.at),
        pause: None,
    };
    // Events dated before the first `raised` count as happening at its time,
    // just after it and in their own order, so that nothing sent early is lost.
    for event in ordered[..first].iter().chain(&ordered[first + 1..]) {
        folder.apply(event, event.at.max(raised.at));
    }
    let mut cycles = folder.finished;
    cycles.push(folder.cycle);
    IssueState {
        status: folder.status,
        project: raised.project.clone(),
        priority: raised.priority.clone(),
        title: raised.title.clone(),
        policy: Some(policy),
        raised_at: Some(raised.at),
        cycles,
    }
}

/// The fold in progress: the policy, the current cycle and what a pause froze.
struct Folder {
    policy: Arc<Policy>,
    status: IssueStatus,
    finished: Vec<Cycle>,
    cycle: Cycle,
    /// While paused: when the pause began, and the at-risk instants the
    /// frozen clocks had before it (aligned with the current cycle's stages),
    /// so that resuming can shift them.
    pause: Option<(Timestamp, Vec<Option<Timestamp>>)>,
}

impl Folder {
    /// Applies one event at its effective time. An event that does not fit
    /// the state at that time is ignored: fitness can only be judged in `at`
    /// order, so such events are kept in the timeline but change nothing.
    fn apply(&mut self, event: &Event, at: Timestamp) {
        use IssueStatus::{Closed, Open, Paused};
        match (event.kind, self.status) {
            (EventKind::Acknowledged, Open | Paused) => self.meet(&[Stage::Ack], at),
            (EventKind::Handled, Open | Paused) => self.meet(&[Stage::Ack, Stage::Handle], at),
            (EventKind::Planned, Open | Paused) => self.meet(&Stage::ALL, at),
            (EventKind::Closed, Open | Paused) => {
                self.close(at, event.resolution.unwrap_or(Resolution::Resolved))
            }
            (EventKind::Reopened, Closed) => {
                let number = self.cycle.number + 1;
                let previous = std::mem::replace(&mut self.cycle, new_cycle(&self.policy, number, at));
                self.finished.push(previous);
                self.status = Open;
            }
            (EventKind::Paused, Open) if self.policy.allow_pause => self.pause(at),
            (EventKind::Resumed, Paused) => self.resume(at),
            _ => {}
        }
    }

    /// Meets `stages` (a later stage implies the earlier ones) at `at`.
    fn meet(&mut self, stages: &[Stage], at: Timestamp) {
        let at = at.max(self.cycle.start);
        for clock in &mut self.cycle.stages {
            if stages.contains(&clock.stage) && !clock.is_settled() {
                clock.met_at = Some(at);
                // A clock met while frozen never runs again: met on time,
                // and its deadline stays null.
                clock.paused_remaining = None;
                clock.paused_at_risk = false;
            }
        }
    }

    /// Ends the cycle (SPEC §1 rule 4). Only stages whose deadline has not
    /// passed are pending; a frozen clock's deadline cannot pass.
    fn close(&mut self, at: Timestamp, resolution: Resolution) {
        self.cycle.closed_at = Some(at);
        self.cycle.resolution = Some(resolution);
        for clock in &mut self.cycle.stages {
            if clock.is_settled() {
                continue;
            }
            let overdue = !clock.is_frozen() && clock.deadline.is_some_and(|deadline| at > deadline);
            match (resolution, clock.stage, overdue) {
                (Resolution::Resolved, Stage::Ack | Stage::Handle, _) => clock.met_at = Some(at),
                (_, _, false) => clock.waived_at = Some(at),
                // `resolved` never meets `plan`, and a breach stays a breach.
                (_, _, true) => clock.final_breach = true,
            }
            clock.paused_remaining = None;
            clock.paused_at_risk = false;
        }
        self.status = IssueStatus::Closed;
        self.pause = None;
    }

    /// Freezes every clock still running at `at`: unmet and not past its
    /// deadline. Clocks already met or breached keep their deadline (rule 7).
    fn pause(&mut self, at: Timestamp) {
        let calendar = &self.policy.calendar;
        let mut at_risk_before = Vec::new();
        for clock in &mut self.cycle.stages {
            let running = clock
                .deadline
                .filter(|deadline| !clock.is_settled() && at <= *deadline);
            if let Some(deadline) = running {
                clock.paused_remaining = Some(calendar.working_time(at, deadline));
                clock.paused_at_risk = clock.at_risk_at.is_some_and(|risk| at >= risk);
                at_risk_before.push(clock.at_risk_at);
                clock.deadline = None;
                clock.at_risk_at = None;
            } else {
                at_risk_before.push(None);
            }
        }
        self.pause = Some((at, at_risk_before));
        self.status = IssueStatus::Paused;
    }

    /// Restarts the frozen clocks: each deadline moves by the working time
    /// the pause lasted, which is the same as its remaining time from `at`.
    fn resume(&mut self, at: Timestamp) {
        let calendar = &self.policy.calendar;
        let (paused_since, at_risk_before) = self.pause.take().unwrap_or((at, Vec::new()));
        for (clock, at_risk_before) in self.cycle.stages.iter_mut().zip(at_risk_before) {
            let Some(remaining) = clock.paused_remaining.take() else {
                continue;
            };
            clock.deadline = Some(calendar.add_working_time(at, remaining));
            // A warning time already reached before the pause stays where it
            // was; one still ahead moves with the deadline.
            clock.at_risk_at = at_risk_before.map(|risk| {
                if risk > paused_since {
                    calendar.add_working_time(at, calendar.working_time(paused_since, risk))
                } else {
                    risk
                }
            });
            clock.paused_at_risk = false;
        }
        self.status = IssueStatus::Open;
    }
}

/// A cycle starting at `start` with a fresh clock per stage of the policy.
fn new_cycle(policy: &Policy, number: u32, start: Timestamp) -> Cycle {
    let calendar = &policy.calendar;
    let stages = policy
        .targets
        .iter()
        .map(|&(stage, target)| {
            let deadline = calendar.deadline(start, target);
            // `warn_at` is a fraction of the target's working length, so a
            // clock started outside working time warns in working time too.
            let length = calendar.working_time(start, deadline);
            let warning_after = fraction_of(length, policy.warn_at);
            StageClock {
                stage,
                target,
                deadline: Some(deadline),
                at_risk_at: Some(calendar.add_working_time(start, warning_after)),
                met_at: None,
                waived_at: None,
                paused_remaining: None,
                paused_at_risk: false,
                final_breach: false,
            }
        })
        .collect();
    Cycle {
        number,
        start,
        closed_at: None,
        resolution: None,
        stages,
    }
}

/// `fraction` of `length`, to the millisecond; the fraction is kept within
/// [0, 1] so that a warning never comes after the deadline.
fn fraction_of(length: TimeDelta, fraction: f64) -> TimeDelta {
    let fraction = fraction.clamp(0.0, 1.0);
    TimeDelta::milliseconds((length.num_milliseconds() as f64 * fraction).round() as i64)
}
