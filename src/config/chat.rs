//! The chat side of the configuration: which chat belongs to which project,
//! who is staff, the bot's own ids, the command words, and the platform
//! hooks' secrets (read from the environment).

use super::sections::{FileConfig, HooksSection};
use super::ConfigError;
use crate::domain::classify::{Commands, Directory, COMMAND_WORDS};
use crate::domain::reading::{Lexicon, PHRASE_LISTS};
use crate::hooks::{self, HookSecrets, Secret};

/// What `/v1/messages` and the hooks need.
#[derive(Debug, Clone, Default)]
pub struct ChatConfig {
    pub directory: Directory,
    pub hooks: HookSecrets,
    /// The people seen in each chat, for mentions (learnt, not configured).
    pub people: crate::domain::classify::ChatPeople,
    /// What open issues are about, kept between messages.
    pub topics: crate::domain::classify::TopicCache,
    /// What chat issues are about beyond their titles (learnt, not configured).
    pub words: crate::domain::classify::IssueWords,
}

pub(super) fn build_chat(
    file: &FileConfig,
    merge_window: chrono::TimeDelta,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ChatConfig, ConfigError> {
    // Every problem is reported, one per line.
    let mut problems = Vec::new();
    let mut check = |result: Result<(), ConfigError>| {
        if let Err(ConfigError(problem)) = result {
            problems.push(problem);
        }
    };
    let mut directory = Directory::default()
        .with_pleasantries(&file.engine.pleasantries)
        .with_merge_window(merge_window);
    match commands(file) {
        Ok(commands) => directory = directory.with_commands(commands),
        Err(error) => check(Err(error)),
    }
    match lexicon(file) {
        Ok(lexicon) => directory = directory.with_lexicon(lexicon),
        Err(error) => check(Err(error)),
    }
    match crate::domain::duration::parse_duration(&file.engine.conversation_window) {
        Ok(window) => directory = directory.with_conversation_window(window),
        Err(error) => check(Err(ConfigError::key("engine.conversation_window", error))),
    }
    for (key, project) in &file.projects {
        if let Some(confirm) = &project.confirm {
            if !["off", "raised", "all"].contains(&confirm.as_str()) {
                check(Err(ConfigError::key(
                    &format!("projects.{key}.confirm"),
                    format!("`{confirm}` is not one of: off, raised, all"),
                )));
            }
        }
        directory = directory.with_close_on_confirm(key.clone(), project.close_on_confirm.unwrap_or(true));
        for chat in &project.chats {
            check(identity(chat, &format!("projects.{key}.chats")));
            directory = directory.with_chat(chat.clone(), key.clone());
        }
        for person in &project.staff {
            check(identity(person, &format!("projects.{key}.staff")));
            directory = directory.with_staff(key.clone(), person.clone());
        }
    }
    for person in &file.zone.staff {
        check(identity(person, "zone.staff"));
        directory = directory.with_zone_staff(person.clone());
    }
    for bot in &file.zone.bot_ids {
        check(identity(bot, "zone.bot_ids"));
        directory = directory.with_bot(bot.clone());
    }
    let hooks = hook_secrets(&file.hooks, env);
    if let Err(error) = &hooks {
        check(Err(ConfigError(error.0.clone())));
    }
    match (hooks, problems.is_empty()) {
        (Ok(hooks), true) => Ok(ChatConfig {
            directory,
            hooks,
            people: Default::default(),
            topics: Default::default(),
            words: Default::default(),
        }),
        _ => Err(ConfigError(problems.join("\n"))),
    }
}

/// `platform:id`, both parts non-empty.
fn identity(text: &str, key: &str) -> Result<(), ConfigError> {
    match text.split_once(':') {
        Some((platform, id)) if !platform.is_empty() && !id.is_empty() => Ok(()),
        _ => Err(ConfigError::key(
            key,
            format!("`{text}` is not a `platform:id` identity (e.g. `wechat:wxid_abc`)"),
        )),
    }
}

/// The classifier's phrase lists: the defaults, with the lists the file
/// replaces, the file's pleasantries added to `thanks`, and its topics.
fn lexicon(file: &FileConfig) -> Result<Lexicon, ConfigError> {
    let mut lexicon = Lexicon::default();
    for (name, words) in &file.engine.phrases {
        lexicon = lexicon
            .with_list(name, words.iter().map(String::as_str))
            .ok_or_else(|| {
                let names: Vec<&str> = PHRASE_LISTS.iter().map(|(name, _)| *name).collect();
                ConfigError::key(
                    &format!("engine.phrases.{name}"),
                    format!("unknown phrase list; one of: {}", names.join(", ")),
                )
            })?;
    }
    let thanks: Vec<String> = PHRASE_LISTS
        .iter()
        .find(|(name, _)| *name == "thanks")
        .map(|(_, words)| words.iter().map(|w| w.to_string()).collect())
        .unwrap_or_default();
    if !file.engine.phrases.contains_key("thanks") {
        let words = thanks.iter().chain(&file.engine.pleasantries).map(String::as_str);
        lexicon = lexicon.with_list("thanks", words).unwrap_or_default();
    }
    for (name, words) in &file.engine.topics {
        lexicon = lexicon.with_topic(name, words.iter().map(String::as_str));
    }
    Ok(lexicon)
}

fn commands(file: &FileConfig) -> Result<Commands, ConfigError> {
    if let Some(unknown) = file
        .engine
        .commands
        .keys()
        .find(|name| !COMMAND_WORDS.iter().any(|(known, ..)| known == name))
    {
        let names: Vec<&str> = COMMAND_WORDS.iter().map(|(name, ..)| *name).collect();
        return Err(ConfigError::key(
            &format!("engine.commands.{unknown}"),
            format!("unknown command; one of: {}", names.join(", ")),
        ));
    }
    let mut commands = Commands::none();
    for (name, command, defaults) in COMMAND_WORDS {
        let words: Vec<&str> = match file.engine.commands.get(name) {
            Some(words) => words.iter().map(String::as_str).collect(),
            None => defaults.to_vec(),
        };
        for word in words {
            commands = commands.with(word, command);
        }
    }
    Ok(commands)
}

fn hook_secrets(
    section: &HooksSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HookSecrets, ConfigError> {
    let mut problems = Vec::new();
    let mut secret = |variable: &str, key: &str| -> Option<Secret> {
        match env(variable) {
            Some(value) if !value.is_empty() => match super::secret::own_secret(variable, &value) {
                Ok(()) => Some(Secret::new(value)),
                Err(problem) => {
                    problems.push(format!("{key}: {problem}"));
                    None
                }
            },
            _ => {
                problems.push(format!("{key}: environment variable {variable} is not set"));
                None
            }
        }
    };
    let mut secrets = HookSecrets::default();
    if let Some(slack) = &section.slack {
        let signing_secret = secret(&slack.signing_secret_env, "hooks.slack.signing_secret_env");
        secrets.slack = signing_secret.map(|signing_secret| hooks::slack::SlackSecrets { signing_secret });
    }
    if let Some(telegram) = &section.telegram {
        let secret_token = secret(&telegram.secret_token_env, "hooks.telegram.secret_token_env");
        secrets.telegram = secret_token.map(|secret_token| hooks::telegram::TelegramSecrets { secret_token });
    }
    if let Some(feishu) = &section.feishu {
        let token = secret(
            &feishu.verification_token_env,
            "hooks.feishu.verification_token_env",
        );
        let key = match &feishu.encrypt_key_env {
            Some(variable) => secret(variable, "hooks.feishu.encrypt_key_env").map(Some),
            None => Some(None),
        };
        if let (Some(verification_token), Some(encrypt_key)) = (token, key) {
            secrets.feishu = Some(hooks::feishu::FeishuSecrets {
                verification_token,
                encrypt_key,
            });
        }
    }
    if let Some(dingtalk) = &section.dingtalk {
        let app_secret = secret(&dingtalk.app_secret_env, "hooks.dingtalk.app_secret_env");
        secrets.dingtalk = app_secret.map(|app_secret| hooks::dingtalk::DingtalkSecrets { app_secret });
    }
    if let Some(wecom) = &section.wecom {
        let token = secret(&wecom.token_env, "hooks.wecom.token_env");
        let key = secret(&wecom.encoding_aes_key_env, "hooks.wecom.encoding_aes_key_env");
        if let (Some(token), Some(key)) = (token, key) {
            match hooks::wecom::WecomSecrets::new(token, &key, wecom.receive_id.clone()) {
                Ok(wecom) => secrets.wecom = Some(wecom),
                Err(problem) => problems.push(problem),
            }
        }
    }
    if problems.is_empty() {
        Ok(secrets)
    } else {
        Err(ConfigError(problems.join("\n")))
    }
}
