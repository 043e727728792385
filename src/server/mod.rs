//! Everything that runs only on the server: configuration, storage,
//! hashing, sessions, tokens, mail, throttling and the HTTP application.

pub mod account_mail;
pub mod admin;
pub mod app;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod db;
pub mod forward_auth;
pub mod housekeeping;
pub mod mail;
pub mod mail_admin;
pub mod memory;
pub mod metrics;
pub mod oidc;
pub mod password_reset;
pub mod passwords;
pub mod rate_limit;
pub mod request;
pub mod sessions;
pub mod setup;
pub mod tokens;

mod service_error;
mod state;

pub use service_error::ServiceError;
pub use state::{AppState, Shared};
