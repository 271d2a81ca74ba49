//! Rows for the writer's multi-row statements on SQLite, serialized straight
//! into the values bound to the statement, without a JSON tree in between
//! (the same rows go to PostgreSQL as one JSON parameter).

use super::write::Param;
use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// A row held something other than a sequence of scalars.
#[derive(Debug)]
pub struct NotScalars(String);

impl fmt::Display for NotScalars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotScalars {}

impl ser::Error for NotScalars {
    fn custom<T: fmt::Display>(message: T) -> Self {
        NotScalars(message.to_string())
    }
}

fn not_scalars<T>(what: &str) -> Result<T, NotScalars> {
    Err(NotScalars(format!(
        "a row holds {what}, not a sequence of scalars"
    )))
}

/// The values of `row` (a sequence or tuple of scalars), in order:
/// strings as text, integers and booleans (0/1) as integers, `None` and unit
/// as NULL, as they read back from JSON.
pub fn row_params<T: Serialize + ?Sized>(row: &T) -> Result<Vec<Param>, NotScalars> {
    let mut params = Vec::new();
    row.serialize(Row { params: &mut params })?;
    Ok(params)
}

struct Row<'a> {
    params: &'a mut Vec<Param>,
}

impl ser::SerializeSeq for Row<'_> {
    type Ok = ();
    type Error = NotScalars;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotScalars> {
        self.params.push(value.serialize(Scalar)?);
        Ok(())
    }

    fn end(self) -> Result<(), NotScalars> {
        Ok(())
    }
}

impl ser::SerializeTuple for Row<'_> {
    type Ok = ();
    type Error = NotScalars;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotScalars> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), NotScalars> {
        Ok(())
    }
}

/// Only the outer sequence: anything else is refused.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, NotScalars> {
            not_scalars(stringify!($method))
        })*
    };
}

impl<'a> ser::Serializer for Row<'a> {
    type Ok = ();
    type Error = NotScalars;
    type SerializeSeq = Row<'a>;
    type SerializeTuple = Row<'a>;
    type SerializeTupleStruct = Impossible<(), NotScalars>;
    type SerializeTupleVariant = Impossible<(), NotScalars>;
    type SerializeMap = Impossible<(), NotScalars>;
    type SerializeStruct = Impossible<(), NotScalars>;
    type SerializeStructVariant = Impossible<(), NotScalars>;

    fn serialize_seq(self, _: Option<usize>) -> Result<Row<'a>, NotScalars> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Row<'a>, NotScalars> {
        Ok(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), NotScalars> {
        not_scalars("an option")
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotScalars> {
        not_scalars("a newtype")
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotScalars> {
        not_scalars("a variant")
    }

    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_tuple_struct(&'static str, usize) -> Impossible<(), NotScalars>;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Impossible<(), NotScalars>;
        serialize_map(Option<usize>) -> Impossible<(), NotScalars>;
        serialize_struct(&'static str, usize) -> Impossible<(), NotScalars>;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Impossible<(), NotScalars>;
    }
}

/// One value of a row.
struct Scalar;

impl ser::Serializer for Scalar {
    type Ok = Param;
    type Error = NotScalars;
    type SerializeSeq = Impossible<Param, NotScalars>;
    type SerializeTuple = Impossible<Param, NotScalars>;
    type SerializeTupleStruct = Impossible<Param, NotScalars>;
    type SerializeTupleVariant = Impossible<Param, NotScalars>;
    type SerializeMap = Impossible<Param, NotScalars>;
    type SerializeStruct = Impossible<Param, NotScalars>;
    type SerializeStructVariant = Impossible<Param, NotScalars>;

    fn serialize_bool(self, value: bool) -> Result<Param, NotScalars> {
        Ok(Param::Int(Some(i64::from(value))))
    }

    fn serialize_i8(self, value: i8) -> Result<Param, NotScalars> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_i16(self, value: i16) -> Result<Param, NotScalars> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_i32(self, value: i32) -> Result<Param, NotScalars> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_i64(self, value: i64) -> Result<Param, NotScalars> {
        Ok(Param::Int(Some(value)))
    }

    fn serialize_u8(self, value: u8) -> Result<Param, NotScalars> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_u16(self, value: u16) -> Result<Param, NotScalars> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_u32(self, value: u32) -> Result<Param, NotScalars> {
        self.serialize_i64(i64::from(value))
    }

    fn serialize_u64(self, value: u64) -> Result<Param, NotScalars> {
        // Beyond i64, as JSON gives it back: the number's text.
        Ok(i64::try_from(value)
            .map_or_else(|_| Param::Text(Some(value.to_string())), |v| Param::Int(Some(v))))
    }

    fn serialize_f32(self, _: f32) -> Result<Param, NotScalars> {
        not_scalars("a fraction")
    }

    fn serialize_f64(self, _: f64) -> Result<Param, NotScalars> {
        not_scalars("a fraction")
    }

    fn serialize_char(self, value: char) -> Result<Param, NotScalars> {
        Ok(Param::Text(Some(value.to_string())))
    }

    fn serialize_str(self, value: &str) -> Result<Param, NotScalars> {
        Ok(Param::Text(Some(value.to_string())))
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Param, NotScalars> {
        not_scalars("bytes")
    }

    fn serialize_none(self) -> Result<Param, NotScalars> {
        Ok(Param::Text(None))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Param, NotScalars> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Param, NotScalars> {
        Ok(Param::Text(None))
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Param, NotScalars> {
        Ok(Param::Text(None))
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Param, NotScalars> {
        Ok(Param::Text(Some(variant.to_string())))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Param, NotScalars> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Param, NotScalars> {
        not_scalars("a variant with a value")
    }

    refuse! {
        serialize_seq(Option<usize>) -> Impossible<Param, NotScalars>;
        serialize_tuple(usize) -> Impossible<Param, NotScalars>;
        serialize_tuple_struct(&'static str, usize) -> Impossible<Param, NotScalars>;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Impossible<Param, NotScalars>;
        serialize_map(Option<usize>) -> Impossible<Param, NotScalars>;
        serialize_struct(&'static str, usize) -> Impossible<Param, NotScalars>;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Impossible<Param, NotScalars>;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the rows gave when they went through a JSON tree.
    fn through_json<T: Serialize>(row: &T) -> Vec<Param> {
        let serde_json::Value::Array(values) = serde_json::to_value(row).unwrap() else {
            panic!("not an array");
        };
        values
            .into_iter()
            .map(|value| match value {
                serde_json::Value::Null => Param::Text(None),
                serde_json::Value::Bool(flag) => Param::Int(Some(i64::from(flag))),
                serde_json::Value::Number(number) => match number.as_i64() {
                    Some(integer) => Param::Int(Some(integer)),
                    None => Param::Text(Some(number.to_string())),
                },
                serde_json::Value::String(text) => Param::Text(Some(text)),
                other => Param::Text(Some(other.to_string())),
            })
            .collect()
    }

    fn same(a: &[Param], b: &[Param]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|pair| match pair {
                (Param::Text(x), Param::Text(y)) => x == y,
                (Param::Int(x), Param::Int(y)) => x == y,
                _ => false,
            })
    }

    #[test]
    fn rows_give_the_values_json_gave() {
        let tuple = (
            "id",
            Some("issue"),
            None::<&str>,
            7_i64,
            Some(-3_i64),
            None::<i64>,
            true,
            u64::MAX,
            'c',
        );
        let params = row_params(&tuple).unwrap();
        assert!(same(&params, &through_json(&tuple)), "{params:?}");
        let array = serde_json::json!(["text", 1, null, "王永忠"]);
        assert!(same(&row_params(&array).unwrap(), &through_json(&array)));
        let vec = vec![Some("a".to_string()), None];
        assert!(same(&row_params(&vec).unwrap(), &through_json(&vec)));
    }

    #[test]
    fn anything_but_a_sequence_of_scalars_is_refused() {
        assert!(row_params(&"text").is_err());
        assert!(row_params(&7_i64).is_err());
        assert!(row_params(&(1_i64, vec![1_i64])).is_err());
        assert!(row_params(&(1_i64, 0.5_f64)).is_err());
        assert!(row_params(&serde_json::json!({"a": 1})).is_err());
        assert!(row_params(&serde_json::json!([{"a": 1}])).is_err());
    }
}
