//! Query-string parameters, parsed with errors that name the parameter.

use super::error::ApiError;
use crate::domain::Timestamp;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Default and largest page sizes of lists.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 500;

/// The query string as name → value, refusing names a route does not know.
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state).await?;
        // No stored value holds control characters, and PostgreSQL refuses NUL.
        if let Some((name, _)) = pairs
            .iter()
            .find(|(_, value)| value.chars().any(char::is_control))
        {
            return Err(ApiError::invalid(
                name.as_str(),
                format!("`{name}` must not contain control characters"),
            ));
        }
        Ok(Params(pairs.into_iter().collect()))
    }
}

impl Params {
    /// Refuses parameters outside `known`, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|name| !known.contains(&name.as_str())) {
            Some(name) => Err(ApiError::invalid(
                name.as_str(),
                format!("unknown parameter `{name}`; known: {}", known.join(", ")),
            )),
            None => Ok(()),
        }
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A value parsed by `parse`, with `expected` in the error message.
    pub fn parsed<T>(
        &self,
        name: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(text) => parse(text)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, format!("`{name}` must be {expected}"))),
        }
    }

    pub fn time(&self, name: &str) -> Result<Option<Timestamp>, ApiError> {
        self.parsed(name, "an RFC 3339 timestamp with offset", |text| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
    }

    pub fn limit(&self) -> Result<i64, ApiError> {
        Ok(self
            .parsed(
                "limit",
                &format!("a whole number from 1 to {MAX_LIMIT}"),
                |text| text.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)),
            )?
            .unwrap_or(DEFAULT_LIMIT))
    }

    pub fn cursor(&self) -> Result<Option<i64>, ApiError> {
        self.parsed("cursor", "a cursor returned as `next_cursor`", |text| {
            text.parse::<i64>().ok().filter(|n| *n > 0)
        })
    }

    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self
            .parsed(name, "true or false", |text| match text {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            })?
            .unwrap_or(false))
    }
}
