//! Types shared by the browser and the server: parse, don't validate.

pub mod email;
pub mod name;
pub mod password;
pub mod role;
pub mod user;

pub use email::Email;
pub use name::Name;
pub use password::{PasswordPolicy, Secret};
pub use role::Role;
pub use user::{AuditEntry, AuditPage, CurrentUser, UserPage, UserSummary};
