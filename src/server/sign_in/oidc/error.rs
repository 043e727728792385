//! How the OpenID Connect endpoints fail: an OAuth error for the app
//! (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6), or ours.

use crate::server::{db, ServiceError};
use std::borrow::Cow;

/// The `error` codes Gatehouse answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    UnsupportedGrantType,
    UnsupportedResponseType,
    /// `prompt=none` and nobody is logged in.
    LoginRequired,
    /// `prompt=none`, and the person has a page to see first (setting up
    /// two-step verification).
    InteractionRequired,
    /// `prompt=none`, and the app does not admit the person.
    AccessDenied,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::LoginRequired => "login_required",
            Self::InteractionRequired => "interaction_required",
            Self::AccessDenied => "access_denied",
        }
    }
}

/// An OAuth error answer: its code and a sentence for developers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client() -> Self {
        Self::new(ErrorCode::InvalidClient, "client authentication failed")
    }
}

/// Why an app-facing endpoint did not answer as asked: the app's error,
/// or ours (logged, answered `server_error`).
#[derive(Debug)]
pub enum Failure {
    OAuth(OAuthError),
    Internal(ServiceError),
}

impl From<OAuthError> for Failure {
    fn from(e: OAuthError) -> Self {
        Self::OAuth(e)
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Self::Internal(e)
    }
}

impl From<db::Error> for Failure {
    fn from(e: db::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}
