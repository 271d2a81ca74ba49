//! Pages for people, over real HTTP on both backends: the signed link in a
//! breach alert opens the issue page without a token; tampered, expired,
//! foreign and rotated-secret links get a readable 403 and no data; every
//! page carries the security headers and escapes what people wrote.

#[macro_use]
mod common;

use chrono::TimeDelta;
use common::sink::Sink;
use common::*;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::json;
use slawatch::domain::link::{LinkSigner, Purpose};
use std::time::Duration;

backend_tests!(
    a_breach_alert_links_to_the_issue_page_without_a_token,
    bad_links_get_a_readable_403_and_no_data,
    a_title_holding_a_script_is_shown_as_text,
    the_page_speaks_english_when_asked,
    assets_come_from_the_binary_and_pages_fetch_nothing_from_elsewhere,
    a_pasted_token_starts_a_session_whose_scopes_apply,
    logout_needs_the_csrf_token_and_ends_the_session,
    the_session_cookie_is_secure_under_https,
    the_board_needs_a_session_or_a_board_link,
    the_board_shows_the_most_urgent_first_a_page_at_a_time,
    an_action_from_the_page_is_an_event_from_web,
    actions_need_the_csrf_token_and_ingest_scope,
    the_compliance_page_counts_met_breached_and_waived_with_a_csv,
    the_openapi_document_lists_the_pages_and_the_report,
);

const PUBLIC_URL: &str = "http://sla.example.org";
const LINK_SECRET: &str = "pages-test-link-secret-0123456789";
const OPS_TOKEN: &str = "pages-test-ops-token-0123456789";
const VIEWER_TOKEN: &str = "pages-test-viewer-token-012345";
const PROJECT_NAME: &str = "中泰环保绿色环保过滤设备制造项目";

/// Tokens on (so pages need a link or a session), one-second grace, a
/// webhook team channel at `hook` if given.
fn config(hook: Option<&str>) -> String {
    let channel = hook.map_or(String::new(), |url| {
        format!("[channels.team]\nkind = \"webhook\"\nurl = \"{url}\"\n")
    });
    let notify = if hook.is_some() {
        "notify = { team = [\"team\"] }"
    } else {
        ""
    };
    format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"

[engine]
grace = "1s"

[[tokens]]
name = "ops"
scopes = ["ingest", "read"]
secret_env = "TEST_OPS_TOKEN"

[[tokens]]
name = "viewer"
scopes = ["read"]
secret_env = "TEST_VIEWER_TOKEN"

[projects.zhongtai]
name = "{PROJECT_NAME}"
{notify}

{channel}
"#
    )
}

async fn start(backend: Backend, hook: Option<&str>) -> TestApp {
    let mut app = spawn_app_with_env(
        backend,
        &config(hook),
        &[
            ("SLAWATCH_LINK_SECRET", LINK_SECRET),
            ("TEST_OPS_TOKEN", OPS_TOKEN),
            ("TEST_VIEWER_TOKEN", VIEWER_TOKEN),
        ],
    )
    .await;
    app.token = Some(OPS_TOKEN.to_string());
    app
}

/// A signer with the server's secret, or another.
fn signer(secret: &str) -> LinkSigner {
    LinkSigner::new(secret.as_bytes().to_vec(), TimeDelta::days(7))
}

/// `GET path` as a browser without a token would, with extra headers.
async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("a body"))
}

/// A client that does not follow redirects, as a test of them needs.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

/// Logs in with `token`; returns the answer's `Set-Cookie` value.
async fn login(app: &TestApp, token: &str) -> (StatusCode, Option<String>, String) {
    let response = browser()
        .post(app.url("/login"))
        .form(&[("token", token), ("next", "/i/water")])
        .send()
        .await
        .expect("POST /login");
    let status = response.status();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let location = response
        .headers()
        .get("location")
        .map_or(String::new(), |v| v.to_str().unwrap().to_string());
    (status, cookie, location)
}

/// `name=value` of a `Set-Cookie` value, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// The headers every page carries.
fn assert_secure_headers(headers: &HeaderMap, path: &str) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let csp = header("content-security-policy");
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{path}: CSP `{csp}` lacks {part}");
    }
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
}

/// A raised event with a title and a requester.
fn raised_with(issue: &str, minutes_ago_: f64, title: &str) -> serde_json::Value {
    raised(issue, minutes_ago_).with("title", title).with(
        "actor",
        json!({ "id": "wang-yz", "name": "王永忠", "role": "requester" }),
    )
}

async fn a_breach_alert_links_to_the_issue_page_without_a_token(backend: Backend) {
    let sink = Sink::start().await;
    let app = start(backend, Some(&sink.url("/hook"))).await;
    let accepted = app
        .accept(&raised_with("water-cut 0530", 11.0, "工地因管道抢修停水"))
        .await;
    let seq = accepted["issue"]["seq"].as_i64().expect("seq");
    sink.wait_for(Duration::from_secs(10), 1, "the breach alert", |r| {
        r.route() == "/hook"
    })
    .await;
    let alert = sink.requests_to("/hook")[0].json();
    let url = alert["url"].as_str().expect("url");
    let path = url
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("not under public_url: {url}"));
    assert!(path.starts_with("/i/water-cut%200530?exp="), "{path}");

    let (status, headers, body) = page(&app, path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_secure_headers(&headers, path);
    for expected in [
        "工地因管道抢修停水",
        PROJECT_NAME,
        "王永忠",
        &format!("#{seq}"),
        "10 分钟回复",
        "2 小时处理",
        "1 天计划",
        "已超时",
        "Asia&#x2f;Shanghai",
        "超时通报",
        "data-deadline=",
    ] {
        assert!(body.contains(expected), "the page lacks `{expected}`:\n{body}");
    }
    assert!(!body.contains("<script>"), "no inline script");
}

async fn bad_links_get_a_readable_403_and_no_data(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 1.0, "工地停水")).await;
    app.accept(&raised_with("power", 1.0, "工地停电")).await;
    let now = chrono::Utc::now();
    let good = signer(LINK_SECRET);
    let expires = (now + TimeDelta::days(1)).timestamp();
    let signature = good.sign(Purpose::Issue, "water", expires);
    let (status, _, body) = page(&app, &format!("/i/water?exp={expires}&sig={signature}"), &[]).await;
    assert_eq!(status, StatusCode::OK, "the well-signed link opens: {body}");

    let past = (now - TimeDelta::minutes(1)).timestamp();
    let cases = [
        (
            "tampered expiry",
            format!("/i/water?exp={}&sig={signature}", expires + 60),
        ),
        (
            "tampered signature",
            // Another first character, whatever the signature's own.
            format!(
                "/i/water?exp={expires}&sig={}{}",
                if signature.starts_with('A') { 'B' } else { 'A' },
                &signature[1..]
            ),
        ),
        (
            "expired",
            format!(
                "/i/water?exp={past}&sig={}",
                good.sign(Purpose::Issue, "water", past)
            ),
        ),
        (
            "another issue's signature",
            format!(
                "/i/water?exp={expires}&sig={}",
                good.sign(Purpose::Issue, "power", expires)
            ),
        ),
        (
            "a rotated secret",
            format!(
                "/i/water?exp={expires}&sig={}",
                signer("an-older-link-secret-0123456789").sign(Purpose::Issue, "water", expires)
            ),
        ),
        ("a signature without expiry", format!("/i/water?sig={signature}")),
        (
            "an unknown issue",
            format!("/i/nothing?exp={expires}&sig={signature}"),
        ),
    ];
    for (what, path) in cases {
        let (status, headers, body) = page(&app, &path, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
        assert!(body.contains("链接已失效"), "{what}: {body}");
        assert!(!body.contains("工地停水"), "{what} shows no data: {body}");
        assert_secure_headers(&headers, &path);
    }
    let (status, _, body) = page(&app, "/i/water", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no link, no session: {body}");
    assert!(!body.contains("工地停水"), "{body}");
    assert!(
        body.contains("/login?next=%2Fi%2Fwater") || body.contains("&#x2f;login?next=%2Fi%2Fwater"),
        "the login leads back: {body}"
    );
    let (status, _, body) = page(&app, &format!("/i/water?exp={past}&sig=x&lang=en"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Link expired"), "{body}");
}

async fn a_title_holding_a_script_is_shown_as_text(backend: Backend) {
    let app = start(backend, None).await;
    let title = "<script>alert('x')</script> & \"停水\"";
    app.accept(&raised_with("xss", 1.0, title)).await;
    let path = signer(LINK_SECRET).issue_url("", "xss", chrono::Utc::now());
    let (status, _, body) = page(&app, &path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains("<script>alert"), "{body}");
    let escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; &quot;停水&quot;";
    assert!(body.contains(escaped), "{body}");
    // The board and the compliance page escape it too.
    let cookie = session(&app, VIEWER_TOKEN).await;
    for path in ["/board", "/board?fragment=1", "/reports"] {
        let (status, _, body) = page(&app, path, &[("cookie", &cookie)]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.contains("<script>alert"), "{path}: {body}");
        if path != "/reports" {
            assert!(body.contains(escaped), "{path}: {body}");
        }
    }
}

async fn the_page_speaks_english_when_asked(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 1.0, "工地停水")).await;
    let path = signer(LINK_SECRET).issue_url("", "water", chrono::Utc::now());
    let (_, _, chinese) = page(&app, &path, &[]).await;
    assert!(
        chinese.contains("lang=\"zh-CN\"") && chinese.contains("10 分钟回复"),
        "{chinese}"
    );
    let (_, _, english) = page(&app, &path, &[("accept-language", "en-US,en;q=0.9")]).await;
    assert!(
        english.contains("lang=\"en\"") && english.contains("Reply within 10 min"),
        "{english}"
    );
    let (_, _, english) = page(&app, &format!("{path}&lang=en"), &[]).await;
    assert!(english.contains("Handle within 2 h"), "{english}");
    assert!(english.contains("Plan within 1 d"), "{english}");
}

async fn assets_come_from_the_binary_and_pages_fetch_nothing_from_elsewhere(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 1.0, "工地停水")).await;
    for (path, content_type) in [
        ("/assets/app.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let (status, headers, body) = page(&app, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        assert_secure_headers(&headers, path);
        // An SVG names its XML namespace by URL; that is no request.
        let body = body.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} fetches nothing"
        );
    }
    let (status, _, _) = page(&app, "/assets/other.js", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let path = signer(LINK_SECRET).issue_url("", "water", chrono::Utc::now());
    let (_, _, body) = page(&app, &path, &[]).await;
    for attribute in ["src=\"", "href=\""] {
        for value in body.split(attribute).skip(1) {
            assert!(
                value.starts_with('/') || value.starts_with('?') || value.starts_with('#'),
                "only this server's own addresses: {attribute}{}",
                &value[..value.len().min(60)]
            );
        }
    }
    assert!(
        !body.contains(" style=") && !body.contains("<style"),
        "no inline style"
    );
    assert!(!body.contains("<script>"), "no inline script");
}

async fn a_pasted_token_starts_a_session_whose_scopes_apply(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 1.0, "工地停水")).await;
    let (status, headers, body) = page(&app, "/login", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("name=\"token\""), "{body}");
    assert_secure_headers(&headers, "/login");

    let (status, cookie, _) = login(&app, "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none(), "no session for a wrong token");

    let (status, cookie, location) = login(&app, OPS_TOKEN).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/i/water", "back where the person came from");
    let cookie = cookie.expect("a session cookie");
    for part in ["slawatch_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Secure"), "not Secure under http: {cookie}");
    assert!(!cookie.contains(OPS_TOKEN), "the cookie holds no token");

    let session = cookie_pair(&cookie);
    let (status, _, body) = page(&app, "/i/water", &[("cookie", &session)]).await;
    assert_eq!(status, StatusCode::OK, "a session opens any issue: {body}");
    assert!(
        body.contains("工地停水") && body.contains("name=\"csrf\""),
        "{body}"
    );
    assert!(body.contains("value=\"handled\""), "ingest scope may act: {body}");

    let (_, viewer_cookie, _) = login(&app, VIEWER_TOKEN).await;
    let viewer = cookie_pair(&viewer_cookie.expect("a session"));
    let (status, _, body) = page(&app, "/i/water", &[("cookie", &viewer)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("value=\"handled\""),
        "read scope only reads: {body}"
    );

    let forged = session.replace("slawatch_session=", "slawatch_session=9");
    let (status, _, body) = page(&app, "/i/water", &[("cookie", &forged)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a tampered session is none");
    assert!(!body.contains("工地停水"), "{body}");
}

async fn logout_needs_the_csrf_token_and_ends_the_session(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 1.0, "工地停水")).await;
    let (_, cookie, _) = login(&app, OPS_TOKEN).await;
    let session = cookie_pair(&cookie.expect("a session"));
    let (_, _, body) = page(&app, "/i/water", &[("cookie", &session)]).await;
    let csrf = csrf_of(&body);

    let logout = |csrf: String| {
        browser()
            .post(app.url("/logout"))
            .header("cookie", session.clone())
            .form(&[("csrf", csrf)])
            .send()
    };
    let refused = logout("forged".into()).await.expect("POST /logout");
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no logout"
    );
    let done = logout(csrf).await.expect("POST /logout");
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let cleared = done.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

/// The CSRF token in a page's forms.
fn csrf_of(body: &str) -> String {
    let start = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    body[start..].split('"').next().unwrap().to_string()
}

async fn the_session_cookie_is_secure_under_https(backend: Backend) {
    let app = spawn_app_with_env(
        backend,
        &config(None).replace(PUBLIC_URL, "https://sla.example.org"),
        &[
            ("SLAWATCH_LINK_SECRET", LINK_SECRET),
            ("TEST_OPS_TOKEN", OPS_TOKEN),
            ("TEST_VIEWER_TOKEN", VIEWER_TOKEN),
        ],
    )
    .await;
    let (status, cookie, _) = login(&app, OPS_TOKEN).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(cookie.expect("a session").contains("; Secure"));
}

/// The session cookie of `token`.
async fn session(app: &TestApp, token: &str) -> String {
    let (_, cookie, _) = login(app, token).await;
    cookie_pair(&cookie.expect("a session"))
}

async fn the_board_needs_a_session_or_a_board_link(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 1.0, "工地停水")).await;
    let now = chrono::Utc::now();
    let links = signer(LINK_SECRET);
    let zone_link = links.query(Purpose::Board, "*", now);
    let project_link = links.query(Purpose::Board, "zhongtai", now);
    let issue_link = links.query(Purpose::Issue, "water", now);
    for (path, expected) in [
        ("/board".to_string(), StatusCode::FORBIDDEN),
        ("/board/zhongtai".to_string(), StatusCode::FORBIDDEN),
        (format!("/board?{zone_link}"), StatusCode::OK),
        (format!("/board/zhongtai?{project_link}"), StatusCode::OK),
        (format!("/board?{project_link}"), StatusCode::FORBIDDEN),
        (format!("/board/other?{project_link}"), StatusCode::FORBIDDEN),
        (format!("/board?{issue_link}"), StatusCode::FORBIDDEN),
        (
            format!("/board?{}", zone_link.replace("sig=", "sig=A")),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (status, headers, body) = page(&app, &path, &[]).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert_secure_headers(&headers, &path);
        assert_eq!(
            body.contains("工地停水"),
            expected == StatusCode::OK,
            "{path}: {body}"
        );
    }
    let cookie = session(&app, VIEWER_TOKEN).await;
    for path in ["/board", "/board/zhongtai", "/board?fragment=1", "/board?tv=1"] {
        let (status, _, body) = page(&app, path, &[("cookie", &cookie)]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(body.contains("工地停水"), "{path}: {body}");
    }
    let (_, _, body) = page(&app, "/board", &[("cookie", &cookie)]).await;
    assert!(
        body.contains("tv=1&amp;exp="),
        "a session is offered a TV link: {body}"
    );
    let (_, _, body) = page(&app, &format!("/board?tv=1&{zone_link}"), &[]).await;
    assert!(body.contains("class=\"tv\""), "TV mode: {body}");
    assert!(
        body.contains("water?exp="),
        "a TV's rows open with signed links: {body}"
    );
    let (_, _, body) = page(&app, &format!("/board?fragment=1&{zone_link}"), &[]).await;
    assert!(
        !body.contains("<html") && body.contains("工地停水"),
        "the fragment is the rows: {body}"
    );
}

/// Where `#seq` stands in a board page (panics if it is absent).
fn position(body: &str, seq: i64) -> usize {
    body.find(&format!(">#{seq}<"))
        .unwrap_or_else(|| panic!("#{seq} is not on the board:\n{body}"))
}

async fn the_board_shows_the_most_urgent_first_a_page_at_a_time(backend: Backend) {
    let app = start(backend, None).await;
    let seq = |accepted: serde_json::Value| accepted["issue"]["seq"].as_i64().expect("seq");
    let fresh = seq(app.accept(&raised_with("fresh", 1.0, "刚提出")).await);
    let handled_soon = seq(app.accept(&raised_with("replied", 3.0, "已回复")).await);
    app.accept(&acknowledged("replied", 2.0)).await;
    let at_risk = seq(app.accept(&raised_with("at-risk", 9.0, "快超时")).await);
    let breached = seq(app.accept(&raised_with("breached", 11.0, "已超时的问题")).await);
    let cookie = session(&app, VIEWER_TOKEN).await;
    let (_, _, body) = page(&app, "/board", &[("cookie", &cookie)]).await;
    let order = [breached, at_risk, fresh, handled_soon].map(|seq| position(&body, seq));
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "breached, at risk, then by deadline: {order:?}"
    );
    assert!(body.contains("已超时") && body.contains("即将超时"), "{body}");

    let (_, _, body) = page(&app, "/board?stage=handle", &[("cookie", &cookie)]).await;
    assert!(
        position(&body, breached) < position(&body, handled_soon),
        "{body}"
    );
    let (_, _, body) = page(&app, "/board?project=elsewhere", &[("cookie", &cookie)]).await;
    assert!(
        !body.contains(&format!(">#{fresh}<")),
        "filtered by project: {body}"
    );

    // 55 more: the first page holds 50 and links to the next.
    let more: Vec<serde_json::Value> = (0..55).map(|n| raised(&format!("bulk-{n}"), 0.5)).collect();
    app.accept_batch(&more).await;
    let (_, _, first) = page(&app, "/board", &[("cookie", &cookie)]).await;
    assert_eq!(first.matches("class=\"row ").count(), 50, "{first}");
    assert!(first.contains("page=1"), "a next page: {first}");
    let (_, _, second) = page(&app, "/board?page=1", &[("cookie", &cookie)]).await;
    assert_eq!(second.matches("class=\"row ").count(), 59 - 50, "{second}");
    assert!(position(&first, breached) > 0);

    // A stage's board pages by its own keyset cursor: 58 issues await a
    // reply (all but the one replied to), the breached one first.
    let (_, _, first) = page(&app, "/board?stage=ack", &[("cookie", &cookie)]).await;
    assert_eq!(first.matches("class=\"row ").count(), 50, "{first}");
    assert!(position(&first, breached) < position(&first, at_risk), "{first}");
    let next = first
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&").replace("&#x2f;", "/"))
        .find(|href| href.contains("after=") && href.contains("stage=ack"))
        .unwrap_or_else(|| panic!("no next page by cursor for the stage: {first}"));
    let (_, _, second) = page(&app, &next, &[("cookie", &cookie)]).await;
    assert_eq!(second.matches("class=\"row ").count(), 58 - 50, "{second}");
    assert!(!second.contains(&format!(">#{handled_soon}<")), "{second}");
    for seq in [breached, at_risk, fresh] {
        assert!(!second.contains(&format!(">#{seq}<")), "#{seq} twice: {second}");
    }
}

/// The value of the hidden field `name` in a page.
fn field(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}:\n{body}"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

/// Posts the issue page's action form.
async fn act(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(app.url("/i/water/actions"))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .expect("POST /i/water/actions")
}

/// The events of `water` recorded from the page.
async fn web_events(app: &TestApp) -> Vec<serde_json::Value> {
    let issue = app.get_json("/v1/issues/water?include=events").await;
    issue["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["source"].as_str().is_some_and(|s| s.starts_with("web:")))
        .cloned()
        .collect()
}

async fn an_action_from_the_page_is_an_event_from_web(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 3.0, "工地停水")).await;
    let cookie = session(&app, OPS_TOKEN).await;
    let (_, _, body) = page(&app, "/i/water", &[("cookie", &cookie)]).await;
    let (csrf, nonce) = (field(&body, "csrf"), field(&body, "nonce"));
    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("kind", "handled"),
        ("note", "已派人抢修 <b>"),
    ];
    let response = act(&app, &cookie, &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/i/water?done=handled");
    // The same form again (a double click) is a duplicate, not a second event.
    assert_eq!(act(&app, &cookie, &form).await.status(), StatusCode::SEE_OTHER);
    let events = web_events(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "handled");
    assert_eq!(events[0]["source"], "web:ops");
    assert_eq!(events[0]["text"], "已派人抢修 <b>");
    let issue = app.get_json("/v1/issues/water").await;
    assert_eq!(stage(&issue, "handle")["state"], "met", "{issue}");

    let (_, _, body) = page(&app, "/i/water?done=handled", &[("cookie", &cookie)]).await;
    assert!(
        body.contains("已派人抢修 &lt;b&gt;"),
        "the note on the timeline, escaped: {body}"
    );
    assert!(body.contains("由 ops"), "met by the token's name: {body}");

    // Close, then reopen with a note.
    let (_, _, body) = page(&app, "/i/water", &[("cookie", &cookie)]).await;
    let close = [
        ("csrf", csrf.as_str()),
        ("nonce", "close1"),
        ("kind", "closed"),
        ("note", ""),
    ];
    assert_eq!(
        act(&app, &cookie, &close).await.status(),
        StatusCode::SEE_OTHER,
        "{body}"
    );
    let (_, _, body) = page(&app, "/i/water", &[("cookie", &cookie)]).await;
    assert!(
        body.contains("value=\"reopened\""),
        "a closed issue may be reopened: {body}"
    );
    let reopen = [
        ("csrf", csrf.as_str()),
        ("nonce", "reopen1"),
        ("kind", "reopened"),
        ("note", "又停水了"),
    ];
    assert_eq!(act(&app, &cookie, &reopen).await.status(), StatusCode::SEE_OTHER);
    let kinds: Vec<String> = web_events(&app)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["handled", "closed", "reopened"]);
    assert_eq!(app.get_json("/v1/issues/water").await["state"], "open");
}

async fn actions_need_the_csrf_token_and_ingest_scope(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("water", 3.0, "工地停水")).await;
    let ops = session(&app, OPS_TOKEN).await;
    let (_, _, body) = page(&app, "/i/water", &[("cookie", &ops)]).await;
    let csrf = field(&body, "csrf");
    for (what, cookie, token) in [
        ("no CSRF token", ops.as_str(), ""),
        ("a wrong CSRF token", ops.as_str(), "0123456789"),
        ("no session", "", csrf.as_str()),
    ] {
        let response = act(&app, cookie, &[("csrf", token), ("kind", "handled")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    }
    let viewer = session(&app, VIEWER_TOKEN).await;
    let (_, _, body) = page(&app, "/i/water", &[("cookie", &viewer)]).await;
    assert!(!body.contains("name=\"nonce\""), "no form for read scope");
    let viewer_csrf = field(&body, "csrf");
    let response = act(
        &app,
        &viewer,
        &[("csrf", viewer_csrf.as_str()), ("kind", "handled")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "read scope cannot act");
    let response = act(&app, &ops, &[("csrf", csrf.as_str()), ("kind", "raised")]).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "only the page's four kinds"
    );
    assert!(web_events(&app).await.is_empty(), "nothing was recorded");
}

async fn the_compliance_page_counts_met_breached_and_waived_with_a_csv(backend: Backend) {
    let app = start(backend, None).await;
    app.accept(&raised_with("on-time", 5.0, "按时回复")).await;
    app.accept(&acknowledged("on-time", 3.0)).await;
    app.accept(&raised_with("late", 11.0, "无人回复")).await;
    app.accept(&raised_with("withdrawn", 2.0, "已撤回")).await;
    app.accept(&closed("withdrawn", 1.0, "withdrawn")).await;
    let (status, _, _) = page(&app, "/reports", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a session is needed");

    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let range = format!(
        "/reports?period=custom&from={}&to={}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    );
    let cookie = session(&app, VIEWER_TOKEN).await;
    let (status, headers, body) = page(&app, &range, &[("cookie", &cookie)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_secure_headers(&headers, "/reports");
    for expected in ["达标率", "50.0%", "2 分钟", "无人回复", "下载 CSV"] {
        assert!(body.contains(expected), "the report lacks `{expected}`:\n{body}");
    }
    let (status, headers, csv) = page(&app, &format!("{range}&format=csv"), &[("cookie", &cookie)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let lines: Vec<&str> = csv.lines().collect();
    // The first version's columns come first, in their order; more follow.
    assert!(
        lines[0].starts_with(
            "project,project_name,stage,met,breached,waived,open,met_percent,median_seconds,p90_seconds,"
        ),
        "{csv}"
    );
    let row = format!("zhongtai,{PROJECT_NAME},ack,1,1,1,0,50.0,120,120,");
    assert!(lines.iter().any(|line| line.starts_with(&row)), "{csv}");
    let (_, _, english) = page(&app, &format!("{range}&lang=en"), &[("cookie", &cookie)]).await;
    assert!(
        english.contains("Met %") && english.contains("2 min"),
        "{english}"
    );

    // The report API gives the same figures, from the same computation.
    let from = (today.pred_opt().unwrap()).and_hms_opt(0, 0, 0).unwrap();
    let to = (today.succ_opt().unwrap().succ_opt().unwrap())
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let period = format!("from={from}%2B08:00&to={to}%2B08:00").replace(' ', "T");
    let report = app.get_json(&format!("/v1/reports/compliance?{period}")).await;
    let ack = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["project"] == "zhongtai" && item["stage"] == "ack")
        .unwrap_or_else(|| panic!("no zhongtai ack figures: {report}"));
    assert_eq!(
        (ack["met"].clone(), ack["breached"].clone(), ack["waived"].clone()),
        (json!(1), json!(1), json!(1)),
        "{report}"
    );
    assert_eq!(ack["met_percent"], 50.0);
    assert_eq!(ack["median_seconds"], 120);
    assert!(
        report["breached"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["issue"] == "late"),
        "{report}"
    );
    let api_csv = app
        .get(&format!("/v1/reports/compliance?{period}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(api_csv, csv, "the page's CSV and the API's are one");

    // The metrics count the same outcomes.
    let counted = |metrics: &str, outcome: &str| {
        metrics.lines().any(|line| {
            line.starts_with("slawatch_stage_outcomes_total{")
                && [
                    format!("outcome=\"{outcome}\""),
                    "project=\"zhongtai\"".into(),
                    "stage=\"ack\"".into(),
                ]
                .iter()
                .all(|label| line.contains(label.as_str()))
                && line.ends_with(" 1")
        })
    };
    eventually(
        Duration::from_secs(10),
        "the metrics agree with the report",
        || async {
            let metrics = app.get("/metrics").await.text().await.ok()?;
            ["met", "breached", "waived"]
                .iter()
                .all(|outcome| counted(&metrics, outcome))
                .then_some(())
        },
    )
    .await;
}

/// `slawatch demo`: its board, compliance page and issue pages answer at once
/// (no tokens: the pages are open on loopback, like the API).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_zone_has_a_board_reports_and_issue_pages() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = slawatch::config::Config::defaults();
    config.database_url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(slawatch::run_demo(config, true, listener, shutdown.clone()));
    let client = browser();
    let body = eventually(Duration::from_secs(15), "the demo board", || async {
        let response = client.get(format!("{base}/board")).send().await.ok()?;
        let body = response.text().await.ok()?;
        body.contains("class=\"row ").then_some(body)
    })
    .await;
    let first_issue = body
        .split("href=\"&#x2f;i&#x2f;")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an issue link on the board")
        .to_string();
    for path in [
        "/".to_string(),
        "/reports".to_string(),
        format!("/i/{first_issue}"),
    ] {
        let response = client.get(format!("{base}{path}")).send().await.expect("GET");
        let expected = if path == "/" { 303 } else { 200 };
        assert_eq!(response.status().as_u16(), expected, "{path}");
    }
    shutdown.cancel();
    task.await
        .expect("the demo task")
        .expect("the demo stops cleanly");
}

async fn the_openapi_document_lists_the_pages_and_the_report(backend: Backend) {
    let app = start(backend, None).await;
    let openapi = app.get_json("/openapi.json").await;
    for path in [
        "/i/{issue}",
        "/i/{issue}/actions",
        "/board",
        "/board/{project}",
        "/reports",
        "/login",
        "/logout",
        "/v1/reports/compliance",
    ] {
        assert!(openapi["paths"].get(path).is_some(), "{path} is not described");
    }
}
