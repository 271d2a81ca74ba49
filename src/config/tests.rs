use super::*;
use crate::domain::duration::Target;
use crate::domain::policy::{Audience, Stage};

fn no_env(_: &str) -> Option<String> {
    None
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Some(PathBuf::from("test.toml")), &no_env)
}

fn error_of(text: &str) -> String {
    load(text).expect_err("should be refused").0
}

#[test]
fn empty_file_gives_the_documented_defaults() {
    let config = load("").unwrap();
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.server.body_limit, 1024 * 1024);
    assert_eq!(config.database_url, "sqlite://data/slawatch.db");
    assert_eq!(config.engine.grace, TimeDelta::seconds(30));
    assert_eq!(config.engine.max_future_skew, TimeDelta::minutes(5));
    assert!(!config.auth_enabled());
    let policy = config.policies.select("any", None);
    assert_eq!(policy.name, "default");
    assert_eq!(policy.calendar.time_zone(), chrono_tz::Asia::Shanghai);
}

#[test]
fn shipped_config_file_is_valid() {
    let text = include_str!("../../config/slawatch.toml");
    let config = load(text).unwrap();
    assert_eq!(config.policies.select("zhongtai", None).name, "default");
}

#[test]
fn policies_are_parsed_with_match_targets_and_ladder() {
    let config = load(
        r#"
        [[policies]]
        name = "urgent"
        match = { priority = ["urgent"] }
        targets = { ack = "5m", handle = "1h", plan = "4h" }
        warn_at = 0.5
        allow_pause = true
        escalation = [ { after = "30m", to = "lead" }, { after = "2h", to = "zone" } ]

        [[policies]]
        name = "berlin"
        match = { project = ["b"] }
        time_zone = "Europe/Berlin"
        "#,
    )
    .unwrap();
    let urgent = config.policies.select("zhongtai", Some("urgent"));
    assert_eq!(
        urgent.target(Stage::Ack),
        Some(Target::Working(TimeDelta::minutes(5)))
    );
    assert!(urgent.allow_pause);
    assert_eq!(urgent.warn_at, 0.5);
    assert_eq!(urgent.escalation.len(), 2);
    assert_eq!(urgent.escalation[1].to, Audience::Zone);
    let berlin = config.policies.select("b", None);
    assert_eq!(berlin.calendar.time_zone(), chrono_tz::Europe::Berlin);
    assert_eq!(
        berlin.target(Stage::Plan),
        Some(Target::Days(1)),
        "targets default to 10m/2h/1d"
    );
    assert_eq!(config.policies.select("other", None).name, "default");
}

#[test]
fn errors_name_the_key() {
    let cases = [
        ("[server]\nlisten = \"nowhere\"", "server.listen"),
        ("[server]\nbody_limit = \"lots\"", "server.body_limit"),
        ("[engine]\ngrace = \"soon\"", "engine.grace"),
        (
            "[[policies]]\nname = \"p\"\ntargets = { ack = \"ten\" }",
            "policies[0].targets.ack",
        ),
        (
            "[[policies]]\nname = \"p\"\ntargets = { reply = \"10m\" }",
            "policies[0].targets.reply",
        ),
        (
            "[[policies]]\nname = \"p\"\ntime_zone = \"Mars/Olympus\"",
            "policies[0].time_zone",
        ),
        (
            "[[policies]]\nname = \"p\"\ncalendar = \"nope\"",
            "policies[0].calendar",
        ),
        ("[[policies]]\nname = \"p\"\nwarn_at = 1.5", "policies[0].warn_at"),
        (
            "[[policies]]\nname = \"p\"\nescalation = [{ after = \"1h\", to = \"boss\" }]",
            "policies[0].escalation[0].to",
        ),
        (
            "[[policies]]\nname = \"p\"\n[[policies]]\nname = \"p\"",
            "policies[1].name",
        ),
        (
            "[[tokens]]\nname = \"bot\"\nscopes = [\"ingest\"]\nsecret_env = \"NOPE\"",
            "tokens[0].secret_env",
        ),
        ("[log]\nformat = \"xml\"", "log.format"),
    ];
    for (text, key) in cases {
        let message = error_of(text);
        assert!(
            message.contains(key),
            "{text:?} gave {message:?}, expected it to name {key}"
        );
    }
}

#[test]
fn unknown_keys_and_syntax_errors_are_refused_with_the_file_name() {
    assert!(error_of("[server]\nlisten_on = \"x\"").contains("listen_on"));
    assert!(error_of("[server\n").contains("test.toml"));
    let message = error_of("[server]\nlisten = \"127.0.0.1:8080\"\nbody_limit = 5\n");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn token_secrets_come_from_the_environment_and_never_print() {
    let env = |name: &str| (name == "BOT_SECRET").then(|| "s3cret-s3cret-s3cret".to_string());
    let config = Config::from_toml(
        "[[tokens]]\nname = \"bot\"\nscopes = [\"ingest\", \"read\"]\nsecret_env = \"BOT_SECRET\"",
        None,
        &env,
    )
    .unwrap();
    let token = &config.tokens[0];
    assert!(token.allows(Scope::Ingest) && token.allows(Scope::Read) && !token.allows(Scope::Admin));
    assert!(token.secret.matches(b"s3cret-s3cret-s3cret"));
    assert!(!format!("{config:?}").contains("s3cret"));
}

#[test]
fn short_token_secrets_are_refused() {
    let env = |name: &str| (name == "X").then(|| "short".to_string());
    let error = Config::from_toml("[[tokens]]\nname = \"bot\"\nsecret_env = \"X\"", None, &env).unwrap_err();
    assert!(error.0.contains("at least 16"));
}

#[test]
fn environment_overrides_the_file() {
    let env = |name: &str| match name {
        "SLAWATCH_DATABASE_URL" => Some("postgres://db/slawatch".to_string()),
        "SLAWATCH_SERVER_LISTEN" => Some("0.0.0.0:9000".to_string()),
        "SLAWATCH_ENGINE_GRACE" => Some("5s".to_string()),
        "SLAWATCH_TOKENS" => Some("bot:ingest:aaaaaaaaaaaaaaaa,dash:read+admin:bbbbbbbbbbbbbbbb".to_string()),
        _ => None,
    };
    let config = Config::from_toml("[database]\nurl = \"sqlite://x.db\"", None, &env).unwrap();
    assert_eq!(config.database_url, "postgres://db/slawatch");
    assert_eq!(config.server.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(config.engine.grace, TimeDelta::seconds(5));
    assert_eq!(config.tokens.len(), 2);
    assert!(config.tokens[1].allows(Scope::Admin));
}

#[test]
fn malformed_token_list_is_refused() {
    let env = |name: &str| (name == "SLAWATCH_TOKENS").then(|| "just-a-name".to_string());
    assert!(Config::from_toml("", None, &env)
        .unwrap_err()
        .0
        .contains("SLAWATCH_TOKENS"));
}

#[test]
fn sizes_parse_in_binary_and_decimal_units() {
    assert_eq!(parse_size("1MiB"), Ok(1_048_576));
    assert_eq!(parse_size("64KB"), Ok(64_000));
    assert_eq!(parse_size("2048"), Ok(2048));
    assert!(parse_size("0").is_err());
    assert!(parse_size("1GB").is_err());
}

#[test]
fn policies_use_working_time_calendars_by_name() {
    let config = load(
        r#"
        [calendars.office]
        time_zone = "Asia/Shanghai"
        weekdays = { mon = ["08:30-12:00", "13:30-17:30"], tue = ["08:30-12:00", "13:30-17:30"], wed = ["08:30-12:00", "13:30-17:30"], thu = ["08:30-12:00", "13:30-17:30"], fri = ["08:30-12:00", "13:30-17:30"] }

        [[policies]]
        name = "office"
        match = { project = ["zhongtai"] }
        calendar = "office"

        [[policies]]
        name = "workdays"
        calendar = "cn-workdays"
        "#,
    )
    .unwrap();
    let office = config.policies.select("zhongtai", None);
    assert_eq!(office.calendar.name(), "office");
    // Raised 11:30 with a 2h target: 30 minutes before lunch, 90 after → 15:00.
    let raised = "2024-05-30T03:30:00Z".parse().unwrap();
    let due = office
        .calendar
        .deadline(raised, Target::Working(TimeDelta::hours(2)));
    assert_eq!(
        due,
        "2024-05-30T07:00:00Z"
            .parse::<crate::domain::Timestamp>()
            .unwrap()
    );

    // Raised Friday 16:00 with 1d in cn-workdays: due Monday 16:00.
    let workdays = config.policies.select("other", None);
    assert_eq!(workdays.calendar.name(), "cn-workdays");
    let friday = "2025-03-07T08:00:00Z".parse().unwrap();
    assert_eq!(
        workdays.calendar.deadline(friday, Target::Days(1)),
        "2025-03-10T08:00:00Z"
            .parse::<crate::domain::Timestamp>()
            .unwrap()
    );
}

#[test]
fn calendar_errors_are_reported_with_their_key() {
    let message = error_of("[calendars.office]\ntime_zone = \"Mars/Olympus\"\n");
    assert!(
        message.contains("office") && message.contains("Mars/Olympus"),
        "{message}"
    );
    let message = error_of("[calendars.office]\nholidays = [\"2025-10-01\"]\nworkdays = [\"2025-10-01\"]\n");
    assert!(message.contains("2025-10-01"), "{message}");
}

#[test]
fn every_problem_is_reported_at_once_each_with_its_key() {
    let text = r#"
[server]
listen = "not-an-address"

[engine]
grace = "soon"

[log]
format = "yaml"

[[tokens]]
name = "bot"
scopes = ["everything"]
secret_env = "NONE_SET"

[[policies]]
name = "p"
warn_at = 2.0

[projects.zhongtai]
chats = ["grp-without-platform"]
notify = { team = ["nowhere"] }

[channels.team]
kind = "pigeon"
url = "http://127.0.0.1:9000"

[hooks.slack]
signing_secret_env = "SLACK_UNSET"

[calendars.office]
time_zone = "Mars/Olympus"
"#;
    let message = error_of(text);
    let lines: Vec<&str> = message.lines().collect();
    for key in [
        "server.listen",
        "engine.grace",
        "log.format",
        "tokens[0].scopes",
        "policies[0].warn_at",
        "projects.zhongtai.chats",
        "projects.zhongtai.notify.team",
        "channels.team.kind",
        "hooks.slack.signing_secret_env",
        "Mars/Olympus",
    ] {
        assert_eq!(
            lines.iter().filter(|line| line.contains(key)).count(),
            1,
            "one line for `{key}` in:\n{message}"
        );
    }
    // The digest goes to the team channels unless set: `nowhere` again.
    assert_eq!(lines.len(), 11, "{message}");
}

#[test]
fn published_sample_secrets_are_refused_naming_the_variable_to_set() {
    let shipped_tokens = include_str!("../../deploy/.env.example")
        .lines()
        .find_map(|line| line.strip_prefix("SLAWATCH_TOKENS="))
        .expect("the sample file sets SLAWATCH_TOKENS")
        .to_string();
    let env = move |name: &str| match name {
        "SLAWATCH_TOKENS" => Some(shipped_tokens.clone()),
        "SLAWATCH_METRICS_TOKEN" => Some("change-me-metrics-token".to_string()),
        "BOT_SECRET" => Some("change-me-but-long-enough".to_string()),
        "FEISHU_TOKEN" => Some("change-me".to_string()),
        "SLAWATCH_DATABASE_URL" => Some("postgres://slawatch:change-me@db:5432/slawatch".to_string()),
        _ => None,
    };
    let text = "[server]\nmetrics_token_env = \"SLAWATCH_METRICS_TOKEN\"\n\n\
                [[tokens]]\nname = \"bot\"\nscopes = [\"ingest\"]\nsecret_env = \"BOT_SECRET\"\n\n\
                [hooks.feishu]\nverification_token_env = \"FEISHU_TOKEN\"\n";
    let message = Config::from_toml(text, None, &env).expect_err("sample secrets").0;
    for expected in [
        "server.metrics_token_env: environment variable SLAWATCH_METRICS_TOKEN starts with `change-me`",
        "tokens[0].secret_env: environment variable BOT_SECRET starts with `change-me`",
        "set SLAWATCH_TOKENS with secrets of your own",
        "hooks.feishu.verification_token_env: environment variable FEISHU_TOKEN",
        "database.url: the password starts with `change-me`",
        "set SLAWATCH_DATABASE_URL",
    ] {
        assert!(message.contains(expected), "`{expected}` in:\n{message}");
    }
    // Each of the three sample tokens is refused.
    assert_eq!(message.matches("in SLAWATCH_TOKENS").count(), 3, "{message}");
    assert!(
        !message.contains("0123456789abcdef"),
        "no secret is echoed: {message}"
    );

    // A secret of one's own passes.
    let own = |name: &str| (name == "BOT_SECRET").then(|| "3f9c0e8a51d24b7e9c6a0d1f".to_string());
    let text = "[[tokens]]\nname = \"bot\"\nscopes = [\"ingest\"]\nsecret_env = \"BOT_SECRET\"\n";
    Config::from_toml(text, None, &own).expect("an own secret");
}

#[test]
fn listen_takes_localhost_and_bracketed_ipv6() {
    let listen = |text: &str| load(&format!("[server]\nlisten = \"{text}\"\n")).map(|c| c.server.listen);
    assert_eq!(
        listen("localhost:18105").unwrap(),
        "127.0.0.1:18105".parse().unwrap()
    );
    assert_eq!(listen("[::1]:18105").unwrap(), "[::1]:18105".parse().unwrap());
    assert_eq!(
        listen("127.0.0.1:18105").unwrap(),
        "127.0.0.1:18105".parse().unwrap()
    );
    for bad in ["localhost", "localhost:http", "example.com:80", "::1:18105"] {
        assert!(listen(bad).is_err(), "{bad}");
    }
    let env = |name: &str| (name == "SLAWATCH_SERVER_LISTEN").then(|| "localhost:18105".to_string());
    let config = Config::from_toml("", None, &env).unwrap();
    assert_eq!(config.server.listen, "127.0.0.1:18105".parse().unwrap());
}

#[test]
fn the_link_secret_comes_from_its_variable_and_is_checked() {
    let with =
        |value: &'static str| move |name: &str| (name == "SLAWATCH_LINK_SECRET").then(|| value.to_string());
    let config = Config::from_toml("", None, &with("3f9c0e8a51d24b7e9c6a0d1f")).expect("an own secret");
    assert!(!config.server.link_secret_generated);
    assert_eq!(config.server.links.ttl(), chrono::TimeDelta::days(7));
    let short = Config::from_toml("", None, &with("short"))
        .unwrap_err()
        .to_string();
    assert!(
        short.contains("server.link_secret_env") && short.contains("16"),
        "{short}"
    );
    let sample = Config::from_toml("", None, &with("change-me-link-secret-0123456789"))
        .unwrap_err()
        .to_string();
    assert!(sample.contains("server.link_secret_env"), "{sample}");
    let named = "[server]\nlink_secret_env = \"MY_LINKS\"\nlink_ttl = \"30d\"\n";
    let mine = |name: &str| (name == "MY_LINKS").then(|| "3f9c0e8a51d24b7e9c6a0d1f".to_string());
    let config = Config::from_toml(named, None, &mine).expect("another variable");
    assert!(!config.server.link_secret_generated);
    assert_eq!(config.server.links.ttl(), chrono::TimeDelta::days(30));
}

#[test]
fn without_a_link_secret_links_use_a_random_one_and_a_bad_ttl_is_refused() {
    let config = load("").expect("the defaults");
    assert!(
        config.server.link_secret_generated,
        "no variable: a random secret"
    );
    for bad in ["soon", "0s", "30s", "400d"] {
        let error = load(&format!("[server]\nlink_ttl = \"{bad}\"\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("server.link_ttl"), "{bad}: {error}");
    }
}
