//! The documents a newcomer and an operator read first say what the
//! repository holds: the README in the order a first day needs, and every
//! configuration key in its table and in the shipped file.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The position of a line that starts with `heading`.
fn heading(text: &str, heading: &str) -> usize {
    text.lines()
        .position(|line| line.starts_with(heading))
        .unwrap_or_else(|| panic!("no heading `{heading}`"))
}

#[test]
fn the_readme_starts_with_what_a_newcomer_needs_in_order() {
    let readme = read("README.md");
    let order = [
        "## Prerequisites",
        "## Two commands",
        "## A walk-through",
        "## Connecting a chat group",
        "## Configuration",
    ];
    let positions: Vec<usize> = order.iter().map(|name| heading(&readme, name)).collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{order:?} at {positions:?}"
    );
    let introduction: Vec<&str> = readme
        .lines()
        .take(positions[0])
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        introduction.len() <= 5,
        "what slawatch is, in five lines: {introduction:?}"
    );
    let first_headings: Vec<&str> = readme
        .lines()
        .filter(|line| line.starts_with("## "))
        .take(5)
        .collect();
    assert_eq!(first_headings.len(), 5);
    assert!(
        first_headings
            .iter()
            .zip(order)
            .all(|(line, name)| line.starts_with(name)),
        "{first_headings:?}"
    );
    // Internals live in docs/.
    for internal in [
        "mimalloc",
        "SQLITE_DEFAULT_MEMSTATUS",
        "rusqlite",
        "compile-time options",
    ] {
        assert!(
            !readme.contains(internal),
            "`{internal}` belongs in docs/internals.md"
        );
    }
    let internals = read("docs/internals.md");
    for internal in ["mimalloc", "SQLITE_DEFAULT_MEMSTATUS", "rusqlite"] {
        assert!(internals.contains(internal), "`{internal}` in docs/internals.md");
    }
    // What the server answers to the walk-through's 2024 dates.
    assert!(readme.contains("all three stages already read `breached`"));
    assert!(readme.contains("the three breach records made when the issue\narrived have been retracted"));
}

#[test]
fn every_configuration_key_is_in_the_readme_table_and_the_shipped_file() {
    let readme = read("README.md");
    let shipped = read("config/slawatch.toml");
    for key in [
        "server.listen",
        "server.public_url",
        "server.body_limit",
        "server.metrics_token_env",
        "server.rate_limit_per_second",
        "server.rate_limit_burst",
        "database.url",
        "database.max_connections",
        "engine.grace",
        "engine.max_future_skew",
        "engine.merge_window",
        "engine.pleasantries",
        "engine.commands",
        "log.format",
        "notifications.digest_at",
        "notifications.alert_resend",
        "notifications.templates",
        "notifications.retry_base",
    ] {
        assert!(
            readme.contains(&format!("| `{key}`")) || readme.contains(&format!(", `{key}`")),
            "README table lacks `{key}`"
        );
        let (section, name) = key.split_once('.').unwrap();
        let at = shipped
            .find(&format!("[{section}]"))
            .unwrap_or_else(|| panic!("no [{section}] in config/slawatch.toml"));
        let next = shipped[at + 1..]
            .find("\n[")
            .map_or(shipped.len(), |end| at + 1 + end);
        assert!(
            shipped[at..next].contains(name),
            "config/slawatch.toml [{section}] lacks `{name}`"
        );
    }
}
