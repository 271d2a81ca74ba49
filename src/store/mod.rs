//! Persistence with sqlx: the only place that writes SQL.
//!
//! One code path serves SQLite and PostgreSQL through sqlx's `Any` driver
//! with `$1` placeholders; the few dialect differences live in [`dialect`].

pub mod board;
pub mod chat;
pub mod compliance;
mod dialect;
pub mod durable;
pub mod health;
pub mod history;
mod migrations;
mod native;
pub mod outbox;
pub mod read;
pub mod receivers;
pub mod rows;
mod session;
mod sql;
mod sqlx_session;
pub mod standing;
pub mod write;

pub use dialect::Backend;

// Rows keep times as Unix milliseconds; every submodule converts with these.
use crate::domain::{from_ms, to_ms};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// How long a request waits for a pooled connection before the store is
/// reported unavailable (503).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot take the request now (unreachable, busy, disk
    /// full, read-only, I/O error); worth retrying: answered 503.
    #[error("store unavailable: {0}")]
    Unavailable(Fault),
    #[error("store error: {0}")]
    Other(String),
}

/// Why the store is unavailable, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub detail: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// The kinds of store fault, the `kind` label of `slawatch_store_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Locked by another writer, or out of connections.
    Busy,
    /// No space left for the database or its log.
    DiskFull,
    /// The file system or the database accepts no writes.
    ReadOnly,
    /// An I/O error reading, writing or syncing.
    Io,
    /// The database cannot be reached (refused, timed out, shutting down).
    Unreachable,
    /// The writer stopped, or its queue is full.
    Writer,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Busy,
        FaultKind::DiskFull,
        FaultKind::ReadOnly,
        FaultKind::Io,
        FaultKind::Unreachable,
        FaultKind::Writer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Busy => "busy",
            FaultKind::DiskFull => "disk_full",
            FaultKind::ReadOnly => "read_only",
            FaultKind::Io => "io",
            FaultKind::Unreachable => "unreachable",
            FaultKind::Writer => "writer",
        }
    }

    /// The kind of an error code: PostgreSQL's SQLSTATE (always five
    /// characters, often all digits) or SQLite's (primary or extended, a
    /// number below 10,000). None for errors that retrying cannot cure
    /// (constraints, syntax, types).
    pub fn of_code(code: &str) -> Option<FaultKind> {
        if code.len() != 5 {
            let Ok(number) = code.parse::<i64>() else {
                return None;
            };
            // SQLite: the primary code is the low byte of an extended one.
            return match number & 0xff {
                5 | 6 => Some(FaultKind::Busy),      // BUSY, LOCKED
                7 => Some(FaultKind::DiskFull),      // NOMEM: no room either
                8 => Some(FaultKind::ReadOnly),      // READONLY
                10 | 14 | 15 => Some(FaultKind::Io), // IOERR, CANTOPEN, PROTOCOL
                13 => Some(FaultKind::DiskFull),     // FULL
                _ => None,
            };
        }
        match code {
            "53100" | "53200" => Some(FaultKind::DiskFull), // disk_full, out_of_memory
            "53300" | "53400" => Some(FaultKind::Busy),     // too many connections, limits
            "25006" => Some(FaultKind::ReadOnly),           // read_only_sql_transaction (a standby)
            "55P03" | "40P01" => Some(FaultKind::Busy),     // lock not available, deadlock
            _ if code.starts_with("58") => Some(FaultKind::Io), // system error, io_error
            _ if code.starts_with("08") || code.starts_with("57P") => Some(FaultKind::Unreachable),
            _ => None,
        }
    }
}

impl StoreError {
    pub fn unavailable(kind: FaultKind, detail: impl Into<String>) -> StoreError {
        StoreError::Unavailable(Fault {
            kind,
            detail: detail.into(),
        })
    }

    /// An I/O error of the file system, by what it means for writes.
    pub fn io(error: &std::io::Error, context: impl std::fmt::Display) -> StoreError {
        let kind = match error.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => FaultKind::DiskFull,
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                FaultKind::ReadOnly
            }
            _ => FaultKind::Io,
        };
        StoreError::unavailable(kind, format!("{context}: {error}"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let kind = match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
                Some(FaultKind::Unreachable)
            }
            sqlx::Error::WorkerCrashed => Some(FaultKind::Io),
            sqlx::Error::Io(io) => Some(match io.kind() {
                std::io::ErrorKind::StorageFull => FaultKind::DiskFull,
                std::io::ErrorKind::ReadOnlyFilesystem => FaultKind::ReadOnly,
                _ => FaultKind::Unreachable,
            }),
            sqlx::Error::Database(db) => db.code().as_deref().and_then(FaultKind::of_code),
            _ => None,
        };
        match kind {
            Some(kind) => StoreError::unavailable(kind, error.to_string()),
            None => StoreError::Other(error.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {error}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The URL as connections are opened with it (the writer opens its own).
    url: std::sync::Arc<str>,
}

impl Store {
    /// Connects (creating an SQLite file and its directory on first start).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Other(format!(
                "unsupported database URL `{}`: use sqlite:// or postgres://",
                redact(url)
            ))
        })?;
        let url = backend.prepare_url(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            // A broken connection fails its statement and is replaced; a ping
            // before every use would cost each group commit a round trip.
            .test_before_acquire(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    for pragma in backend.session_setup() {
                        connection.execute(*pragma).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Store {
            pool,
            backend,
            url: url.into(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// SQLite: the thread that puts the writer's commits on disk before
    /// they are answered (`store::durable`). None on PostgreSQL, where a
    /// commit returns once it is flushed.
    pub fn log_sync(&self) -> StoreResult<Option<durable::LogSync>> {
        match self.backend {
            Backend::Sqlite => Ok(Some(durable::LogSync::start(
                dialect::sqlite_path(&self.url).into(),
            )?)),
            Backend::Postgres => Ok(None),
        }
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> StoreResult<()> {
        // Before the first migration there is no table to count in.
        let before = self.applied_migrations().await.unwrap_or(0);
        self.backend.migrator().run(&self.pool).await?;
        // PostgreSQL: after a schema change (or on a fresh database) the
        // planner starts from the tables' true sizes, not from none.
        if self.backend == Backend::Postgres && self.applied_migrations().await? != before {
            sql::Statement::new("ANALYZE").execute(self).await?;
        }
        Ok(())
    }

    /// How many migrations are recorded as applied.
    async fn applied_migrations(&self) -> StoreResult<i64> {
        sql::Statement::new("SELECT COUNT(*) AS applied FROM _sqlx_migrations WHERE success")
            .fetch_value(self, "applied")
            .await
    }

    /// Whether the store answers and every migration is applied.
    pub async fn ready(&self) -> StoreResult<bool> {
        let applied = self.applied_migrations().await?;
        Ok(applied as usize >= self.backend.migrator().migrations.len())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}://{}:***{}", &url[..scheme], &credentials[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// One JSON text parameter holding many values or rows, so that a statement's
/// text does not depend on how many it covers (one prepared statement,
/// cached per connection, one bind).
fn json_param<T: serde::Serialize + ?Sized>(values: &T) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

/// `$start, $start+1, …` for `count` values: placeholders for `IN (…)`.
fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, $2), ($3, $4), …` for multi-row `VALUES`.
fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(1 + row * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value of `column` in a result row.
fn get<T: FromColumn>(row: &impl Columns, column: &str) -> StoreResult<T> {
    row.column(column)
}

/// A result row: from sqlx, or from the writer's own SQLite connection.
pub(crate) enum Row {
    Any(AnyRow),
    Native(native::NativeRow),
}

/// Rows whose columns can be read by name.
pub(crate) trait Columns {
    fn column<T: FromColumn>(&self, name: &str) -> StoreResult<T>;
}

impl Columns for AnyRow {
    fn column<T: FromColumn>(&self, name: &str) -> StoreResult<T> {
        use sqlx::Row;
        self.try_get(name).map_err(StoreError::from)
    }
}

impl Columns for Row {
    fn column<T: FromColumn>(&self, name: &str) -> StoreResult<T> {
        match self {
            Row::Any(row) => row.column(name),
            Row::Native(row) => T::from_native(row.value(name)?)
                .map_err(|detail| StoreError::Other(format!("column `{name}`: {detail}"))),
        }
    }
}

/// A type a column is read as.
pub(crate) trait FromColumn: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> {
    fn from_native(value: &native::Value) -> Result<Self, String>;
}

impl FromColumn for i64 {
    fn from_native(value: &native::Value) -> Result<Self, String> {
        match value {
            native::Value::Integer(value) => Ok(*value),
            native::Value::Text(text) => text.parse().map_err(|_| format!("`{text}` is not an integer")),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}

impl FromColumn for bool {
    fn from_native(value: &native::Value) -> Result<Self, String> {
        i64::from_native(value).map(|value| value != 0)
    }
}

impl FromColumn for String {
    fn from_native(value: &native::Value) -> Result<Self, String> {
        match value {
            native::Value::Text(text) => Ok(text.clone()),
            native::Value::Integer(value) => Ok(value.to_string()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_native(value: &native::Value) -> Result<Self, String> {
        match value {
            native::Value::Null => Ok(None),
            value => T::from_native(value).map(Some),
        }
    }
}

#[cfg(test)]
mod tests;
