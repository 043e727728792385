//! The schema migrations of each engine, compiled into the binary.
//!
//! Listed here instead of embedded by `sqlx::migrate!`: that macro lives in
//! sqlx's proc-macro crate, which sqlx builds with a second copy of the
//! bundled SQLite and of the PostgreSQL driver, about a minute of every cold
//! build (BENCHMARKS.md, "Build times"). A migration is sqlx's own
//! [`Migration`] either way, with the same version, description and
//! checksum, so databases migrated by the macro's list go on unchanged; the
//! tests below hold the lists to the files in `migrations/`.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlSafeStr;
use std::sync::LazyLock;

/// `migrations!("sqlite": "0001_initial.sql", …)`: the files of one engine's
/// folder, in order.
macro_rules! migrations {
    ($engine:literal: $($file:literal),+ $(,)?) => {
        Migrator::with_migrations(vec![$(
            migration(
                $file,
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $engine, "/", $file)),
            ),
        )+])
    };
}

pub static SQLITE: LazyLock<Migrator> = LazyLock::new(|| {
    migrations!("sqlite":
        "0001_initial.sql",
        "0002_user_search.sql",
        "0003_deployment_safety.sql",
        "0004_apps.sql",
        "0005_mail_admin.sql",
        "0006_audit_log_partial_indexes.sql",
        "0007_second_factors.sql",
        "0008_user_language.sql",
        "0009_admin_made_links.sql",
        "0010_password_again.sql",
        "0011_groups.sql",
        "0012_app_groups.sql",
    )
});

pub static POSTGRES: LazyLock<Migrator> = LazyLock::new(|| {
    migrations!("postgres":
        "0001_initial.sql",
        "0002_user_search.sql",
        "0003_deployment_safety.sql",
        "0004_user_search_one_index.sql",
        "0005_apps.sql",
        "0006_mail_admin.sql",
        "0007_audit_log_partial_indexes.sql",
        "0008_second_factors.sql",
        "0009_user_language.sql",
        "0010_admin_made_links.sql",
        "0011_password_again.sql",
        "0012_groups.sql",
        "0013_app_groups.sql",
    )
});

/// A migration from its file name (`<version>_<description>.sql`) and SQL,
/// read as sqlx reads a migrations folder.
fn migration(file: &'static str, sql: &'static str) -> Migration {
    let (version, description) = file
        .strip_suffix(".sql")
        .and_then(|name| name.split_once('_'))
        .unwrap_or_else(|| panic!("migration {file} is not named <version>_<description>.sql"));
    let version = version
        .parse()
        .unwrap_or_else(|_| panic!("migration {file} does not start with a version number"));
    Migration::new(
        version,
        description.replace('_', " ").into(),
        MigrationType::Simple,
        sql.into_sql_str(),
        sql.starts_with("-- no-transaction"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// What sqlx itself reads from the folder: versions, descriptions,
    /// checksums and transaction modes.
    async fn from_folder(engine: &str) -> Vec<(i64, String, Vec<u8>, bool)> {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(engine);
        summary(
            &Migrator::new(folder)
                .await
                .expect("the migrations folder is readable"),
        )
    }

    fn summary(migrator: &Migrator) -> Vec<(i64, String, Vec<u8>, bool)> {
        migrator
            .iter()
            .map(|m| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn the_sqlite_list_is_the_sqlite_folder() {
        assert_eq!(summary(&SQLITE), from_folder("sqlite").await);
    }

    #[tokio::test]
    async fn the_postgres_list_is_the_postgres_folder() {
        assert_eq!(summary(&POSTGRES), from_folder("postgres").await);
    }
}
