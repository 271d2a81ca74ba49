//! `[[policies]]` and the working-time calendars they name.

use super::sections::{FileConfig, PolicySection};
use super::validate::Problems;
use super::{calendars, ConfigError};
use crate::domain::calendar::{AlwaysOn, Calendar};
use crate::domain::duration::{parse_duration, Target};
use crate::domain::policy::{Audience, EscalationStep, Policy, PolicyMatch, PolicySet, Stage};
use crate::domain::workdays::WorkingCalendar;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub(super) fn build_calendars(
    file: &FileConfig,
    path: Option<&Path>,
) -> Result<BTreeMap<String, Arc<WorkingCalendar>>, ConfigError> {
    let config_dir = path.map(|p| p.parent().unwrap_or_else(|| Path::new(".")));
    calendars::build_calendars(&file.calendars, config_dir).map_err(|e| ConfigError(e.to_string()))
}

/// The policies, each checked on its own; one that names a calendar whose
/// definition failed (`calendars` is `None`, reported already) is skipped.
pub(super) fn build_policies(
    file: &FileConfig,
    calendars: Option<&BTreeMap<String, Arc<WorkingCalendar>>>,
    problems: &mut Problems,
) -> PolicySet {
    let empty = BTreeMap::new();
    let mut policies: Vec<Policy> = Vec::new();
    for (index, section) in file.policies.iter().enumerate() {
        let calendar_name = section.calendar.as_deref().unwrap_or(AlwaysOn::NAME);
        if calendars.is_none() && file.calendars.contains_key(calendar_name) {
            continue;
        }
        let built = build_policy(index, section, calendars.unwrap_or(&empty), &policies);
        if let Some(policy) = problems.take(built) {
            policies.push(policy);
        }
    }
    PolicySet::new(policies)
}

/// `policies[index]`; `earlier` are the ones before it.
fn build_policy(
    index: usize,
    section: &PolicySection,
    calendars: &BTreeMap<String, Arc<WorkingCalendar>>,
    earlier: &[Policy],
) -> Result<Policy, ConfigError> {
    let key = format!("policies[{index}]");
    let name = section.name.clone();
    if name.is_empty() {
        return Err(ConfigError::key(&format!("{key}.name"), "must not be empty"));
    }
    if earlier.iter().any(|p| p.name == name) {
        return Err(ConfigError::key(
            &format!("{key}.name"),
            format!("`{name}` is used twice"),
        ));
    }
    let time_zone = match &section.time_zone {
        Some(text) => Some(text.parse::<Tz>().map_err(|_| {
            ConfigError::key(&format!("{key}.time_zone"), format!("unknown time zone `{text}`"))
        })?),
        None => None,
    };
    let calendar_name = section.calendar.as_deref().unwrap_or(AlwaysOn::NAME);
    let calendar: Arc<dyn Calendar> = if calendar_name == AlwaysOn::NAME {
        Arc::new(AlwaysOn::new(time_zone.unwrap_or(chrono_tz::Asia::Shanghai)))
    } else {
        let calendar: Arc<dyn Calendar> = calendars.get(calendar_name).cloned().ok_or_else(|| {
            ConfigError::key(
                &format!("{key}.calendar"),
                format!(
                    "unknown calendar `{calendar_name}`; known: {}, {}",
                    AlwaysOn::NAME,
                    calendars.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        if let Some(zone) = time_zone {
            if zone != calendar.time_zone() {
                return Err(ConfigError::key(
                    &format!("{key}.time_zone"),
                    format!(
                        "`{zone}` differs from calendar `{calendar_name}`'s time zone {}",
                        calendar.time_zone()
                    ),
                ));
            }
        }
        calendar
    };
    let mut targets = Vec::new();
    for (stage_name, text) in &section.targets {
        let stage = Stage::parse(stage_name).ok_or_else(|| {
            ConfigError::key(
                &format!("{key}.targets.{stage_name}"),
                "unknown stage; one of: ack, handle, plan",
            )
        })?;
        let target =
            Target::parse(text).map_err(|e| ConfigError::key(&format!("{key}.targets.{stage_name}"), e))?;
        targets.push((stage, target));
    }
    if targets.is_empty() {
        targets = Policy::builtin_default().targets;
    }
    targets.sort_by_key(|(stage, _)| *stage);
    if !(section.warn_at > 0.0 && section.warn_at <= 1.0) {
        return Err(ConfigError::key(
            &format!("{key}.warn_at"),
            "must be greater than 0 and at most 1",
        ));
    }
    let mut escalation = Vec::new();
    for (step_index, step) in section.escalation.iter().enumerate() {
        let step_key = format!("{key}.escalation[{step_index}]");
        let after =
            parse_duration(&step.after).map_err(|e| ConfigError::key(&format!("{step_key}.after"), e))?;
        let to = match step.to.as_str() {
            "team" => Audience::Team,
            "lead" => Audience::Lead,
            "zone" => Audience::Zone,
            other => {
                return Err(ConfigError::key(
                    &format!("{step_key}.to"),
                    format!("unknown audience `{other}`; one of: team, lead, zone"),
                ))
            }
        };
        if escalation
            .last()
            .is_some_and(|last: &EscalationStep| last.after > after)
        {
            return Err(ConfigError::key(
                &format!("{step_key}.after"),
                "steps must be in increasing order of `after`",
            ));
        }
        escalation.push(EscalationStep { after, to });
    }
    let matcher = section.matcher.clone().unwrap_or_default();
    Ok(Policy {
        name,
        matcher: PolicyMatch {
            projects: matcher.project,
            priorities: matcher.priority,
        },
        calendar,
        targets,
        warn_at: section.warn_at,
        allow_pause: section.allow_pause,
        escalation,
    })
}
