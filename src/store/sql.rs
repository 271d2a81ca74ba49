//! One statement type for every read and write of the store: its text,
//! with placeholders written `$n`, and the values they stand for, bound in
//! order to an sqlx query or to a prepared rusqlite statement alike.

use super::{get, json_param, FromColumn, Store, StoreResult};
use serde::Serialize;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::Any;

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Param {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Param::Text(Some(value.to_string()))
    }
}

impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(Some(value))
    }
}

impl From<&String> for Param {
    fn from(value: &String) -> Self {
        Param::Text(Some(value.clone()))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Self {
        Param::Text(value.map(str::to_string))
    }
}

impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Self {
        Param::Text(value.clone())
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

/// One statement (placeholders written `$n`, bound in the order they
/// appear) with its values.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    pub(super) sql: String,
    pub(super) params: Vec<Param>,
}

impl Statement {
    pub(super) fn new(sql: impl Into<String>) -> Self {
        Statement {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// Binds the next placeholder already written in the text.
    pub(super) fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// `sql` with `values` as its one JSON parameter.
    pub(super) fn json<T: Serialize + ?Sized>(sql: impl Into<String>, values: &T) -> Self {
        Statement::new(sql).bind(json_param(values))
    }

    /// Appends `fragment`, where each `?` becomes the next `$n` bound to a value.
    pub(super) fn push(&mut self, fragment: &str, values: impl IntoIterator<Item = Param>) {
        let mut values = values.into_iter();
        for piece in fragment.split_inclusive('?') {
            match piece.strip_suffix('?') {
                Some(before) => {
                    self.sql.push_str(before);
                    self.params
                        .push(values.next().expect("one value per placeholder"));
                    self.sql.push_str(&format!("${}", self.params.len()));
                }
                None => self.sql.push_str(piece),
            }
        }
    }

    /// Binds the next value and returns its placeholder, for text built
    /// around it.
    pub(super) fn placeholder(&mut self, value: impl Into<Param>) -> String {
        self.params.push(value.into());
        format!("${}", self.params.len())
    }

    /// The statement read by the pool's connections.
    pub(super) async fn fetch_all(&self, store: &Store) -> StoreResult<Vec<AnyRow>> {
        let sql = store.backend.positional(&self.sql);
        Ok(bound(sqlx::query(&sql), &self.params)
            .fetch_all(store.pool())
            .await?)
    }

    /// The statement's row, if any, read by the pool's connections.
    pub(super) async fn fetch_optional(&self, store: &Store) -> StoreResult<Option<AnyRow>> {
        let sql = store.backend.positional(&self.sql);
        Ok(bound(sqlx::query(&sql), &self.params)
            .fetch_optional(store.pool())
            .await?)
    }

    /// The statement's one row, read by the pool's connections.
    pub(super) async fn fetch_one(&self, store: &Store) -> StoreResult<AnyRow> {
        let sql = store.backend.positional(&self.sql);
        Ok(bound(sqlx::query(&sql), &self.params)
            .fetch_one(store.pool())
            .await?)
    }

    /// Column `column` of the statement's one row (an aggregate, say).
    pub(super) async fn fetch_value<T: FromColumn>(&self, store: &Store, column: &str) -> StoreResult<T> {
        get(&self.fetch_one(store).await?, column)
    }

    /// Runs the statement on a pool connection, outside the writer (outbox
    /// bookkeeping, retention, receiver offsets); the rows it changed.
    pub(super) async fn execute(&self, store: &Store) -> StoreResult<u64> {
        let sql = store.backend.positional(&self.sql);
        Ok(bound(sqlx::query(&sql), &self.params)
            .execute(store.pool())
            .await?
            .rows_affected())
    }
}

/// `query` with `params` bound in order.
pub(super) fn bound<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Any, AnyArguments<'q>> {
    for param in params {
        query = match param {
            Param::Text(value) => query.bind(value.as_deref()),
            Param::Int(value) => query.bind(*value),
        };
    }
    query
}

/// Binds `params` to a prepared rusqlite statement's placeholders, in order.
pub(super) fn bind_native<'a>(
    prepared: &mut rusqlite::Statement<'_>,
    params: impl IntoIterator<Item = &'a Param>,
) -> rusqlite::Result<()> {
    for (index, param) in params.into_iter().enumerate() {
        match param {
            Param::Text(value) => prepared.raw_bind_parameter(index + 1, value.as_deref()),
            Param::Int(value) => prepared.raw_bind_parameter(index + 1, value),
        }?;
    }
    Ok(())
}

mod row_params;

pub(super) use row_params::row_params;

#[cfg(test)]
mod tests;
