//! `POST /v1/hooks/{platform}` (and `GET` for WeCom's URL check): the chat
//! platforms' own webhooks. Each request is verified from its raw bytes by
//! the platform's signature scheme (`crate::hooks`) before anything in it is
//! trusted; a bad or missing signature is a 401 and nothing is stored.
//! Platform retries are answered from the store: a message acts once.

use super::error::ErrorBody;
use super::AppState;
use crate::hooks::{self, HookOutcome, HookRequest};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;

/// A platform's webhook.
#[utoipa::path(
    post, path = "/v1/hooks/{platform}", tag = "messages",
    params(("platform" = String, Path, description = "feishu, dingtalk, wecom, slack or telegram")),
    request_body(content = String, description = "the platform's own payload, signed as it documents"),
    responses(
        (status = 200, description = "handled (or the URL-verification answer)"),
        (status = 201, description = "a message was stored"),
        (status = 400, body = ErrorBody), (status = 401, description = "bad or missing signature", body = ErrorBody),
        (status = 404, description = "platform not configured", body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn platform_hook(
    State(state): State<AppState>,
    Path(platform): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> = query.as_deref().map(query_pairs).unwrap_or_default();
    let request = HookRequest {
        method,
        query: &query,
        headers: &headers,
        body: &body,
        now: Utc::now(),
    };
    match hooks::dispatch(&platform, &request, &state.config.chat.hooks) {
        Err(error) => {
            if error.status() == 401 {
                tracing::warn!(%platform, %error, "a hook request failed verification");
            }
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(error.body())).into_response()
        }
        Ok(HookOutcome::Challenge(challenge)) => {
            ([(header::CONTENT_TYPE, challenge.content_type)], challenge.body).into_response()
        }
        Ok(HookOutcome::Ignore) => {
            (StatusCode::OK, Json(serde_json::json!({"status": "ignored"}))).into_response()
        }
        Ok(HookOutcome::Message { message, .. }) => {
            let source = format!("hook:{platform}");
            match super::messages::receive(&state, message, &source).await {
                Ok(response) => response,
                Err(error) => error.into_response(),
            }
        }
    }
}

/// Percent-decoded `key=value` pairs of a query string.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 2;
            }
            (byte, _) => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_percent_decoded() {
        let pairs = query_pairs("msg_signature=ab%2Bc&echostr=x%3D%3D+y&bad=%zz&empty");
        assert_eq!(
            pairs,
            [
                ("msg_signature".to_string(), "ab+c".to_string()),
                ("echostr".to_string(), "x== y".to_string()),
                ("bad".to_string(), "%zz".to_string()),
                ("empty".to_string(), String::new()),
            ]
        );
    }
}
