//! Policies: which promise applies to an issue, and how it escalates.

use super::calendar::{AlwaysOn, Calendar};
use super::duration::Target;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The three promises made to a requester, in the order they are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// A team member replies in the group.
    Ack,
    /// The problem is being handled.
    Handle,
    /// A plan to push the matter forward is agreed.
    Plan,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Ack, Stage::Handle, Stage::Plan];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Ack => "ack",
            Stage::Handle => "handle",
            Stage::Plan => "plan",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.as_str() == text)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who an escalation step speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The project's own team channels.
    Team,
    /// The leader the project's team answers to.
    Lead,
    /// The zone's channels.
    Zone,
}

/// One rung of the escalation ladder: `after` is measured from the deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationStep {
    pub after: TimeDelta,
    pub to: Audience,
}

/// Which issues a policy applies to. An empty list matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyMatch {
    pub projects: Vec<String>,
    pub priorities: Vec<String>,
}

impl PolicyMatch {
    pub fn fits(&self, project: &str, priority: Option<&str>) -> bool {
        let project_fits = self.projects.is_empty() || self.projects.iter().any(|p| p == project);
        let priority_fits = self.priorities.is_empty()
            || priority.is_some_and(|wanted| self.priorities.iter().any(|p| p == wanted));
        project_fits && priority_fits
    }
}

/// A named promise: stage targets in a calendar, a warning threshold, whether
/// pausing is allowed, and an escalation ladder.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub matcher: PolicyMatch,
    pub calendar: Arc<dyn Calendar>,
    /// Stage targets in stage order; a policy may leave a stage out.
    pub targets: Vec<(Stage, Target)>,
    /// Fraction of the target after which a stage is `at_risk`.
    pub warn_at: f64,
    pub allow_pause: bool,
    pub escalation: Vec<EscalationStep>,
}

impl Policy {
    /// The built-in promise: reply in 10 minutes, handle in 2 hours, plan in 1 day.
    pub fn builtin_default() -> Policy {
        Policy {
            name: "default".to_string(),
            matcher: PolicyMatch::default(),
            calendar: Arc::new(AlwaysOn::new(chrono_tz::Asia::Shanghai)),
            targets: vec![
                (Stage::Ack, Target::Working(TimeDelta::minutes(10))),
                (Stage::Handle, Target::Working(TimeDelta::hours(2))),
                (Stage::Plan, Target::Days(1)),
            ],
            warn_at: 0.8,
            allow_pause: false,
            escalation: Vec::new(),
        }
    }

    pub fn target(&self, stage: Stage) -> Option<Target> {
        self.targets
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, target)| *target)
    }
}

/// The configured policies, tried in order; the first whose match fits wins.
#[derive(Debug, Clone)]
pub struct PolicySet {
    policies: Vec<Arc<Policy>>,
    fallback: Arc<Policy>,
}

impl PolicySet {
    /// Policies in the order they are tried. When none matches everything,
    /// the built-in default (10m/2h/1d, 24x7, Asia/Shanghai) catches the rest.
    pub fn new(policies: Vec<Policy>) -> Self {
        Self {
            policies: policies.into_iter().map(Arc::new).collect(),
            fallback: Arc::new(Policy::builtin_default()),
        }
    }

    /// The policy for an issue raised in `project` with `priority`.
    pub fn select(&self, project: &str, priority: Option<&str>) -> Arc<Policy> {
        self.policies
            .iter()
            .find(|policy| policy.matcher.fits(project, priority))
            .unwrap_or(&self.fallback)
            .clone()
    }

    /// A policy by name (the built-in default answers to `default` when no
    /// configured policy has that name).
    pub fn by_name(&self, name: &str) -> Option<Arc<Policy>> {
        self.policies
            .iter()
            .chain(std::iter::once(&self.fallback))
            .find(|policy| policy.name == name)
            .cloned()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Policy>> {
        self.policies.iter()
    }
}

impl Default for PolicySet {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, projects: &[&str], priorities: &[&str]) -> Policy {
        Policy {
            name: name.to_string(),
            matcher: PolicyMatch {
                projects: projects.iter().map(|s| s.to_string()).collect(),
                priorities: priorities.iter().map(|s| s.to_string()).collect(),
            },
            ..Policy::builtin_default()
        }
    }

    #[test]
    fn first_matching_policy_wins() {
        let set = PolicySet::new(vec![
            named("urgent", &[], &["urgent"]),
            named("zhongtai", &["zhongtai"], &[]),
            named("rest", &[], &[]),
        ]);
        assert_eq!(set.select("zhongtai", Some("urgent")).name, "urgent");
        assert_eq!(set.select("zhongtai", Some("normal")).name, "zhongtai");
        assert_eq!(set.select("zhongtai", None).name, "zhongtai");
        assert_eq!(set.select("other", None).name, "rest");
    }

    #[test]
    fn builtin_default_catches_what_nothing_matches() {
        let set = PolicySet::new(vec![named("urgent", &[], &["urgent"])]);
        let policy = set.select("anything", Some("normal"));
        assert_eq!(policy.name, "default");
        assert_eq!(
            policy.target(Stage::Ack),
            Some(Target::Working(TimeDelta::minutes(10)))
        );
        assert_eq!(policy.target(Stage::Plan), Some(Target::Days(1)));
        assert!(set.by_name("default").is_some());
    }
}
