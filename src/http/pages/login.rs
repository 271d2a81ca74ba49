//! `GET /login`, `POST /login`, `POST /logout`: a staff session from an API
//! token pasted once. The browser keeps a signed cookie naming the token
//! (HttpOnly, SameSite=Strict, Secure when `public_url` is https), never the
//! token itself.

use super::access::{self, Viewer};
use super::{lang_of, render, Frame, PageError};
use crate::http::AppState;
use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Serialize)]
struct LoginPage {
    next: String,
    failed: bool,
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Where to go after logging in: a path of this server, else the board.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local && !next.chars().any(char::is_control) {
        next
    } else {
        "/board"
    }
}

/// `GET /login`.
#[utoipa::path(get, path = "/login", tag = "pages", responses((status = 200, description = "the page", content_type = "text/html")))]
pub async fn form(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(query.get("lang").map(String::as_str), &headers);
    let viewer = Viewer::of(&headers, &state);
    let next = local_path(query.get("next").map_or("", String::as_str)).to_string();
    let frame = Frame::new(lang, format!("?lang={}", lang.other().code()), viewer.as_ref());
    render(
        StatusCode::OK,
        "login.html",
        &frame,
        LoginPage { next, failed: false },
    )
}

/// `POST /login`: a known token starts a session; anything else shows the
/// form again with 401.
#[utoipa::path(
    post, path = "/login", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "`token`, `next`"),
    responses((status = 303, description = "a session cookie (HttpOnly, SameSite=Strict)"),
              (status = 401, description = "not a token", content_type = "text/html"))
)]
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(None, &headers);
    let next = local_path(&form.next).to_string();
    match access::token_with_secret(&state, &form.token) {
        Some(token) => {
            tracing::info!(token = %token.name, "staff session started");
            let cookie = access::set_cookie(&state, Some(&access::session_value(&state, token)));
            (StatusCode::SEE_OTHER, [(SET_COOKIE, cookie), (LOCATION, next)]).into_response()
        }
        None => {
            let frame = Frame::new(lang, format!("?lang={}", lang.other().code()), None);
            render(
                StatusCode::UNAUTHORIZED,
                "login.html",
                &frame,
                LoginPage { next, failed: true },
            )
        }
    }
}

/// `POST /logout`: ends the session (with its CSRF token, so that another
/// site cannot log people out).
#[utoipa::path(
    post, path = "/logout", tag = "pages",
    request_body(content_type = "application/x-www-form-urlencoded", description = "`csrf`"),
    responses((status = 303, description = "the session cookie cleared"),
              (status = 403, description = "no session or no CSRF token", content_type = "text/html"))
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(None, &headers);
    let viewer = Viewer::of(&headers, &state).ok_or_else(|| PageError::forbidden(lang))?;
    if !viewer.csrf_matches(&form.csrf) {
        return Err(PageError::csrf(lang));
    }
    let cookie = access::set_cookie(&state, None);
    Ok((
        StatusCode::SEE_OTHER,
        [(SET_COOKIE, cookie), (LOCATION, "/login".to_string())],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn after_login_only_local_paths_are_followed() {
        assert_eq!(local_path("/i/water?lang=en"), "/i/water?lang=en");
        for other in ["", "https://evil.example", "//evil.example", "/\\evil", "board"] {
            assert_eq!(local_path(other), "/board", "{other}");
        }
    }
}
