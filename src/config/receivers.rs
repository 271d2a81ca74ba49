//! `[receivers.NAME]`: connections to chat platforms that need no public
//! URL (SPEC §11). Each section names a `kind`, the environment variables
//! holding its credentials, and optionally the platform's base URL.

use super::sections::ReceiverSection;
use super::ConfigError;
use crate::hooks::Secret;
use std::collections::BTreeMap;

/// Which platform connection a receiver opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverKind {
    /// DingTalk Stream mode (a WebSocket from `/v1.0/gateway/connections/open`).
    DingtalkStream,
    /// Feishu long connection (a WebSocket from `/callback/ws/endpoint`).
    FeishuWs,
    /// Slack Socket Mode (a WebSocket from `apps.connections.open`).
    SlackSocket,
    /// Telegram Bot API `getUpdates` long polling.
    TelegramPoll,
}

impl ReceiverKind {
    /// Every kind, as written in `kind = "…"`.
    pub const ALL: [ReceiverKind; 4] = [
        ReceiverKind::DingtalkStream,
        ReceiverKind::FeishuWs,
        ReceiverKind::SlackSocket,
        ReceiverKind::TelegramPoll,
    ];

    /// The `kind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiverKind::DingtalkStream => "dingtalk_stream",
            ReceiverKind::FeishuWs => "feishu_ws",
            ReceiverKind::SlackSocket => "slack_socket",
            ReceiverKind::TelegramPoll => "telegram_poll",
        }
    }

    /// The platform's own base URL, used when `endpoint` is not set.
    pub fn default_endpoint(self) -> &'static str {
        match self {
            ReceiverKind::DingtalkStream => "https://api.dingtalk.com",
            ReceiverKind::FeishuWs => "https://open.feishu.cn",
            ReceiverKind::SlackSocket => "https://slack.com/api",
            ReceiverKind::TelegramPoll => "https://api.telegram.org",
        }
    }

    /// The `*_env` keys this kind reads, in the order of [`Credentials`].
    fn keys(self) -> &'static [&'static str] {
        match self {
            ReceiverKind::DingtalkStream => &["client_id_env", "client_secret_env"],
            ReceiverKind::FeishuWs => &["app_id_env", "app_secret_env"],
            ReceiverKind::SlackSocket => &["app_token_env"],
            ReceiverKind::TelegramPoll => &["bot_token_env"],
        }
    }
}

/// What a receiver authenticates with, read from the environment.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// The DingTalk application's ClientID (AppKey) and ClientSecret (AppSecret).
    Dingtalk {
        client_id: Secret,
        client_secret: Secret,
    },
    /// The Feishu self-built app's App ID and App Secret.
    Feishu { app_id: Secret, app_secret: Secret },
    /// A Slack app-level token (`xapp-…`) with `connections:write`.
    Slack { app_token: Secret },
    /// A Telegram bot token (`123456:ABC…`).
    Telegram { bot_token: Secret },
}

/// One `[receivers.NAME]`, checked.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// The section's name: the `receiver` label of its metrics and its key
    /// in `/readyz`.
    pub name: String,
    pub kind: ReceiverKind,
    /// The platform's base URL, without a trailing `/`.
    pub endpoint: String,
    pub credentials: Credentials,
}

/// Longest receiver name (it becomes a metric label).
const MAX_NAME_CHARS: usize = 64;

/// Checks every `[receivers.NAME]`, reporting every problem with its key.
pub(super) fn build_receivers(
    sections: &BTreeMap<String, ReceiverSection>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<ReceiverConfig>, ConfigError> {
    let mut problems = Vec::new();
    let mut receivers = Vec::new();
    for (name, section) in sections {
        match build_receiver(name, section, env) {
            Ok(receiver) => receivers.push(receiver),
            Err(ConfigError(problem)) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(receivers)
    } else {
        Err(ConfigError(problems.join("\n")))
    }
}

fn build_receiver(
    name: &str,
    section: &ReceiverSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ReceiverConfig, ConfigError> {
    let prefix = format!("receivers.{name}");
    let name_ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-');
    if !name_ok {
        return Err(ConfigError::key(
            &prefix,
            format!("a receiver's name is 1–{MAX_NAME_CHARS} of a-z, 0-9, `_` and `-`"),
        ));
    }
    let kind = ReceiverKind::ALL
        .into_iter()
        .find(|kind| kind.as_str() == section.kind)
        .ok_or_else(|| {
            let kinds: Vec<&str> = ReceiverKind::ALL.iter().map(|kind| kind.as_str()).collect();
            ConfigError::key(
                &format!("{prefix}.kind"),
                format!("`{}` is not one of: {}", section.kind, kinds.join(", ")),
            )
        })?;
    let mut problems = Vec::new();
    let given = [
        ("client_id_env", &section.client_id_env),
        ("client_secret_env", &section.client_secret_env),
        ("app_id_env", &section.app_id_env),
        ("app_secret_env", &section.app_secret_env),
        ("app_token_env", &section.app_token_env),
        ("bot_token_env", &section.bot_token_env),
    ];
    for (key, value) in given {
        if value.is_some() && !kind.keys().contains(&key) {
            problems.push(format!(
                "{prefix}.{key}: not a key of a `{}` receiver (it reads {})",
                kind.as_str(),
                kind.keys().join(", ")
            ));
        }
    }
    let mut secrets = Vec::new();
    for key in kind.keys() {
        let variable = given
            .iter()
            .find(|(given, _)| given == key)
            .and_then(|(_, v)| v.as_deref());
        match variable {
            None => problems.push(format!(
                "{prefix}.{key}: missing; name the environment variable that holds it"
            )),
            Some(variable) => match env(variable).filter(|value| !value.trim().is_empty()) {
                None => problems.push(format!(
                    "{prefix}.{key}: environment variable {variable} is not set"
                )),
                Some(value) => match super::secret::own_secret(variable, &value) {
                    Ok(()) => secrets.push(Secret::new(value.trim())),
                    Err(problem) => problems.push(format!("{prefix}.{key}: {problem}")),
                },
            },
        }
    }
    let endpoint = match &section.endpoint {
        None => kind.default_endpoint().to_string(),
        Some(endpoint) => match check_endpoint(endpoint) {
            Ok(endpoint) => endpoint,
            Err(problem) => {
                problems.push(format!("{prefix}.endpoint: {problem}"));
                String::new()
            }
        },
    };
    if !problems.is_empty() {
        return Err(ConfigError(problems.join("\n")));
    }
    let credentials = credentials(kind, secrets).map_err(|problem| ConfigError::key(&prefix, problem))?;
    Ok(ReceiverConfig {
        name: name.to_string(),
        kind,
        endpoint,
        credentials,
    })
}

/// The secrets, in the order of [`ReceiverKind::keys`], as the kind's
/// credentials, with the checks a token's shape allows.
fn credentials(kind: ReceiverKind, secrets: Vec<Secret>) -> Result<Credentials, String> {
    let mut secrets = secrets.into_iter();
    let mut next = || {
        secrets
            .next()
            .ok_or_else(|| "a credential is missing".to_string())
    };
    Ok(match kind {
        ReceiverKind::DingtalkStream => Credentials::Dingtalk {
            client_id: next()?,
            client_secret: next()?,
        },
        ReceiverKind::FeishuWs => Credentials::Feishu {
            app_id: next()?,
            app_secret: next()?,
        },
        ReceiverKind::SlackSocket => {
            let app_token = next()?;
            // A bot token (`xoxb-`) is refused by apps.connections.open;
            // say so now rather than on every reconnect.
            if !app_token.expose().starts_with("xapp-") {
                return Err(
                    "app_token_env: the variable must hold an app-level token (`xapp-…`, Basic \
                            Information → App-Level Tokens, scope connections:write), not a bot token"
                        .into(),
                );
            }
            Credentials::Slack { app_token }
        }
        ReceiverKind::TelegramPoll => {
            let bot_token = next()?;
            // `123456789:AA…`: the token goes into the request path, so it
            // must not carry a `/`, `?` or anything else a URL would read.
            let shape_ok = bot_token.expose().split_once(':').is_some_and(|(id, rest)| {
                !id.is_empty()
                    && id.bytes().all(|byte| byte.is_ascii_digit())
                    && !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
            });
            if !shape_ok {
                return Err(
                    "bot_token_env: the variable must hold a bot token as @BotFather gives it \
                            (`123456789:AA…`)"
                        .into(),
                );
            }
            Credentials::Telegram { bot_token }
        }
    })
}

/// An `http://` or `https://` base URL without query or fragment; the
/// trailing `/` is dropped.
fn check_endpoint(endpoint: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(endpoint).map_err(|error| format!("`{endpoint}` is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("`{endpoint}` is not an http:// or https:// URL"));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(format!(
            "`{endpoint}` must be a base URL without credentials, query or fragment"
        ));
    }
    Ok(endpoint.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(kind: &str) -> ReceiverSection {
        ReceiverSection {
            kind: kind.into(),
            endpoint: None,
            client_id_env: None,
            client_secret_env: None,
            app_id_env: None,
            app_secret_env: None,
            app_token_env: None,
            bot_token_env: None,
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "BOT" => Some("123456:AAE_token-x".into()),
            "XAPP" => Some("xapp-1-A0-1-abc".into()),
            "XOXB" => Some("xoxb-123".into()),
            "ID" => Some("dingabc".into()),
            "SECRET" => Some("s3cr3t-of-our-own".into()),
            _ => None,
        }
    }

    fn build(name: &str, section: ReceiverSection) -> Result<ReceiverConfig, String> {
        let sections = BTreeMap::from([(name.to_string(), section)]);
        build_receivers(&sections, &env)
            .map(|mut all| all.remove(0))
            .map_err(|ConfigError(problem)| problem)
    }

    #[test]
    fn a_telegram_receiver_defaults_to_the_bot_api() {
        let mut telegram = section("telegram_poll");
        telegram.bot_token_env = Some("BOT".into());
        let receiver = build("telegram", telegram).unwrap();
        assert_eq!(receiver.kind, ReceiverKind::TelegramPoll);
        assert_eq!(receiver.endpoint, "https://api.telegram.org");
        assert!(matches!(receiver.credentials, Credentials::Telegram { .. }));
        assert!(
            !format!("{receiver:?}").contains("AAE_token"),
            "secrets stay out of Debug"
        );
    }

    #[test]
    fn an_endpoint_loses_its_trailing_slash_and_must_be_http() {
        let mut dingtalk = section("dingtalk_stream");
        dingtalk.client_id_env = Some("ID".into());
        dingtalk.client_secret_env = Some("SECRET".into());
        dingtalk.endpoint = Some("http://127.0.0.1:9/".into());
        assert_eq!(build("ding", dingtalk).unwrap().endpoint, "http://127.0.0.1:9");
        let mut wrong = section("dingtalk_stream");
        wrong.client_id_env = Some("ID".into());
        wrong.client_secret_env = Some("SECRET".into());
        wrong.endpoint = Some("ftp://example.com".into());
        assert!(build("ding", wrong)
            .unwrap_err()
            .contains("receivers.ding.endpoint"));
    }

    #[test]
    fn keys_of_another_kind_and_missing_keys_are_named() {
        let mut slack = section("slack_socket");
        slack.bot_token_env = Some("BOT".into());
        let problem = build("slack", slack).unwrap_err();
        assert!(
            problem.contains("receivers.slack.bot_token_env: not a key"),
            "{problem}"
        );
        assert!(
            problem.contains("receivers.slack.app_token_env: missing"),
            "{problem}"
        );
    }

    #[test]
    fn unset_variables_unknown_kinds_and_bad_names_are_refused() {
        let mut feishu = section("feishu_ws");
        feishu.app_id_env = Some("NOPE".into());
        feishu.app_secret_env = Some("SECRET".into());
        assert!(build("feishu", feishu)
            .unwrap_err()
            .contains("environment variable NOPE is not set"));
        assert!(build("x", section("wechat_poll"))
            .unwrap_err()
            .contains("receivers.x.kind"));
        let mut named = section("telegram_poll");
        named.bot_token_env = Some("BOT".into());
        assert!(build("Bad Name", named)
            .unwrap_err()
            .contains("a receiver's name"));
    }

    #[test]
    fn a_slack_bot_token_is_not_an_app_token() {
        let mut slack = section("slack_socket");
        slack.app_token_env = Some("XOXB".into());
        assert!(build("slack", slack).unwrap_err().contains("app-level token"));
        let mut slack = section("slack_socket");
        slack.app_token_env = Some("XAPP".into());
        assert_eq!(build("slack", slack).unwrap().endpoint, "https://slack.com/api");
    }

    #[test]
    fn a_telegram_token_that_would_change_the_path_is_refused() {
        let mut telegram = section("telegram_poll");
        telegram.bot_token_env = Some("XAPP".into());
        assert!(build("telegram", telegram).unwrap_err().contains("bot token"));
    }
}
