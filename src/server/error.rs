//! How services fail, and how a failure reaches the caller.

use crate::{
    error::AppError,
    server::{accounts::passwords, platform::rate_limit},
};

/// A service's failure: the user's fault (shown to them) or ours (logged).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    User(AppError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<AppError> for ServiceError {
    fn from(e: AppError) -> Self {
        Self::User(e)
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<crate::server::db::Error> for ServiceError {
    fn from(e: crate::server::db::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<passwords::HashError> for ServiceError {
    fn from(e: passwords::HashError) -> Self {
        match e {
            passwords::HashError::Busy => Self::User(AppError::Busy),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<rate_limit::RateError> for ServiceError {
    fn from(e: rate_limit::RateError) -> Self {
        match e {
            rate_limit::RateError::Throttled(t) => Self::User(AppError::TooManyRequests {
                retry_after_secs: t.retry_after_secs,
            }),
            rate_limit::RateError::Db(e) => e.into(),
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::User(e) => e,
            ServiceError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                AppError::Internal
            }
        }
    }
}
