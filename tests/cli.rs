//! The command line as an operator meets it: `check-config` reports every
//! problem of a configuration at once and refuses published sample secrets.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `slawatch --config CONFIG ARGS` with only `env` in its environment.
fn slawatch(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slawatch"));
    command.arg("--config").arg(config).args(args).env_clear();
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("cannot run slawatch")
}

/// A configuration file in a fresh directory.
fn config_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slawatch.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn check_config_reports_every_problem_at_once() {
    let (_dir, config) = config_file(
        "[server]\nlisten = \"nowhere\"\n\n[engine]\ngrace = \"soon\"\n\n\
         [[policies]]\nname = \"p\"\nwarn_at = 2.0\n",
    );
    let output = slawatch(&config, &["check-config"], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "one line per problem:\n{stderr}");
    for key in ["server.listen", "engine.grace", "policies[0].warn_at"] {
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("slawatch: configuration error: ") && line.contains(key)),
            "`{key}` in:\n{stderr}"
        );
    }
}

/// A deployment that copied `deploy/.env.example` and forgot to replace its
/// tokens does not start with published secrets.
#[test]
fn check_config_refuses_the_sample_tokens_of_the_env_example() {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/.env.example")).unwrap();
    let tokens = example
        .lines()
        .find_map(|line| line.strip_prefix("SLAWATCH_TOKENS="))
        .expect("the example sets SLAWATCH_TOKENS");
    let (_dir, config) = config_file("");
    let output = slawatch(&config, &["check-config"], &[("SLAWATCH_TOKENS", tokens)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("set SLAWATCH_TOKENS"), "{stderr}");
    let fresh = "group-bot:ingest:3f9c0e8a51d24b7e9c6a0d1f5b2e";
    let output = slawatch(&config, &["check-config"], &[("SLAWATCH_TOKENS", fresh)]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
