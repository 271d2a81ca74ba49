//! Typed configuration: defaults in code, a TOML file, `SLAWATCH_…`
//! environment overrides, validated at start with messages that name the key.

pub mod calendars;
pub mod chat;
pub mod receivers;
mod secret;
mod sections;

pub use secret::Secret;
use sections::{ChannelSection, FileConfig, PolicySection};

use crate::domain::calendar::{AlwaysOn, Calendar};
use crate::domain::duration::{parse_duration, Target};
use crate::domain::notice::{ProjectRoute, Routing};
use crate::domain::policy::{Audience, EscalationStep, Policy, PolicyMatch, PolicySet, Stage};
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
    /// `webhook`, `wecom`, `feishu`, `dingtalk`, `slack` or `alertmanager`.
    pub kind: String,
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
                .filter(|channel| channel.kind == "alertmanager")
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
            kind: ChannelKind::parse(&self.kind).unwrap_or(ChannelKind::Webhook),
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

    /// Checks every section and reports every problem at once (each with its
    /// key, or its file and line), not only the first.
    fn validate(
        file: FileConfig,
        path: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut problems = Problems::default();
        let server = &file.server;
        let listen = problems.take(parse_listen(&server.listen));
        let public_url = problems.take(public_url(server, listen)).unwrap_or_default();
        let body_limit = problems
            .take(parse_size(&server.body_limit).map_err(|e| ConfigError::key("server.body_limit", e)))
            .unwrap_or_default();
        let metrics_token = match &server.metrics_token_env {
            Some(name) => problems.take(secret_from_env(env, name, "server.metrics_token_env")),
            None => None,
        };

        let (links, link_secret_generated) = problems.take(link_signer(server, env)).unwrap_or_default();

        let engine = EngineConfig {
            grace: problems.duration("engine.grace", &file.engine.grace),
            max_future_skew: problems.duration("engine.max_future_skew", &file.engine.max_future_skew),
            merge_window: problems.duration("engine.merge_window", &file.engine.merge_window),
            pleasantries: file.engine.pleasantries.clone(),
        };

        let mut tokens: Vec<Token> = Vec::new();
        for (index, section) in file.tokens.iter().enumerate() {
            if let Some(token) = problems.take(build_token(index, section, &tokens, env)) {
                tokens.push(token);
            }
        }

        let calendars = problems.take(build_calendars(&file, path.as_deref()));
        let policies = build_policies(&file, calendars.as_ref(), &mut problems);
        let calendars = calendars.unwrap_or_default();

        let mut projects = BTreeMap::new();
        for (key, project) in &file.projects {
            projects.insert(
                key.clone(),
                Project {
                    key: key.clone(),
                    name: project.name.clone().unwrap_or_else(|| key.clone()),
                    chats: project.chats.clone(),
                    staff: project.staff.clone(),
                    team_channels: project.notify.team.clone(),
                    lead_channels: project.notify.lead.clone(),
                    digest_channels: project
                        .notify
                        .digest
                        .clone()
                        .unwrap_or_else(|| project.notify.team.clone()),
                    // Checked with the chat settings (`projects.*.confirm`).
                    confirm: project
                        .confirm
                        .as_deref()
                        .and_then(crate::notify::confirm::Confirm::parse)
                        .unwrap_or_default(),
                    confirm_channels: project.confirm_channels.clone(),
                },
            );
        }

        let channels = build_channels(&file, env, &mut problems);
        // A channel defined with a mistake was reported already; only names
        // with no `[channels.…]` at all are unknown.
        let mut known = |names: &[String], key: &str| {
            if let Some(name) = names.iter().find(|name| !file.channels.contains_key(*name)) {
                problems.note(ConfigError::key(
                    key,
                    format!("unknown channel `{name}`; define [channels.{name}]"),
                ));
            }
        };
        for (key, project) in &projects {
            known(&project.team_channels, &format!("projects.{key}.notify.team"));
            known(&project.lead_channels, &format!("projects.{key}.notify.lead"));
            known(&project.digest_channels, &format!("projects.{key}.notify.digest"));
            known(
                &project.confirm_channels,
                &format!("projects.{key}.confirm_channels"),
            );
        }
        known(&file.zone.notify.zone, "zone.notify.zone");
        let zone_digest_channels = file
            .zone
            .notify
            .digest
            .clone()
            .unwrap_or_else(|| file.zone.notify.zone.clone());
        known(&zone_digest_channels, "zone.notify.digest");
        for (key, project) in &projects {
            let alerting = project
                .confirm_channels
                .iter()
                .find(|name| file.channels.get(*name).is_some_and(|c| c.kind == "alertmanager"));
            if let Some(name) = alerting {
                problems.note(ConfigError::key(
                    &format!("projects.{key}.confirm_channels"),
                    format!(
                        "`{name}` is an Alertmanager channel; confirmations go to a group robot or a webhook"
                    ),
                ));
            }
        }
        let digest = problems.take(build_digest(&file.notifications)).flatten();
        let chat = problems.take(chat::build_chat(&file, engine.merge_window, env));
        let receivers = problems.take(receivers::build_receivers(&file.receivers, env));
        let templates = problems.take(build_templates(&file, path.as_deref()));
        let log_format = problems.take(match file.log.format.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(ConfigError::key(
                "log.format",
                format!("`{other}` is not `text` or `json`"),
            )),
        });
        if let Some(why) = secret::url_password(&file.database.url).and_then(secret::published_sample) {
            problems.note(ConfigError::key(
                "database.url",
                format!(
                    "the password {why}; set SLAWATCH_DATABASE_URL (or database.url) with the \
                     database's real password"
                ),
            ));
        }
        if file.database.max_connections == 0 {
            problems.note(ConfigError::key("database.max_connections", "must be at least 1"));
        }
        let alert_resend = problems.take(match &file.notifications.alert_resend {
            Some(text) => parse_duration(text)
                .ok()
                .filter(|d| *d > TimeDelta::zero() && *d <= TimeDelta::minutes(5))
                .ok_or_else(|| {
                    ConfigError::key(
                        "notifications.alert_resend",
                        "must be a duration up to 5m (alerts expire 20 minutes after the last send)",
                    )
                }),
            None => Ok(TimeDelta::seconds(
                crate::notify::alertmanager::RESEND_INTERVAL_SECONDS,
            )),
        });
        let retry_base = problems.take(match &file.notifications.retry_base {
            Some(text) => parse_duration(text)
                .ok()
                .filter(|d| *d > TimeDelta::zero())
                .ok_or_else(|| ConfigError::key("notifications.retry_base", "must be a duration like 5s")),
            None => Ok(TimeDelta::seconds(5)),
        });

        let message_retention = problems.take(match &file.retention.messages {
            Some(text) => parse_duration(text)
                .ok()
                .filter(|d| *d >= TimeDelta::days(1))
                .map(Some)
                .ok_or_else(|| {
                    ConfigError::key(
                        "retention.messages",
                        "must be a duration of a day or more, like 400d",
                    )
                }),
            None => Ok(None),
        });

        problems.finish()?;
        // Every value below was checked: a problem would have returned above.
        let checked = "checked above";
        Ok(Config {
            path,
            server: ServerConfig {
                listen: listen.expect(checked),
                public_url,
                body_limit,
                metrics_token,
                rate_limit_per_second: server.rate_limit_per_second,
                rate_limit_burst: server.rate_limit_burst.max(server.rate_limit_per_second),
                links,
                link_secret_generated,
            },
            database_url: file.database.url.clone(),
            database_max_connections: file.database.max_connections,
            engine,
            tokens,
            policies,
            calendars,
            projects,
            channels,
            zone_channels: file.zone.notify.zone.clone(),
            zone_digest_channels,
            digest,
            chat: Arc::new(chat.expect(checked)),
            receivers: receivers.expect(checked),
            alert_resend: alert_resend.expect(checked),
            templates: Arc::new(templates.expect(checked)),
            retry_base: retry_base.expect(checked),
            log_format: log_format.expect(checked),
            message_retention: message_retention.expect(checked),
        })
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

/// Every problem found while validating, so that one run reports them all.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    /// The value, or `None` with the error noted (one problem per line).
    fn take<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(ConfigError(message)) => {
                self.0.extend(message.lines().map(String::from));
                None
            }
        }
    }

    fn note(&mut self, error: ConfigError) {
        self.take::<()>(Err(error));
    }

    /// A duration at `key`; zero (never used) when it is noted as invalid.
    fn duration(&mut self, key: &str, text: &str) -> TimeDelta {
        self.take(parse_duration(text).map_err(|e| ConfigError::key(key, e)))
            .unwrap_or_default()
    }

    /// Every problem, one per line, or nothing.
    fn finish(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.0.join("\n")))
        }
    }
}

/// `server.listen`: an IP address and port (`127.0.0.1:8080`,
/// `[::1]:8080`, `0.0.0.0:8080`), or `localhost:PORT`, which listens on
/// 127.0.0.1 (no name lookup: `localhost` may resolve to several addresses).
fn parse_listen(text: &str) -> Result<SocketAddr, ConfigError> {
    let localhost = text
        .strip_prefix("localhost:")
        .and_then(|port| port.parse::<u16>().ok())
        .map(|port| SocketAddr::from(([127, 0, 0, 1], port)));
    localhost.or_else(|| text.parse().ok()).ok_or_else(|| {
        ConfigError::key(
            "server.listen",
            format!("`{text}` is not an address like 127.0.0.1:8080, [::1]:8080 or localhost:8080"),
        )
    })
}

/// `server.public_url`, by default the listen address.
fn public_url(server: &sections::ServerSection, listen: Option<SocketAddr>) -> Result<String, ConfigError> {
    let public_url = match (&server.public_url, listen) {
        (Some(url), _) => url.clone(),
        (None, Some(listen)) => format!("http://{listen}"),
        (None, None) => return Ok(String::new()),
    };
    let public_url = public_url.trim_end_matches('/').to_string();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(ConfigError::key(
            "server.public_url",
            "must start with http:// or https://",
        ));
    }
    Ok(public_url)
}

/// The shortest link secret accepted: 16 bytes, as `openssl rand -hex 16` gives 32.
const LINK_SECRET_MIN_BYTES: usize = 16;

/// The signer of links and sessions: keyed by the variable that
/// `server.link_secret_env` names, or by a random key of this process when
/// that variable is unset (true in the second place). A random key is safe
/// (nobody can forge a link) but its links end with the process and are
/// not shared between replicas.
fn link_signer(
    server: &sections::ServerSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(crate::domain::link::LinkSigner, bool), ConfigError> {
    use crate::domain::link::LinkSigner;
    use crate::secret::random_key;
    let ttl = parse_duration(&server.link_ttl)
        .ok()
        .filter(|ttl| *ttl >= TimeDelta::minutes(1) && *ttl <= TimeDelta::days(366))
        .ok_or_else(|| ConfigError::key("server.link_ttl", "must be a duration from 1m to 366d, like 7d"))?;
    let name = &server.link_secret_env;
    match env(name).filter(|value| !value.is_empty()) {
        Some(value) => {
            secret::own_secret(name, &value)
                .map_err(|message| ConfigError::key("server.link_secret_env", message))?;
            if value.len() < LINK_SECRET_MIN_BYTES {
                return Err(ConfigError::key(
                    "server.link_secret_env",
                    format!(
                        "environment variable {name} is shorter than {LINK_SECRET_MIN_BYTES} bytes; \
                         use e.g. the output of `openssl rand -hex 24`"
                    ),
                ));
            }
            Ok((LinkSigner::new(value.into_bytes(), ttl), false))
        }
        None => Ok((LinkSigner::new(random_key().to_vec(), ttl), true)),
    }
}

/// The token `tokens[index]`; `earlier` are the ones before it.
fn build_token(
    index: usize,
    token: &sections::TokenSection,
    earlier: &[Token],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Token, ConfigError> {
    let key = format!("tokens[{index}]");
    if token.name.is_empty() || token.name.len() > 64 {
        return Err(ConfigError::key(
            &format!("{key}.name"),
            "must be 1 to 64 characters",
        ));
    }
    if earlier.iter().any(|t| t.name == token.name) {
        return Err(ConfigError::key(
            &format!("{key}.name"),
            format!("`{}` is used twice", token.name),
        ));
    }
    let scopes = token
        .scopes
        .iter()
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                ConfigError::key(
                    &format!("{key}.scopes"),
                    format!("unknown scope `{s}`; one of: ingest, read, admin"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let secret = match (&token.secret_env, &token.secret) {
        (Some(name), _) => secret_from_env(env, name, &format!("{key}.secret_env"))?,
        (None, Some(secret)) => {
            if let Some(why) = secret::published_sample(secret.expose()) {
                return Err(ConfigError::key(
                    &key,
                    format!(
                        "the secret of token `{}` in SLAWATCH_TOKENS {why}; set SLAWATCH_TOKENS with \
                         secrets of your own (e.g. the output of `openssl rand -hex 24`)",
                        token.name
                    ),
                ));
            }
            secret.clone()
        }
        (None, None) => {
            return Err(ConfigError::key(
                &key,
                "needs `secret_env` naming the variable that holds the token",
            ))
        }
    };
    if secret.expose().len() < 16 {
        return Err(ConfigError::key(
            &key,
            "the token secret must be at least 16 characters",
        ));
    }
    Ok(Token {
        name: token.name.clone(),
        scopes,
        secret,
    })
}

fn secret_from_env(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    key: &str,
) -> Result<Secret, ConfigError> {
    match env(name) {
        Some(value) if !value.is_empty() => {
            secret::own_secret(name, &value).map_err(|message| ConfigError::key(key, message))?;
            Ok(Secret::new(value))
        }
        _ => Err(ConfigError::key(
            key,
            format!("environment variable {name} is not set"),
        )),
    }
}

fn build_channels(
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
    if !CHANNEL_KINDS.contains(&section.kind.as_str()) {
        return Err(ConfigError::key(
            &format!("{key}.kind"),
            format!(
                "unknown kind `{}`; one of: {}",
                section.kind,
                CHANNEL_KINDS.join(", ")
            ),
        ));
    }
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
    if section.kind == "webhook" {
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
        kind: section.kind.clone(),
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

fn build_digest(section: &sections::NotificationsSection) -> Result<Option<DigestSchedule>, ConfigError> {
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

fn build_templates(
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

fn build_calendars(
    file: &FileConfig,
    path: Option<&Path>,
) -> Result<BTreeMap<String, Arc<WorkingCalendar>>, ConfigError> {
    let config_dir = path.map(|p| p.parent().unwrap_or_else(|| Path::new(".")));
    calendars::build_calendars(&file.calendars, config_dir).map_err(|e| ConfigError(e.to_string()))
}

/// The policies, each checked on its own; one that names a calendar whose
/// definition failed (`calendars` is `None`, reported already) is skipped.
fn build_policies(
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
