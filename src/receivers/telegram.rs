//! Telegram: long polling with `getUpdates` (Bot API, "Getting updates",
//! <https://core.telegram.org/bots/api#getupdates>).
//!
//! - `getWebhookInfo` first: Telegram serves a bot either by webhook or by
//!   `getUpdates`, never both (`getUpdates` answers 409 while a webhook is
//!   set), so a receiver whose bot has a webhook URL refuses to poll and
//!   says why.
//! - `getUpdates` with `offset` = the last `update_id` + 1 confirms every
//!   update before it; with `timeout` it waits up to that many seconds for
//!   one. The next offset is saved in the store once the updates before it
//!   are committed, so a restart resumes where it stopped: nothing is lost,
//!   and an update seen again (saved offset behind Telegram's) is a stored
//!   message already, acted on once.
//! - 409 Conflict also means another poller took over ("terminated by other
//!   getUpdates request"): two replicas polling one bot take turns, each
//!   backing off when refused.
//!
//! The bot token is part of every URL (`/bot{token}/…`), so no URL is ever
//! logged.

use super::{Ended, Failure, Link, SessionResult, Sink, Verdict, MAX_MESSAGE_BYTES};
use crate::config::receivers::Credentials;
use crate::hooks;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Seconds a `getUpdates` call waits for an update (Telegram allows up to 50).
const POLL_SECONDS: u64 = 25;
/// Updates per call (Telegram's maximum is 100).
const LIMIT: u32 = 100;

/// A Bot API answer: `{"ok":true,"result":…}` or `{"ok":false,
/// "error_code":…,"description":…}`.
#[derive(Deserialize)]
struct Answer<T> {
    ok: bool,
    result: Option<T>,
    description: Option<String>,
    error_code: Option<u16>,
}

#[derive(Deserialize)]
struct WebhookInfo {
    #[serde(default)]
    url: String,
}

/// Checks the webhook, then polls until the service stops or a call fails.
pub(super) async fn session<S: Sink>(link: &Link<S>) -> SessionResult {
    let Credentials::Telegram { bot_token } = &link.config.credentials else {
        return Err(Failure::refused("not a Telegram receiver"));
    };
    let token = bot_token.expose();
    let bot_id = token.split_once(':').map_or("", |(id, _)| id);
    let cursor = format!("telegram:{bot_id}");

    let info: WebhookInfo = call(link, token, "getWebhookInfo", &json!({}), Duration::ZERO).await?;
    if !info.url.is_empty() {
        return Err(Failure::refused(
            "a webhook is set for this bot, and Telegram serves a bot either by webhook or by getUpdates, \
             not both: call deleteWebhook (and drop [hooks.telegram]) to receive here, or remove this receiver",
        ));
    }
    let mut offset = link
        .store
        .receiver_offset(&cursor)
        .await
        .map_err(|error| Failure::unavailable(format!("reading the saved offset: {error}")))?;
    link.connected();
    loop {
        let mut request = json!({ "timeout": POLL_SECONDS, "limit": LIMIT, "allowed_updates": ["message"] });
        if let Some(offset) = offset {
            request["offset"] = offset.into();
        }
        let poll = call::<Vec<Value>>(
            link,
            token,
            "getUpdates",
            &request,
            Duration::from_secs(POLL_SECONDS),
        );
        let updates = tokio::select! {
            updates = poll => updates?,
            _ = link.shutdown.cancelled() => return Ok(Ended::Shutdown),
        };
        let next = take_updates(link, &updates, offset).await;
        let (next, failed) = match next {
            Ok(next) => (next, None),
            Err((next, failure)) => (next, Some(failure)),
        };
        if next != offset {
            if let Some(next) = next {
                link.store
                    .save_receiver_offset(&cursor, next, chrono::Utc::now())
                    .await
                    .map_err(|error| Failure::unavailable(format!("saving the offset: {error}")))?;
            }
            offset = next;
        }
        if let Some(failure) = failed {
            return Err(failure);
        }
    }
}

/// Takes the updates in order; the offset after the last one committed,
/// and the failure that stopped them, if one did.
async fn take_updates<S: Sink>(
    link: &Link<S>,
    updates: &[Value],
    mut offset: Option<i64>,
) -> Result<Option<i64>, (Option<i64>, Failure)> {
    for update in updates {
        let Some(id) = update.get("update_id").and_then(Value::as_i64) else {
            tracing::warn!(receiver = %link.name(), "an update without update_id was skipped");
            continue;
        };
        if offset.is_some_and(|offset| id < offset) {
            continue; // confirmed before: Telegram sent it again regardless
        }
        match link.deliver(hooks::telegram::update(update)).await {
            Verdict::Acknowledge => offset = Some(id.saturating_add(1)),
            Verdict::Retry => {
                return Err((
                    offset,
                    Failure::unavailable("the store did not take an update; polling again from it"),
                ))
            }
        }
    }
    Ok(offset)
}

/// Calls Bot API `method` with a JSON body; `wait` is how long the call may
/// legitimately take (a long poll's timeout).
async fn call<T: serde::de::DeserializeOwned>(
    link: &Link<impl Sink>,
    token: &str,
    method: &str,
    body: &Value,
    wait: Duration,
) -> Result<T, Failure> {
    let url = link.url(&format!("/bot{token}/{method}"));
    let response = link
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .timeout(wait + super::HTTP_TIMEOUT)
        .send()
        .await
        .map_err(|error| Failure::http(method, error))?;
    let status = response.status();
    let bytes = read_limited(response)
        .await
        .map_err(|error| Failure::http(method, error))?;
    let answer: Option<Answer<T>> = serde_json::from_slice(&bytes).ok();
    let description = answer
        .as_ref()
        .and_then(|answer| answer.description.clone())
        .unwrap_or_else(|| status.to_string());
    match answer {
        Some(Answer {
            ok: true,
            result: Some(result),
            ..
        }) => Ok(result),
        Some(Answer {
            error_code: Some(401 | 404),
            ..
        }) => Err(Failure::credentials(format!(
            "{method}: Telegram does not know this bot token ({description})"
        ))),
        _ if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::NOT_FOUND => {
            Err(Failure::credentials(format!(
                "{method}: Telegram does not know this bot token ({description})"
            )))
        }
        _ if status == reqwest::StatusCode::CONFLICT => Err(Failure::refused(format!(
            "{method}: {description} (Telegram allows one poller per bot, and none while a webhook is set)"
        ))),
        _ => Err(Failure::unavailable(format!("{method}: {description}"))),
    }
}

/// The body, refusing more than [`MAX_MESSAGE_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_MESSAGE_BYTES * 8 {
            break; // parsed as far as it goes: a cut answer is not JSON
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
