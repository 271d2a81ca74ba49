//! The keys and labels of an event, checked: ids and issue keys are 1–128
//! printable characters, project keys and priorities 1–64, none with `/`
//! (they appear in URLs). Errors name the field at fault.

use super::{Invalid, MAX_KEY_CHARS, MAX_LABEL_CHARS};

/// An event id: 1–128 printable characters without `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventId(String);

/// An issue's external key: 1–128 printable characters without `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueKey(String);

/// A project key: 1–64 printable characters without `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey(String);

impl EventId {
    /// `field` is the JSON path errors name.
    pub fn parse(text: String, field: &str) -> Result<Self, Invalid> {
        key(text, field).map(Self)
    }
}

impl IssueKey {
    /// `field` is the JSON path errors name.
    pub fn parse(text: String, field: &str) -> Result<Self, Invalid> {
        key(text, field).map(Self)
    }
}

impl ProjectKey {
    /// `field` is the JSON path errors name.
    pub fn parse(text: String, field: &str) -> Result<Self, Invalid> {
        label(text, field, "project").map(Self)
    }
}

macro_rules! into_string {
    ($($newtype:ty),*) => {$(
        impl From<$newtype> for String {
            fn from(value: $newtype) -> String {
                value.0
            }
        }
        impl AsRef<str> for $newtype {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
into_string!(EventId, IssueKey, ProjectKey);

pub(super) fn key(text: String, field: &str) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS {
        return Err(Invalid::new(
            field,
            "bad_length",
            format!("`{field}` must be 1 to {MAX_KEY_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() || c == '/') {
        return Err(Invalid::new(
            field,
            "bad_characters",
            format!("`{field}` must be printable and must not contain `/`"),
        ));
    }
    Ok(text)
}

pub(super) fn label(text: String, field: &str, name: &str) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS || text.chars().any(|c| c.is_control() || c == '/') {
        return Err(Invalid::new(
            field,
            "bad_label",
            format!("`{name}` must be 1 to {MAX_LABEL_CHARS} printable characters without `/`"),
        ));
    }
    Ok(text)
}

pub(super) fn bounded_chars(text: String, limit: usize, field: &str) -> Result<String, Invalid> {
    if text.chars().count() > limit {
        return Err(Invalid::new(
            field,
            "too_long",
            format!("`{field}` is longer than {limit} characters"),
        ));
    }
    Ok(text)
}
