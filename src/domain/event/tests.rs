//! Tests of event parsing: fields, limits, refusals and the canonical
//! content that tells duplicates from conflicts.

use super::*;
use serde_json::json;

fn receipt() -> Receipt {
    Receipt {
        received_at: "2024-05-30T02:10:00Z".parse().unwrap(),
        source: "group-bot".into(),
        max_future_skew: chrono::TimeDelta::minutes(5),
    }
}

fn parse(value: Value) -> Result<Event, Invalid> {
    Event::parse(&value, &receipt(), "")
}

#[test]
fn a_full_raised_event_parses() {
    let event = parse(json!({
        "id": "evt-1", "issue": "zhongtai-water-0530", "kind": "raised",
        "at": "2024-05-30T10:02:00+08:00", "project": "zhongtai", "priority": "normal",
        "title": "工地因管道抢修停水", "text": "急需用水",
        "actor": {"id": "wang-yz", "name": "王永忠", "role": "requester"},
        "resolution": null, "attributes": {"floor": 3}
    }))
    .unwrap();
    assert_eq!(event.kind, EventKind::Raised);
    assert_eq!(event.at, "2024-05-30T02:02:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(event.actor.unwrap().role, Some(Role::Requester));
    assert_eq!(event.source, "group-bot");
}

#[test]
fn at_defaults_to_receipt_and_is_not_content() {
    let event = parse(json!({"id": "e", "issue": "i", "kind": "acknowledged"})).unwrap();
    assert_eq!(event.at, receipt().received_at);
    assert!(!event.content().contains("\"at\""));
}

#[test]
fn equal_instants_in_other_offsets_have_equal_content() {
    let a =
        parse(json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T10:02:00+08:00"}))
            .unwrap();
    let b = parse(json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T02:02:00Z"}))
        .unwrap();
    assert_eq!(a.content(), b.content());
}

#[test]
fn content_round_trips() {
    let event = parse(
        json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "withdrawn",
        "at": "2024-05-30T10:02:00+08:00", "actor": {"id": "x"}, "attributes": {"a": [1, 2]}}),
    )
    .unwrap();
    let back = Event::from_content(&event.content(), event.at, 7, "s".into(), event.received_at).unwrap();
    assert_eq!(back.content(), event.content());
    assert_eq!(back.arrival, 7);
}

/// The content as earlier versions stored it: every field put in a
/// `serde_json` map (which orders keys), then printed. Stored contents
/// are compared byte for byte to tell duplicates from conflicts, so the
/// text must not change.
fn content_through_a_map(event: &Event) -> String {
    let mut map = Map::new();
    map.insert("id".into(), event.id.clone().into());
    map.insert("issue".into(), event.issue.clone().into());
    map.insert("kind".into(), event.kind.as_str().into());
    if event.at_given {
        map.insert("at".into(), format_utc(event.at).into());
    }
    let optional = [
        ("project", &event.project),
        ("priority", &event.priority),
        ("title", &event.title),
        ("text", &event.text),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            map.insert(name.into(), value.clone().into());
        }
    }
    if let Some(actor) = &event.actor {
        map.insert("actor".into(), serde_json::to_value(actor).unwrap());
    }
    if let Some(resolution) = event.resolution {
        map.insert("resolution".into(), resolution.as_str().into());
    }
    if !event.attributes.is_empty() {
        map.insert("attributes".into(), Value::Object(event.attributes.clone()));
    }
    Value::Object(map).to_string()
}

#[test]
fn content_is_the_text_earlier_versions_stored() {
    let bodies = [
        json!({"id": "e", "issue": "i", "kind": "acknowledged"}),
        json!({"id": "evt-1", "issue": "bench-1", "kind": "raised", "at": "2024-05-30T10:02:00+08:00",
            "project": "p", "priority": "high", "title": "工地因管道抢修停水",
            "text": "quote \" backslash \\ tab \t newline \n nul \u{0000} emoji 🚰",
            "actor": {"id": "wang", "name": "王永忠", "role": "requester"},
            "attributes": {"z": {"b": [1, 2.5, null], "a": true}, "a": "x"}}),
        json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "duplicate",
            "actor": {"name": "n"}, "attributes": {}}),
        json!({"id": "e", "issue": "i", "kind": "paused", "actor": {}, "text": ""}),
    ];
    for body in bodies {
        let event = parse(body).unwrap();
        assert_eq!(event.content(), content_through_a_map(&event));
    }
}

proptest::proptest! {
    #[test]
    fn content_matches_the_earlier_text_for_any_strings(
        title in proptest::option::of(".{0,40}"),
        text in proptest::option::of("\\PC{0,40}"),
        name in proptest::option::of(".{0,10}"),
        attribute in ".{0,10}",
    ) {
        let mut body = json!({"id": "e", "issue": "i", "kind": "raised", "project": "p",
            "attributes": {attribute.clone(): attribute}});
        if let Some(title) = title { body["title"] = json!(title); }
        if let Some(text) = text { body["text"] = json!(text); }
        if let Some(name) = name { body["actor"] = json!({"name": name}); }
        if let Ok(event) = parse(body) {
            proptest::prop_assert_eq!(event.content(), content_through_a_map(&event));
        }
    }
}

#[test]
fn invalid_fields_are_named() {
    let cases = [
        (json!({"issue": "i", "kind": "raised", "project": "p"}), "id"),
        (json!({"id": "e", "kind": "raised", "project": "p"}), "issue"),
        (
            json!({"id": "e", "issue": "a/b", "kind": "acknowledged"}),
            "issue",
        ),
        (json!({"id": "e", "issue": "i", "kind": "exploded"}), "kind"),
        (json!({"id": "e", "issue": "i", "kind": "raised"}), "project"),
        (
            json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "yesterday"}),
            "at",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2024-05-30T10:02:00"}),
            "at",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "acknowledged", "at": "2030-01-01T00:00:00Z"}),
            "at",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "fixed"}),
            "resolution",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "resolution": "resolved"}),
            "resolution",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"role": "boss"}}),
            "actor.role",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "attributes": []}),
            "attributes",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "colour": "red"}),
            "colour",
        ),
        (json!({"id": 5, "issue": "i", "kind": "handled"}), "id"),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "title": "a\u{0}b"}),
            "title",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "at": "0000-01-01T00:00:00+14:00"}),
            "at",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "at": "1969-12-31T23:59:59Z"}),
            "at",
        ),
    ];
    for (value, field) in cases {
        let error = parse(value.clone()).expect_err(&value.to_string());
        assert_eq!(error.field, field, "{value}: {}", error.message);
    }
}

#[test]
fn limits_are_enforced() {
    let long_key = "k".repeat(MAX_KEY_CHARS + 1);
    assert!(parse(json!({"id": long_key, "issue": "i", "kind": "handled"})).is_err());
    let big = "x".repeat(MAX_ATTRIBUTES_BYTES);
    assert_eq!(
        parse(json!({"id": "e", "issue": "i", "kind": "handled", "attributes": {"big": big}}))
            .unwrap_err()
            .field,
        "attributes"
    );
    let text = "字".repeat(MAX_TEXT_BYTES / 3 + 1);
    assert_eq!(
        parse(json!({"id": "e", "issue": "i", "kind": "handled", "text": text}))
            .unwrap_err()
            .field,
        "text"
    );
}

#[test]
fn array_items_carry_their_index() {
    let error = Event::parse(
        &json!({"id": "e", "issue": "i", "kind": "nope"}),
        &receipt(),
        "[3].",
    )
    .unwrap_err();
    assert_eq!(error.field, "[3].kind");
}

/// Each reason of [`INVALID_REASONS`] is given by some invalid event, and
/// parsing gives no other: the metric's label set is the whole set.
#[test]
fn invalid_reasons_are_exactly_the_ones_parsing_gives() {
    let ok = json!({"id": "e", "issue": "i", "kind": "acknowledged"});
    let with = |key: &str, value: Value| {
        let mut event = ok.clone();
        event[key] = value;
        event
    };
    let cases = [
        json!([1]),
        with("colour", json!("red")),
        with("kind", json!(1)),
        json!({"issue": "i", "kind": "raised"}),
        json!({"id": "e", "issue": "i", "kind": "raised"}),
        with("id", json!("")),
        with("issue", json!("a/b")),
        with("priority", json!("")),
        with("title", json!("t".repeat(MAX_TITLE_CHARS + 1))),
        with("kind", json!("escalated")),
        with("at", json!("yesterday")),
        with("at", json!("2099-01-01T00:00:00Z")),
        with("resolution", json!("resolved")),
        json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "fixed"}),
        with("actor", json!({"role": "boss"})),
    ];
    let mut given: Vec<&str> = cases
        .iter()
        .map(|case| parse(case.clone()).expect_err("invalid").reason)
        .collect();
    given.sort_unstable();
    let mut expected = INVALID_REASONS.to_vec();
    expected.sort_unstable();
    assert_eq!(given, expected);
}

#[test]
fn an_event_without_at_happens_at_receipt_to_the_millisecond() {
    let received_at: Timestamp = "2024-05-30T10:59:33.264805757Z".parse().unwrap();
    let receipt = Receipt {
        received_at,
        ..receipt()
    };
    let event = Event::parse(
        &json!({"id": "e", "issue": "i", "kind": "acknowledged"}),
        &receipt,
        "",
    )
    .unwrap();
    let millis: Timestamp = "2024-05-30T10:59:33.264Z".parse().unwrap();
    assert_eq!(
        (event.at, event.received_at, event.at_given),
        (millis, millis, false)
    );
}
