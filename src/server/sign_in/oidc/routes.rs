//! The OpenID Connect endpoints' routes.

use super::{authorize, discovery, logout, revoke, token, userinfo};
use crate::server::AppState;
use axum::{
    http::{header, Method},
    routing::{get, post},
    Router,
};
use tower_http::cors::{Any, CorsLayer};

/// The endpoints. Those an app calls from its own code (rather than by
/// sending a browser) answer cross-origin requests: browser-based apps
/// call them directly.
pub fn routes() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    let api = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::discovery),
        )
        .route("/oauth2/jwks", get(discovery::jwks))
        .route("/oauth2/token", post(token::handle))
        .route(
            "/oauth2/userinfo",
            get(userinfo::handle).post(userinfo::handle),
        )
        .route("/oauth2/revoke", post(revoke::handle))
        .layer(cors);
    Router::new()
        .route("/oauth2/authorize", get(authorize::handle))
        .route("/oauth2/logout", get(logout::handle))
        .merge(api)
}

/// Paths that apps call with their own credentials (no cookies), so the
/// Origin check does not apply to them.
pub fn is_app_endpoint(path: &str) -> bool {
    matches!(
        path,
        "/oauth2/token" | "/oauth2/userinfo" | "/oauth2/revoke"
    )
}
