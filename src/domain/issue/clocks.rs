//! What a folded issue reads at `now`: each stage clock's state and
//! remaining time, the breaches to record, the timer's agenda and the
//! clocks still running.

use super::{BreachFact, Cycle, Due, IssueState, IssueStatus, StageClock, StageState};
use crate::domain::calendar::Calendar;
use crate::domain::policy::Stage;
use crate::domain::Timestamp;
use chrono::TimeDelta;

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
