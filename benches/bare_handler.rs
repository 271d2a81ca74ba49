//! The baseline of `benches/ingest.sh`: a bare axum server that takes the same
//! `POST /v1/events` body as slawatch, parses it the same way (JSON into a
//! `serde_json::Value`, then every field extracted and checked, `at` parsed
//! as RFC 3339), does no I/O at all, and answers `201` with a small JSON.
//! The ratio slawatch / this server is the share of HTTP + parse throughput
//! that survives durable storage and the derived tables.
//!
//! Built as an example: `cargo build --release --example bare_handler`;
//! run as `bare_handler [ADDRESS]` (default `127.0.0.1:8090`). It stops on
//! SIGTERM or Ctrl-C.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

const KNOWN_FIELDS: [&str; 11] = [
    "id",
    "issue",
    "kind",
    "at",
    "project",
    "priority",
    "title",
    "text",
    "actor",
    "resolution",
    "attributes",
];
const KINDS: [&str; 8] = [
    "raised",
    "acknowledged",
    "handled",
    "planned",
    "closed",
    "reopened",
    "paused",
    "resumed",
];
const ROLES: [&str; 4] = ["requester", "staff", "lead", "system"];

/// The fields slawatch keeps of an event, extracted the way it does.
#[derive(Debug)]
#[allow(dead_code)] // kept, not read: the work is in extracting them
struct Parsed {
    id: String,
    issue: String,
    kind: &'static str,
    at: DateTime<Utc>,
    project: Option<String>,
    priority: Option<String>,
    title: Option<String>,
    text: Option<String>,
    actor: Option<(Option<String>, Option<String>, Option<&'static str>)>,
    attributes: Map<String, Value>,
}

/// Why an event is refused (like slawatch's `Invalid`: a field and a message).
#[derive(Debug)]
struct Bad {
    field: String,
    message: &'static str,
}

fn bad(field: &str, message: &'static str) -> Bad {
    Bad {
        field: field.to_string(),
        message,
    }
}

impl IntoResponse for Bad {
    fn into_response(self) -> Response {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {"code": "invalid", "message": self.message, "field": self.field}})),
        )
            .into_response()
    }
}

fn text_of<'a>(object: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Bad> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(bad(name, "must be a string")),
    }
}

fn key(object: &Map<String, Value>, name: &str) -> Result<String, Bad> {
    let text = text_of(object, name)?.ok_or_else(|| bad(name, "is required"))?;
    let length = text.chars().count();
    if length == 0 || length > 128 || text.chars().any(|c| c.is_control() || c == '/') {
        return Err(bad(name, "1-128 printable characters without `/`"));
    }
    Ok(text.to_string())
}

fn bounded(object: &Map<String, Value>, name: &str, max_chars: usize) -> Result<Option<String>, Bad> {
    match text_of(object, name)? {
        Some(text) if text.chars().count() > max_chars => Err(bad(name, "too long")),
        other => Ok(other.map(str::to_string)),
    }
}

fn parse(value: &Value, now: DateTime<Utc>) -> Result<Parsed, Bad> {
    let object = value
        .as_object()
        .ok_or_else(|| bad("", "an event must be a JSON object"))?;
    if let Some(unknown) = object.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(bad(unknown, "unknown field"));
    }
    let id = key(object, "id")?;
    let issue = key(object, "issue")?;
    let kind_text = text_of(object, "kind")?.ok_or_else(|| bad("kind", "is required"))?;
    let kind = KINDS
        .into_iter()
        .find(|k| *k == kind_text)
        .ok_or_else(|| bad("kind", "unknown kind"))?;
    let at = match text_of(object, "at")? {
        None => now,
        Some(text) => {
            let at = DateTime::parse_from_rfc3339(text)
                .map_err(|_| bad("at", "must be RFC 3339"))?
                .with_timezone(&Utc);
            let at = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
            if at > now + TimeDelta::minutes(5) {
                return Err(bad("at", "too far in the future"));
            }
            at
        }
    };
    let project = bounded(object, "project", 64)?;
    if kind == "raised" && project.is_none() {
        return Err(bad("project", "is required on `raised`"));
    }
    let priority = bounded(object, "priority", 64)?;
    let title = bounded(object, "title", 256)?;
    let text = bounded(object, "text", 16 * 1024)?;
    if let Some(resolution) = text_of(object, "resolution")? {
        if kind != "closed" || !["resolved", "withdrawn", "invalid", "duplicate"].contains(&resolution) {
            return Err(bad("resolution", "unexpected"));
        }
    }
    let actor = match object.get("actor") {
        None | Some(Value::Null) => None,
        Some(Value::Object(actor)) => {
            let role = match text_of(actor, "role")? {
                None => None,
                Some(role) => Some(
                    ROLES
                        .into_iter()
                        .find(|r| *r == role)
                        .ok_or_else(|| bad("actor.role", "unknown role"))?,
                ),
            };
            Some((
                text_of(actor, "id")?.map(str::to_string),
                text_of(actor, "name")?.map(str::to_string),
                role,
            ))
        }
        Some(_) => return Err(bad("actor", "must be an object")),
    };
    let attributes = match object.get("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(bad("attributes", "must be an object")),
    };
    Ok(Parsed {
        id,
        issue,
        kind,
        at,
        project,
        priority,
        title,
        text,
        actor,
        attributes,
    })
}

async fn post_events(body: Result<Json<Value>, JsonRejection>) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return (rejection.status(), rejection.body_text()).into_response(),
    };
    let now = Utc::now();
    match body {
        Value::Array(items) => {
            let mut results = Vec::with_capacity(items.len());
            for item in &items {
                match parse(item, now) {
                    Ok(event) => results.push(json!({"id": event.id, "status": "accepted"})),
                    Err(_) => results.push(json!({"id": null, "status": "rejected"})),
                }
            }
            let accepted = results.iter().filter(|r| r["status"] == "accepted").count();
            Json(json!({
                "accepted": accepted,
                "duplicates": 0,
                "rejected": items.len() - accepted,
                "results": results,
            }))
            .into_response()
        }
        single => match parse(&single, now) {
            Ok(event) => {
                std::hint::black_box(&event);
                (
                    StatusCode::CREATED,
                    Json(json!({
                        "id": event.id,
                        "status": "accepted",
                        "issue": {"issue": event.issue, "kind": event.kind},
                    })),
                )
                    .into_response()
            }
            Err(bad) => bad.into_response(),
        },
    }
}

async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".into());
    let app = Router::new().route("/v1/events", post(post_events));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    eprintln!("bare_handler listening on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
}
