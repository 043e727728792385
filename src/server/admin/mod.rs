//! What site admins do: manage other people's accounts, register the apps
//! that sign in through Gatehouse, and watch the mail outbox. Each service
//! expects an already checked admin (`http::request::require_admin`).

pub mod apps;
pub mod groups;
pub mod mail;
pub mod password_again;
pub mod transfer;
pub mod users;

use crate::{domain::CurrentUser, server::platform::audit::Who};

/// Who did it, for the audit log: the admin, or nobody named (the
/// operator's command line).
fn actor(by: Option<&CurrentUser>) -> Who<'_> {
    by.map(|u| Who::user(u.id, &u.email)).unwrap_or_default()
}
