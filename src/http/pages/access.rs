//! Who is looking: a staff session (a signed cookie naming an API token),
//! and the CSRF token of its forms.
//!
//! The cookie holds `{expiry}.{signature}.{token name}`, signed with the
//! link secret over the token's name and a fingerprint of the token's own
//! secret: the token's scopes apply on every request, and rotating either
//! the link secret or the token's secret ends its sessions.

use crate::config::{Scope, Token};
use crate::domain::link::Purpose;
use crate::http::AppState;
use axum::http::header::{self, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{TimeDelta, Utc};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "slawatch_session";

/// How long a staff session lasts.
pub const SESSION_HOURS: i64 = 12;

/// The name shown for the open access of a server without tokens.
const ANONYMOUS: &str = crate::http::auth::ANONYMOUS;

/// A person with a session (or anyone, when authentication is off).
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The token's name: the `source` of what they do is `web:{name}`.
    pub name: String,
    scopes: Vec<Scope>,
    /// The token of this session's forms.
    pub csrf: String,
    /// Authentication is off: no session, every scope.
    pub anonymous: bool,
}

impl Viewer {
    /// `admin` may do everything, as with bearer tokens.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// Whether `presented` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        crate::secret::constant_time_eq(self.csrf.as_bytes(), presented.as_bytes())
    }

    /// The session of this request: its cookie when tokens are configured,
    /// everyone (as `local`) when authentication is off.
    pub fn of(headers: &HeaderMap, state: &AppState) -> Option<Viewer> {
        let signer = &state.config.server.links;
        if !state.config.auth_enabled() {
            return Some(Viewer {
                name: ANONYMOUS.to_string(),
                scopes: vec![Scope::Admin],
                csrf: signer.sign(Purpose::Csrf, ANONYMOUS, 0),
                anonymous: true,
            });
        }
        let value = cookie(headers, SESSION_COOKIE)?;
        let mut parts = value.splitn(3, '.');
        let (expires, signature, name) = (parts.next()?, parts.next()?, parts.next()?);
        let name = String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()?;
        let token = state.config.tokens.iter().find(|token| token.name == name)?;
        signer
            .verify(
                Purpose::Session,
                &session_subject(token),
                Some(expires),
                Some(signature),
                Utc::now(),
            )
            .ok()?;
        Some(Viewer {
            name,
            scopes: token.scopes.clone(),
            csrf: signer.sign(Purpose::Csrf, value, 0),
            anonymous: false,
        })
    }
}

/// What a session signs: the token's name and a fingerprint of its secret.
fn session_subject(token: &Token) -> String {
    let digest = Sha256::digest(token.secret.expose().as_bytes());
    let fingerprint: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{} {fingerprint}", token.name)
}

/// The cookie value of a new session for `token`.
pub fn session_value(state: &AppState, token: &Token) -> String {
    let expires = (Utc::now() + TimeDelta::hours(SESSION_HOURS)).timestamp();
    let signature = state
        .config
        .server
        .links
        .sign(Purpose::Session, &session_subject(token), expires);
    format!(
        "{expires}.{signature}.{}",
        URL_SAFE_NO_PAD.encode(token.name.as_bytes())
    )
}

/// The `Set-Cookie` value that starts (`Some(value)`) or ends a session.
pub fn set_cookie(state: &AppState, value: Option<&str>) -> String {
    let secure = if state.config.server.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    match value {
        Some(value) => format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            SESSION_HOURS * 3600
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// The token whose secret is `presented`, compared with every token in
/// constant time (as the bearer check does).
pub fn token_with_secret<'a>(state: &'a AppState, presented: &str) -> Option<&'a Token> {
    let mut found = None;
    for token in &state.config.tokens {
        if token.secret.matches(presented.trim().as_bytes()) {
            found = Some(token);
        }
    }
    found
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}
