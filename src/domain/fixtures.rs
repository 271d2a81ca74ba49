//! What the domain's tests share: an instant and an event of issue `water`.

use super::event::{Event, EventKind};
use super::Timestamp;
use chrono::TimeDelta;

/// The instant `minutes` after the tests' origin (2024-05-30 02:02 UTC).
pub fn t(minutes: i64) -> Timestamp {
    "2024-05-30T02:02:00Z".parse::<Timestamp>().unwrap() + TimeDelta::minutes(minutes)
}

/// One event of issue `water` at `minutes`; `arrival` is its place in the
/// store; a `raised` one names project `zhongtai`.
pub fn event(kind: EventKind, minutes: i64, arrival: i64) -> Event {
    Event {
        id: format!("e{arrival}"),
        issue: "water".into(),
        kind,
        at: t(minutes),
        at_given: true,
        arrival,
        project: (kind == EventKind::Raised).then(|| "zhongtai".to_string()),
        priority: None,
        title: None,
        text: None,
        actor: None,
        resolution: None,
        attributes: Default::default(),
        source: "test".into(),
        received_at: t(minutes),
    }
}
