//! `[[tokens]]`: API tokens and their scopes, and secrets read from the
//! environment variables the configuration names.

use super::{secret, sections, ConfigError, Scope, Secret, Token};

/// The token `tokens[index]`; `earlier` are the ones before it.
pub(super) fn build_token(
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

pub(super) fn secret_from_env(
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
