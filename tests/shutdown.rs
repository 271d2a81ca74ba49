//! Graceful shutdown (SPEC §9): once asked to stop, the service takes no new
//! requests, finishes those in flight (durably: a 2xx means stored), stops
//! its workers and returns `Ok`.

#[macro_use]
mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

backend_tests!(requests_in_flight_complete_when_shutdown_is_requested);

/// A POST whose headers and first half of body are sent; the server is
/// waiting for the rest.
struct HalfSent {
    stream: TcpStream,
    rest: Vec<u8>,
}

async fn start_post(address: &str, body: &Value) -> HalfSent {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("cannot connect");
    let body = body.to_string().into_bytes();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).await.unwrap();
    stream.flush().await.unwrap();
    HalfSent {
        stream,
        rest: body[half..].to_vec(),
    }
}

/// Sends the rest of the body and reads the answer: status and JSON body.
async fn finish_post(mut sent: HalfSent) -> (u16, Value) {
    sent.stream.write_all(&sent.rest).await.unwrap();
    sent.stream.flush().await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    // Read until the whole body (Content-Length) has arrived or the server closes.
    loop {
        let read = tokio::time::timeout(Duration::from_secs(20), sent.stream.read(&mut buffer))
            .await
            .expect("no answer within 20 s")
            .expect("read failed");
        answer.extend_from_slice(&buffer[..read]);
        if read == 0 || complete(&answer) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse::<usize>().ok());
    length.is_some_and(|length| body.len() >= length)
}

async fn requests_in_flight_complete_when_shutdown_is_requested(backend: Backend) {
    let mut app = spawn_app(backend, "").await;
    let singles: Vec<Value> = (0..4).map(|n| raised(&format!("inflight-{n}"), 1.0)).collect();
    let batch: Vec<Value> = (0..300)
        .map(|n| raised(&format!("inflight-batch-{n}"), 1.0))
        .collect();

    let mut in_flight = Vec::new();
    for event in &singles {
        in_flight.push(start_post(&app.address, event).await);
    }
    in_flight.push(start_post(&app.address, &Value::from(batch.clone())).await);
    // Let the server read the request heads: these requests are now in flight.
    tokio::time::sleep(Duration::from_millis(200)).await;

    app.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.is_running(), "run returned with requests still in flight");
    let fresh = reqwest::Client::new();
    let refused = fresh
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.as_ref().map_or(true, |r| !r.status().is_success()),
        "a new request was served after shutdown began: {refused:?}"
    );

    let mut answers = Vec::new();
    for sent in in_flight {
        answers.push(finish_post(sent).await);
    }
    for (status, body) in &answers[..4] {
        assert_eq!(*status, 201, "{body}");
    }
    let (status, body) = &answers[4];
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["accepted"], 300, "{body}");

    app.join()
        .await
        .expect("run returns Ok after a graceful shutdown");

    // Everything answered 2xx was stored.
    app.start().await;
    for n in 0..4 {
        assert_eq!(app.issue(&format!("inflight-{n}")).await["state"], "open");
    }
    let stored = app.walk("/v1/issues?limit=500").await;
    assert_eq!(stored.len(), 304, "every accepted event is stored");
}
