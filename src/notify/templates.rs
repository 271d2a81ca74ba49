//! Message templates: one markdown file per kind per language
//! (`config/templates/zh/breach.md`), with `{placeholders}` filled by
//! [`super::render`]. The shipped files are built into the binary; a
//! directory of overrides replaces any of them.

use super::{Language, NotificationKind};
use std::fmt;
use std::path::{Path, PathBuf};

/// Every placeholder a template may use. `{{` and `}}` write literal braces.
pub const PLACEHOLDERS: &[&str] = &[
    "project",
    "project_name",
    "issue",
    "seq",
    "cycle",
    "title",
    "stage",
    "raised_by",
    "raised_at",
    "deadline",
    "detected_at",
    "promise",
    "late",
    "remaining",
    "step",
    "url",
    "digest",
    "confirmation",
];

/// The message templates in use, one per language and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    entries: Vec<Entry>,
    /// Files in an override directory that match no language and kind.
    unknown_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    language: Language,
    kind: NotificationKind,
    text: String,
    source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Builtin,
    File(PathBuf),
    /// The override directory has no such file: the built-in one is used.
    MissingFrom(PathBuf),
}

impl Templates {
    /// The shipped templates, embedded at compile time.
    pub fn builtin() -> Self {
        let entries = Language::ALL
            .into_iter()
            .flat_map(|language| NotificationKind::ALL.map(move |kind| (language, kind)))
            .map(|(language, kind)| Entry {
                language,
                kind,
                text: builtin_text(language, kind).to_string(),
                source: Source::Builtin,
            })
            .collect();
        Templates {
            entries,
            unknown_files: Vec::new(),
        }
    }

    /// Loads overrides from `dir` (laid out like `config/templates/`): each
    /// file present replaces the built-in one; a missing file keeps it and is
    /// reported by [`Templates::check`].
    pub fn load(dir: &Path) -> Result<Self, String> {
        // An unreadable directory is a configuration error, not "no overrides".
        std::fs::read_dir(dir).map_err(|e| format!("templates directory {}: {e}", dir.display()))?;
        let mut templates = Self::builtin();
        for entry in &mut templates.entries {
            let path = dir.join(file_name(entry.language, entry.kind));
            match std::fs::read(&path) {
                Ok(bytes) => {
                    entry.text = String::from_utf8(bytes)
                        .map_err(|_| format!("template {} is not UTF-8", path.display()))?;
                    entry.source = Source::File(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    entry.source = Source::MissingFrom(path)
                }
                Err(e) => return Err(format!("template {}: {e}", path.display())),
            }
        }
        for language in Language::ALL {
            let Ok(listing) = std::fs::read_dir(dir.join(language.as_str())) else {
                continue;
            };
            for file in listing.flatten() {
                let path = file.path();
                let known = NotificationKind::ALL
                    .into_iter()
                    .any(|kind| path == dir.join(file_name(language, kind)));
                if !known && path.extension().is_some_and(|ext| ext == "md") {
                    templates.unknown_files.push(path);
                }
            }
        }
        templates.unknown_files.sort();
        Ok(templates)
    }

    /// The template for one language and kind.
    pub fn get(&self, language: Language, kind: NotificationKind) -> &str {
        self.entries
            .iter()
            .find(|entry| entry.language == language && entry.kind == kind)
            .map(|entry| entry.text.as_str())
            .expect("every language and kind has a template")
    }

    /// What `check-config` should report: unknown placeholders, unclosed
    /// braces and empty templates (errors), override files that match no
    /// template (errors: likely a typo), and files missing from an override
    /// directory (notices: the built-in template is used).
    pub fn check(&self) -> Vec<TemplateProblem> {
        let mut problems = Vec::new();
        for entry in &self.entries {
            let file = match &entry.source {
                Source::Builtin => format!("(built-in) {}", file_name(entry.language, entry.kind)),
                Source::File(path) => path.display().to_string(),
                Source::MissingFrom(path) => {
                    problems.push(TemplateProblem {
                        file: path.display().to_string(),
                        problem: Problem::Missing,
                    });
                    continue;
                }
            };
            if entry.text.trim().is_empty() {
                problems.push(TemplateProblem {
                    file: file.clone(),
                    problem: Problem::Empty,
                });
            }
            match parse(&entry.text) {
                Err(()) => problems.push(TemplateProblem {
                    file,
                    problem: Problem::UnclosedBrace,
                }),
                Ok(pieces) => {
                    for piece in pieces {
                        if let Piece::Placeholder(name) = piece {
                            if !PLACEHOLDERS.contains(&name) {
                                problems.push(TemplateProblem {
                                    file: file.clone(),
                                    problem: Problem::UnknownPlaceholder(name.to_string()),
                                });
                            }
                        }
                    }
                }
            }
        }
        for path in &self.unknown_files {
            problems.push(TemplateProblem {
                file: path.display().to_string(),
                problem: Problem::UnknownFile,
            });
        }
        problems
    }
}

/// The path of a template under the templates directory: `zh/breach.md`.
pub fn file_name(language: Language, kind: NotificationKind) -> String {
    format!("{}/{}.md", language.as_str(), kind.as_str())
}

/// One finding of [`Templates::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub file: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    UnknownPlaceholder(String),
    UnclosedBrace,
    Empty,
    UnknownFile,
    Missing,
}

impl TemplateProblem {
    /// Errors make `check-config` fail; a missing override is only a notice.
    pub fn is_error(&self) -> bool {
        self.problem != Problem::Missing
    }
}

impl fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = &self.file;
        match &self.problem {
            Problem::UnknownPlaceholder(name) => write!(
                f,
                "{file}: unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS.join(", ")
            ),
            Problem::UnclosedBrace => write!(
                f,
                "{file}: a `{{` or `}}` is not closed (write `{{{{` for a literal brace)"
            ),
            Problem::Empty => write!(f, "{file}: the template is empty"),
            Problem::UnknownFile => write!(
                f,
                "{file}: matches no notification kind (expected one of {})",
                kinds()
            ),
            Problem::Missing => write!(f, "{file}: not found, the built-in template is used"),
        }
    }
}

fn kinds() -> String {
    NotificationKind::ALL
        .map(|kind| format!("{}.md", kind.as_str()))
        .join(", ")
}

/// A template cut into literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template; `Err` on a `{` or `}` that is neither doubled nor part
/// of a `{name}`.
pub(crate) fn parse(template: &str) -> Result<Vec<Piece<'_>>, ()> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        if at > 0 {
            pieces.push(Piece::Text(&rest[..at]));
        }
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{") {
            pieces.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            pieces.push(Piece::Text("}"));
            rest = after;
        } else if tail.starts_with('}') {
            return Err(());
        } else {
            let end = tail.find('}').ok_or(())?;
            let name = &tail[1..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(());
            }
            pieces.push(Piece::Placeholder(name));
            rest = &tail[end + 1..];
        }
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn builtin_text(language: Language, kind: NotificationKind) -> &'static str {
    use Language::{En, Zh};
    use NotificationKind::*;
    match (language, kind) {
        (Zh, Warning) => include_str!("../../config/templates/zh/warning.md"),
        (Zh, Breach) => include_str!("../../config/templates/zh/breach.md"),
        (Zh, Escalation) => include_str!("../../config/templates/zh/escalation.md"),
        (Zh, Retraction) => include_str!("../../config/templates/zh/retraction.md"),
        (Zh, DailyDigest) => include_str!("../../config/templates/zh/daily_digest.md"),
        (Zh, Confirmation) => include_str!("../../config/templates/zh/confirmation.md"),
        (En, Warning) => include_str!("../../config/templates/en/warning.md"),
        (En, Breach) => include_str!("../../config/templates/en/breach.md"),
        (En, Escalation) => include_str!("../../config/templates/en/escalation.md"),
        (En, Retraction) => include_str!("../../config/templates/en/retraction.md"),
        (En, DailyDigest) => include_str!("../../config/templates/en/daily_digest.md"),
        (En, Confirmation) => include_str!("../../config/templates/en/confirmation.md"),
    }
}

#[cfg(test)]
mod tests;
