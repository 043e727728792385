//! `AppError`: the one error type that crosses the wire.
//!
//! Errors carry codes, never free text, so a crafted `?__err=` URL cannot
//! make a page display words of an attacker's choosing.

use crate::i18n::{t, tf, tn, Msg, Plural};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A form field, named as in the HTML forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Name,
    Role,
    Password,
    NewPassword,
    ConfirmPassword,
    CurrentPassword,
    /// How a new user gets a password: typed here, or by invitation.
    Setup,
    /// The "yes, really" box of a dangerous action.
    Confirm,
    /// An app's redirect URIs, one per line.
    RedirectUris,
    /// An app's post-logout redirect URIs, one per line.
    PostLogoutUris,
    /// Public or confidential app.
    ClientType,
    /// A second step's code: an authenticator app's, or a recovery code.
    Code,
    /// What a person calls one of their passkeys.
    PasskeyName,
    /// The language of a person's pages and mail.
    Language,
    /// Group names (an app's groups, a person's groups).
    Groups,
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Required,
    TooLong {
        max: usize,
    },
    TooShort {
        min: usize,
    },
    InvalidEmail,
    InvalidCharacters,
    InvalidChoice,
    CommonPassword,
    ContainsEmail,
    ContainsSiteName,
    Mismatch,
    WrongCurrentPassword,
    AlreadyTaken,
    NotConfirmed,
    /// Not an absolute https:// address (http:// only on this machine),
    /// or one with a `#fragment`.
    InvalidRedirectUri,
    /// A second step's code that is not right now, or was used.
    WrongCode,
    /// No account has this address (where a site admin names someone).
    NoSuchAccount,
    /// No group has this name (where a site admin names one).
    NoSuchGroup {
        name: String,
    },
    /// A group that apps admit by: it stays until they stop.
    GroupInUse {
        apps: String,
    },
}

impl Problem {
    /// The message under the field, in the page's language.
    pub fn message(&self) -> String {
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let text = |msg| t(msg).to_owned();
        match self {
            Self::Required => text(Msg::ProblemRequired),
            Self::TooLong { max } => tn(
                Plural::ProblemTooLong,
                count(*max),
                &[("max", &max.to_string())],
            ),
            Self::TooShort { min } => tn(
                Plural::ProblemTooShort,
                count(*min),
                &[("min", &min.to_string())],
            ),
            Self::InvalidEmail => text(Msg::ProblemInvalidEmail),
            Self::InvalidCharacters => text(Msg::ProblemInvalidCharacters),
            Self::InvalidChoice => text(Msg::ProblemInvalidChoice),
            Self::CommonPassword => text(Msg::ProblemCommonPassword),
            Self::ContainsEmail => text(Msg::ProblemContainsEmail),
            Self::ContainsSiteName => text(Msg::ProblemContainsSiteName),
            Self::Mismatch => text(Msg::ProblemMismatch),
            Self::WrongCurrentPassword => text(Msg::ProblemWrongCurrentPassword),
            Self::AlreadyTaken => text(Msg::ProblemAlreadyTaken),
            Self::NotConfirmed => text(Msg::ProblemNotConfirmed),
            Self::InvalidRedirectUri => text(Msg::ProblemInvalidRedirectUri),
            Self::WrongCode => text(Msg::ProblemWrongCode),
            Self::NoSuchAccount => text(Msg::ProblemNoSuchAccount),
            Self::NoSuchGroup { name } => tf(Msg::ProblemNoSuchGroup, &[("name", name)]),
            Self::GroupInUse { apps } => tf(Msg::ProblemGroupInUse, &[("apps", apps)]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum AppError {
    #[error("some fields are invalid")]
    Validation(Vec<(Field, Problem)>),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("invalid or expired token")]
    InvalidOrExpiredToken,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("server busy")]
    Busy,
    #[error("not logged in")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("setup already done")]
    SetupClosed,
    #[error("invalid setup link")]
    SetupLinkInvalid,
    #[error("last active site admin")]
    LastAdmin,
    #[error("own account")]
    OwnAccount,
    #[error("account disabled")]
    AccountDisabled,
    #[error("bad request")]
    BadRequest,
    #[error("the login's second step came too late")]
    SecondStepExpired,
    #[error("the passkey did not verify")]
    PasskeyRefused,
    #[error("two-step verification must be set up first")]
    TwoStepRequired,
    /// A change that needs the admin's password from the last 5 minutes
    /// (given at login or on `/admin/confirm`).
    #[error("the password must be given again first")]
    PasswordAgain,
    #[error("could not reach the server")]
    Network,
    #[error("internal error")]
    Internal,
}

impl AppError {
    pub fn field(field: Field, problem: Problem) -> Self {
        Self::Validation(vec![(field, problem)])
    }

    /// The HTTP status for API callers.
    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) | Self::BadRequest => 422,
            Self::InvalidCredentials | Self::Unauthorized => 401,
            Self::InvalidOrExpiredToken | Self::SecondStepExpired => 410,
            Self::PasskeyRefused => 401,
            Self::TooManyRequests { .. } => 429,
            Self::Busy => 503,
            Self::Forbidden
            | Self::SetupLinkInvalid
            | Self::TwoStepRequired
            | Self::PasswordAgain => 403,
            Self::NotFound => 404,
            Self::SetupClosed | Self::LastAdmin | Self::OwnAccount | Self::AccountDisabled => 409,
            Self::Network | Self::Internal => 500,
        }
    }

    /// The sentence shown at the top of a form, in the page's language.
    pub fn message(&self) -> String {
        let msg = match self {
            Self::Validation(_) => Msg::ErrorValidation,
            Self::InvalidCredentials => Msg::ErrorInvalidCredentials,
            Self::InvalidOrExpiredToken => Msg::ErrorInvalidOrExpiredToken,
            Self::TooManyRequests { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                let count = i64::try_from(minutes).unwrap_or(i64::MAX);
                return tn(
                    Plural::ErrorTooManyRequests,
                    count,
                    &[("minutes", &minutes.to_string())],
                );
            }
            Self::Busy => Msg::ErrorBusy,
            Self::Unauthorized => Msg::ErrorUnauthorized,
            Self::Forbidden => Msg::ErrorForbidden,
            Self::NotFound => Msg::ErrorNotFound,
            Self::SetupClosed => Msg::ErrorSetupClosed,
            Self::SetupLinkInvalid => Msg::ErrorSetupLinkInvalid,
            Self::LastAdmin => Msg::ErrorLastAdmin,
            Self::OwnAccount => Msg::ErrorOwnAccount,
            Self::AccountDisabled => Msg::ErrorAccountDisabled,
            Self::BadRequest => Msg::ErrorBadRequest,
            Self::SecondStepExpired => Msg::ErrorSecondStepExpired,
            Self::PasskeyRefused => Msg::ErrorPasskeyRefused,
            Self::TwoStepRequired => Msg::ErrorTwoStepRequired,
            Self::PasswordAgain => Msg::ErrorPasswordAgain,
            Self::Network => Msg::ErrorNetwork,
            Self::Internal => Msg::ErrorInternal,
        };
        t(msg).to_owned()
    }

    /// The message for one field, if that field has a problem.
    pub fn field_message(&self, field: Field) -> Option<String> {
        match self {
            Self::Validation(problems) => problems
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, p)| p.message()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::api::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => Self::BadRequest,
            ServerFnErrorErr::Request(_) => Self::Network,
            _ => Self::Internal,
        }
    }
}

/// Collects field problems while parsing a form, so every field is reported at once.
#[derive(Default)]
pub struct Problems(Vec<(Field, Problem)>);

impl Problems {
    pub fn check<T>(&mut self, field: Field, result: Result<T, Problem>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.0.push((field, problem));
                None
            }
        }
    }

    pub fn add(&mut self, field: Field, problem: Problem) {
        self.0.push((field, problem));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }

    /// The parsed fields (the `Some` of every [`check`](Self::check) zipped
    /// together), or every problem found. A field that failed to parse has
    /// recorded its problem, so without problems the fields are all there.
    pub fn finish<T>(self, parsed: Option<T>) -> Result<T, AppError> {
        self.into_result()?;
        parsed.ok_or(AppError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_survive_the_wire_encoding() {
        let err = AppError::Validation(vec![(Field::Email, Problem::InvalidEmail)]);
        let decoded = AppError::de(err.ser());
        assert_eq!(decoded, err);
        assert_eq!(
            decoded.field_message(Field::Email).unwrap(),
            "Enter an email address like name@example.com."
        );
        assert_eq!(decoded.field_message(Field::Password), None);
    }

    #[test]
    fn bad_arguments_are_the_callers_fault_not_ours() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("x".into()));
        assert_eq!(err.status(), 422);
        assert_eq!(
            AppError::TooManyRequests {
                retry_after_secs: 61
            }
            .message(),
            "Too many attempts. Please try again in 2 minutes."
        );
    }

    #[test]
    fn garbage_in_the_url_decodes_to_a_fixed_message() {
        let err = AppError::de(b"<script>alert(1)</script>".to_vec().into());
        assert_eq!(err, AppError::BadRequest);
    }
}
