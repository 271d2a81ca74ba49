//! Binding a writer's row (a tuple or sequence of scalars, the same row the
//! PostgreSQL path sends as a JSON array) as typed [`Param`]s, through a
//! small serde serializer.

use super::Param;
use crate::store::{StoreError, StoreResult};
use serde::ser::{self, Serialize};

/// Appends the values of `row`, a tuple or sequence of scalars (the same
/// row the PostgreSQL path sends as a JSON array), to `params` as typed
/// values: integers as `Int`, text as `Text`, null as `Text(None)`, as the
/// row's JSON would have been read.
pub(in crate::store) fn row_params<T: Serialize + ?Sized>(
    row: &T,
    params: &mut Vec<Param>,
) -> StoreResult<()> {
    row.serialize(RowParams { params })
        .map_err(|NotAScalar(detail)| StoreError::Other(format!("a row cannot be bound: {detail}")))
}

/// Why a row could not be bound.
#[derive(Debug)]
struct NotAScalar(String);

impl std::fmt::Display for NotAScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAScalar {}

impl ser::Error for NotAScalar {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        NotAScalar(message.to_string())
    }
}

/// Serializes a row: a tuple or sequence whose elements are each a value.
struct RowParams<'a> {
    params: &'a mut Vec<Param>,
}

/// Serializes one scalar into a [`Param`].
struct ValueParam;

/// The serializer methods a row or a value does not take.
macro_rules! not_a {
    ($what:literal: $($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, NotAScalar> {
            Err(NotAScalar(concat!("not ", $what).into()))
        })*
    };
}

impl<'a> ser::Serializer for RowParams<'a> {
    type Ok = ();
    type Error = NotAScalar;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = ser::Impossible<(), NotAScalar>;
    type SerializeMap = ser::Impossible<(), NotAScalar>;
    type SerializeStruct = ser::Impossible<(), NotAScalar>;
    type SerializeStructVariant = ser::Impossible<(), NotAScalar>;

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, NotAScalar> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, NotAScalar> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, NotAScalar> {
        Ok(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotAScalar> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotAScalar> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotAScalar> {
        Err(NotAScalar("not a row".into()))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAScalar> {
        Err(NotAScalar("not a row".into()))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAScalar> {
        Err(NotAScalar("not a row".into()))
    }

    not_a! { "a row":
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
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }
}

impl RowParams<'_> {
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotAScalar> {
        self.params.push(value.serialize(ValueParam)?);
        Ok(())
    }
}

impl ser::SerializeSeq for RowParams<'_> {
    type Ok = ();
    type Error = NotAScalar;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotAScalar> {
        self.value(value)
    }

    fn end(self) -> Result<(), NotAScalar> {
        Ok(())
    }
}

impl ser::SerializeTuple for RowParams<'_> {
    type Ok = ();
    type Error = NotAScalar;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotAScalar> {
        self.value(value)
    }

    fn end(self) -> Result<(), NotAScalar> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for RowParams<'_> {
    type Ok = ();
    type Error = NotAScalar;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotAScalar> {
        self.value(value)
    }

    fn end(self) -> Result<(), NotAScalar> {
        Ok(())
    }
}

impl ser::Serializer for ValueParam {
    type Ok = Param;
    type Error = NotAScalar;
    type SerializeSeq = ser::Impossible<Param, NotAScalar>;
    type SerializeTuple = ser::Impossible<Param, NotAScalar>;
    type SerializeTupleStruct = ser::Impossible<Param, NotAScalar>;
    type SerializeTupleVariant = ser::Impossible<Param, NotAScalar>;
    type SerializeMap = ser::Impossible<Param, NotAScalar>;
    type SerializeStruct = ser::Impossible<Param, NotAScalar>;
    type SerializeStructVariant = ser::Impossible<Param, NotAScalar>;

    fn serialize_bool(self, value: bool) -> Result<Param, NotAScalar> {
        Ok(Param::Int(Some(i64::from(value))))
    }

    fn serialize_i8(self, value: i8) -> Result<Param, NotAScalar> {
        self.serialize_i64(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result<Param, NotAScalar> {
        self.serialize_i64(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result<Param, NotAScalar> {
        self.serialize_i64(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result<Param, NotAScalar> {
        Ok(Param::Int(Some(value)))
    }

    fn serialize_u8(self, value: u8) -> Result<Param, NotAScalar> {
        self.serialize_i64(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result<Param, NotAScalar> {
        self.serialize_i64(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result<Param, NotAScalar> {
        self.serialize_i64(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result<Param, NotAScalar> {
        // Past `i64::MAX` the JSON number was read as text.
        Ok(match i64::try_from(value) {
            Ok(value) => Param::Int(Some(value)),
            Err(_) => Param::Text(Some(value.to_string())),
        })
    }

    fn serialize_f32(self, value: f32) -> Result<Param, NotAScalar> {
        self.serialize_f64(value.into())
    }

    fn serialize_f64(self, value: f64) -> Result<Param, NotAScalar> {
        // As JSON writes it; NaN and infinities are JSON's null.
        Ok(Param::Text(
            serde_json::Number::from_f64(value).map(|number| number.to_string()),
        ))
    }

    fn serialize_char(self, value: char) -> Result<Param, NotAScalar> {
        Ok(Param::Text(Some(value.to_string())))
    }

    fn serialize_str(self, value: &str) -> Result<Param, NotAScalar> {
        Ok(Param::Text(Some(value.to_string())))
    }

    fn serialize_none(self) -> Result<Param, NotAScalar> {
        Ok(Param::Text(None))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Param, NotAScalar> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Param, NotAScalar> {
        Ok(Param::Text(None))
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Param, NotAScalar> {
        Ok(Param::Text(None))
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Param, NotAScalar> {
        Ok(Param::Text(Some(variant.to_string())))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Param, NotAScalar> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Param, NotAScalar> {
        Err(NotAScalar("not a scalar".into()))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAScalar> {
        Err(NotAScalar("not a scalar".into()))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAScalar> {
        Err(NotAScalar("not a scalar".into()))
    }

    not_a! { "a scalar":
        serialize_bytes(&[u8]) -> Param;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }
}
