//! Work on the store's history, run from the command line with the service
//! stopped: compliance reports, importing past events and chat messages,
//! exporting, and replaying the events under another configuration.

pub mod export;
pub mod import;
pub mod replay;
pub mod report;

use crate::config::Config;
use crate::engine::ingest::Writer;
use crate::engine::signal::TimerSignal;
use crate::engine::Rules;
use crate::metrics::Metrics;
use crate::store::Store;
use std::sync::Arc;

/// The engine's rules with every notification channel taken out: history
/// loaded or rebuilt from the command line is recorded (breaches included,
/// `detected_late` when their time is past) and announced to no one.
pub fn quiet_rules(config: &Config) -> Rules {
    let mut routing = config.routing();
    for project in routing.projects.values_mut() {
        project.team.clear();
        project.lead.clear();
        project.digest.clear();
    }
    routing.zone.clear();
    routing.zone_digest.clear();
    routing.alerting.clear();
    Rules {
        policies: Arc::new(config.policies.clone()),
        grace: config.engine.grace,
        routing: Arc::new(routing),
        chat: config.chat.clone(),
        max_future_skew: config.engine.max_future_skew,
    }
}

/// A writer of its own over `store`, under [`quiet_rules`]: events and
/// messages go through the same group commit, validation, fold and breach
/// records as the service's.
pub fn quiet_writer(store: &Store, config: &Config) -> (Writer, tokio::task::JoinHandle<()>) {
    Writer::start(
        store.clone(),
        quiet_rules(config),
        Arc::new(TimerSignal::default()),
        Arc::new(Metrics::new(config.projects.keys().cloned())),
        Arc::new(tokio::sync::Notify::new()),
    )
}
