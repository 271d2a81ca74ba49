//! Acting from the issue page: mark handled, record a plan, close, reopen,
//! with a note. Needs a session with `ingest` scope and the session's CSRF
//! token; recorded as events with `source` = `web:{token name}` through the
//! same writer as `POST /v1/events`.

use super::access::Viewer;
use super::issue::{ActionKind, Actions};
use super::text::Lang;
use crate::domain::issue::IssueStatus;
use crate::notify::link::path_segment;
use crate::store::rows::IssueRow;

/// The action form for `row`: the kinds that fit its state.
pub fn form(row: &IssueRow, viewer: &Viewer, lang: Lang, _link: &str) -> Actions {
    let kinds: &[&'static str] = match row.status {
        IssueStatus::Closed => &["reopened"],
        IssueStatus::Unraised => &[],
        IssueStatus::Open | IssueStatus::Paused => &["handled", "planned", "closed"],
    };
    Actions {
        href: format!("/i/{}/actions", path_segment(&row.issue)),
        csrf: viewer.csrf.clone(),
        kinds: kinds
            .iter()
            .map(|kind| ActionKind {
                kind,
                label: lang.get(&format!("act_{kind}")),
            })
            .collect(),
    }
}
