//! `slawatch serve` and `demo`: bind the listen address, run the service
//! until SIGTERM or Ctrl-C.

use super::EXIT_CONFIG;
use crate::config::Config;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Serves until a signal; `demo` is `Some(database_given)` for the demo.
pub(super) async fn serve(config: Config, demo: Option<bool>) -> ExitCode {
    let address = config.server.listen;
    if let Err(error) = crate::check_bind(&config, address) {
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
        None => crate::run(config, listener, shutdown).await,
        Some(database_given) => crate::run_demo(config, database_given, listener, shutdown).await,
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
