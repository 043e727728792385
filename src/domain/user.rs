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
    /// The site requires two-step verification of this person, who has not
    /// set it up yet: until then they may do nothing else.
    #[serde(default)]
    pub must_set_up_two_step: bool,
    /// The language they chose for pages and mail, if any (a tag).
    #[serde(default)]
    pub language: Option<String>,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::SiteAdmin
    }
}

/// One row of the admin user list. Times come formatted in the site's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub has_password: bool,
    pub created: String,
    pub last_login: Option<String>,
    /// When the newest mail to them failed for good, if it did.
    pub mail_failed: Option<String>,
    /// Their second factors (never the keys or codes themselves).
    pub two_step: TwoStepSummary,
    /// Their groups, by name.
    pub groups: Vec<String>,
}

/// Which second factors a person has, as a site admin sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoStepSummary {
    pub app: bool,
    pub passkeys: i64,
}

impl TwoStepSummary {
    pub fn on(&self) -> bool {
        self.app || self.passkeys > 0
    }
}

/// What became of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Expired,
    Accepted,
    /// A newer link was sent instead.
    Replaced,
}

/// One invitation, for the admin's list. Times in the site's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub sent: String,
    pub expires: String,
    pub state: InvitationState,
}

/// A page of the user list with keyset cursors to its neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// Show newer users: `?after=` this id.
    pub newer: Option<i64>,
    /// Show older users: `?before=` this id.
    pub older: Option<i64>,
}

/// One audit log entry, formatted for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Show older entries: `?before=` this id.
    pub older: Option<i64>,
}

/// What `/setup` can do for the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStatus {
    /// No account yet, and the visitor holds a valid setup link.
    Ready,
    /// No account yet, but no setup link was given.
    NeedsLink,
    /// The link given has expired or was used.
    LinkInvalid,
    /// An account exists: setup is over.
    Closed,
}

/// A language the site offers: its tag and its own name (each written in
/// itself, for the links between languages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageOption {
    pub tag: String,
    pub name: String,
}
