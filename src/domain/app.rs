//! Apps that sign people in through Gatehouse (OpenID Connect clients), as
//! the admin panel shows them.

use super::Role;
use serde::{Deserialize, Serialize};

/// One registered app. Never carries its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummary {
    pub client_id: String,
    pub name: String,
    /// Public apps (in a browser or on a device) have no secret and must
    /// use PKCE.
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Who may sign in: everyone (`User`) or site admins only.
    pub allowed_role: Role,
    /// Only people who logged in with a second step may sign in.
    pub two_factor: bool,
    /// Only members of these groups may sign in (none: no group rule).
    pub groups: Vec<String>,
    pub created: String,
}

/// What an app needs to sign people in, shown once right after it is made
/// (the secret is stored only as a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCredentials {
    pub client_id: String,
    pub name: String,
    /// `None` for a public app.
    pub client_secret: Option<String>,
}
