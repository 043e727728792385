//! Types shared by the browser and the server: parse, don't validate.

pub mod admin_codes;
pub mod app;
pub mod audit_event;
pub mod email;
pub mod group;
pub mod mail;
pub mod name;
pub mod password;
pub mod role;
pub mod session;
pub mod two_step;
pub mod user;

pub use admin_codes::{AppDone, FirstPasswordChoice, GroupDone, MailDone, SecurityDone, UserDone};
pub use app::{AppCredentials, AppSummary};
pub use audit_event::Event as AuditEvent;
pub use email::Email;
pub use group::{GroupMember, GroupName, GroupSummary, MembersPage};
pub use mail::{MailEntry, MailPage, MailState};
pub use name::Name;
pub use password::{PasswordPolicy, Secret};
pub use role::Role;
pub use session::{AppGrantEntry, SessionEntry, SessionsOverview};
pub use two_step::{AppSetup, PasskeyEntry, SecurityState, VerifyState};
pub use user::{
    AuditEntry, AuditPage, CurrentUser, Invitation, InvitationState, LanguageOption, SetupStatus,
    TwoStepSummary, UserPage, UserSummary,
};

/// Unicode lower case, for checks that run in the browser as well as on the
/// server. In the browser JavaScript's `toLowerCase` does it, so the WASM
/// bundle carries no copy of Unicode's case tables (7 KB after brotli);
/// both follow Unicode's default case conversion. What is stored
/// (`Email::normalized`) is always lowered by the server.
pub fn lowercase(text: &str) -> String {
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        String::from(js_sys::JsString::from(text).to_lower_case())
    }
    #[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
    {
        text.to_lowercase()
    }
}
