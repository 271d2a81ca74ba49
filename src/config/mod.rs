//! Typed configuration: defaults in code, a TOML file, `SLAWATCH_…`
//! environment overrides, validated at start with messages that name the key.

pub mod calendars;
pub mod chat;
mod notifications;
mod policies;
pub mod receivers;
mod secret;
mod sections;
mod server;
mod tokens;
mod validate;

pub use secret::Secret;
use sections::FileConfig;

use crate::domain::notice::{ProjectRoute, Routing};
use crate::domain::policy::PolicySet;
use crate::domain::workdays::WorkingCalendar;
use crate::notify::quiet::QuietHours;
use crate::notify::{Channel, ChannelKind, Language};
use chrono::TimeDelta;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the configuration is read from when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/slawatch.toml";

/// A configuration error, worded for the operator who has to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    fn key(key: &str, message: impl std::fmt::Display) -> Self {
        ConfigError(format!("{key}: {message}"))
    }
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Ingest,
    Read,
    Admin,
}

impl Scope {
    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "ingest" => Some(Scope::Ingest),
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

/// A bearer token: its name becomes the `source` of the events it posts.
#[derive(Debug, Clone)]
pub struct Token {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub secret: Secret,
}

impl Token {
    /// `admin` may do everything.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }
}

/// A configured project.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub key: String,
    pub name: String,
    pub chats: Vec<String>,
    pub staff: Vec<String>,
    /// Channels of the project's own team: warnings, breaches, retractions.
    pub team_channels: Vec<String>,
    /// Channels of the leader the team answers to.
    pub lead_channels: Vec<String>,
    /// Channels of the project's daily digest.
    pub digest_channels: Vec<String>,
    /// What the bot confirms in the project's groups.
    pub confirm: crate::notify::confirm::Confirm,
    /// The group robots that say them where the hook's answer cannot.
    pub confirm_channels: Vec<String>,
}

/// A chat channel alerts are sent to.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    pub name: String,
    /// `webhook`, `wecom`, `feishu`, `dingtalk`, `slack` or `alertmanager`,
    /// checked when the configuration is read.
    pub kind: ChannelKind,
    /// May hold a secret (WeCom and Slack put the key in the URL).
    pub url: Secret,
    pub secret: Option<Secret>,
    /// `zh` or `en`.
    pub language: String,
    pub mention_mobiles: Vec<String>,
    pub mention_user_ids: Vec<String>,
    pub mention_all: bool,
    /// Deliveries per minute; the platform's documented limit unless set.
    pub per_minute: Option<u32>,
    /// Hours during which warnings and digests wait.
    pub quiet_hours: Option<QuietHours>,
}

impl Config {
    /// Who hears about which project, as the notices route them.
    pub fn routing(&self) -> Routing {
        Routing {
            projects: self
                .projects
                .iter()
                .map(|(key, project)| {
                    let route = ProjectRoute {
                        name: project.name.clone(),
                        team: project.team_channels.clone(),
                        lead: project.lead_channels.clone(),
                        digest: project.digest_channels.clone(),
                    };
                    (key.clone(), route)
                })
                .collect(),
            zone: self.zone_channels.clone(),
            zone_digest: self.zone_digest_channels.clone(),
            public_url: self.server.public_url.clone(),
            links: self.server.links.clone(),
            alerting: self
                .channels
                .values()
                .filter(|channel| channel.kind == ChannelKind::Alertmanager)
                .map(|channel| channel.name.clone())
                .collect(),
        }
    }
}

impl ChannelConfig {
    /// The channel as the notify module builds requests for it (kind and
    /// language were validated at start).
    pub fn channel(&self) -> Channel {
        Channel {
            name: self.name.clone(),
            kind: self.kind,
            url: self.url.expose().to_string(),
            secret: self.secret.as_ref().map(|s| s.expose().to_string()),
            language: Language::parse(&self.language).unwrap_or_default(),
            mention_mobiles: self.mention_mobiles.clone(),
            mention_user_ids: self.mention_user_ids.clone(),
            mention_all: self.mention_all,
        }
    }
}

/// When the daily digests are sent: a local time of day in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestSchedule {
    pub at: chrono::NaiveTime,
    pub zone: Tz,
}

/// Channel kinds slawatch can deliver to.
pub const CHANNEL_KINDS: [&str; 6] = ["webhook", "wecom", "feishu", "dingtalk", "slack", "alertmanager"];

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub public_url: String,
    pub body_limit: usize,
    pub metrics_token: Option<Secret>,
    /// Requests per second allowed per token (0 = unlimited), with a burst.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Signs links to pages and staff sessions (`server.link_secret_env`,
    /// `server.link_ttl`).
    pub links: crate::domain::link::LinkSigner,
    /// No link secret is configured: `links` holds a random one of this
    /// process, so links and sessions end when it stops (logged at start).
    pub link_secret_generated: bool,
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub grace: TimeDelta,
    pub max_future_skew: TimeDelta,
    pub merge_window: TimeDelta,
    pub pleasantries: Vec<String>,
}

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    pub server: ServerConfig,
    pub database_url: String,
    pub database_max_connections: u32,
    pub engine: EngineConfig,
    pub tokens: Vec<Token>,
    pub policies: PolicySet,
    /// Working-time calendars by name (`cn-workdays` always among them);
    /// `24x7` is built per policy in the policy's time zone.
    pub calendars: BTreeMap<String, Arc<WorkingCalendar>>,
    pub projects: BTreeMap<String, Project>,
    pub channels: BTreeMap<String, ChannelConfig>,
    /// Channels of the zone's leaders (escalation steps `to = "zone"`).
    pub zone_channels: Vec<String>,
    /// Message templates: the built-in ones, overridden from a directory.
    pub templates: Arc<crate::notify::templates::Templates>,
    /// First retry delay of a failed delivery (`notifications.retry_base`).
    pub retry_base: TimeDelta,
    /// Channels of the zone's daily digest.
    pub zone_digest_channels: Vec<String>,
    /// When daily digests go out; `None` when turned off.
    pub digest: Option<DigestSchedule>,
    /// How often firing Alertmanager alerts are re-sent (`notifications.alert_resend`).
    pub alert_resend: TimeDelta,
    /// Chats, staff, command words and platform hook secrets.
    pub chat: Arc<chat::ChatConfig>,
    /// `[receivers.NAME]`: outbound connections to chat platforms.
    pub receivers: Vec<receivers::ReceiverConfig>,
    pub log_format: LogFormat,
    /// Message texts older than this are removed (`retention.messages`);
    /// `None` keeps them.
    pub message_retention: Option<TimeDelta>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// Loads the configuration: the file at `path` (or the default path if it
    /// exists), then `SLAWATCH_…` variables from `env`.
    pub fn load(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let (text, path) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
                (text, Some(path.to_path_buf()))
            }
            None => match std::fs::read_to_string(DEFAULT_CONFIG_PATH) {
                Ok(text) => (text, Some(PathBuf::from(DEFAULT_CONFIG_PATH))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
                Err(e) => {
                    return Err(ConfigError(format!(
                        "cannot read config file {DEFAULT_CONFIG_PATH}: {e}"
                    )))
                }
            },
        };
        Self::from_toml(&text, path, env)
    }

    /// Parses configuration text; `path` is used in messages and to resolve
    /// relative includes.
    pub fn from_toml(
        text: &str,
        path: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let shown = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "configuration".to_string());
        // The file alone first, so its mistakes are reported with line and column.
        toml::from_str::<FileConfig>(text).map_err(|e| ConfigError(format!("{shown}: {e}")))?;
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError(format!("{shown}: {e}")))?;
        sections::apply_env_overrides(&mut table, env)?;
        let mut file: FileConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(format!("{shown} with SLAWATCH_* overrides: {e}")))?;
        file.tokens.extend(sections::tokens_from_env(env)?);
        Self::validate(file, path, env)
    }

    /// A configuration with every default, for tests and `demo`.
    pub fn defaults() -> Config {
        Self::from_toml("", None, &|_| None).expect("the defaults are valid")
    }

    /// Whether requests need a bearer token.
    pub fn auth_enabled(&self) -> bool {
        !self.tokens.is_empty()
    }
}

/// Parses `1MiB`, `512KiB`, `64KB` or a plain number of bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 1MiB"))?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "KiB" => 1_024,
        "MB" => 1_000_000,
        "MiB" => 1_048_576,
        _ => return Err(format!("`{text}`: unit must be B, KB, KiB, MB or MiB")),
    };
    match amount.checked_mul(factor) {
        Some(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(format!(
            "`{text}` must be greater than zero and not absurdly large"
        )),
    }
}

#[cfg(test)]
mod tests;
