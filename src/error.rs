//! `AppError`: the one error type that crosses the wire.
//!
//! Errors carry codes, never free text, so a crafted `?__err=` URL cannot
//! make a page display words of an attacker's choosing.

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
}

impl Problem {
    pub fn message(&self) -> String {
        match self {
            Self::Required => "This field is required.".into(),
            Self::TooLong { max } => format!("This is too long: at most {max} characters."),
            Self::TooShort { min } => format!("This is too short: at least {min} characters."),
            Self::InvalidEmail => "Enter an email address like name@example.com.".into(),
            Self::InvalidCharacters => "This contains characters that are not allowed.".into(),
            Self::InvalidChoice => "Choose one of the options.".into(),
            Self::CommonPassword => {
                "This password is too common and easy to guess. Choose another one.".into()
            }
            Self::ContainsEmail => "The password must not contain your email address.".into(),
            Self::ContainsSiteName => "The password must not contain the site's name.".into(),
            Self::Mismatch => "The two passwords do not match.".into(),
            Self::WrongCurrentPassword => "The current password is incorrect.".into(),
            Self::AlreadyTaken => "An account with this email address already exists.".into(),
            Self::NotConfirmed => "Tick the box to confirm.".into(),
            Self::InvalidRedirectUri => "Enter full https:// addresses without a #fragment, one per line (http:// only for localhost and 127.0.0.1).".into(),
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
            Self::InvalidOrExpiredToken => 410,
            Self::TooManyRequests { .. } => 429,
            Self::Busy => 503,
            Self::Forbidden | Self::SetupLinkInvalid => 403,
            Self::NotFound => 404,
            Self::SetupClosed | Self::LastAdmin | Self::OwnAccount | Self::AccountDisabled => 409,
            Self::Network | Self::Internal => 500,
        }
    }

    /// The sentence shown at the top of a form.
    pub fn message(&self) -> String {
        match self {
            Self::Validation(_) => "Please correct the fields marked below.".into(),
            Self::InvalidCredentials => "The email or password is incorrect.".into(),
            Self::InvalidOrExpiredToken => {
                "This link has expired or was already used. Request a new one.".into()
            }
            Self::TooManyRequests { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                format!("Too many attempts. Please try again in {minutes} {unit}.")
            }
            Self::Busy => "The server is busy. Please try again in a moment.".into(),
            Self::Unauthorized => "Please log in first.".into(),
            Self::Forbidden => "You are not allowed to do that.".into(),
            Self::NotFound => "That was not found.".into(),
            Self::SetupClosed => "Setup is complete: the first site admin already exists.".into(),
            Self::SetupLinkInvalid => {
                "This setup link has expired or was already used. Run `gatehouse setup-link` on the server for a fresh one.".into()
            }
            Self::LastAdmin => {
                "This is the last active site admin. Make another user a site admin first.".into()
            }
            Self::OwnAccount => "You cannot disable, demote or delete your own account.".into(),
            Self::AccountDisabled => "This account is disabled. Enable it first.".into(),
            Self::BadRequest => {
                "The request was not understood. Please fill in the form again.".into()
            }
            Self::Network => {
                "Could not reach the server. Check your connection and try again.".into()
            }
            Self::Internal => "Something went wrong on our side. Please try again.".into(),
        }
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
