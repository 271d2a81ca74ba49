//! Wire input: serde derives the parser from each input struct (the same
//! struct is the OpenAPI schema). When a value does not fit, [`Misfit`] says
//! where and how, so that each input can answer in its own words: serde's
//! text ("invalid type: integer `5`, expected a string") names no field and
//! lists no valid values.

use serde::Deserialize;
use serde_json::Value;
use serde_path_to_error::Segment;

/// How a value failed to fit its input struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A field the struct does not have.
    Unknown,
    /// A required field that is absent or `null`.
    Missing,
    /// A value of the wrong JSON type (an object where a string is wanted…).
    WrongType,
    /// A string that names none of the allowed values (a kind, a role…).
    UnknownValue,
}

/// Where a value failed to fit, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit<'v> {
    pub fault: Fault,
    /// The JSON path of the field at fault (`actor.role`, `mentions[2]`);
    /// empty for the value itself.
    pub path: String,
    /// The last name in `path` (the field itself), empty when there is none.
    pub name: String,
    /// The value found at `path`, if there is one.
    pub found: Option<&'v Value>,
}

/// Deserializes `T` from `value`; when it does not fit, says where. The
/// path is only traced on failure, so a valid value costs one pass.
pub fn deserialize<'v, T: Deserialize<'v>>(value: &'v Value) -> Result<T, Misfit<'v>> {
    T::deserialize(value).map_err(|_| locate::<T>(value))
}

/// Runs the failed deserialization again, tracing the path to the fault.
fn locate<'v, T: Deserialize<'v>>(value: &'v Value) -> Misfit<'v> {
    let (segments, message) = match serde_path_to_error::deserialize::<_, T>(value) {
        Err(error) => {
            let segments: Vec<Segment> = error.path().iter().cloned().collect();
            (segments, error.into_inner().to_string())
        }
        // Deserialization is deterministic; this only keeps the type total.
        Ok(_) => (Vec::new(), String::new()),
    };
    let mut path = render(&segments);
    let fault = if let Some(name) = quoted_after(&message, "missing field `") {
        // serde reports a missing field at its parent.
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
        return Misfit {
            fault: Fault::Missing,
            name: name.to_string(),
            path,
            found: None,
        };
    } else if message.starts_with("invalid type: null") {
        Fault::Missing
    } else if message.starts_with("unknown field `") {
        Fault::Unknown
    } else if message.starts_with("unknown variant `") {
        Fault::UnknownValue
    } else {
        Fault::WrongType
    };
    let name = match segments.last() {
        Some(Segment::Map { key }) => key.clone(),
        _ => String::new(),
    };
    Misfit {
        fault,
        name,
        path,
        found: find(value, &segments),
    }
}

/// `a.b[2].c`, as errors name fields.
fn render(segments: &[Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    path
}

fn find<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    segments.iter().try_fold(value, |value, segment| match segment {
        Segment::Seq { index } => value.get(index),
        Segment::Map { key } | Segment::Enum { variant: key } => value.get(key),
        Segment::Unknown => Some(value),
    })
}

/// The text between `prefix` and the next backtick, when `message` starts so.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// Deserializes one of a fixed set of names from a JSON string, without
/// allocating; anything else is refused as serde refuses an unknown variant.
pub fn deserialize_name<'de, D, T>(
    deserializer: D,
    names: &'static [&'static str],
    parse: fn(&str) -> Option<T>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Name<T> {
        names: &'static [&'static str],
        parse: fn(&str) -> Option<T>,
    }
    impl<T> serde::de::Visitor<'_> for Name<T> {
        type Value = T;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(formatter, "one of {}", self.names.join(", "))
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
            (self.parse)(text).ok_or_else(|| E::unknown_variant(text, self.names))
        }
    }
    deserializer.deserialize_str(Name { names, parse })
}

/// Serialized length of a JSON value, counted without building the text.
pub fn json_len(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail, and a JSON value always serializes.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        id: String,
        inner: Option<Inner>,
        list: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
        #[serde(default, deserialize_with = "colour")]
        colour: Option<u8>,
    }

    fn colour<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u8>, D::Error> {
        deserialize_name(deserializer, &["red", "blue"], |text| match text {
            "red" => Some(1),
            "blue" => Some(2),
            _ => None,
        })
        .map(Some)
    }

    fn misfit(value: Value) -> (Fault, String, String, Option<Value>) {
        let misfit = deserialize::<Outer>(&value).unwrap_err();
        (misfit.fault, misfit.path, misfit.name, misfit.found.cloned())
    }

    /// The texts serde gives for each fault are what [`locate`] reads: a
    /// new serde that words them otherwise fails here, not in production.
    #[test]
    fn each_fault_is_found_with_its_path() {
        let cases = [
            (json!({"id": "a", "size": 1}), Fault::Unknown, "size", json!(1)),
            (json!({}), Fault::Missing, "id", Value::Null),
            (json!({"id": null}), Fault::Missing, "id", json!(null)),
            (json!({"id": 5}), Fault::WrongType, "id", json!(5)),
            (
                json!({"id": "a", "inner": {}}),
                Fault::Missing,
                "inner.name",
                Value::Null,
            ),
            (
                json!({"id": "a", "inner": {"name": "n", "x": true}}),
                Fault::Unknown,
                "inner.x",
                json!(true),
            ),
            (
                json!({"id": "a", "inner": {"name": "n", "colour": "green"}}),
                Fault::UnknownValue,
                "inner.colour",
                json!("green"),
            ),
            (
                json!({"id": "a", "inner": {"name": "n", "colour": {"red": null}}}),
                Fault::WrongType,
                "inner.colour",
                json!({"red": null}),
            ),
            (
                json!({"id": "a", "list": ["x", 2]}),
                Fault::WrongType,
                "list[1]",
                json!(2),
            ),
            (
                json!({"id": "a", "inner": []}),
                Fault::WrongType,
                "inner",
                json!([]),
            ),
            (json!(42), Fault::WrongType, "", json!(42)),
            (json!(null), Fault::Missing, "", json!(null)),
        ];
        for (value, fault, path, found) in cases {
            let (given, given_path, _, given_found) = misfit(value.clone());
            assert_eq!((given, given_path.as_str()), (fault, path), "{value}");
            if !found.is_null() {
                assert_eq!(given_found, Some(found), "{value}");
            }
        }
    }

    #[test]
    fn the_length_is_that_of_the_text() {
        let value = json!({"z": [1, 2.5, null, "字\"\n"], "a": {"b": true}});
        assert_eq!(json_len(&value), value.to_string().len());
    }
}
