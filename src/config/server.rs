//! `[server]`: the listen address, the public URL and the signer of links
//! and sessions.

use super::{secret, sections, ConfigError};
use crate::domain::duration::parse_duration;
use chrono::TimeDelta;
use std::net::SocketAddr;

/// `server.listen`: an IP address and port (`127.0.0.1:8080`,
/// `[::1]:8080`, `0.0.0.0:8080`), or `localhost:PORT`, which listens on
/// 127.0.0.1 (no name lookup: `localhost` may resolve to several addresses).
pub(super) fn parse_listen(text: &str) -> Result<SocketAddr, ConfigError> {
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
pub(super) fn public_url(
    server: &sections::ServerSection,
    listen: Option<SocketAddr>,
) -> Result<String, ConfigError> {
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
pub(super) fn link_signer(
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
