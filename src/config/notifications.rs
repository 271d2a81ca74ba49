//! Where notifications go and when: `[channels.NAME]` (kind, URL, secret,
//! quiet hours), the daily digest's schedule and the message templates.

use super::sections::{self, ChannelSection, FileConfig};
use super::tokens::secret_from_env;
use super::validate::Problems;
use super::{ChannelConfig, ConfigError, DigestSchedule, Secret, CHANNEL_KINDS};
use crate::notify::quiet::QuietHours;
use crate::notify::ChannelKind;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(super) fn build_channels(
    file: &FileConfig,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems,
) -> BTreeMap<String, ChannelConfig> {
    let mut channels = BTreeMap::new();
    for (name, section) in &file.channels {
        if let Some(channel) = problems.take(build_channel(name, section, env)) {
            channels.insert(name.clone(), channel);
        }
    }
    channels
}

/// `[channels.{name}]`.
fn build_channel(
    name: &str,
    section: &ChannelSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ChannelConfig, ConfigError> {
    let key = format!("channels.{name}");
    let Ok(kind) = ChannelKind::parse(&section.kind) else {
        return Err(ConfigError::key(
            &format!("{key}.kind"),
            format!(
                "unknown kind `{}`; one of: {}",
                section.kind,
                CHANNEL_KINDS.join(", ")
            ),
        ));
    };
    let url = match (&section.url, &section.url_env) {
        (Some(_), Some(_)) => return Err(ConfigError::key(&key, "give `url` or `url_env`, not both")),
        (Some(url), None) => Secret::new(url.clone()),
        (None, Some(variable)) => secret_from_env(env, variable, &format!("{key}.url_env"))?,
        (None, None) => return Err(ConfigError::key(&key, "needs `url` or `url_env`")),
    };
    if !(url.expose().starts_with("http://") || url.expose().starts_with("https://")) {
        return Err(ConfigError::key(
            &key,
            "the URL must start with http:// or https://",
        ));
    }
    let secret = match &section.secret_env {
        Some(variable) => Some(secret_from_env(env, variable, &format!("{key}.secret_env"))?),
        None => None,
    };
    if kind == ChannelKind::Webhook {
        if let Some(secret) = &secret {
            if !secret.expose().starts_with("whsec_") {
                return Err(ConfigError::key(
                    &format!("{key}.secret_env"),
                    "a webhook secret is a Standard Webhooks key: `whsec_` followed by base64",
                ));
            }
        }
    }
    if !matches!(section.language.as_str(), "zh" | "en") {
        return Err(ConfigError::key(
            &format!("{key}.language"),
            "must be `zh` or `en`",
        ));
    }
    if section.per_minute == Some(0) {
        return Err(ConfigError::key(
            &format!("{key}.per_minute"),
            "must be at least 1",
        ));
    }
    Ok(ChannelConfig {
        name: name.to_string(),
        kind,
        url,
        secret,
        language: section.language.clone(),
        mention_mobiles: section.mention_mobiles.clone(),
        mention_user_ids: section.mention_user_ids.clone(),
        mention_all: section.mention_all,
        per_minute: section.per_minute,
        quiet_hours: quiet_hours(section, &key)?,
    })
}

pub(super) fn build_digest(
    section: &sections::NotificationsSection,
) -> Result<Option<DigestSchedule>, ConfigError> {
    let zone = match &section.digest_time_zone {
        Some(name) => name.parse::<Tz>().map_err(|_| {
            ConfigError::key(
                "notifications.digest_time_zone",
                format!("unknown time zone `{name}`"),
            )
        })?,
        None => chrono_tz::Asia::Shanghai,
    };
    let Some(text) = section.digest_at.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if text == "off" {
        return Ok(None);
    }
    let at = chrono::NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| chrono::NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| {
            ConfigError::key(
                "notifications.digest_at",
                format!("`{text}` is not a time like 09:00 (or \"off\")"),
            )
        })?;
    Ok(Some(DigestSchedule { at, zone }))
}

fn quiet_hours(section: &ChannelSection, key: &str) -> Result<Option<QuietHours>, ConfigError> {
    let zone = match &section.time_zone {
        Some(name) => name.parse::<Tz>().map_err(|_| {
            ConfigError::key(&format!("{key}.time_zone"), format!("unknown time zone `{name}`"))
        })?,
        None => chrono_tz::Asia::Shanghai,
    };
    section
        .quiet_hours
        .as_deref()
        .map(|text| {
            QuietHours::parse(text, zone).map_err(|e| ConfigError::key(&format!("{key}.quiet_hours"), e))
        })
        .transpose()
}

pub(super) fn build_templates(
    file: &FileConfig,
    path: Option<&Path>,
) -> Result<crate::notify::templates::Templates, ConfigError> {
    use crate::notify::templates::Templates;
    let Some(dir) = &file.notifications.templates else {
        return Ok(Templates::builtin());
    };
    let dir = match path.and_then(Path::parent) {
        Some(base) if Path::new(dir).is_relative() => base.join(dir),
        _ => PathBuf::from(dir),
    };
    let templates = Templates::load(&dir).map_err(|e| ConfigError::key("notifications.templates", e))?;
    let problems: Vec<String> = templates
        .check()
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.to_string())
        .collect();
    if !problems.is_empty() {
        return Err(ConfigError::key("notifications.templates", problems.join("; ")));
    }
    Ok(templates)
}
