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

/// A `slawatch` process whose stderr is a pipe (not a terminal), stopped
/// and read once the test has what it needs.
struct Running(std::process::Child);

impl Running {
    fn start(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut command = Command::new(env!("CARGO_BIN_EXE_slawatch"));
        command.arg("--config").arg(config).args(args).env_clear();
        for (name, value) in env {
            command.env(name, value);
        }
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        Running(command.spawn().expect("cannot start slawatch"))
    }

    /// Waits until `GET /readyz` on 127.0.0.1:`port` answers 200.
    fn wait_ready(&mut self, port: u16) {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                panic!("slawatch exited while starting ({status}): {}", self.stderr());
            }
            if readyz(port) {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "not ready"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Stops the process and returns everything it logged.
    fn stderr(&mut self) -> String {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let mut text = String::new();
        if let Some(mut stderr) = self.0.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        }
        text
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `GET /readyz` on 127.0.0.1:`port` answers 200.
fn readyz(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request = format!("GET /readyz HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `SLAWATCH_SERVER_LISTEN=localhost:PORT` serves on 127.0.0.1:PORT.
#[test]
fn serve_listens_on_localhost() {
    let (dir, config) = config_file("");
    let database = format!("sqlite://{}/slawatch.db", dir.path().display());
    let port = free_port();
    let listen = format!("localhost:{port}");
    let env = [
        ("SLAWATCH_SERVER_LISTEN", listen.as_str()),
        ("SLAWATCH_DATABASE_URL", &database),
    ];
    let mut server = Running::start(&config, &["serve"], &env);
    server.wait_ready(port);
    let logs = server.stderr();
    assert!(logs.contains("slawatch listening"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "no colour codes in a pipe: {logs:?}");
}

/// `slawatch demo` says once where to look, and its stderr (a pipe here)
/// holds no colour codes.
#[test]
fn demo_logs_its_addresses_once_without_colours() {
    let (dir, config) = config_file("");
    let database = format!("sqlite://{}/demo.db", dir.path().display());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let env = [("SLAWATCH_SERVER_LISTEN", listen.as_str())];
    let mut demo = Running::start(&config, &["demo", "--database", &database], &env);
    demo.wait_ready(port);
    let logs = demo.stderr();
    assert_eq!(logs.matches("demo zone loaded").count(), 1, "{logs}");
    for address in ["/v1/issues", "/metrics"] {
        let url = format!("http://127.0.0.1:{port}{address}");
        assert_eq!(logs.matches(&url).count(), 1, "{url} once in: {logs}");
    }
    assert!(!logs.contains('\u{1b}'), "no colour codes in a pipe: {logs:?}");
}
