//! Integration tests: the real router over HTTP, on SQLite and PostgreSQL,
//! with mail through a real SMTP conversation.

mod helpers;
mod log_audit;
mod probe;
mod smtp_sink;

mod admin;
mod admin_mail;
mod admin_safety;
mod cli;
mod deploy;
mod forward_auth;
mod groups;
mod hardening;
mod import_export;
mod languages;
mod login;
mod nginx;
mod oidc;
mod operations;
mod outbox;
mod password_reset;
pub mod proxy;
mod setup;
mod throttling;
mod two_step;
mod words;
