//! The `slawatch` command: parse arguments, load config, call into the library.

use clap::{Parser, Subcommand};
use slawatch::config::{Config, ConfigError};
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// One allocator for the whole process, SQLite's allocations included (the
/// `override` feature replaces `malloc` and `free`): with glibc's, the
/// writer spent about a quarter of its time allocating and freeing, much of
/// it on memory other threads had allocated (docs/benchmarks-history.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "slawatch",
    version,
    about = "SLA monitoring for service teams in chat groups"
)]
struct Cli {
    /// Configuration file (default: config/slawatch.toml if it exists).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Validate the configuration and exit (non-zero on any error).
    CheckConfig,
    /// Print a calendar's working periods, to check a calendar or data file.
    Calendar {
        /// Calendar name (`cn-workdays`, `24x7` or one from the configuration).
        name: String,
        /// First date, YYYY-MM-DD (default: today in the calendar's time zone).
        #[arg(long, value_name = "DATE")]
        from: Option<chrono::NaiveDate>,
        /// Number of days to print.
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
    /// Compliance per project (or stage, week, month, staff) and stage over
    /// `[from, to)`, read straight from the store.
    Report {
        /// First day (YYYY-MM-DD, local midnight in each policy's time zone)
        /// or an RFC 3339 instant.
        #[arg(long)]
        from: String,
        /// Day after the last (excluded), of the same kind as `--from`.
        #[arg(long)]
        to: String,
        #[arg(long)]
        project: Option<String>,
        /// table, csv or xlsx (one sheet per grouping).
        #[arg(long, default_value = "table")]
        format: String,
        /// project, stage, week, month or staff (table and csv).
        #[arg(long, default_value = "project")]
        group_by: String,
        /// Header language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// Write here instead of standard output (required for xlsx on a terminal).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Load past events or chat messages from JSON lines (`-` for stdin).
    Import {
        /// events or messages.
        what: String,
        /// A JSON-lines file, or `-` for standard input.
        file: PathBuf,
        /// The `source` the imported events and messages are recorded with.
        #[arg(long, default_value = "import")]
        source: String,
    },
    /// Write events (JSON lines), issues or breaches (JSON lines or CSV).
    Export {
        /// events, issues or breaches.
        what: String,
        /// On the event time, the issue's raise or the breach's deadline.
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        project: Option<String>,
        /// jsonl (default) or csv (issues and breaches).
        #[arg(long, default_value = "jsonl")]
        format: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Fold every issue's events again under the configuration given with
    /// `--config` and print how breaches and outcomes would differ from
    /// the derived state on record; `--apply` rebuilds it (service stopped).
    Replay {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        project: Option<String>,
        /// Rebuild the derived state in place, announcing nothing.
        #[arg(long)]
        apply: bool,
        /// The configuration the records were made under: its policies'
        /// targets and calendars are compared with `--config`'s and the
        /// changes printed first ("ack target 15m instead of 10m").
        #[arg(long, value_name = "PATH")]
        against: Option<PathBuf>,
    },
    /// Serve a sample zone (three projects, a few dozen issues timed
    /// relative to now) from its own fresh database.
    Demo {
        /// Database for the demo (default: a fresh sqlite://data/demo.db).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

/// Exit code for configuration errors and refused starts.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), &|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(ConfigError(message)) => {
            // One line per problem: every problem is reported at once.
            for problem in message.lines() {
                eprintln!("slawatch: configuration error: {problem}");
            }
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    slawatch::telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("slawatch: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            println!(
                "configuration OK: {} polic{}, {} project(s), {} token(s), database {}",
                config.policies.iter().count(),
                if config.policies.iter().count() == 1 {
                    "y"
                } else {
                    "ies"
                },
                config.projects.len(),
                config.tokens.len(),
                slawatch::store::redact(&config.database_url)
            );
            ExitCode::SUCCESS
        }
        Command::Migrate => runtime.block_on(async {
            match slawatch::open_store(&config).await {
                Ok(store) => {
                    store.close().await;
                    println!("migrations applied");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("slawatch: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }),
        Command::Serve => runtime.block_on(serve(config, None)),
        Command::Calendar { name, from, days } => {
            let from = from.unwrap_or_else(|| {
                chrono::Utc::now()
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .date_naive()
            });
            match slawatch::config::calendars::describe_calendar(&config.calendars, &name, from, days) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("slawatch: {message}");
                    ExitCode::from(EXIT_CONFIG)
                }
            }
        }
        Command::Report {
            from,
            to,
            project,
            format,
            group_by,
            lang,
            out,
        } => {
            let command = match report_command(&from, &to, project, &format, &group_by, &lang) {
                Ok(command) => command,
                Err(message) => return usage(&message),
            };
            if command.format == slawatch::history::report::Format::Xlsx
                && out.is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
            {
                return usage("--format xlsx writes a binary file: give --out FILE");
            }
            runtime.block_on(finish(async {
                let store = slawatch::open_store(&config).await?;
                let name_of = |key: &str| {
                    config
                        .projects
                        .get(key)
                        .map_or(key.to_string(), |p| p.name.clone())
                };
                let bytes = slawatch::history::report::run(
                    &store,
                    &config.policies,
                    &name_of,
                    &command,
                    chrono::Utc::now(),
                )
                .await?;
                store.close().await;
                write_out(out.as_deref(), &bytes)
            }))
        }
        Command::Import { what, file, source } => {
            runtime.block_on(finish(import(&config, &what, &file, &source)))
        }
        Command::Export {
            what,
            from,
            to,
            project,
            format,
            out,
        } => runtime.block_on(finish(export(&config, &what, from, to, project, &format, out))),
        Command::Replay {
            from,
            to,
            project,
            apply,
            against,
        } => {
            let against = match against {
                None => None,
                Some(path) => match Config::load(Some(path.as_path()), &|name| std::env::var(name).ok()) {
                    Ok(loaded) => Some(loaded),
                    Err(error) => return usage(&format!("--against {}: {error}", path.display())),
                },
            };
            runtime.block_on(finish(replay(
                &config,
                from,
                to,
                project,
                apply,
                against.as_ref(),
            )))
        }
        Command::Demo { database } => {
            let mut config = config;
            let given = database.is_some();
            match database {
                Some(url) => config.database_url = url,
                None => {
                    // A fresh store each time: the demo's timestamps are relative to now.
                    let path = slawatch::demo::DEMO_DATABASE_URL.trim_start_matches("sqlite://");
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{path}{suffix}"));
                    }
                }
            }
            runtime.block_on(serve(config, Some(given)))
        }
    }
}

/// A usage mistake: said on stderr, exit 2.
fn usage(message: &str) -> ExitCode {
    eprintln!("slawatch: {message}");
    ExitCode::from(EXIT_CONFIG)
}

/// Exit 0, or the error on stderr and exit 1.
async fn finish(work: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    match work.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("slawatch: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn report_command(
    from: &str,
    to: &str,
    project: Option<String>,
    format: &str,
    group_by: &str,
    lang: &str,
) -> Result<slawatch::history::report::ReportCommand, String> {
    use slawatch::engine::compliance::{GroupBy, Period};
    use slawatch::history::report::{Format, Language, ReportCommand};
    Ok(ReportCommand {
        period: Period::parse(from, to, None).map_err(|(field, message)| format!("--{field}: {message}"))?,
        project,
        group_by: GroupBy::parse(group_by).ok_or("--group-by is project, stage, week, month or staff")?,
        format: Format::parse(format).ok_or("--format is table, csv or xlsx")?,
        language: match lang {
            "zh" => Language::Chinese,
            "en" => Language::English,
            _ => return Err("--lang is zh or en".into()),
        },
    })
}

/// Writes to `out`, or to standard output.
fn write_out(out: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    match out {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display())),
        None => std::io::stdout()
            .write_all(bytes)
            .context("cannot write to standard output"),
    }
}

/// `slawatch import events|messages FILE`.
async fn import(config: &Config, what: &str, file: &std::path::Path, source: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use slawatch::history::import::{import_events, import_messages, Progress};
    if what != "events" && what != "messages" {
        anyhow::bail!("import what? `events` or `messages`, not `{what}`");
    }
    let (mut input, size): (Box<dyn std::io::BufRead>, Option<u64>) = if file == std::path::Path::new("-") {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let opened = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (Box::new(std::io::BufReader::with_capacity(1 << 20, opened)), size)
    };
    let store = slawatch::open_store(config).await?;
    let (writer, task) = slawatch::history::quiet_writer(&store, config);
    let skew = config.engine.max_future_skew;
    let mut progress = Progress::new(if what == "events" { "events" } else { "messages" }, size);
    let tally = if what == "events" {
        import_events(&writer, &mut *input, source, skew, &mut progress).await
    } else {
        import_messages(&writer, &mut *input, source, skew, &mut progress).await
    };
    drop(writer);
    let _ = task.await;
    store.close().await;
    let tally = tally?;
    let rate = progress.finish(&tally);
    let events = if what == "messages" {
        format!(", {} events", tally.events)
    } else {
        String::new()
    };
    println!("imported {what}: {tally}{events} ({rate:.0} lines/s)");
    Ok(())
}

/// An optional `--from`/`--to` pair.
fn period(
    from: Option<String>,
    to: Option<String>,
) -> anyhow::Result<Option<slawatch::engine::compliance::Period>> {
    use slawatch::engine::compliance::Period;
    match (from, to) {
        (None, None) => Ok(None),
        (Some(from), Some(to)) => Period::parse(&from, &to, None)
            .map(Some)
            .map_err(|(field, message)| anyhow::anyhow!("--{field}: {message}")),
        _ => anyhow::bail!("--from and --to go together"),
    }
}

/// `slawatch export events|issues|breaches`.
async fn export(
    config: &Config,
    what: &str,
    from: Option<String>,
    to: Option<String>,
    project: Option<String>,
    format: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use slawatch::engine::compliance::Period;
    use slawatch::history::export::{export, ExportFormat, What};
    let what = match what {
        "events" => What::Events,
        "issues" => What::Issues,
        "breaches" => What::Breaches,
        other => anyhow::bail!("export what? `events`, `issues` or `breaches`, not `{other}`"),
    };
    let format = match (format, what) {
        ("jsonl", _) => ExportFormat::Jsonl,
        ("csv", What::Issues | What::Breaches) => ExportFormat::Csv,
        _ => anyhow::bail!("--format is jsonl, or csv for issues and breaches"),
    };
    let zone = config.policies.select("", None).calendar.time_zone();
    let (from, to) = match period(from, to)? {
        None => (None, None),
        Some(Period::Instants { from, to }) => (Some(from), Some(to)),
        Some(Period::Dates { from, to }) => {
            let midnight = |date: chrono::NaiveDate| {
                use chrono::TimeZone;
                let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
                zone.from_local_datetime(&local)
                    .earliest()
                    .map(|at| at.to_utc())
                    .unwrap_or_else(|| local.and_utc())
            };
            (Some(midnight(from)), Some(midnight(to)))
        }
    };
    let filter = slawatch::store::history::ExportFilter { project, from, to };
    let store = slawatch::open_store(config).await?;
    let mut sink: Box<dyn std::io::Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = export(&store, what, format, &filter, &mut *sink).await?;
    store.close().await;
    eprintln!("exported {written} records");
    Ok(())
}

/// `slawatch replay [--from --to] [--project] [--apply]` under `--config`.
async fn replay(
    config: &Config,
    from: Option<String>,
    to: Option<String>,
    project: Option<String>,
    apply: bool,
    against: Option<&Config>,
) -> anyhow::Result<()> {
    use slawatch::history::replay::{describe, replay, target_changes, Scope};
    let scope = Scope {
        period: period(from, to)?,
        project,
    };
    let store = slawatch::open_store(config).await?;
    let diff = replay(&store, config, &scope, chrono::Utc::now()).await?;
    let changes = against.map_or_else(Vec::new, |current| {
        target_changes(&current.policies, &config.policies)
    });
    print!("{}", describe(&diff, &changes));
    if apply {
        let count = slawatch::history::replay::apply(&store, config).await?;
        println!("derived state rebuilt for {count} issues under this configuration");
    }
    store.close().await;
    Ok(())
}

/// Serves until a signal; `demo` is `Some(database_given)` for the demo.
async fn serve(config: Config, demo: Option<bool>) -> ExitCode {
    let address = config.server.listen;
    if let Err(error) = slawatch::check_bind(&config, address) {
        eprintln!("slawatch: {error}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("slawatch: cannot listen on {address}: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let result = match demo {
        None => slawatch::run(config, listener, shutdown).await,
        Some(database_given) => slawatch::run_demo(config, database_given, listener, shutdown).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("slawatch: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Cancels `shutdown` on SIGTERM or Ctrl-C.
async fn stop_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested: finishing requests in flight");
    shutdown.cancel();
}
