//! Bearer tokens with scopes, and a per-token rate limit.

use super::error::ApiError;
use super::AppState;
use crate::config::Scope;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Instant;

/// The caller name used as event `source` when authentication is off.
pub const ANONYMOUS: &str = "local";

/// A scope an extractor demands.
pub trait RequiredScope: Send + Sync {
    const SCOPE: Scope;
}

pub struct IngestScope;
pub struct ReadScope;
pub struct AdminScope;

impl RequiredScope for IngestScope {
    const SCOPE: Scope = Scope::Ingest;
}
impl RequiredScope for ReadScope {
    const SCOPE: Scope = Scope::Read;
}
impl RequiredScope for AdminScope {
    const SCOPE: Scope = Scope::Admin;
}

/// An authenticated caller holding scope `S`; `name` is the token's name.
pub struct Caller<S> {
    pub name: String,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> FromRequestParts<AppState> for Caller<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if !state.config.auth_enabled() {
            return Ok(Caller {
                name: ANONYMOUS.to_string(),
                scope: PhantomData,
            });
        }
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        // Every token is compared, in constant time, so timing tells nothing.
        let mut found = None;
        for token in &state.config.tokens {
            if token.secret.matches(presented.as_bytes()) {
                found = Some(token);
            }
        }
        let token = found.ok_or(ApiError::Unauthorized)?;
        if !token.allows(S::SCOPE) {
            return Err(ApiError::Forbidden(S::SCOPE.as_str()));
        }
        state.rate_limiter.check(&token.name)?;
        Ok(Caller {
            name: token.name.clone(),
            scope: PhantomData,
        })
    }
}

/// Token buckets per token name.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// `per_second = 0` turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(per_second)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, name: &str) -> Result<(), ApiError> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(name.to_string()).or_insert(Bucket {
            tokens: self.burst,
            refilled: now,
        });
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / self.per_second).ceil() as u64;
            Err(ApiError::RateLimited {
                retry_after_seconds: wait.max(1),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_allows_a_burst_then_refuses() {
        let limiter = RateLimiter::new(1, 3);
        for _ in 0..3 {
            assert!(limiter.check("bot").is_ok());
        }
        assert!(matches!(limiter.check("bot"), Err(ApiError::RateLimited { .. })));
        assert!(limiter.check("other").is_ok(), "buckets are per token");
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let limiter = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(limiter.check("bot").is_ok());
        }
    }
}
