//! Write transactions on sqlx: on a pooled connection (writes outside the
//! writer) and on the writer's PostgreSQL connection. A statement here is a
//! round trip, so rows go one statement per table and batch, read from one
//! JSON parameter.

use super::sql::{bound, Param};
use super::write::typed;
use super::{json_param, Backend, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Connection, Executor, Transaction};

/// The writer's own PostgreSQL connection, outside the pool.
pub(super) struct SqlxWriter {
    connection: AnyConnection,
    /// A transaction may be open: one was begun and not committed.
    open: bool,
}

/// One transaction on sqlx.
pub(super) enum SqlxTx<'c> {
    /// A pooled connection, in a transaction sqlx manages.
    Pooled(Transaction<'static, Any>),
    /// The writer's connection, in a transaction begun and ended by hand.
    Writer {
        connection: &'c mut AnyConnection,
        open: &'c mut bool,
    },
}

impl SqlxWriter {
    /// Connects and runs the `setup` statements.
    pub(super) async fn connect(url: &str, setup: &[&str]) -> StoreResult<SqlxWriter> {
        let mut connection = AnyConnection::connect(url).await?;
        for statement in setup {
            connection.execute(*statement).await?;
        }
        Ok(SqlxWriter {
            connection,
            open: false,
        })
    }

    /// Begins a transaction with `begin`, after rolling back one left open.
    pub(super) async fn begin(&mut self, begin: &str) -> StoreResult<SqlxTx<'_>> {
        self.abandon().await;
        self.connection.execute(begin).await?;
        self.open = true;
        Ok(SqlxTx::Writer {
            connection: &mut self.connection,
            open: &mut self.open,
        })
    }

    /// Rolls back a transaction left open by an error.
    pub(super) async fn abandon(&mut self) {
        if std::mem::take(&mut self.open) {
            // Fails harmlessly when the transaction never began.
            let _ = self.connection.execute("ROLLBACK").await;
        }
    }

    pub(super) async fn close(self) {
        let _ = self.connection.close().await;
    }
}

impl SqlxTx<'_> {
    fn connection(&mut self) -> &mut AnyConnection {
        match self {
            SqlxTx::Pooled(tx) => tx,
            SqlxTx::Writer { connection, .. } => connection,
        }
    }

    /// Runs one statement (placeholders as `backend` takes them) and
    /// returns its rows.
    pub(super) async fn fetch(&mut self, sql: &str, params: &[Param]) -> StoreResult<Vec<AnyRow>> {
        Ok(bound(sqlx::query(sql), params)
            .fetch_all(self.connection())
            .await?)
    }

    /// Inserts `rows` (each an array of the values of `columns`) by one
    /// statement that reads them all from one JSON parameter; `conflict` is
    /// its `ON CONFLICT` clause, if any.
    pub(super) async fn insert_rows<T: serde::Serialize>(
        &mut self,
        backend: Backend,
        table: &str,
        columns: &str,
        conflict: &str,
        rows: &[T],
    ) -> StoreResult<()> {
        let source = backend.json_rows(1, &typed(columns));
        let sql = format!(
            "{} INSERT INTO {table} ({columns}) SELECT {columns} FROM {} ORDER BY n {conflict}",
            source.with, source.from
        );
        let params = [Param::Text(Some(json_param(rows)))];
        self.fetch(&backend.positional(&sql), &params).await?;
        Ok(())
    }

    pub(super) async fn commit(self) -> StoreResult<()> {
        match self {
            SqlxTx::Pooled(tx) => tx.commit().await?,
            SqlxTx::Writer { connection, open } => {
                connection.execute("COMMIT").await?;
                *open = false;
            }
        }
        Ok(())
    }
}
