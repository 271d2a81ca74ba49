//! Secrets: values from the environment that are never printed and are
//! compared only in constant time. The one type and the one comparison that
//! configuration, hooks, pages and channels share; random keys.

use crate::domain::link::{LinkSigner, DEFAULT_TTL_DAYS};
use chrono::TimeDelta;
use serde::Deserialize;
use std::fmt;
use subtle::ConstantTimeEq;

/// A secret value. `Debug` prints `***`, so it cannot leak into logs
/// through a derived `Debug`; deliberately not `PartialEq`: compare with
/// [`Secret::matches`] or [`constant_time_eq`], never with `==`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Reads the environment variable a config's `*_env` key names; `None`
    /// when it is unset or empty.
    pub fn from_env(variable: &str) -> Option<Self> {
        std::env::var(variable)
            .ok()
            .filter(|value| !value.is_empty())
            .map(Secret)
    }

    /// The secret itself, for the few places that must use it (signing,
    /// a request's URL).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with `candidate` in time that does not depend on where they differ.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Equal length and equal bytes, in time that depends only on the length.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.ct_eq(right).into()
}

/// 32 random bytes from the operating system.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).expect("the operating system has no random source");
    key
}

// Here rather than beside `LinkSigner`: the domain reads no random source.
impl Default for LinkSigner {
    /// A signer with a random key (links die with the process).
    fn default() -> Self {
        LinkSigner::new(random_key().to_vec(), TimeDelta::days(DEFAULT_TTL_DAYS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_bytes_and_never_print() {
        let secret = Secret::new("whsec_abc");
        assert!(secret.matches(b"whsec_abc"));
        assert!(!secret.matches(b"whsec_abd"));
        assert!(!secret.matches(b"whsec_ab"));
        assert_eq!(format!("{secret:?}"), "***");
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"a", b""));
    }
}
