//! Storage: every SQL statement of Gatehouse lives under this module.
//!
//! One `AnyPool` serves SQLite and PostgreSQL. Statements use `$n`
//! placeholders and integer times, which both engines read the same way;
//! where the dialects differ, each function picks its engine's statement.

/// The columns of a [`users::UserRow`], for the statements that read one
/// (here, ahead of the modules, so that each of them can use it).
macro_rules! user_columns {
    () => {
        "id, email, name, role, password_hash, active, created_at, updated_at, last_login_at, password_changed_at, language"
    };
}

pub mod apps;
pub mod audit;
mod error;
pub mod groups;
mod migrations;
pub mod oidc;
pub mod outbox;
pub mod rate_limits;
pub mod sessions;
pub mod setup_tokens;
mod sqlite_writer;
pub mod tokens;
pub mod two_step;
pub mod user_search;
pub mod users;
pub mod write;

pub use error::Error;

use sqlx::{any::AnyPoolOptions, AnyPool, SqlSafeStr, Transaction};
use std::{sync::Arc, time::Duration};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub type Conn = sqlx::AnyConnection;

/// A write transaction. On SQLite it also holds this process's writer
/// turn (see [`Db::begin`]) until it commits or is dropped.
pub struct Tx {
    tx: Transaction<'static, sqlx::Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for Tx {
    type Target = Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
    /// SQLite allows one writer at a time. Writers of this process wait
    /// for their turn here, woken as soon as the one before commits,
    /// instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10, …
    /// ms between tries (BENCHMARKS.md); other processes on the same file
    /// still meet the busy timeout.
    writer: Option<Arc<Mutex<()>>>,
    /// The thread for the hot write transactions of an SQLite file
    /// ([`sqlite_writer`]).
    sqlite_writer: Option<Arc<sqlite_writer::SqliteWriter>>,
    /// The SQLite database's file, as SQLite names it (`None` in memory and
    /// on PostgreSQL): the writer thread's, and the migration lock's.
    file: Option<Arc<std::path::Path>>,
    /// Where a job submitted from a thread outside the runtime (a hashing
    /// worker) runs when there is no writer thread ([`write`]).
    runtime: tokio::runtime::Handle,
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        install_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else {
            Engine::Postgres
        };
        if engine == Engine::Sqlite {
            create_sqlite_parent_dir(url);
        }
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if engine == Engine::Sqlite {
            // An embedded database cannot drop a connection: no ping on
            // every acquire (sqlx's default), one round trip less per query.
            options = options.test_before_acquire(false);
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers work while one writer commits; the
                    // busy timeout makes writers queue instead of failing.
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(url).await?;
        let writer: Option<Arc<Mutex<()>>> = (engine == Engine::Sqlite).then(Arc::default);
        let file = match engine {
            Engine::Sqlite => sqlite_main_file(&pool).await?,
            Engine::Postgres => None,
        };
        let sqlite_writer = match (&writer, &file) {
            (Some(turn), Some(file)) => Some(Arc::new(
                sqlite_writer::SqliteWriter::start(file, turn.clone())
                    .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?,
            )),
            _ => None,
        };
        Ok(Self {
            pool,
            engine,
            writer,
            sqlite_writer,
            file,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Applies the migrations this build knows that the database lacks.
    /// Several instances may start at once: on PostgreSQL sqlx holds an
    /// advisory lock while it migrates; on SQLite a lock file beside the
    /// database (`<file>.migrate-lock`) does the same for every process on
    /// the machine. An instance older than the database (a migration it
    /// does not know was applied) refuses to start instead of running on.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.engine {
            Engine::Sqlite => {
                let _lock = match &self.file {
                    Some(file) => Some(migration_lock(file).await?),
                    None => None,
                };
                migrations::SQLITE.run(&self.pool).await
            }
            Engine::Postgres => migrations::POSTGRES.run(&self.pool).await,
        }
    }

    /// A write transaction. SQLite takes its write lock at the start, so two
    /// writers queue instead of deadlocking on upgrade; in this process
    /// they queue for their turn first.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match &self.writer {
            Some(writer) => {
                // The connection first, then the turn: only the
                // transaction itself is serial.
                let conn = self.pool.acquire().await?;
                let turn = writer.clone().lock_owned().await;
                let tx = Transaction::begin(conn, Some("BEGIN IMMEDIATE".into_sql_str())).await?;
                Ok(Tx {
                    tx,
                    _turn: Some(turn),
                })
            }
            None => Ok(Tx {
                tx: self.pool.begin().await?,
                _turn: None,
            }),
        }
    }

    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// Makes creating the first account race-free: on PostgreSQL no other
    /// transaction can add a user until this one ends (SQLite's write
    /// transactions are serial already).
    pub async fn lock_users_for_first_account(&self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        if self.engine == Engine::Postgres {
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut ***tx)
                .await?;
        }
        Ok(())
    }

    /// Whether every migration this build knows has been applied (and none
    /// failed): `/readyz`.
    pub async fn migrations_current(&self) -> Result<bool, sqlx::Error> {
        use sqlx::Row;
        let migrator = match self.engine {
            Engine::Sqlite => &*migrations::SQLITE,
            Engine::Postgres => &*migrations::POSTGRES,
        };
        let applied: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get("version"))
            .collect::<Result<_, _>>()?;
        Ok(migrator.iter().all(|m| applied.contains(&m.version)))
    }

    /// A consistent copy of a live SQLite database in a new file (`VACUUM
    /// INTO`: readers and writers go on meanwhile). PostgreSQL has its own
    /// tools (`pg_dump`).
    pub async fn backup_sqlite(&self, to: &std::path::Path) -> Result<(), String> {
        if self.engine != Engine::Sqlite {
            return Err("backups of PostgreSQL are made with pg_dump (see the README)".into());
        }
        if to.exists() {
            return Err(format!(
                "{} exists already; choose a new file",
                to.display()
            ));
        }
        let path = to.to_str().ok_or("the file name is not UTF-8")?;
        let sql = format!("VACUUM INTO '{}'", path.replace('\'', "''"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| format!("the backup failed: {e}"))
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// The file of the pool's SQLite database as SQLite itself names it, after
/// sqlx has read the URL (percent-decoding, `mode=memory`, …); `None` for
/// an in-memory database.
async fn sqlite_main_file(pool: &AnyPool) -> Result<Option<Arc<std::path::Path>>, sqlx::Error> {
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(pool)
            .await?;
    Ok((!file.is_empty()).then(|| std::path::Path::new(&file).into()))
}

/// The file of an SQLite URL, read before the database is opened (`None`
/// for an in-memory database).
fn sqlite_file(url: &str) -> Option<&std::path::Path> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::Path::new(path))
}

/// Waits for, then holds, the migration lock of an SQLite database file
/// (an OS file lock: released when the file is closed, also if the process
/// dies).
async fn migration_lock(
    db_file: &std::path::Path,
) -> Result<std::fs::File, sqlx::migrate::MigrateError> {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".migrate-lock");
    let lock_path = std::path::PathBuf::from(name);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| sqlx::migrate::MigrateError::Execute(sqlx::Error::Io(std::io::Error::other(e))))?
    .map_err(|e: std::io::Error| sqlx::migrate::MigrateError::Execute(sqlx::Error::Io(e)))
}

fn create_sqlite_parent_dir(url: &str) {
    let Some(path) = sqlite_file(url) else {
        return;
    };
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            let _ = std::fs::create_dir_all(parent);
        }
    }
}

/// The engines behind `AnyPool`, installed once per process.
fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        sqlx::any::install_drivers(&[sqlx_sqlite::any::DRIVER, sqlx_postgres::any::DRIVER])
            .expect("the database drivers are installed once");
    });
}

/// A yes/no column, stored as 0 or 1 on both engines; rows decode it to
/// `bool` with `#[sqlx(try_from = "IntFlag")]`.
pub struct IntFlag(bool);

impl From<IntFlag> for bool {
    fn from(flag: IntFlag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for IntFlag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for IntFlag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Self(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0))
    }
}

/// True when the error is a unique-constraint violation (a duplicate email).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::{write::Write, *};

    #[tokio::test]
    async fn the_writer_thread_writes_to_the_pools_own_file() {
        let dir = tempfile::tempdir().unwrap();
        // sqlx decodes the path: the file is `a b.db`.
        let url = format!("sqlite://{}/a%20b.db?mode=rwc", dir.path().display());
        let db = Db::connect(&url, 2).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&db.pool)
            .await
            .unwrap();
        let writer = db.sqlite_writer.as_ref().expect("a writer for a file");
        writer
            .run(|c| {
                c.execute("INSERT INTO t (x) VALUES (1)", [])?;
                Ok(Write::Commit(()))
            })
            .await
            .unwrap();
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(seen, 1);
        assert!(dir.path().join("a b.db").exists());
        assert!(!dir.path().join("a%20b.db").exists());

        for memory in [
            "sqlite::memory:".to_owned(),
            format!("sqlite://{}/m.db?mode=memory", dir.path().display()),
        ] {
            let db = Db::connect(&memory, 1).await.unwrap();
            assert!(db.sqlite_writer.is_none(), "{memory}");
        }
    }
}
