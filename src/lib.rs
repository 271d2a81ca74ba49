//! slawatch: SLA monitoring for service teams that answer clients in chat
//! groups. Reply within 10 minutes, handle within 2 hours, agree a plan
//! within 1 day — and know the moment a promise is broken.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod history;
pub mod hooks;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod receivers;
pub mod secret;
pub mod store;
pub mod telemetry;

use anyhow::Context;
use config::Config;
use engine::ingest::Writer;
use engine::signal::TimerSignal;
use engine::Rules;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for the workers once requests have drained.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// Why the server refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Listening beyond loopback with no token configured would leave the
    /// API open to anyone on the network.
    #[error(
        "refusing to listen on {0} without authentication: configure [[tokens]] (or SLAWATCH_TOKENS), \
         or listen on a loopback address such as 127.0.0.1:8080"
    )]
    PublicWithoutTokens(std::net::SocketAddr),
}

/// Checks what must hold before binding.
pub fn check_bind(config: &Config, address: std::net::SocketAddr) -> Result<(), StartError> {
    if !config.auth_enabled() && !address.ip().is_loopback() {
        return Err(StartError::PublicWithoutTokens(address));
    }
    Ok(())
}

/// Opens the store and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url, config.database_max_connections)
        .await
        .with_context(|| format!("cannot open the database {}", store::redact(&config.database_url)))?;
    store.migrate().await.context("cannot apply migrations")?;
    Ok(store)
}

/// Runs the service on `listener` until `shutdown` is cancelled: stops
/// taking requests, finishes those in flight, stops the workers, returns.
pub async fn run(config: Config, listener: TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
    serve(config, listener, shutdown, None).await
}

/// Runs the service like [`run`] after loading the demo zone through the
/// ordinary ingest path (so metrics count it like real traffic).
pub async fn run_demo(
    mut config: Config,
    database_given: bool,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    demo::prepare(&mut config, database_given);
    serve(config, listener, shutdown, Some(demo::events())).await
}

async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
    demo_seed: Option<Vec<serde_json::Value>>,
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    check_bind(&config, address)?;
    if !config.auth_enabled() {
        tracing::warn!(%address, "no tokens configured: authentication is off (loopback only)");
    }
    if config.server.link_secret_generated && config.auth_enabled() {
        tracing::warn!(
            "server.link_secret_env: no link secret is set; links in alerts and staff sessions are \
             signed with a random secret of this process and stop working when it restarts (and on \
             other replicas); set the variable it names to a secret of your own"
        );
    }
    let store = open_store(&config).await?;
    let config = Arc::new(config);
    let routing = Arc::new(config.routing());
    let policies = Arc::new(config.policies.clone());
    let rules = Rules {
        policies: policies.clone(),
        grace: config.engine.grace,
        routing: routing.clone(),
        chat: config.chat.clone(),
        max_future_skew: config.engine.max_future_skew,
    };
    let metrics = Arc::new(metrics::Metrics::new(config.projects.keys().cloned()));
    let timer_signal = Arc::new(TimerSignal::default());
    let outbox_wake = Arc::new(tokio::sync::Notify::new());
    let (writer, writer_task) = Writer::start(
        store.clone(),
        rules,
        timer_signal.clone(),
        metrics.clone(),
        outbox_wake.clone(),
    );
    let timer_stop = CancellationToken::new();
    let timer_task = tokio::spawn(engine::timer::run(
        store.clone(),
        writer.clone(),
        timer_signal.clone(),
        timer_stop.clone(),
    ));

    let mut demo_task = None;
    if let Some(seed) = demo_seed {
        load_seed(&writer, &seed).await?;
        tracing::info!(
            events = seed.len(),
            issues = %format!("http://{address}/v1/issues"),
            metrics = %format!("http://{address}/metrics"),
            openapi = %format!("http://{address}/openapi.json"),
            "demo zone loaded; new demo traffic every {} s",
            demo::TRAFFIC_INTERVAL_SECONDS
        );
        if let Err(error) = metrics.refresh_gauges(&store, chrono::Utc::now()).await {
            tracing::warn!(%error, "cannot refresh metric gauges");
        }
        demo_task = Some(tokio::spawn(demo_traffic(writer.clone(), timer_stop.clone())));
    }
    let dispatcher = Arc::new(engine::dispatch::Dispatcher {
        store: store.clone(),
        channels: config.channels.clone(),
        templates: config.templates.clone(),
        metrics: metrics.clone(),
        wake: outbox_wake.clone(),
        retry_base: config.retry_base,
        catch_up: Default::default(),
    });
    let dispatch_task = tokio::spawn(dispatcher.run(timer_stop.clone()));
    let resend_task = tokio::spawn(
        engine::alerts::Resender {
            store: store.clone(),
            channels: config
                .channels
                .values()
                .filter(|channel| channel.kind == notify::ChannelKind::Alertmanager)
                .cloned()
                .collect(),
            routing: routing.clone(),
            policies: policies.clone(),
            templates: config.templates.clone(),
            interval: config.alert_resend.to_std().unwrap_or(Duration::from_secs(300)),
        }
        .run(timer_stop.clone()),
    );
    let digest_task = config.digest.map(|schedule| {
        tokio::spawn(
            engine::digest::DigestWorker {
                store: store.clone(),
                schedule,
                routing: routing.clone(),
                outbox_wake: outbox_wake.clone(),
            }
            .run(timer_stop.clone()),
        )
    });
    let retention_task = config
        .message_retention
        .map(|keep| tokio::spawn(engine::retention::run(store.clone(), keep, timer_stop.clone())));
    let gauges_task = tokio::spawn(metrics::refresh_loop(
        metrics.clone(),
        store.clone(),
        timer_stop.clone(),
    ));

    // The router holds the last request-side writer handles: once it is
    // dropped at shutdown, the writer drains and stops.
    let inbox = engine::inbox::Inbox {
        store: store.clone(),
        writer: writer.clone(),
    };
    let receiver_statuses = receivers::Statuses::default();
    let metrics_handle = metrics.clone();
    let state = http::AppState::new(http::Shared {
        config: config.clone(),
        store: store.clone(),
        writer,
        timer: timer_signal,
        rate_limiter: Arc::new(http::auth::RateLimiter::new(
            config.server.rate_limit_per_second,
            config.server.rate_limit_burst,
        )),
        metrics,
        outbox_wake,
        inbox,
        unmapped_chats: Default::default(),
        board_counts: Default::default(),
        receivers: receiver_statuses.clone(),
    });
    // Receivers stop with the service's token, as soon as shutdown starts:
    // a message they hold is not acknowledged, and the platform delivers it
    // again. They hold request-side writer handles, like the router.
    let receiver_tasks = receivers::start(
        &config.receivers,
        state.clone(),
        store.clone(),
        metrics_handle,
        receiver_statuses,
        shutdown.child_token(),
    );
    tracing::info!(%address, database = %store.backend().as_str(), "slawatch listening");
    if demo_task.is_some() {
        // What a person trying the demo opens first.
        tracing::info!(
            board = %format!("http://{address}/board"),
            reports = %format!("http://{address}/reports"),
            "demo pages: the live board and this month's compliance"
        );
    }
    axum::serve(listener, http::router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("the HTTP server failed")?;

    // Requests have drained; the router (and its writer handle) is gone.
    tracing::info!("stopping workers");
    timer_stop.cancel();
    let workers = async {
        for task in receiver_tasks {
            let _ = task.await;
        }
        let _ = timer_task.await;
        let _ = gauges_task.await;
        let _ = dispatch_task.await;
        let _ = resend_task.await;
        if let Some(task) = digest_task {
            let _ = task.await;
        }
        if let Some(task) = retention_task {
            let _ = task.await;
        }
        if let Some(task) = demo_task {
            let _ = task.await;
        }
        // The writer ends when its last handle (the timer's) is dropped.
        let _ = writer_task.await;
    };
    if tokio::time::timeout(SHUTDOWN_DEADLINE, workers).await.is_err() {
        tracing::warn!("workers did not stop within {SHUTDOWN_DEADLINE:?}");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Posts seed events through the writer, as `POST /v1/events` would.
async fn load_seed(writer: &Writer, seed: &[serde_json::Value]) -> anyhow::Result<()> {
    let receipt = domain::event::Receipt {
        received_at: chrono::Utc::now(),
        source: "demo".to_string(),
        max_future_skew: chrono::TimeDelta::minutes(5),
    };
    let events = seed
        .iter()
        .map(|value| domain::event::Event::parse(value, &receipt, "").map_err(|e| anyhow::anyhow!(e.message)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let count = events.len();
    writer
        .ingest(events)
        .await
        .context("cannot load the demo events")?;
    tracing::debug!(events = count, "demo events posted");
    Ok(())
}

/// Keeps the demo zone lively until `shutdown`.
async fn demo_traffic(writer: Writer, shutdown: CancellationToken) {
    let run = chrono::Utc::now().timestamp();
    for tick in 0.. {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(demo::TRAFFIC_INTERVAL_SECONDS)) => {}
            _ = shutdown.cancelled() => break,
        }
        if let Err(error) = load_seed(&writer, &demo::traffic(run, tick)).await {
            tracing::warn!(error = %format!("{error:#}"), "demo traffic failed");
        }
    }
}
