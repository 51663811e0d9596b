//! The PostgreSQL schema: the numbered `migrations/postgres/*.sql`, applied in order, each once and each in
//! its own transaction, recorded in `tidings_migrations`. Instances starting at once take turns under a
//! session advisory lock, so each migration runs exactly once however many start together.

use postgres::Client;

/// The migrations, in order; the number in each file name is its position.
pub(super) const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial.sql",
        include_str!("../../../migrations/postgres/0001_initial.sql"),
    ),
    (
        "0002_extractions_in_progress.sql",
        include_str!("../../../migrations/postgres/0002_extractions_in_progress.sql"),
    ),
    (
        "0003_operations.sql",
        include_str!("../../../migrations/postgres/0003_operations.sql"),
    ),
    (
        "0004_pending_files.sql",
        include_str!("../../../migrations/postgres/0004_pending_files.sql"),
    ),
    (
        "0005_written_files.sql",
        include_str!("../../../migrations/postgres/0005_written_files.sql"),
    ),
    (
        "0006_drop_dead_warned_at.sql",
        include_str!("../../../migrations/postgres/0006_drop_dead_warned_at.sql"),
    ),
    (
        "0007_article_updates.sql",
        include_str!("../../../migrations/postgres/0007_article_updates.sql"),
    ),
    (
        "0008_feed_indexes.sql",
        include_str!("../../../migrations/postgres/0008_feed_indexes.sql"),
    ),
];

/// The advisory lock key of migrations ("tidings" in ASCII), the same for every instance.
const MIGRATION_LOCK: i64 = 0x0074_6964_696e_6773;

/// Why the schema could not be brought up to date.
pub(super) enum MigrateError {
    Database(postgres::Error),
    Failed {
        migration: &'static str,
        source: postgres::Error,
    },
    TooNew {
        found: i64,
    },
}

impl From<postgres::Error> for MigrateError {
    fn from(error: postgres::Error) -> Self {
        MigrateError::Database(error)
    }
}

/// Applies every migration `client`'s database lacks.
pub(super) fn migrate(client: &mut Client) -> Result<(), MigrateError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let applied = apply_missing(client);
    // Also released when the session ends, should this fail on a broken connection.
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    applied?;
    unlocked?;
    Ok(())
}

fn apply_missing(client: &mut Client) -> Result<(), MigrateError> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS tidings_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )?;
    let applied = applied_version(client)?.unwrap_or(0);
    if applied > known() {
        return Err(MigrateError::TooNew { found: applied });
    }
    for (index, (name, sql)) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(applied).unwrap_or(0))
    {
        let failed = |source| MigrateError::Failed {
            migration: name,
            source,
        };
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        let mut transaction = client.transaction().map_err(failed)?;
        transaction.batch_execute(sql).map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO tidings_migrations (version, name) VALUES ($1, $2)",
                &[&version, name],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
    }
    Ok(())
}

/// The number of migrations this build knows.
pub(super) fn known() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// The last migration applied to `client`'s database; `None` when tidings never set it up.
pub(super) fn applied_version(client: &mut Client) -> Result<Option<i64>, postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('tidings_migrations') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let version: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::bigint FROM tidings_migrations",
            &[],
        )?
        .get(0);
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let files = crate::store::migration_files("postgres");
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn each_step_has_the_number_and_name_of_its_sqlite_counterpart() {
        let sqlite = crate::store::migration_files("sqlite");
        for (name, _) in MIGRATIONS {
            assert!(
                sqlite.iter().any(|other| other == name),
                "{name} has no SQLite step"
            );
        }
        assert_eq!(sqlite.len(), MIGRATIONS.len(), "every SQLite step is mirrored");
    }
}
