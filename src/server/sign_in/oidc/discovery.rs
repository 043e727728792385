//! `/.well-known/openid-configuration` and `/oauth2/jwks`: what an app
//! reads to find the endpoints and check the ID tokens' signatures.

use super::{answer::internal, keys, SCOPES};
use crate::server::AppState;
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

pub async fn discovery(State(state): State<AppState>) -> Response {
    let s = &state.settings;
    Json(json!({
        "issuer": s.issuer(),
        "authorization_endpoint": s.link("/oauth2/authorize"),
        "token_endpoint": s.link("/oauth2/token"),
        "userinfo_endpoint": s.link("/oauth2/userinfo"),
        "jwks_uri": s.link("/oauth2/jwks"),
        "revocation_endpoint": s.link("/oauth2/revoke"),
        "end_session_endpoint": s.link("/oauth2/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "amr", "nonce", "email", "email_verified", "name", "roles", "groups"],
        "prompt_values_supported": ["none", "login"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    }))
    .into_response()
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    match keys::published(&state).await {
        Ok(keys) => {
            let keys: Vec<_> = keys
                .iter()
                .map(|k| json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid, "n": k.n, "e": k.e}))
                .collect();
            let mut response = Json(json!({ "keys": keys })).into_response();
            // Short enough that a rotated key shows up promptly.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        Err(e) => internal(e),
    }
}
