//! Validation: every section checked and turned into the typed
//! [`Config`], with every problem reported at once.

use super::notifications::{build_channels, build_digest, build_templates};
use super::policies::{build_calendars, build_policies};
use super::sections::FileConfig;
use super::server::{link_signer, parse_listen, public_url};
use super::tokens::{build_token, secret_from_env};
use super::{
    chat, parse_size, receivers, secret, Config, ConfigError, EngineConfig, LogFormat, Project, ServerConfig,
    Token,
};
use crate::domain::duration::parse_duration;
use chrono::TimeDelta;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

impl Config {
    /// Checks every section and reports every problem at once (each with its
    /// key, or its file and line), not only the first.
    pub(super) fn validate(
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
}

/// Every problem found while validating, so that one run reports them all.
#[derive(Debug, Default)]
pub(super) struct Problems(Vec<String>);

impl Problems {
    /// The value, or `None` with the error noted (one problem per line).
    pub(super) fn take<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
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
