//! `/oauth2/revoke` (RFC 7009): a refresh token revokes its whole grant,
//! an access token only itself. Unknown tokens, or another app's, change
//! nothing and the answer is the same.

use super::{
    answer::{no_store, oauth_error},
    client_auth::{self, ClientAuth},
    error::{Failure, OAuthError},
};
use crate::server::{
    db::{self, oidc::Kind},
    platform::{client::ClientAddr, tokens},
    AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

/// Revokes `token` for the app behind `auth`. The app and the token are
/// read first, outside any transaction: only a known app's own token leads
/// to a write.
pub async fn revoke(state: &AppState, auth: &ClientAuth, token: &str) -> Result<(), Failure> {
    let now = state.clock.now();
    let found = {
        let mut conn = state.db.conn().await?;
        let app = client_auth::authenticate(&mut conn, auth).await?;
        find_own(&mut conn, &app, token).await?
    };
    let Some((hash, kind, grant_id)) = found else {
        return Ok(());
    };
    let mut tx = state.db.begin().await?;
    match kind {
        Kind::Refresh => db::oidc::revoke_grant(&mut tx, grant_id, now).await?,
        _ => db::oidc::expire_token(&mut tx, &hash, now).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// The app's own refresh or access token `token`: its hash, kind and grant.
async fn find_own(
    conn: &mut db::Conn,
    app: &db::apps::AppRow,
    token: &str,
) -> Result<Option<(String, Kind, i64)>, db::Error> {
    if !tokens::well_formed(token) {
        return Ok(None);
    }
    let hash = tokens::hash(token);
    for kind in [Kind::Refresh, Kind::Access] {
        if let Some(row) = db::oidc::find_token(conn, &hash, kind).await? {
            return Ok((row.client_id == app.client_id).then_some((hash, kind, row.grant_id)));
        }
    }
    Ok(None)
}

/// The endpoint.
pub async fn handle(
    State(state): State<AppState>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = client_auth::Caller::new(&state, addr);
    let (form, auth) = match caller.read(&headers, &body) {
        Ok(call) => call,
        Err(answer) => return *answer,
    };
    let Some(token) = form.get("token") else {
        return oauth_error(OAuthError::invalid_request("token is required"), false);
    };
    match revoke(&state, &auth, token).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => caller.failed(e, &auth),
    }
}
