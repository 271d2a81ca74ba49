//! The timer with the real clock (SPEC §5, rules 3, 8 and 11): a breach is
//! flagged within 1 s of deadline + grace while running, within 5 s of start
//! after downtime (`detected_late`), and recorded once.

#[macro_use]
mod common;

use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

backend_tests!(
    a_breach_is_flagged_within_a_second_of_deadline_plus_grace,
    breaches_that_fell_due_while_stopped_are_flagged_late_on_start,
    events_posted_while_the_timer_flags_breaches_are_all_accepted,
);

/// One-second grace, and an escalation ladder so that the timer visits the
/// breached issue a few more times after flagging it.
const QUICK_TIMER: &str = r#"
[engine]
grace = "1s"

[[policies]]
name = "default"
targets = { ack = "10m", handle = "2h", plan = "1d" }
escalation = [ { after = "2s", to = "lead" }, { after = "3s", to = "zone" } ]
"#;

/// Sleeps until the wall clock reads `at`.
async fn sleep_until(at: Timestamp) {
    if let Ok(wait) = (at - now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

async fn a_breach_is_flagged_within_a_second_of_deadline_plus_grace(backend: Backend) {
    let app = spawn_app(backend, QUICK_TIMER).await;
    let grace = seconds(1.0);
    // 10 minutes minus 2 seconds ago: the ack deadline is 2 s away.
    let raised_at = now() - minutes(10.0) + seconds(2.0);
    let deadline = raised_at + minutes(10.0);
    app.accept(&event("raised", "tick", raised_at)).await;
    assert!(app.breaches("").await.is_empty(), "nothing is due yet");

    // Past the deadline but within grace: the stage reads breached, no record yet.
    sleep_until(deadline + seconds(0.3)).await;
    let issue = app.issue("tick").await;
    assert_eq!(stage(&issue, "ack")["state"], "breached", "{issue}");
    assert_shown(&stage(&issue, "ack")["breached_at"], deadline);
    let asked_at = now();
    let early = app.breaches("include_retracted=true").await;
    if asked_at < deadline + grace {
        assert!(early.is_empty(), "recorded within grace: {early:?}");
    }

    let breach = eventually(Duration::from_secs(4), "the ack breach", || async {
        app.breaches("").await.into_iter().next()
    })
    .await;
    let seen_at = now();
    assert_eq!(breach["issue"], "tick");
    assert_eq!(breach["stage"], "ack");
    assert_eq!(
        breach["detected_late"], false,
        "the running timer caught it: {breach}"
    );
    assert_shown(&breach["deadline"], deadline);
    let detected_at = instant(&breach["detected_at"]);
    assert!(
        detected_at >= deadline + grace,
        "flagged before deadline + grace: {breach}"
    );
    assert!(
        detected_at <= deadline + grace + seconds(1.0),
        "flagged {} ms after deadline + grace (at most 1000): {breach}",
        (detected_at - deadline - grace).num_milliseconds()
    );
    assert!(
        seen_at <= deadline + grace + seconds(1.5),
        "visible {} ms after deadline + grace",
        (seen_at - deadline - grace).num_milliseconds()
    );

    // The ladder makes the timer visit the issue again at deadline + 2 s and + 3 s.
    sleep_until(deadline + seconds(3.5)).await;
    let all = app.breaches("include_retracted=true").await;
    let mut escalated = breach.clone();
    escalated["escalation_step"] = 2.into();
    assert_eq!(
        all,
        vec![escalated],
        "recorded once; later visits only fire the ladder's two steps"
    );
}

async fn breaches_that_fell_due_while_stopped_are_flagged_late_on_start(backend: Backend) {
    let mut app = spawn_app(backend, QUICK_TIMER).await;
    let grace = seconds(1.0);
    let base = now();
    let deadlines: Vec<Timestamp> = [1.0, 1.3, 1.6].iter().map(|s| base + seconds(*s)).collect();
    let events: Vec<Value> = deadlines
        .iter()
        .enumerate()
        .map(|(n, deadline)| event("raised", &format!("overdue-{n}"), *deadline - minutes(10.0)))
        .collect();
    app.accept_batch(&events).await;
    app.stop().await;
    assert!(
        now() < deadlines[0] + grace,
        "the test could not stop the service before the first breach fell due"
    );

    // Down until every breach is more than 5 s overdue (deadline + grace + 5 s).
    sleep_until(deadlines[2] + grace + seconds(5.5)).await;
    let starting = Instant::now();
    let restarted_at = now();
    app.start().await;
    let breaches = eventually(Duration::from_secs(5), "three late breaches", || async {
        let breaches = app.breaches("").await;
        (breaches.len() >= 3).then_some(breaches)
    })
    .await;
    assert!(
        starting.elapsed() <= Duration::from_secs(5),
        "flagged {:?} after start",
        starting.elapsed()
    );
    assert_eq!(breaches.len(), 3, "{breaches:?}");
    for breach in &breaches {
        assert_eq!(breach["stage"], "ack", "{breach}");
        assert_eq!(breach["detected_late"], true, "caught after downtime: {breach}");
        assert!(instant(&breach["detected_at"]) >= restarted_at, "{breach}");
    }
    let mut flagged: Vec<&str> = breaches.iter().map(|b| b["issue"].as_str().unwrap()).collect();
    flagged.sort();
    assert_eq!(flagged, ["overdue-0", "overdue-1", "overdue-2"]);

    // Another restart and a few timer visits later, still one record each.
    app.restart().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = app.breaches("include_retracted=true").await;
    assert_eq!(again, breaches, "each breach is recorded once");
}

/// The timer's revisits and posted events share group commits: each post
/// still gets its own answer (a revisit in the same batch once shifted them).
async fn events_posted_while_the_timer_flags_breaches_are_all_accepted(backend: Backend) {
    let app = spawn_app(backend, QUICK_TIMER).await;
    // 2,000 acks falling due together 3 s from now.
    let raised_at = now() - minutes(10.0) + seconds(3.0);
    let due: Vec<Value> = (0..2000)
        .map(|i| event("raised", &format!("due-{i}"), raised_at))
        .collect();
    for chunk in due.chunks(1000) {
        app.accept_batch(chunk).await;
    }
    sleep_until(raised_at + minutes(10.0) + seconds(0.8)).await;
    // Post single events from 8 clients through the burst of revisits.
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..8 {
        let (http, url, token) = (app.client.clone(), app.url("/v1/events"), app.token.clone());
        clients.push(tokio::spawn(async move {
            let mut posted = 0;
            while started.elapsed() < Duration::from_secs(3) {
                let event = event("raised", &format!("live-{client}-{posted}"), now());
                let mut request = http.post(&url).json(&event);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.expect("POST /v1/events");
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                assert_eq!(status.as_u16(), 201, "{event}: {body}");
                posted += 1;
            }
            posted
        }));
    }
    let mut posted = 0;
    for client in clients {
        posted += client.await.expect("a client panicked");
    }
    assert!(posted > 0);
    let recorded = eventually(Duration::from_secs(10), "2,000 breaches", || async {
        let count = app.walk("/v1/breaches?stage=ack").await.len();
        (count >= 2000).then_some(count)
    })
    .await;
    assert_eq!(recorded, 2000);
}
