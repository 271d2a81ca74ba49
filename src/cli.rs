//! The `slawatch` command line: its arguments and subcommands, the
//! configuration loaded, each subcommand run. The binary (`main.rs`) calls
//! [`main`].

mod history;
mod serve;

use crate::config::{Config, ConfigError};
use clap::{Parser, Subcommand};
use history::{export, import, replay, report_command, write_out};
use serve::serve;
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// On the event time, the raise or the breach's deadline.
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

/// Parses the arguments, loads the configuration and runs the subcommand.
pub fn main() -> ExitCode {
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
    crate::telemetry::init(config.log_format);
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
                crate::store::redact(&config.database_url)
            );
            ExitCode::SUCCESS
        }
        Command::Migrate => runtime.block_on(async {
            match crate::open_store(&config).await {
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
            match crate::config::calendars::describe_calendar(&config.calendars, &name, from, days) {
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
            if command.format == crate::history::report::Format::Xlsx
                && out.is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
            {
                return usage("--format xlsx writes a binary file: give --out FILE");
            }
            runtime.block_on(finish(async {
                let store = crate::open_store(&config).await?;
                let name_of = |key: &str| {
                    config
                        .projects
                        .get(key)
                        .map_or(key.to_string(), |p| p.name.clone())
                };
                let bytes = crate::history::report::run(
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
                    let path = crate::demo::DEMO_DATABASE_URL.trim_start_matches("sqlite://");
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
