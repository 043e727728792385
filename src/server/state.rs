//! The state every request, server function and the mail worker share.

use crate::server::{
    accounts::{passwords, two_step::passkeys::Passkeys},
    db,
    platform::{clock, config, secret_key::SecretKey},
};
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
    /// The server's own key, which seals what the database must not hold
    /// in the clear.
    pub secret: Arc<SecretKey>,
    /// Passkeys (WebAuthn) for this site's address.
    pub passkeys: Arc<Passkeys>,
    pub clock: Arc<dyn clock::Clock>,
    pub leptos_options: LeptosOptions,
    /// Wakes the mail worker when a message was queued.
    pub mail_notify: Arc<Notify>,
    /// Whether the mail server can be reached, as the worker last found.
    pub mail_health: Arc<crate::server::mail::outbox::ServerHealth>,
    pub mail_retry_base_secs: i64,
    pub mail_poll_ms: u64,
    /// Set once an account is known to exist: accounts never all go away
    /// (the last site admin cannot be deleted), so from then on the login
    /// page need not ask the database whether setup is open.
    pub has_accounts: Arc<std::sync::atomic::AtomicBool>,
    /// Set when a graceful shutdown begins: `/readyz` then answers 503.
    pub shutting_down: Arc<std::sync::atomic::AtomicBool>,
    /// Pages rendered once for every visitor without a cookie.
    pub pages: Arc<crate::server::http::PageCache>,
    /// Apps' failed client authentication, counted per address in this
    /// process (see `sign_in::oidc::client_auth`).
    pub client_auth_failures: Arc<crate::server::platform::rate_limit::LocalLimiter>,
    /// OpenID Connect signing keys, parsed once per process.
    pub signing_keys: Arc<crate::server::sign_in::oidc::keys::KeyCache>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
