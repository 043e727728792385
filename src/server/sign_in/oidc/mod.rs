//! Gatehouse as an OpenID Connect provider (authorization code flow, PKCE,
//! refresh-token rotation, revocation and RP-initiated logout), built on the
//! login page, sessions and audit log that people already use. One file per
//! endpoint; `routes` puts them on the router.
//!
//! Codes, access tokens and refresh tokens are random values handed out
//! once and stored only as their SHA-256, under a grant (one sign-in of a
//! person to an app). Revoking the grant ends all of them: a replayed code
//! or refresh token does that, and so do a password reset, "log out
//! everywhere" and disabling the account (`sessions::end_everywhere`).

mod answer;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod keys;
pub mod logout;
mod pkce;
pub mod revoke;
pub mod routes;
pub mod token;
pub mod userinfo;

/// An authorization code is good for one exchange within this time.
pub const CODE_SECS: i64 = 60;
/// Access tokens (opaque, checked at `/userinfo`).
pub const ACCESS_TOKEN_SECS: i64 = 3600;
/// ID tokens.
pub const ID_TOKEN_SECS: i64 = 3600;
/// Refresh tokens (scope `offline_access`); each use gives a new one.
pub const REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;
/// The scopes Gatehouse knows; others are dropped from a request.
pub const SCOPES: [&str; 5] = ["openid", "email", "profile", "groups", "offline_access"];
