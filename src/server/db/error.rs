//! How storage fails, on either path of a write ([`super::write`]).

use std::sync::Arc;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Sqlx(Arc<sqlx::Error>),
    #[error("sqlite: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    #[error("the write failed unexpectedly (the job panicked)")]
    Panicked,
    #[error("the SQLite writer thread has stopped")]
    Stopped,
    #[error("a write job waited for something other than its statements")]
    AwaitedOnWriter,
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Sqlx(Arc::new(e))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(Arc::new(e))
    }
}

impl Error {
    /// A unique-constraint violation (a duplicate email, say), on either engine.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Sqlx(e) => super::is_unique_violation(e),
            Self::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ConstraintViolation)
            ),
            _ => false,
        }
    }
}
