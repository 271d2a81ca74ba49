//! A webhook receiver for `benches/burst.sh`: answers every POST with 200
//! and writes how many it has answered to a file every 200 ms, so the
//! receiver itself takes as little of the machine as it can.
//!
//! `cargo run --release --example sink -- 127.0.0.1:9000 /tmp/count`

use axum::routing::post;
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let count_file = args.next().unwrap_or_else(|| "sink.count".into());
    let count = Arc::new(AtomicU64::new(0));
    let counter = count.clone();
    let app = Router::new().fallback(post(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        async { "ok" }
    }));
    let reporter = count.clone();
    tokio::spawn(async move {
        loop {
            let _ = std::fs::write(&count_file, reporter.load(Ordering::Relaxed).to_string());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await
}
