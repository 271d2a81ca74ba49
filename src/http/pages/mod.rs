//! Pages for people (HTML): the issue page that alert links open
//! (`/i/{issue}`), staff login, the board and the compliance page.
//!
//! Templates are minijinja files built into the binary, HTML-escaped
//! automatically; every string shown comes from `strings/{zh,en}.toml`.
//! Pages work without JavaScript; `assets/app.js` only adds countdowns and
//! the board's refresh. Every response carries the headers of
//! [`security_headers`]: no inline script, no framing, no referrer.

mod access;
pub(crate) mod actions;
mod assets;
pub(crate) mod board;
pub mod counts;
pub(crate) mod issue;
pub(crate) mod login;
pub(crate) mod reports;
mod text;

pub use access::{session_value, Viewer, SESSION_COOKIE};
pub use text::Lang;

use crate::http::AppState;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::Environment;
use serde::Serialize;
use std::sync::OnceLock;

/// Scripts and styles only from this server's `/assets/`; nothing inline,
/// nothing from elsewhere; the pages cannot be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The page routes, merged into the API router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/i/{issue}", get(issue::issue_page))
        .route("/i/{issue}/actions", post(actions::act))
        .route("/board", get(board::zone))
        .route("/board/{project}", get(board::project))
        .route("/reports", get(reports::reports))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/assets/{name}", get(assets::asset))
        .layer(middleware::map_response(security_headers))
}

/// `/` opens the board.
async fn home() -> Redirect {
    Redirect::to("/board")
}

/// The headers every page and asset carries.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A signed link in the address bar must not travel to other sites.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show live, access-controlled data: no shared or stale copies.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The templates, parsed once.
fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        // `.html` names are auto-escaped by minijinja's default rule.
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("board.html", include_str!("templates/board.html")),
            ("board_rows.html", include_str!("templates/board_rows.html")),
            ("error.html", include_str!("templates/error.html")),
            ("issue.html", include_str!("templates/issue.html")),
            ("login.html", include_str!("templates/login.html")),
            ("reports.html", include_str!("templates/reports.html")),
        ] {
            env.add_template(name, source)
                .unwrap_or_else(|error| panic!("template {name}: {error}"));
        }
        env
    })
}

/// What every page's frame shows: language, strings, who is logged in.
#[derive(Debug, Serialize)]
pub struct Frame {
    pub lang: &'static str,
    pub t: &'static text::Strings,
    /// The same page in the other language.
    pub other_lang_href: String,
    /// The session's token name, if any.
    pub viewer: Option<String>,
    /// The session's CSRF token, for the logout form.
    pub csrf: Option<String>,
    pub version: &'static str,
}

impl Frame {
    pub fn new(lang: Lang, other_lang_href: String, viewer: Option<&Viewer>) -> Frame {
        Frame {
            lang: lang.tag(),
            t: lang.strings(),
            other_lang_href,
            viewer: viewer.filter(|v| !v.anonymous).map(|v| v.name.clone()),
            csrf: viewer.map(|v| v.csrf.clone()),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Renders `template` with `frame` as `f` and `page` as `p`.
pub fn render(status: StatusCode, template: &str, frame: &Frame, page: impl Serialize) -> Response {
    let rendered = templates()
        .get_template(template)
        .and_then(|t| t.render(minijinja::context! { f => frame, p => page }));
    match rendered {
        Ok(body) => (status, Html(body)).into_response(),
        Err(error) => {
            tracing::error!(%error, template, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A page that could not be shown, as a readable HTML page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    /// Keys of the title and the sentence in the strings.
    pub title: &'static str,
    pub text: &'static str,
    pub lang: Lang,
    /// Offer the login page.
    pub login: bool,
    /// A sentence of the moment (why an action was refused).
    pub detail: Option<String>,
    /// Where the login page leads back to.
    pub next: Option<String>,
}

impl PageError {
    /// A tampered, expired or foreign signed link: 403, no data.
    pub fn link(lang: Lang) -> Self {
        PageError {
            status: StatusCode::FORBIDDEN,
            title: "link_expired",
            text: "link_expired_text",
            lang,
            login: true,
            detail: None,
            next: None,
        }
    }

    /// No link and no session.
    pub fn forbidden(lang: Lang) -> Self {
        PageError {
            status: StatusCode::FORBIDDEN,
            title: "forbidden",
            text: "forbidden_text",
            lang,
            login: true,
            detail: None,
            next: None,
        }
    }

    /// After logging in, come back to `path`.
    pub fn back_to(mut self, path: String) -> Self {
        self.next = Some(path);
        self
    }

    /// A form without its session's CSRF token.
    pub fn csrf(lang: Lang) -> Self {
        PageError {
            status: StatusCode::FORBIDDEN,
            title: "forbidden",
            text: "csrf_failed",
            lang,
            login: false,
            detail: None,
            next: None,
        }
    }

    /// An action the writer refused (422), with its reason.
    pub fn refused(lang: Lang, reason: &str) -> Self {
        PageError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title: "forbidden",
            text: "action_refused",
            lang,
            login: false,
            detail: Some(lang.get("action_refused").replace("{reason}", reason)),
            next: None,
        }
    }

    pub fn not_found(lang: Lang) -> Self {
        PageError {
            status: StatusCode::NOT_FOUND,
            title: "not_found",
            text: "not_found_text",
            lang,
            login: false,
            detail: None,
            next: None,
        }
    }

    /// The store failed; logged, and shown as unavailable.
    pub fn store(lang: Lang, error: crate::store::StoreError) -> Self {
        tracing::error!(%error, "a page cannot read the store");
        PageError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "unavailable",
            text: "unavailable_text",
            lang,
            login: false,
            detail: None,
            next: None,
        }
    }
}

#[derive(Serialize)]
struct ErrorPage {
    title: &'static str,
    text: String,
    /// The login page's address, when logging in would help.
    login: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let strings = self.lang.strings();
        let page = ErrorPage {
            title: text::get(strings, self.title),
            text: self
                .detail
                .unwrap_or_else(|| text::get(strings, self.text).to_string()),
            login: self.login.then(|| match &self.next {
                Some(next) => format!("/login?next={}", crate::domain::link::path_segment(next)),
                None => "/login".to_string(),
            }),
        };
        let frame = Frame::new(self.lang, format!("?lang={}", self.lang.other().code()), None);
        let mut response = render(self.status, "error.html", &frame, page);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The language a request asks for: `?lang=`, else `Accept-Language`.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    Lang::pick(
        query,
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    )
}
