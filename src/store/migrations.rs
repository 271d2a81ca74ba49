//! The schema's migrations for each backend, as build.rs lists them from
//! `migrations/sqlite` and `migrations/postgres`, run by sqlx's migrator
//! (which records each in `_sqlx_migrations` with its checksum).

use super::Backend;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

impl Backend {
    /// Every migration of this backend, oldest first.
    pub(super) fn migrator(self) -> Migrator {
        let sources = match self {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        };
        Migrator {
            migrations: Cow::Owned(
                sources
                    .iter()
                    .map(|(version, description, sql)| {
                        Migration::new(
                            *version,
                            Cow::Borrowed(description),
                            MigrationType::Simple,
                            Cow::Borrowed(sql),
                            false,
                        )
                    })
                    .collect(),
            ),
            ..Migrator::DEFAULT
        }
    }
}
