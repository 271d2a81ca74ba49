//! Owned requests for tests: a [`HookRequest`] borrows, so tests keep the
//! parts here and borrow a view.

use super::{HookOutcome, HookRequest};
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// The parts of a request, owned.
pub(super) struct TestRequest {
    pub method: Method,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub now: DateTime<Utc>,
}

impl TestRequest {
    /// A `POST` with this body, received at `now_seconds` (Unix).
    pub fn post(body: impl Into<Vec<u8>>, now_seconds: i64) -> Self {
        TestRequest {
            method: Method::POST,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: body.into(),
            now: DateTime::from_timestamp(now_seconds, 0).expect("a valid test time"),
        }
    }

    /// A `GET` with no body, received at `now_seconds` (Unix).
    pub fn get(now_seconds: i64) -> Self {
        TestRequest {
            method: Method::GET,
            ..TestRequest::post(Vec::new(), now_seconds)
        }
    }

    /// Sets (or replaces) a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_str(value).expect("a valid header value"),
        );
        self
    }

    /// Removes a header.
    pub fn without(mut self, name: &str) -> Self {
        self.headers.remove(name);
        self
    }

    /// Adds a decoded query parameter.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The borrowed view the handlers take.
    pub fn view(&self) -> HookRequest<'_> {
        HookRequest {
            method: self.method.clone(),
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
            now: self.now,
        }
    }
}

/// The message of a [`HookOutcome::Message`], or a panic naming the outcome.
pub(super) fn message_of(outcome: HookOutcome) -> (super::ChatMessage, String, bool) {
    match outcome {
        HookOutcome::Message {
            message,
            delivery_id,
            retry,
        } => (message, delivery_id, retry),
        other => panic!("expected a message, got {other:?}"),
    }
}

/// A UTC time from Unix milliseconds.
pub(super) fn at_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).expect("a valid test time")
}
