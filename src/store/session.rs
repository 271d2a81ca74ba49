//! Where a write transaction's statements run: the one place that chooses
//! between the writer's SQLite connection on rusqlite (`store::native`) and
//! sqlx (`store::sqlx_session`: the pool, and the writer on PostgreSQL).
//! `WriteTx` says what to write; this only forwards it.

use super::chat::ChatIndexTx;
use super::native::{NativeTx, NativeWriter};
use super::sql::Statement;
use super::sqlx_session::{SqlxTx, SqlxWriter};
use super::{Backend, Row, StoreResult};
use sqlx::{Any, Transaction};

/// The writer's own connection.
pub(super) enum WriterDriver {
    /// SQLite, driven directly on the writer's thread.
    Native(NativeWriter),
    /// PostgreSQL.
    Sqlx(SqlxWriter),
}

/// One write transaction's connection.
pub(super) enum WriteSession<'c> {
    Native(NativeTx<'c>),
    Sqlx(SqlxTx<'c>),
}

impl WriterDriver {
    /// Opens the writer's connection to `url` and runs `setup` on it.
    pub(super) async fn open(backend: Backend, url: &str, setup: &[&str]) -> StoreResult<WriterDriver> {
        Ok(match backend {
            Backend::Sqlite => WriterDriver::Native(NativeWriter::open(url, setup)?),
            Backend::Postgres => WriterDriver::Sqlx(SqlxWriter::connect(url, setup).await?),
        })
    }

    /// Begins a transaction with `begin`, after rolling back one left open.
    pub(super) async fn begin(&mut self, begin: &str) -> StoreResult<WriteSession<'_>> {
        Ok(match self {
            WriterDriver::Native(writer) => WriteSession::Native(writer.begin(begin)?),
            WriterDriver::Sqlx(writer) => WriteSession::Sqlx(writer.begin(begin).await?),
        })
    }

    /// Rolls back a transaction left open by an error.
    pub(super) async fn abandon(&mut self) {
        match self {
            WriterDriver::Native(writer) => writer.abandon(),
            WriterDriver::Sqlx(writer) => writer.abandon().await,
        }
    }

    pub(super) async fn close(self) {
        if let WriterDriver::Sqlx(writer) = self {
            writer.close().await;
        }
    }
}

impl WriteSession<'_> {
    /// A transaction on a pooled connection.
    pub(super) fn pooled(tx: Transaction<'static, Any>) -> WriteSession<'static> {
        WriteSession::Sqlx(SqlxTx::Pooled(tx))
    }

    /// Runs one statement and returns its rows.
    pub(super) async fn fetch(&mut self, backend: Backend, statement: &Statement) -> StoreResult<Vec<Row>> {
        let sql = backend.positional(&statement.sql);
        Ok(match self {
            WriteSession::Native(tx) => tx
                .fetch(&sql, &statement.params)?
                .into_iter()
                .map(Row::Native)
                .collect(),
            WriteSession::Sqlx(tx) => tx
                .fetch(&sql, &statement.params)
                .await?
                .into_iter()
                .map(Row::Any)
                .collect(),
        })
    }

    /// Inserts `rows`, each a tuple of the values of `columns` in order, in
    /// that order; `conflict` is the statement's `ON CONFLICT` clause, if
    /// any.
    pub(super) async fn insert_rows<T: serde::Serialize>(
        &mut self,
        backend: Backend,
        table: &str,
        columns: &str,
        conflict: &str,
        rows: &[T],
    ) -> StoreResult<()> {
        match self {
            WriteSession::Native(tx) => tx.insert_rows(table, columns, conflict, rows),
            WriteSession::Sqlx(tx) => tx.insert_rows(backend, table, columns, conflict, rows).await,
        }
    }

    pub(super) async fn commit(self) -> StoreResult<()> {
        match self {
            WriteSession::Native(tx) => tx.commit(),
            WriteSession::Sqlx(tx) => tx.commit().await,
        }
    }
}

impl<'c> WriteSession<'c> {
    /// The writer's chat index as this transaction sees it: SQLite's
    /// writer only (on PostgreSQL other replicas write too).
    pub(super) fn chat_index(&mut self) -> Option<&mut ChatIndexTx<'c>> {
        match self {
            WriteSession::Native(tx) => Some(&mut tx.chat),
            WriteSession::Sqlx(_) => None,
        }
    }
}
