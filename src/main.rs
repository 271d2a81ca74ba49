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
