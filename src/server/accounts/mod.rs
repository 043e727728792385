//! A person's own account: logging in and out, sessions, passwords and
//! their hashing, changing and resetting a password, new accounts and the
//! first-run setup, and the mail these events send.

pub mod account_language;
pub mod account_mail;
pub mod known_device;
pub mod login;
pub mod login_pipeline;
pub mod new_account;
pub mod own_sessions;
pub mod password_change;
pub mod password_reset;
pub mod passwords;
pub mod sessions;
pub mod setup;
pub mod two_step;
