//! Which module may use which (ARCHITECTURE.md, "Who may import whom"):
//! reads every file under `src/` and fails on a path into a module that its
//! module may not use, naming the file and line. Two rules:
//!
//! - Top-level modules: each may use only those [`ALLOWED`] lists for it,
//!   and the list itself has no cycle. `lib.rs` and `main.rs` wire
//!   everything together and may use anything.
//! - Inside `engine`: the modules form a line, [`ENGINE_LINE`]; each may use
//!   only those after it (`engine/mod.rs` may use all of them).
//!
//! Paths are found as written: `crate::x…`, `use crate::{x, …}` and
//! `super::…` chains (resolved from the file's place in the module tree), in
//! code only (comments and string literals are skipped).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it may use. Bottom first.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("secret", &["domain"]),
    ("hooks", &["domain", "secret"]),
    ("notify", &["domain"]),
    ("store", &["domain"]),
    ("metrics", &["domain", "store"]),
    ("config", &["domain", "hooks", "notify", "secret"]),
    ("telemetry", &["config"]),
    ("receivers", &["config", "domain", "hooks", "metrics", "store"]),
    ("engine", &["config", "domain", "metrics", "notify", "store"]),
    ("history", &["config", "domain", "engine", "metrics", "store"]),
    ("demo", &["config", "domain"]),
    (
        "http",
        &[
            "config",
            "domain",
            "engine",
            "hooks",
            "metrics",
            "notify",
            "receivers",
            "secret",
            "store",
        ],
    ),
    (
        "cli",
        &["config", "demo", "engine", "history", "store", "telemetry"],
    ),
];

/// The engine's modules, top first: each may use only those after it.
const ENGINE_LINE: &[&str] = &[
    "dispatch",
    "alerts",
    "digest",
    "retention",
    "report",
    "compliance",
    "inbox",
    "timer",
    "ingest",
    "batch",
    "classification",
    "command",
    "signal",
];

/// One path into another module, where it is written.
#[derive(Debug)]
struct Reference {
    line: usize,
    /// The absolute module path it names, e.g. `["engine", "ingest", "Writer"]`.
    path: Vec<String>,
}

#[test]
fn modules_import_only_what_the_architecture_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(module, uses)| (*module, uses.iter().copied().collect()))
        .collect();
    let top_level = top_level_modules(&src);
    let unlisted: Vec<&String> = top_level
        .iter()
        .filter(|m| !allowed.contains_key(m.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "top-level modules missing from ALLOWED in tests/architecture.rs (and ARCHITECTURE.md): {unlisted:?}"
    );
    let engine_modules = submodules(&src.join("engine"));
    let unplaced: Vec<&String> = engine_modules
        .iter()
        .filter(|m| !ENGINE_LINE.contains(&m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "engine modules missing from ENGINE_LINE in tests/architecture.rs: {unplaced:?}"
    );

    let mut violations = Vec::new();
    for file in rust_files(&src) {
        let module = module_path(&src, &file);
        let Some(own) = module.first().map(String::as_str) else {
            continue; // lib.rs, main.rs: the wiring
        };
        let shown = file
            .strip_prefix(src.parent().unwrap())
            .unwrap()
            .display()
            .to_string();
        let text = fs::read_to_string(&file).unwrap();
        for reference in references(&code_only(&text), &module) {
            let Some(target) = reference.path.first().map(String::as_str) else {
                continue;
            };
            if target != own && top_level.contains(target) && !allowed[own].contains(target) {
                violations.push(format!(
                    "{shown}:{}: `{own}` may not use `{target}` (`{}`); it may use {:?}",
                    reference.line,
                    reference.path.join("::"),
                    allowed[own]
                ));
            }
            if own == "engine" && target == "engine" {
                let (Some(from), Some(to)) = (module.get(1), reference.path.get(1)) else {
                    continue;
                };
                let rank = |name: &str| ENGINE_LINE.iter().position(|m| *m == name);
                if let (Some(from_rank), Some(to_rank)) = (rank(from), rank(to)) {
                    if to_rank < from_rank {
                        violations.push(format!(
                            "{shown}:{}: `engine::{from}` may not use `engine::{to}` (`{}`): \
                             the engine's line runs {}",
                            reference.line,
                            reference.path.join("::"),
                            ENGINE_LINE.join(" → ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against ARCHITECTURE.md:\n  {}",
        violations.join("\n  ")
    );
}

/// The most lines a production file may have: one a reader takes in at a
/// sitting. Test files (`tests.rs`, files under a `tests/` folder) may be
/// longer.
const MOST_LINES: usize = 400;

#[test]
fn production_files_stay_short_and_the_file_tree_is_the_module_tree() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for file in rust_files(&src) {
        let shown = file
            .strip_prefix(src.parent().unwrap())
            .unwrap()
            .display()
            .to_string();
        let text = fs::read_to_string(&file).unwrap();
        if code_only(&text).contains("#[path") {
            problems.push(format!(
                "{shown}: a `#[path]` attribute hides where a module lives"
            ));
        }
        let is_test = file.file_name().is_some_and(|name| name == "tests.rs")
            || file.components().any(|part| part.as_os_str() == "tests");
        let lines = text.lines().count();
        if !is_test && lines > MOST_LINES {
            problems.push(format!(
                "{shown}: {lines} lines (at most {MOST_LINES}); split it along its seams"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_allowed_imports_form_no_cycle() {
    // Each module may only use modules listed before it: a topological
    // order, hence no cycle.
    for (index, (module, uses)) in ALLOWED.iter().enumerate() {
        let earlier: Vec<&str> = ALLOWED[..index].iter().map(|(m, _)| *m).collect();
        for used in *uses {
            assert!(
                earlier.contains(used),
                "`{module}` may use `{used}`, which is not listed before it in ALLOWED: a cycle or a misordered list"
            );
        }
    }
}

#[test]
fn paths_are_found_in_code_and_not_in_comments_or_strings() {
    let text = "use crate::engine::ingest::Writer;\n\
                // crate::http in a comment\n\
                let url = \"crate::pages\";\n\
                use crate::{\n    config::Config,\n    store::{Store, StoreError},\n};\n\
                fn f() { super::super::notify::build(); let c = '\"'; crate::metrics::x(c); }\n";
    let module = vec!["engine".to_string(), "timer".to_string()];
    let found: Vec<(usize, String)> = references(&code_only(text), &module)
        .into_iter()
        .map(|r| (r.line, r.path.join("::")))
        .collect();
    assert_eq!(
        found,
        [
            (1, "engine::ingest::Writer".to_string()),
            (5, "config::Config".to_string()),
            (6, "store".to_string()),
            (8, "notify::build".to_string()),
            (8, "metrics::x".to_string()),
        ]
    );
}

/// The names of `src/`'s top-level modules (files and directories).
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    submodules(src)
        .into_iter()
        .filter(|name| name != "lib" && name != "main")
        .collect()
}

/// The modules of `dir`: files `x.rs` and directories `x/mod.rs`.
fn submodules(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            if path.is_dir() {
                // A directory is a module by its `mod.rs` (else its `x.rs` counts).
                path.join("mod.rs").is_file().then_some(name)
            } else {
                name.strip_suffix(".rs")
                    .filter(|stem| *stem != "mod")
                    .map(str::to_string)
            }
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The module a file holds: `src/http/pages/board.rs` → `[http, pages, board]`,
/// `src/engine/mod.rs` → `[engine]`, `src/lib.rs` → `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_str().unwrap().to_string())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.strip_suffix(".rs").unwrap();
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return Vec::new();
    }
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// `text` with comments and the contents of string and character literals
/// blanked out (newlines kept, so line numbers stay).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && starts_literal(&chars, i) {
            // A raw string: r"…", r#"…"#, …
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let start = j + 1;
            let rest: String = chars[start..].iter().collect();
            let length = rest
                .find(&close)
                .map_or(rest.len(), |end| rest[..end].chars().count());
            let end = (start + length + close.chars().count()).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '"'), else a lifetime ('a).
            if next == Some('\\') {
                // The escaped character, then up to the closing quote.
                let from = (i + 3).min(chars.len());
                let end = chars[from..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map_or(chars.len(), |p| from + p);
                for _ in i..=end.min(chars.len() - 1) {
                    out.push(' ');
                }
                i = end + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether the `r` at `at` starts a raw string (`r"`, `br"`), not an
/// identifier's last letter.
fn starts_literal(chars: &[char], at: usize) -> bool {
    match at.checked_sub(1).map(|before| chars[before]) {
        Some('b') => !is_ident(at.checked_sub(2).map(|before| &chars[before])),
        previous => !is_ident(previous.as_ref()),
    }
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every path in `code` that starts at the crate root (`crate::…`) or
/// climbs out with `super::…`, as an absolute module path.
fn references(code: &str, module: &[String]) -> Vec<Reference> {
    let chars: Vec<char> = code.chars().collect();
    let line_at = |index: usize| chars[..index].iter().filter(|&&c| c == '\n').count() + 1;
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word =
            !is_ident(chars.get(i.wrapping_sub(1))) && chars.get(i.wrapping_sub(1)) != Some(&'$');
        let (base, after) = if starts_word && matches_at(&chars, i, "crate::") {
            (Vec::new(), i + "crate::".len())
        } else if starts_word && matches_at(&chars, i, "super::") {
            let mut climbs = 0;
            let mut j = i;
            while matches_at(&chars, j, "super::") {
                climbs += 1;
                j += "super::".len();
            }
            // Climbing within the file's own module tree names nothing new.
            (module[..module.len().saturating_sub(climbs)].to_vec(), j)
        } else {
            i += 1;
            continue;
        };
        for (at, tail) in paths_at(&chars, after) {
            let mut path = base.clone();
            path.extend(tail);
            if !path.is_empty() {
                found.push(Reference {
                    line: line_at(at),
                    path,
                });
            }
        }
        i = after;
    }
    found
}

fn matches_at(chars: &[char], at: usize, text: &str) -> bool {
    text.chars()
        .enumerate()
        .all(|(k, c)| chars.get(at + k) == Some(&c))
}

/// The paths written at `at` (just after `crate::` or `super::`): one
/// path, or one per item of a `{…}` group, each with where it starts.
fn paths_at(chars: &[char], at: usize) -> Vec<(usize, Vec<String>)> {
    let mut i = at;
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    if chars.get(i) == Some(&'{') {
        let mut items = Vec::new();
        let mut depth = 0;
        let mut item_start = i + 1;
        let mut j = i;
        while j < chars.len() {
            match chars[j] {
                '{' => depth += 1,
                '}' | ',' if depth == 1 => {
                    let (start, path) = segments(chars, item_start);
                    if !path.is_empty() {
                        items.push((start, path));
                    }
                    item_start = j + 1;
                    if chars[j] == '}' {
                        break;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
            j += 1;
        }
        items
    } else {
        let (start, path) = segments(chars, i);
        vec![(start, path)]
    }
}

/// The identifiers of the path at `at` up to the first that is not a
/// module-like name (`Type`, `{`, `*`, …), keeping at least the first.
fn segments(chars: &[char], at: usize) -> (usize, Vec<String>) {
    let mut i = at;
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    let start = i;
    let mut path = Vec::new();
    loop {
        let begin = i;
        while is_ident(chars.get(i)) {
            i += 1;
        }
        if begin == i {
            break;
        }
        let name: String = chars[begin..i].iter().collect();
        if name == "self" {
            break;
        }
        path.push(name);
        if matches_at(chars, i, "::") && is_ident(chars.get(i + 2)) {
            i += 2;
        } else {
            break;
        }
    }
    (start, path)
}
