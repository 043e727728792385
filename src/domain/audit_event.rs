//! What the audit log records: one name per kind of event, shared by the
//! server that writes entries and the page that lists and filters them.

/// A kind of audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Login,
    LoginFailed,
    LoginThrottled,
    Logout,
    LogoutEverywhere,
    ResetRequested,
    ResetThrottled,
    ResetCompleted,
    InvitationSent,
    InvitationAccepted,
    PasswordChanged,
    UserCreated,
    UserEdited,
    UserDisabled,
    UserEnabled,
    UserDeleted,
    ResetSentByAdmin,
    AccessDenied,
    PasswordChangeFailed,
    AppAdded,
    AppChanged,
    AppSecretRotated,
    AppRemoved,
    AppSignIn,
    AppAccessDenied,
    SigningKeyRotated,
    MailRetried,
    TestMailQueued,
    SetPasswordLinkMade,
}

impl Event {
    pub const ALL: [Event; 29] = [
        Event::Login,
        Event::LoginFailed,
        Event::LoginThrottled,
        Event::Logout,
        Event::LogoutEverywhere,
        Event::ResetRequested,
        Event::ResetThrottled,
        Event::ResetCompleted,
        Event::InvitationSent,
        Event::InvitationAccepted,
        Event::PasswordChanged,
        Event::UserCreated,
        Event::UserEdited,
        Event::UserDisabled,
        Event::UserEnabled,
        Event::UserDeleted,
        Event::ResetSentByAdmin,
        Event::AccessDenied,
        Event::PasswordChangeFailed,
        Event::AppAdded,
        Event::AppChanged,
        Event::AppSecretRotated,
        Event::AppRemoved,
        Event::AppSignIn,
        Event::AppAccessDenied,
        Event::SigningKeyRotated,
        Event::MailRetried,
        Event::TestMailQueued,
        Event::SetPasswordLinkMade,
    ];

    /// The name stored in the audit log and used in the page's filter.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Login => "login",
            Event::LoginFailed => "login_failed",
            Event::LoginThrottled => "login_throttled",
            Event::Logout => "logout",
            Event::LogoutEverywhere => "logout_everywhere",
            Event::ResetRequested => "reset_requested",
            Event::ResetThrottled => "reset_throttled",
            Event::ResetCompleted => "reset_completed",
            Event::InvitationSent => "invitation_sent",
            Event::InvitationAccepted => "invitation_accepted",
            Event::PasswordChanged => "password_changed",
            Event::UserCreated => "user_created",
            Event::UserEdited => "user_edited",
            Event::UserDisabled => "user_disabled",
            Event::UserEnabled => "user_enabled",
            Event::UserDeleted => "user_deleted",
            Event::ResetSentByAdmin => "reset_sent_by_admin",
            Event::AccessDenied => "access_denied",
            Event::PasswordChangeFailed => "password_change_failed",
            Event::AppAdded => "app_added",
            Event::AppChanged => "app_changed",
            Event::AppSecretRotated => "app_secret_rotated",
            Event::AppRemoved => "app_removed",
            Event::AppSignIn => "app_sign_in",
            Event::AppAccessDenied => "app_access_denied",
            Event::SigningKeyRotated => "signing_key_rotated",
            Event::MailRetried => "mail_retried",
            Event::TestMailQueued => "test_mail_queued",
            Event::SetPasswordLinkMade => "set_password_link_made",
        }
    }

    /// How the audit page names the event.
    pub fn label(self) -> &'static str {
        match self {
            Event::Login => "Logged in",
            Event::LoginFailed => "Failed login",
            Event::LoginThrottled => "Login throttled",
            Event::Logout => "Logged out",
            Event::LogoutEverywhere => "Logged out everywhere",
            Event::ResetRequested => "Reset requested",
            Event::ResetThrottled => "Reset throttled",
            Event::ResetCompleted => "Reset completed",
            Event::InvitationSent => "Invitation sent",
            Event::InvitationAccepted => "Invitation accepted",
            Event::PasswordChanged => "Password changed",
            Event::UserCreated => "User created",
            Event::UserEdited => "User edited",
            Event::UserDisabled => "User disabled",
            Event::UserEnabled => "User enabled",
            Event::UserDeleted => "User deleted",
            Event::ResetSentByAdmin => "Reset email sent by an admin",
            Event::AccessDenied => "Access denied",
            Event::PasswordChangeFailed => "Wrong current password",
            Event::AppAdded => "App registered",
            Event::AppChanged => "App changed",
            Event::AppSecretRotated => "App secret replaced",
            Event::AppRemoved => "App removed",
            Event::AppSignIn => "Signed in to an app",
            Event::AppAccessDenied => "App access refused",
            Event::SigningKeyRotated => "Signing key rotated",
            Event::MailRetried => "Mail retried",
            Event::TestMailQueued => "Test mail sent",
            Event::SetPasswordLinkMade => "Set-password link made by an admin",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}
