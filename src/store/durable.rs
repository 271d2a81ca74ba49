//! Durability of the writer's SQLite commits, off the writer's path.
//!
//! The writer's connection commits with `synchronous = NORMAL`: SQLite
//! appends the transaction to its log (the `-wal` file) and returns without
//! waiting for the disk. A thread of its own, [`LogSync`], then syncs the log
//! file, and only after that are the transaction's requests answered: a 2xx
//! still means the data is on disk. Meanwhile the writer already works on
//! the next batch, and one sync covers every transaction committed before it
//! began. Until its sync ends, a transaction is visible to readers but not
//! yet answered (for about a millisecond; docs/operations.md).
//!
//! The log is opened by name for each sync rather than kept open, so a log
//! SQLite deleted and created again (when every connection was closed) is
//! never mistaken for the current one. With no log at all (deleted after a
//! final checkpoint), the database file itself is synced.

use super::{FaultKind, StoreError, StoreResult};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// What to do once the commits before it are on disk, or could not be put
/// there (the error says why; nothing may be answered as stored).
pub type AfterSync = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// Syncs the SQLite log on a thread of its own; see the module docs.
pub struct LogSync {
    jobs: mpsc::Sender<AfterSync>,
}

impl LogSync {
    /// Starts the thread that syncs the log of the database file `database`.
    pub fn start(database: PathBuf) -> StoreResult<LogSync> {
        let (jobs, waiting) = mpsc::channel::<AfterSync>();
        std::thread::Builder::new()
            .name("slawatch-log-sync".into())
            .spawn(move || run(&database, waiting))
            .map_err(|error| StoreError::Other(format!("cannot start the log sync thread: {error}")))?;
        Ok(LogSync { jobs })
    }

    /// Runs `job` once everything committed so far is on disk.
    pub fn after_sync(&self, job: AfterSync) {
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            job(Err(StoreError::unavailable(
                FaultKind::Writer,
                "the log sync stopped",
            )));
        }
    }
}

/// Until every [`LogSync`] is dropped: takes every job waiting, syncs once,
/// runs them all.
fn run(database: &Path, waiting: mpsc::Receiver<AfterSync>) {
    while let Ok(first) = waiting.recv() {
        let mut jobs = vec![first];
        jobs.extend(waiting.try_iter());
        let synced = sync(database);
        if let Err(error) = &synced {
            tracing::error!(%error, requests = jobs.len(), "the log could not be synced; nothing is answered as stored");
        }
        for job in jobs {
            job(synced.clone());
        }
    }
}

/// Syncs the log of `database`, or the database itself when it has none.
fn sync(database: &Path) -> StoreResult<()> {
    let mut log = database.as_os_str().to_owned();
    log.push("-wal");
    let file = match std::fs::File::open(&log) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => std::fs::File::open(database)
            .map_err(|error| StoreError::io(&error, format_args!("opening {}", database.display())))?,
        Err(error) => {
            return Err(StoreError::io(
                &error,
                format_args!("opening {}", Path::new(&log).display()),
            ))
        }
    };
    file.sync_data()
        .map_err(|error| StoreError::io(&error, "syncing the log"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome_of(sync: &LogSync) -> StoreResult<()> {
        let (send, receive) = mpsc::channel();
        sync.after_sync(Box::new(move |result| send.send(result).unwrap()));
        receive
            .recv_timeout(Duration::from_secs(10))
            .expect("the job ran")
    }

    #[test]
    fn jobs_run_after_the_log_or_the_database_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("slawatch.db");
        std::fs::write(&database, b"database").unwrap();
        let sync = LogSync::start(database.clone()).unwrap();
        // No log yet: the database file is synced.
        assert!(outcome_of(&sync).is_ok());
        std::fs::write(dir.path().join("slawatch.db-wal"), b"log").unwrap();
        assert!(outcome_of(&sync).is_ok());
    }

    #[test]
    fn a_failed_sync_reaches_every_job_as_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let sync = LogSync::start(dir.path().join("missing").join("slawatch.db")).unwrap();
        let (send, receive) = mpsc::channel();
        for _ in 0..3 {
            let send = send.clone();
            sync.after_sync(Box::new(move |result| send.send(result).unwrap()));
        }
        for _ in 0..3 {
            let result = receive
                .recv_timeout(Duration::from_secs(10))
                .expect("every job ran");
            assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
        }
    }
}
