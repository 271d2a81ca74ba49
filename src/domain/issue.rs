//! Folding an issue's events into its state: cycles, stage clocks, outcomes.
//!
//! The state is a pure function of the events ordered by (`at`, arrival);
//! time-dependent readings (`at_risk`, `breached`, remaining time) take `now`.

use super::calendar::Calendar;
use super::duration::Target;
use super::event::{Event, EventKind, Resolution};
use super::policy::{Audience, Policy, PolicySet, Stage};
use super::Timestamp;
use chrono::TimeDelta;
use serde::Serialize;
use std::sync::Arc;

/// Where an issue stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Events arrived but its `raised` has not.
    Unraised,
    Open,
    Paused,
    Closed,
}

/// Where one stage of a cycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Pending,
    AtRisk,
    Met,
    /// Deadline passed unmet, or met late (then `met_at` is set).
    Breached,
    Waived,
}

/// One stage's clock within a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct StageClock {
    pub stage: Stage,
    pub target: Target,
    /// `None` while the clock is paused (SPEC §1: a running stage's deadline
    /// is null while paused).
    pub deadline: Option<Timestamp>,
    /// When the stage becomes `at_risk`; `None` while paused.
    pub at_risk_at: Option<Timestamp>,
    pub met_at: Option<Timestamp>,
    pub waived_at: Option<Timestamp>,
    /// Working time left when the clock was paused; `Some` only while paused.
    pub paused_remaining: Option<TimeDelta>,
    /// Whether the stage was at risk when its clock was paused.
    pub paused_at_risk: bool,
    /// Set when the cycle ended (closed) with this stage unmet and past its
    /// deadline: the outcome is final, breached without `met_at`.
    pub final_breach: bool,
}

/// One raised-or-reopened-to-closed interval, with its own clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// 1 for the first cycle, +1 per reopen.
    pub number: u32,
    pub start: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub resolution: Option<Resolution>,
    pub stages: Vec<StageClock>,
}

/// The derived state of one issue.
#[derive(Debug, Clone)]
pub struct IssueState {
    pub status: IssueStatus,
    /// From the earliest `raised` (by `at`); `None` while unraised.
    pub project: Option<String>,
    pub priority: Option<String>,
    pub title: Option<String>,
    pub policy: Option<Arc<Policy>>,
    /// Start of the first cycle.
    pub raised_at: Option<Timestamp>,
    /// Every cycle in order; the last one is the current one.
    pub cycles: Vec<Cycle>,
}

/// A breach that should be on record: identified by (issue, stage, cycle start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachFact {
    pub stage: Stage,
    pub cycle: u32,
    pub cycle_start: Timestamp,
    pub deadline: Timestamp,
    pub met_at: Option<Timestamp>,
}

/// Something that falls due at an instant: the timer's agenda for one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The stage becomes at risk.
    Warning { stage: Stage, cycle_start: Timestamp },
    /// Deadline + grace of a stage still unmet.
    Breach { stage: Stage, cycle_start: Timestamp },
    /// Escalation step `step` (numbered from 1) of a breached, unmet stage.
    Escalation {
        stage: Stage,
        cycle_start: Timestamp,
        step: u32,
        to: Audience,
    },
}

/// Folds events (in any order) into the issue's state. Only the earliest
/// `raised` starts the issue; its `project` and `priority` choose the policy.
pub fn fold(events: &[Event], policies: &PolicySet) -> IssueState {
    // Corrections first: an `undone` event takes the events it names out of
    // the fold (both stay in the timeline).
    let undone: std::collections::HashSet<&str> = events
        .iter()
        .filter(|event| event.kind == EventKind::Undone)
        .flat_map(|event| super::event::undoes(&event.attributes))
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

impl StageClock {
    /// Whether the stage has an outcome: met, waived, or finally breached.
    pub fn is_settled(&self) -> bool {
        self.met_at.is_some() || self.waived_at.is_some() || self.final_breach
    }

    /// Whether the clock is stopped by a pause.
    pub fn is_frozen(&self) -> bool {
        self.paused_remaining.is_some()
    }

    /// The stage's state at `now`.
    pub fn state(&self, now: Timestamp) -> StageState {
        if self.waived_at.is_some() {
            return StageState::Waived;
        }
        if let Some(met_at) = self.met_at {
            // A stage met while its clock was frozen has no deadline: on time.
            return match self.deadline {
                Some(deadline) if met_at > deadline => StageState::Breached,
                _ => StageState::Met,
            };
        }
        if self.final_breach {
            return StageState::Breached;
        }
        // A frozen clock has neither deadline nor warning time: it reads as
        // it did when the pause began.
        match (self.deadline, self.at_risk_at) {
            (Some(deadline), _) if now > deadline => StageState::Breached,
            (_, Some(risk)) if now >= risk => StageState::AtRisk,
            _ if self.paused_at_risk => StageState::AtRisk,
            _ => StageState::Pending,
        }
    }

    /// When the stage became breached (its deadline), if it is breached at `now`.
    pub fn breached_at(&self, now: Timestamp) -> Option<Timestamp> {
        match self.state(now) {
            StageState::Breached => self.deadline,
            _ => None,
        }
    }

    /// Working time left until the deadline at `now` (negative when overdue);
    /// frozen while paused; `None` once met, waived or finally breached.
    pub fn remaining(&self, calendar: &dyn Calendar, now: Timestamp) -> Option<TimeDelta> {
        if self.is_settled() {
            return None;
        }
        if let Some(remaining) = self.paused_remaining {
            return Some(remaining);
        }
        let deadline = self.deadline?;
        Some(if now <= deadline {
            calendar.working_time(now, deadline)
        } else {
            -calendar.working_time(deadline, now)
        })
    }
}

impl Cycle {
    /// The clock of `stage`, if the cycle's policy has that stage.
    pub fn stage(&self, stage: Stage) -> Option<&StageClock> {
        self.stages.iter().find(|clock| clock.stage == stage)
    }
}

impl IssueState {
    /// The state of an issue whose `raised` has not arrived yet.
    pub fn unraised() -> Self {
        Self {
            status: IssueStatus::Unraised,
            project: None,
            priority: None,
            title: None,
            policy: None,
            raised_at: None,
            cycles: Vec::new(),
        }
    }

    /// The current (last) cycle, if the issue was raised.
    pub fn current_cycle(&self) -> Option<&Cycle> {
        self.cycles.last()
    }

    /// Breaches that should be on record at `now`, over all cycles: stages
    /// breached with a final outcome (met late, or unmet at close), and
    /// running stages whose deadline + `grace` has passed.
    pub fn breaches(&self, now: Timestamp, grace: TimeDelta) -> Vec<BreachFact> {
        let mut facts = Vec::new();
        for cycle in &self.cycles {
            for clock in &cycle.stages {
                let Some(deadline) = clock.deadline else {
                    continue;
                };
                let breached = match clock.met_at {
                    // Met late is final: recorded at once, even within grace.
                    Some(met_at) => met_at > deadline,
                    None => clock.final_breach || (clock.waived_at.is_none() && now >= deadline + grace),
                };
                if breached {
                    facts.push(BreachFact {
                        stage: clock.stage,
                        cycle: cycle.number,
                        cycle_start: cycle.start,
                        deadline,
                        met_at: clock.met_at,
                    });
                }
            }
        }
        facts
    }

    /// Everything that falls due for this issue, at or after any time:
    /// warnings of running stages of the current cycle, deadline + `grace`
    /// of its unmet stages, and escalation steps (deadline + `after`) of its
    /// breached, unmet stages. The timer fires those at or before `now` and
    /// sleeps until the earliest later one.
    ///
    /// A frozen clock has nothing due; a stage already breached when the
    /// pause began keeps its items, since the pause did not move its deadline.
    pub fn agenda(&self, grace: TimeDelta) -> Vec<(Timestamp, Due)> {
        let mut items = Vec::new();
        let (Some(policy), Some(cycle)) = (&self.policy, self.current_cycle()) else {
            return items;
        };
        if self.status == IssueStatus::Closed {
            return items;
        }
        for clock in cycle.stages.iter().filter(|clock| !clock.is_settled()) {
            let Some(deadline) = clock.deadline else {
                continue;
            };
            let (stage, cycle_start) = (clock.stage, cycle.start);
            if let Some(risk) = clock.at_risk_at {
                items.push((risk, Due::Warning { stage, cycle_start }));
            }
            items.push((deadline + grace, Due::Breach { stage, cycle_start }));
            for (step, rung) in (1..).zip(&policy.escalation) {
                let to = rung.to;
                items.push((
                    deadline + rung.after,
                    Due::Escalation {
                        stage,
                        cycle_start,
                        step,
                        to,
                    },
                ));
            }
        }
        items
    }

    /// The current cycle's running clocks as the board orders them: the
    /// earliest deadline of a running clock, and the earliest instant at
    /// which one of them is at risk (its warning time, never later than its
    /// deadline). `None` when no clock runs: closed, every stage settled, or
    /// every unsettled clock frozen by a pause. These are the very deadlines
    /// and warning times of [`IssueState::agenda`] (calendar arithmetic
    /// included), so the board and the timer agree on what is due when.
    pub fn running_clock(&self) -> Option<RunningClock> {
        if self.status == IssueStatus::Closed {
            return None;
        }
        running_clock(self.current_cycle()?.stages.iter())
    }

    /// The earliest agenda time strictly after `now`.
    pub fn next_due(&self, now: Timestamp, grace: TimeDelta) -> Option<Timestamp> {
        self.agenda(grace)
            .into_iter()
            .map(|(at, _)| at)
            .filter(|at| *at > now)
            .min()
    }
}

/// The earliest deadline of an issue's running clocks and the earliest
/// instant one of them is at risk (see [`IssueState::running_clock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningClock {
    pub deadline: Timestamp,
    /// At or before `deadline`.
    pub at_risk: Timestamp,
}

/// [`RunningClock`] of some stage clocks: those unsettled and not frozen,
/// with a deadline. A clock past its deadline still runs (breached, unmet).
pub fn running_clock<'a>(clocks: impl IntoIterator<Item = &'a StageClock>) -> Option<RunningClock> {
    clocks
        .into_iter()
        .filter(|clock| !clock.is_settled() && !clock.is_frozen())
        .filter_map(|clock| {
            let deadline = clock.deadline?;
            let at_risk = clock.at_risk_at.map_or(deadline, |risk| risk.min(deadline));
            Some(RunningClock { deadline, at_risk })
        })
        .reduce(|a, b| RunningClock {
            deadline: a.deadline.min(b.deadline),
            at_risk: a.at_risk.min(b.at_risk),
        })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod props;
