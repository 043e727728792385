//! `/oauth2/userinfo`: the claims of the person behind a Bearer access
//! token.

use super::{
    answer::{internal, no_store},
    claims::{PersonClaims, UserInfo},
};
use crate::server::{
    db::{self, oidc::Kind},
    platform::tokens,
    AppState, ServiceError,
};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// The person behind a live access token; `None` for anything else
/// (expired, revoked, its person disabled or deleted).
pub async fn userinfo(
    state: &AppState,
    access_token: &str,
) -> Result<Option<UserInfo>, ServiceError> {
    if !tokens::well_formed(access_token) {
        return Ok(None);
    }
    let mut conn = state.db.conn().await?;
    let Some(row) =
        db::oidc::find_token(&mut conn, &tokens::hash(access_token), Kind::Access).await?
    else {
        return Ok(None);
    };
    if row.expires_at <= state.clock.now()
        || row.revoked_at.is_some()
        || !row.active
        || !row.still_admitted()
    {
        return Ok(None);
    }
    Ok(Some(UserInfo {
        person: PersonClaims::of(&mut conn, &row).await?,
        sub: row.subject,
    }))
}

/// Why a userinfo call got no claims (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy)]
enum BearerError {
    /// No Bearer token at all.
    InvalidRequest,
    /// A token that is not (or no longer) good.
    InvalidToken,
}

fn refuse(error: BearerError) -> Response {
    let (code, challenge) = match error {
        BearerError::InvalidRequest => ("invalid_request", "Bearer"),
        BearerError::InvalidToken => ("invalid_token", "Bearer error=\"invalid_token\""),
    };
    let mut response = (StatusCode::UNAUTHORIZED, Json(json!({"error": code}))).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    no_store(response)
}

/// The endpoint (GET and POST).
pub async fn handle(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = bearer else {
        return refuse(BearerError::InvalidRequest);
    };
    match userinfo(&state, token).await {
        Ok(Some(info)) => no_store(Json(info).into_response()),
        Ok(None) => refuse(BearerError::InvalidToken),
        Err(e) => internal(e),
    }
}
