//! The file's shape, as serde structs with defaults, and environment overrides.

use super::{ConfigError, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct FileConfig {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub engine: EngineSection,
    pub log: LogSection,
    pub tokens: Vec<TokenSection>,
    pub policies: Vec<PolicySection>,
    pub calendars: BTreeMap<String, super::calendars::CalendarSpec>,
    pub projects: BTreeMap<String, ProjectSection>,
    // Read by the notification and chat features; accepted here so one file
    // serves every feature.
    pub zone: ZoneSection,
    pub channels: BTreeMap<String, ChannelSection>,
    pub hooks: HooksSection,
    pub receivers: BTreeMap<String, ReceiverSection>,
    pub notifications: NotificationsSection,
    pub retention: RetentionSection,
}

/// `[retention]`: how long stored data is kept.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RetentionSection {
    /// Message texts older than this are removed (`400d`); kept when unset.
    pub messages: Option<String>,
}

/// `[hooks.PLATFORM]`: the environment variables holding each platform's secrets.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct HooksSection {
    pub slack: Option<SlackHookSection>,
    pub telegram: Option<TelegramHookSection>,
    pub feishu: Option<FeishuHookSection>,
    pub dingtalk: Option<DingtalkHookSection>,
    pub wecom: Option<WecomHookSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SlackHookSection {
    pub signing_secret_env: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TelegramHookSection {
    pub secret_token_env: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FeishuHookSection {
    pub verification_token_env: String,
    pub encrypt_key_env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DingtalkHookSection {
    pub app_secret_env: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WecomHookSection {
    pub token_env: String,
    pub encoding_aes_key_env: String,
    /// The CorpID (or the robot's id; empty for intelligent robots).
    #[serde(default)]
    pub receive_id: String,
}

/// `[receivers.NAME]`: an outbound connection to a chat platform. Which
/// keys a receiver needs depends on its `kind` (checked in
/// `config::receivers`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReceiverSection {
    pub kind: String,
    pub endpoint: Option<String>,
    pub client_id_env: Option<String>,
    pub client_secret_env: Option<String>,
    pub app_id_env: Option<String>,
    pub app_secret_env: Option<String>,
    pub app_token_env: Option<String>,
    pub bot_token_env: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct NotificationsSection {
    /// A directory of message templates overriding the built-in ones,
    /// relative to the configuration file.
    pub templates: Option<String>,
    /// First retry delay of a failed delivery; doubles up to an hour.
    pub retry_base: Option<String>,
    /// Local time of the daily digest (`HH:MM`); no digest unless set.
    pub digest_at: Option<String>,
    /// How often firing Alertmanager alerts are re-sent (default 5m).
    pub alert_resend: Option<String>,
    /// The zone of `digest_at` and of the day it reports (default Asia/Shanghai).
    pub digest_time_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ServerSection {
    pub listen: String,
    pub public_url: Option<String>,
    pub body_limit: String,
    pub metrics_token_env: Option<String>,
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// The variable holding the secret that signs links to pages.
    pub link_secret_env: String,
    /// How long a signed link stays valid.
    pub link_ttl: String,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            body_limit: "1MiB".into(),
            metrics_token_env: None,
            rate_limit_per_second: 0,
            rate_limit_burst: 0,
            link_secret_env: "SLAWATCH_LINK_SECRET".into(),
            link_ttl: "7d".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct DatabaseSection {
    pub url: String,
    pub max_connections: u32,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        Self {
            url: "sqlite://data/slawatch.db".into(),
            max_connections: 8,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct EngineSection {
    pub grace: String,
    pub max_future_skew: String,
    pub merge_window: String,
    pub pleasantries: Vec<String>,
    /// Staff command words by command (`handled`, `plan`, `close`,
    /// `dismiss`, `pause`, `resume`, `reopen`); a command listed here
    /// takes exactly these words instead of the defaults.
    pub commands: BTreeMap<String, Vec<String>>,
    /// How long an open issue stays the chat's conversation after its last
    /// activity.
    pub conversation_window: String,
    /// Replacement phrase lists of the classifier, by list name.
    pub phrases: BTreeMap<String, Vec<String>>,
    /// Topics (added or replaced), by name: words that mean the same matter.
    pub topics: BTreeMap<String, Vec<String>>,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            grace: "30s".into(),
            max_future_skew: "5m".into(),
            merge_window: "10m".into(),
            pleasantries: ["谢谢", "好的", "收到", "ok", "thanks"]
                .map(String::from)
                .to_vec(),
            commands: BTreeMap::new(),
            conversation_window: "3d".into(),
            phrases: BTreeMap::new(),
            topics: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LogSection {
    pub format: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            format: "text".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenSection {
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub secret_env: Option<String>,
    /// Only from `SLAWATCH_TOKENS`; never read from the file.
    #[serde(skip)]
    pub secret: Option<Secret>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicySection {
    pub name: String,
    #[serde(rename = "match")]
    pub matcher: Option<MatchSection>,
    pub calendar: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub targets: BTreeMap<String, String>,
    #[serde(default = "default_warn_at")]
    pub warn_at: f64,
    #[serde(default)]
    pub allow_pause: bool,
    #[serde(default)]
    pub escalation: Vec<EscalationSection>,
}

fn default_warn_at() -> f64 {
    0.8
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, default)]
pub(super) struct MatchSection {
    pub project: Vec<String>,
    pub priority: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EscalationSection {
    pub after: String,
    pub to: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ProjectSection {
    pub name: Option<String>,
    pub chats: Vec<String>,
    pub staff: Vec<String>,
    pub notify: NotifySection,
    /// What the bot confirms in the group: `off`, `raised` or `all`.
    pub confirm: Option<String>,
    /// The group robots that say the confirmations where a platform's hook
    /// answer cannot (Feishu, Slack, WeCom, and every receiver).
    pub confirm_channels: Vec<String>,
    /// Whether a requester's confirmation that the problem is gone closes
    /// the issue (default true).
    pub close_on_confirm: Option<bool>,
}

/// Which channels hear about a project (or the zone).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, default)]
pub(super) struct NotifySection {
    pub team: Vec<String>,
    pub lead: Vec<String>,
    pub zone: Vec<String>,
    /// Where the daily digest goes: a project's `team`, the zone's `zone`
    /// channels unless set (`[]` turns it off).
    pub digest: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ZoneSection {
    pub staff: Vec<String>,
    pub bot_ids: Vec<String>,
    pub notify: NotifySection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChannelSection {
    pub kind: String,
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub secret_env: Option<String>,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub mention_mobiles: Vec<String>,
    #[serde(default)]
    pub mention_user_ids: Vec<String>,
    #[serde(default)]
    pub mention_all: bool,
    /// Overrides the platform's documented rate limit.
    pub per_minute: Option<u32>,
    /// `HH:MM-HH:MM` local hours during which warnings and digests wait.
    pub quiet_hours: Option<String>,
    /// The zone of `quiet_hours` (default Asia/Shanghai).
    pub time_zone: Option<String>,
}

fn default_language() -> String {
    "zh".into()
}

/// Scalar keys that `SLAWATCH_{SECTION}_{KEY}` may override.
const OVERRIDABLE: [(&str, &[&str]); 4] = [
    (
        "server",
        &[
            "listen",
            "public_url",
            "body_limit",
            "metrics_token_env",
            "rate_limit_per_second",
            "rate_limit_burst",
            "link_secret_env",
            "link_ttl",
        ],
    ),
    ("database", &["url", "max_connections"]),
    (
        "engine",
        &["grace", "max_future_skew", "merge_window", "conversation_window"],
    ),
    ("log", &["format"]),
];

/// Applies `SLAWATCH_SERVER_LISTEN`, `SLAWATCH_DATABASE_URL`, … on top of the file.
pub(super) fn apply_env_overrides(
    table: &mut toml::Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for (section, keys) in OVERRIDABLE {
        for key in keys {
            let variable = format!("SLAWATCH_{}_{}", section.to_uppercase(), key.to_uppercase());
            let Some(value) = env(&variable) else { continue };
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section_table) = entry else {
                return Err(ConfigError(format!("{section}: must be a table")));
            };
            let parsed = match value.parse::<i64>() {
                Ok(number) if key.starts_with("rate_limit") || *key == "max_connections" => {
                    toml::Value::Integer(number)
                }
                _ => toml::Value::String(value),
            };
            section_table.insert(key.to_string(), parsed);
        }
    }
    Ok(())
}

/// Tokens from `SLAWATCH_TOKENS` (`name:scope+scope:secret,…`), so that a
/// deployment can configure them without a file.
pub(super) fn tokens_from_env(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<TokenSection>, ConfigError> {
    let Some(tokens) = env("SLAWATCH_TOKENS") else {
        return Ok(Vec::new());
    };
    let mut sections = Vec::new();
    for (index, item) in tokens.split(',').filter(|s| !s.trim().is_empty()).enumerate() {
        let mut parts = item.trim().splitn(3, ':');
        let (Some(name), Some(scopes), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ConfigError(format!(
                "SLAWATCH_TOKENS item {}: expected `name:scope+scope:secret`",
                index + 1
            )));
        };
        sections.push(TokenSection {
            name: name.to_string(),
            scopes: scopes.split('+').map(String::from).collect(),
            secret_env: None,
            secret: Some(Secret::new(secret)),
        });
    }
    Ok(sections)
}
