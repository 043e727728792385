//! What the pages get to know about users.

use super::Role;
use serde::{Deserialize, Serialize};

/// The logged-in person, as the pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::SiteAdmin
    }
}

/// One row of the admin user list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub has_password: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}
