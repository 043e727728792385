//! Signing in to the site's other apps: Gatehouse as an OpenID Connect
//! provider, and the forward-auth answer for reverse proxies.

pub mod forward_auth;
pub mod oidc;
