//! Everything that runs only on the server: configuration, storage,
//! hashing, sessions, tokens, mail, throttling and the HTTP application.

pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod db;
pub mod mail;
pub mod password_reset;
pub mod passwords;
pub mod rate_limit;
pub mod request;
pub mod sessions;
pub mod setup;
pub mod tokens;

use crate::error::AppError;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use tokio::sync::Notify;

/// Shared by every request, every server function and the mail worker.
///
/// One `Arc`: Leptos clones the state into the context of every server
/// function and resource of a page, and cloning its fields one by one (the
/// Leptos options alone are a dozen reference counts) was 7% of a page
/// view's time (BENCHMARKS.md). Reads go through `Deref`; the setup code
/// that adjusts a fresh state goes through `DerefMut`, which copies only a
/// state that is already shared.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(state: Shared) -> Self {
        Self(Arc::new(state))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// What the state holds.
#[derive(Clone)]
pub struct Shared {
    pub settings: Arc<config::Settings>,
    pub db: db::Db,
    pub hasher: Arc<passwords::Hasher>,
    pub clock: Arc<dyn clock::Clock>,
    pub leptos_options: LeptosOptions,
    /// Wakes the mail worker when a message was queued.
    pub mail_notify: Arc<Notify>,
    pub mail_retry_base_secs: i64,
    pub mail_poll_ms: u64,
    /// Set once an account is known to exist: accounts never all go away
    /// (the last site admin cannot be deleted), so from then on the login
    /// page need not ask the database whether setup is open.
    pub has_accounts: Arc<std::sync::atomic::AtomicBool>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

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

/// Periodic clean-up of expired rows; any instance may run it.
pub async fn housekeeping(state: &AppState) {
    let now = state.clock.now();
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let result: Result<(), sqlx::Error> = async {
        let mut conn = state.db.conn().await?;
        db::sessions::delete_expired(&mut conn, now, idle).await?;
        db::tokens::delete_stale(&mut conn, now - 30 * 86_400).await?;
        db::rate_limits::delete_idle(&mut conn, state.clock.now_ms()).await?;
        db::outbox::delete_old(&mut conn, now - 30 * 86_400).await?;
        let retention = i64::from(state.settings.audit_retention_days) * 86_400;
        db::audit::delete_before(&mut conn, now - retention).await?;
        db::setup_tokens::delete_all_or_expired(&mut conn, now, false).await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "housekeeping failed");
    }
}
