//! The keys and labels of an event, checked: ids and issue keys are 1–128
//! printable characters, project keys and priorities 1–64, none with `/`
//! (they appear in URLs). Errors name the field at fault.

use super::{Invalid, MAX_KEY_CHARS, MAX_LABEL_CHARS};
use std::fmt::Display;

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
    /// `field` is the JSON path errors name (written out only for an error).
    pub fn parse(text: String, field: &dyn Display) -> Result<Self, Invalid> {
        key(text, field).map(Self)
    }
}

impl IssueKey {
    /// `field` is the JSON path errors name (written out only for an error).
    pub fn parse(text: String, field: &dyn Display) -> Result<Self, Invalid> {
        key(text, field).map(Self)
    }
}

impl ProjectKey {
    /// `field` is the JSON path errors name (written out only for an error).
    pub fn parse(text: String, field: &dyn Display) -> Result<Self, Invalid> {
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

pub(super) fn key(text: String, field: &dyn Display) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS {
        return Err(Invalid::new(
            field.to_string(),
            "bad_length",
            format!("`{field}` must be 1 to {MAX_KEY_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() || c == '/') {
        return Err(Invalid::new(
            field.to_string(),
            "bad_characters",
            format!("`{field}` must be printable and must not contain `/`"),
        ));
    }
    Ok(text)
}

pub(super) fn label(text: String, field: &dyn Display, name: &str) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS || text.chars().any(|c| c.is_control() || c == '/') {
        return Err(Invalid::new(
            field.to_string(),
            "bad_label",
            format!("`{name}` must be 1 to {MAX_LABEL_CHARS} printable characters without `/`"),
        ));
    }
    Ok(text)
}

pub(super) fn bounded_chars(text: String, limit: usize, field: &dyn Display) -> Result<String, Invalid> {
    if text.chars().count() > limit {
        return Err(Invalid::new(
            field.to_string(),
            "too_long",
            format!("`{field}` is longer than {limit} characters"),
        ));
    }
    Ok(text)
}

/// A field's JSON path, `prefix` then `name` (`[3].title`), written out
/// only when an error names it: a valid event costs no allocation for it.
#[derive(Clone, Copy)]
pub(super) struct FieldPath<'a>(pub &'a dyn Display, pub &'a str);

impl Display for FieldPath<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}{}", self.0, self.1)
    }
}
