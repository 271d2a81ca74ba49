//! Wire errors of `POST /v1/events` in slawatch's words.

use super::*;
use serde_json::json;
use utoipa::PartialSchema;

fn refused(value: Value, prefix: &str) -> Invalid {
    let receipt = Receipt {
        received_at: "2024-05-30T02:10:00Z".parse().unwrap(),
        source: "bot".into(),
        max_future_skew: chrono::TimeDelta::minutes(5),
    };
    Event::parse(&value, &receipt, prefix).unwrap_err()
}

/// What serde finds wrong is said as slawatch always said it: the
/// field named, and the valid fields or values listed.
#[test]
fn misfits_are_said_in_our_words() {
    let cases = [
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "colour": "red"}),
            "colour",
            "unknown_field",
            "unknown field `colour`; known fields: id, issue, kind, at, project, priority, title, text, actor, resolution, attributes",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"email": "x"}}),
            "actor.email",
            "unknown_field",
            "unknown field `actor.email`; known fields: id, name, role",
        ),
        (json!({"issue": "i", "kind": "handled"}), "id", "missing_field", "`id` is required"),
        (json!({"id": null, "issue": "i", "kind": "handled"}), "id", "missing_field", "`id` is required"),
        (json!({"id": 5, "issue": "i", "kind": "handled"}), "id", "wrong_type", "`id` must be a string"),
        (
            json!({"id": "e", "issue": "i", "kind": {"raised": null}}),
            "kind",
            "wrong_type",
            "`kind` must be a string",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "exploded"}),
            "kind",
            "unknown_kind",
            "unknown kind `exploded`; one of: raised, acknowledged, handled, planned, closed, reopened, paused, resumed, undone",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "closed", "resolution": "fixed"}),
            "resolution",
            "unknown_resolution",
            "unknown resolution `fixed`; one of: resolved, withdrawn, invalid, duplicate",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "resolution": "fixed"}),
            "resolution",
            "unexpected_field",
            "`resolution` is only allowed on `closed` events",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"role": "boss"}}),
            "actor.role",
            "unknown_role",
            "unknown role `boss`; one of: requester, staff, lead, system",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"id": 1}}),
            "actor.id",
            "wrong_type",
            "`actor.id` must be a string",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": ["x"]}),
            "actor",
            "wrong_type",
            "`actor` must be an object",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": "x"}),
            "actor",
            "wrong_type",
            "`actor` must be an object",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "attributes": [1]}),
            "attributes",
            "wrong_type",
            "`attributes` must be a JSON object",
        ),
        (json!(["e", "i", "handled"]), "", "not_an_object", "an event must be a JSON object"),
    ];
    for (value, field, reason, message) in cases {
        let invalid = refused(value.clone(), "");
        assert_eq!(
            (invalid.field.as_str(), invalid.reason, invalid.message.as_str()),
            (field, reason, message),
            "{value}"
        );
    }
}

#[test]
fn an_array_item_is_named_by_its_index() {
    let invalid = refused(
        json!({"id": "e", "issue": "i", "kind": "handled", "x": 1}),
        "[3].",
    );
    assert_eq!(invalid.field, "[3].x");
    let invalid = refused(json!(7), "[3].");
    assert_eq!((invalid.field.as_str(), invalid.reason), ("[3]", "not_an_object"));
    let invalid = refused(json!({"id": "", "issue": "i", "kind": "handled"}), "[3].");
    assert_eq!(invalid.message, "`[3].id` must be 1 to 128 characters");
}

/// The fields errors list are the ones the schema documents.
#[test]
fn the_known_fields_are_the_schema_properties() {
    let schema = serde_json::to_value(EventInput::schema()).unwrap();
    let mut documented: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut known = KNOWN_FIELDS.to_vec();
    documented.sort_unstable();
    known.sort_unstable();
    assert_eq!(documented, known);
}

#[test]
fn the_names_are_those_each_value_is_written_as() {
    assert_eq!(EventKind::NAMES, EventKind::ALL.map(EventKind::as_str));
    assert_eq!(Resolution::NAMES, Resolution::ALL.map(Resolution::as_str));
    assert_eq!(Role::NAMES, Role::ALL.map(Role::as_str));
}

/// Of several faults, the one in the first field (in the order of
/// [`KNOWN_FIELDS`]) is named, as it always was, not the first serde meets.
#[test]
fn of_several_faults_the_first_field_is_named() {
    let cases = [
        (
            json!({"id": "a/b", "issue": 5, "kind": "handled"}),
            "id",
            "bad_characters",
        ),
        (
            json!({"at": 5, "colour": 1, "id": "e", "issue": "i", "kind": "handled"}),
            "colour",
            "unknown_field",
        ),
        (json!({"id": "", "kind": "nope"}), "id", "bad_length"),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"id": "k".repeat(200), "role": "boss"}}),
            "actor.id",
            "too_long",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "resolution": "fixed", "actor": "x"}),
            "resolution",
            "unexpected_field",
        ),
        (
            json!({"id": "e", "issue": "i", "kind": "handled", "actor": {"email": null, "role": "lead"}}),
            "",
            "",
        ),
    ];
    for (value, field, reason) in cases {
        let receipt = Receipt {
            received_at: "2024-05-30T02:10:00Z".parse().unwrap(),
            source: "bot".into(),
            max_future_skew: chrono::TimeDelta::minutes(5),
        };
        match Event::parse(&value, &receipt, "") {
            Err(invalid) => assert_eq!(
                (invalid.field.as_str(), invalid.reason),
                (field, reason),
                "{value}"
            ),
            // An unknown part of an actor that is null was always ignored.
            Ok(_) => assert_eq!((field, reason), ("", ""), "{value}"),
        }
    }
}
