//! The documents a newcomer and an operator read first say what the
//! repository holds: the README in the order a first day needs, every
//! configuration key in its table and in the shipped file, benchmarks that
//! fit on a screen each, and install steps that install what the systemd
//! unit points to.

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
        "retention.messages",
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

#[test]
fn benchmarks_keep_current_results_a_screen_each_and_the_history_apart() {
    let benchmarks = read("docs/benchmarks.md");
    assert!(benchmarks.lines().count() <= 200, "current results only");
    let mut sections = benchmarks.split("\n## ").skip(1).peekable();
    assert!(sections.peek().is_some());
    for section in sections {
        let title = section.lines().next().unwrap_or_default();
        assert!(section.lines().count() <= 50, "`{title}` fits on a screen");
    }
    assert!(benchmarks.contains("benchmarks-history.md"));
    assert!(read("docs/benchmarks-history.md").lines().count() > 1000);
}

#[test]
fn no_document_refers_to_a_spec_the_repository_does_not_hold() {
    let files = [
        "README.md",
        "docs/benchmarks.md",
        "docs/benchmarks-history.md",
        "docs/calendars.md",
        "docs/chat-platforms.md",
        "docs/history.md",
        "docs/internals.md",
        "docs/operations.md",
        "docs/reliability.md",
        "deploy/README.md",
        "deploy/k8s/configmap.yaml",
    ];
    for file in files {
        assert!(!read(file).contains("SPEC"), "{file} refers to a SPEC");
    }
}

#[test]
fn the_install_steps_install_what_the_systemd_unit_points_to() {
    let unit = read("deploy/systemd/slawatch.service");
    let deploy = read("deploy/README.md");
    let documentation = unit
        .lines()
        .find_map(|line| line.strip_prefix("Documentation="))
        .expect("the unit has Documentation=");
    for target in documentation.split_whitespace() {
        let installed = target
            .strip_prefix("file:///usr/local/share/doc/slawatch/")
            .unwrap_or_else(|| panic!("{target} is not a file the steps install"));
        let step = deploy
            .lines()
            .find(|line| {
                line.contains("install")
                    && line.contains("/usr/local/share/doc/slawatch/")
                    && line.contains(installed)
            })
            .unwrap_or_else(|| panic!("no install step puts {installed} in /usr/local/share/doc/slawatch/"));
        let source = step
            .split_whitespace()
            .find(|word| word.ends_with(installed))
            .unwrap_or_else(|| panic!("{step}"));
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(source).is_file(),
            "{source} exists"
        );
    }
    for steps in [&deploy, &unit] {
        assert!(
            steps
                .lines()
                .any(|line| line.contains("install") && line.contains("config/calendars/")),
            "the binary install steps copy config/calendars/"
        );
    }
}
