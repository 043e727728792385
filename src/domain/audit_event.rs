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

    /// How the audit page names the event, in the page's language.
    pub fn label(self) -> &'static str {
        use crate::i18n::{t, Msg};
        t(match self {
            Event::Login => Msg::AuditEventLogin,
            Event::LoginFailed => Msg::AuditEventLoginFailed,
            Event::LoginThrottled => Msg::AuditEventLoginThrottled,
            Event::Logout => Msg::AuditEventLogout,
            Event::LogoutEverywhere => Msg::AuditEventLogoutEverywhere,
            Event::ResetRequested => Msg::AuditEventResetRequested,
            Event::ResetThrottled => Msg::AuditEventResetThrottled,
            Event::ResetCompleted => Msg::AuditEventResetCompleted,
            Event::InvitationSent => Msg::AuditEventInvitationSent,
            Event::InvitationAccepted => Msg::AuditEventInvitationAccepted,
            Event::PasswordChanged => Msg::AuditEventPasswordChanged,
            Event::UserCreated => Msg::AuditEventUserCreated,
            Event::UserEdited => Msg::AuditEventUserEdited,
            Event::UserDisabled => Msg::AuditEventUserDisabled,
            Event::UserEnabled => Msg::AuditEventUserEnabled,
            Event::UserDeleted => Msg::AuditEventUserDeleted,
            Event::ResetSentByAdmin => Msg::AuditEventResetSentByAdmin,
            Event::AccessDenied => Msg::AuditEventAccessDenied,
            Event::PasswordChangeFailed => Msg::AuditEventPasswordChangeFailed,
            Event::AppAdded => Msg::AuditEventAppAdded,
            Event::AppChanged => Msg::AuditEventAppChanged,
            Event::AppSecretRotated => Msg::AuditEventAppSecretRotated,
            Event::AppRemoved => Msg::AuditEventAppRemoved,
            Event::AppSignIn => Msg::AuditEventAppSignIn,
            Event::AppAccessDenied => Msg::AuditEventAppAccessDenied,
            Event::SigningKeyRotated => Msg::AuditEventSigningKeyRotated,
            Event::MailRetried => Msg::AuditEventMailRetried,
            Event::TestMailQueued => Msg::AuditEventTestMailQueued,
            Event::SetPasswordLinkMade => Msg::AuditEventSetPasswordLinkMade,
        })
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}
