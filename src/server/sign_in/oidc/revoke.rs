//! `/oauth2/revoke` (RFC 7009): a refresh token revokes its whole grant,
//! an access token only itself. Unknown tokens, or another app's, change
//! nothing and the answer is the same.

use super::{
    answer::{failure, no_store, oauth_error},
    client_auth::{self, app_call, ClientAuth},
    error::{Failure, OAuthError},
};
use crate::server::{
    db::{self, oidc::Kind},
    platform::tokens,
    AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

pub async fn revoke(state: &AppState, auth: &ClientAuth, token: &str) -> Result<(), Failure> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = client_auth::authenticate(&mut tx, auth).await?;
    if tokens::well_formed(token) {
        let hash = tokens::hash(token);
        for kind in [Kind::Refresh, Kind::Access] {
            if let Some(row) = db::oidc::find_token(&mut tx, &hash, kind).await? {
                if row.client_id == app.client_id {
                    match kind {
                        Kind::Refresh => db::oidc::revoke_grant(&mut tx, row.grant_id, now).await?,
                        _ => db::oidc::expire_token(&mut tx, &hash, now).await?,
                    }
                }
                break;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The endpoint.
pub async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (form, auth) = match app_call(&headers, &body) {
        Ok(call) => call,
        Err((e, basic)) => return oauth_error(e, basic),
    };
    let Some(token) = form.get("token") else {
        return oauth_error(OAuthError::invalid_request("token is required"), false);
    };
    match revoke(&state, &auth, token).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => failure(e, auth.basic),
    }
}
