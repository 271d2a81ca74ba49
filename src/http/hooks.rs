//! `POST /v1/hooks/{platform}` (and `GET` for WeCom's URL check): the chat
//! platforms' own webhooks. Each request is verified from its raw bytes by
//! the platform's signature scheme (`crate::hooks`) before anything in it is
//! trusted; a bad or missing signature is a 401 and nothing is stored.
//! Platform retries are answered from the store: a message acts once.

use super::error::{ApiError, ErrorBody};
use super::messages::ReplyVia;
use super::AppState;
use crate::hooks::{self, HookOutcome, HookRequest};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

/// A platform's webhook.
#[utoipa::path(
    post, path = "/v1/hooks/{platform}", tag = "messages",
    params(("platform" = String, Path, description = "feishu, dingtalk, wecom, slack or telegram")),
    request_body(content = String, description = "the platform's own payload, signed as it documents"),
    responses(
        (status = 200, description = "taken (a message stored, a retry of one, or ignored), with the body the platform expects: `{}` for Feishu, empty for the others; or the URL-verification answer"),
        (status = 400, body = ErrorBody), (status = 401, description = "bad or missing signature", body = ErrorBody),
        (status = 404, description = "platform not configured", body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn platform_hook(
    State(state): State<AppState>,
    Path(platform): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = match query_pairs(&uri) {
        Ok(query) => query,
        Err(error) => return error.into_response(),
    };
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
            ApiError::from(error).into_response()
        }
        Ok(HookOutcome::Challenge(challenge)) => {
            ([(header::CONTENT_TYPE, challenge.content_type)], challenge.body).into_response()
        }
        Ok(HookOutcome::Ignore) => delivery_answer(&platform),
        Ok(HookOutcome::Message { message, .. }) => {
            let source = format!("hook:{platform}");
            let chat_id = message.chat_id.clone();
            let via = if hooks::answer_can_reply(&platform) {
                ReplyVia::Answer
            } else {
                ReplyVia::GroupRobot
            };
            match super::messages::take(&state, message, &source, via).await {
                // A retry is answered as received, without saying it again.
                Ok(answer) if answer.status == "accepted" => respond(hooks::delivery_answer_with(
                    &platform,
                    &chat_id,
                    answer.reply.as_deref(),
                )),
                Ok(_) => delivery_answer(&platform),
                Err(error) => error.into_response(),
            }
        }
    }
}

/// `200` with the body the platform expects (`crate::hooks::delivery_answer`).
fn delivery_answer(platform: &str) -> Response {
    respond(hooks::delivery_answer(platform))
}

fn respond(answer: hooks::Answer) -> Response {
    match answer.content_type {
        Some(content_type) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            answer.body,
        )
            .into_response(),
        None => StatusCode::OK.into_response(),
    }
}

/// The query's `key=value` pairs, percent-decoded (WeCom's `echostr` holds
/// `+`, `/` and `=`).
fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    Ok(Query::<Vec<(String, String)>>::try_from_uri(uri)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_percent_decoded() {
        let uri: Uri = "/v1/hooks/wecom?msg_signature=ab%2Bc&echostr=x%3D%3D+y&bad=%zz&empty"
            .parse()
            .unwrap();
        let pairs = query_pairs(&uri).unwrap();
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
