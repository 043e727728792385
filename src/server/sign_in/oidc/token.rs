//! `/oauth2/token`: an app exchanges a code, or a refresh token, for new
//! tokens. Everything is checked inside one transaction; a code or refresh
//! token is spent before anything is issued, and spending one twice
//! revokes its grant.

use super::{
    answer::no_store,
    claims::{IdTokenClaims, Issued, PersonClaims, TokenAnswer},
    client_auth::{self, ClientAuth, Form},
    error::{ErrorCode, Failure, OAuthError},
    keys,
    pkce::Challenge,
    ACCESS_TOKEN_SECS, ID_TOKEN_SECS, REFRESH_TOKEN_SECS,
};
use crate::server::{
    db::{self, oidc::Kind, Conn},
    platform::{
        audit::{self, Entry, Event, Who},
        client::{ClientAddr, RequestMeta},
        tokens,
    },
    AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Json,
};

/// What the app exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        verifier: Option<String>,
    },
    RefreshToken {
        token: String,
    },
}

impl Grant {
    /// The form's grant; a code or token of the wrong shape is refused here.
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        let field = |k: &str| form.get(k).cloned();
        let (grant, presented) = match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => (
                Self::AuthorizationCode {
                    code: String::new(),
                    redirect_uri: field("redirect_uri"),
                    verifier: field("code_verifier"),
                },
                field("code"),
            ),
            Some("refresh_token") => (
                Self::RefreshToken {
                    token: String::new(),
                },
                field("refresh_token"),
            ),
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "authorization_code and refresh_token are supported",
                ))
            }
        };
        let Some(presented) = presented.filter(|p| tokens::well_formed(p)) else {
            return Err(OAuthError::invalid_grant(
                "the code or refresh token is missing or malformed",
            ));
        };
        Ok(match grant {
            Self::AuthorizationCode {
                redirect_uri,
                verifier,
                ..
            } => Self::AuthorizationCode {
                code: presented,
                redirect_uri,
                verifier,
            },
            Self::RefreshToken { .. } => Self::RefreshToken { token: presented },
        })
    }

    fn presented_owned(&self) -> (String, Kind) {
        let (presented, kind) = self.presented();
        (presented.to_owned(), kind)
    }

    fn presented(&self) -> (&str, Kind) {
        match self {
            Self::AuthorizationCode { code, .. } => (code, Kind::Code),
            Self::RefreshToken { token } => (token, Kind::Refresh),
        }
    }
}

/// Exchanges a code or a refresh token.
///
/// Who is asking, and whether what they present exists, are read first,
/// outside any transaction: a request from an unknown app, with a wrong
/// secret, or with a code or token Gatehouse never issued writes nothing
/// (on SQLite it never waits for, or holds, the one writer's turn).
pub async fn token(
    state: &AppState,
    auth: &ClientAuth,
    form: &Form,
) -> Result<TokenAnswer, Failure> {
    let now = state.clock.now();
    let app = {
        let mut conn = state.db.conn().await?;
        let app = client_auth::authenticate(&mut conn, auth).await?;
        let (presented, kind) = Grant::parse(form)?.presented_owned();
        if db::oidc::find_token(&mut conn, &tokens::hash(&presented), kind)
            .await?
            .is_none()
        {
            return Err(OAuthError::invalid_grant("unknown code or refresh token").into());
        }
        app
    };
    // Before the transaction: on SQLite it holds the one writer's turn, and
    // the first use ever makes and stores the key.
    let key = keys::active(state).await?;
    let mut tx = state.db.begin().await?;
    let exchanged = exchange(state, &mut tx, &app, form, now).await;
    // A code or token spent (or a grant revoked for a replay) stays so,
    // whatever the answer.
    if !matches!(exchanged, Err(Failure::Internal(_))) {
        tx.commit().await?;
    }
    Ok(exchanged?.sign(key).await?)
}

/// Inside the transaction: the grant, the code or token spent, and the new
/// tokens stored, for the app already authenticated.
async fn exchange(
    state: &AppState,
    conn: &mut Conn,
    app: &db::apps::AppRow,
    form: &Form,
    now: i64,
) -> Result<Issued, Failure> {
    let grant = Grant::parse(form)?;
    let (presented, kind) = grant.presented();
    let hash = tokens::hash(presented);
    let Some(row) = db::oidc::find_token(conn, &hash, kind).await? else {
        return Err(OAuthError::invalid_grant("unknown code or refresh token").into());
    };
    if row.client_id != app.client_id {
        return Err(OAuthError::invalid_grant(
            "the code or refresh token was issued to another client",
        )
        .into());
    }
    if row.used_at.is_some() || !db::oidc::spend(conn, &hash, now).await? {
        // A replay: whoever holds the other copy must lose what it bought.
        db::oidc::revoke_grant(conn, row.grant_id, now).await?;
        tracing::warn!(client_id = %app.client_id, grant = row.grant_id, kind = kind.as_str(), "a spent code or refresh token was presented again; its grant is revoked");
        let detail = format!("{} ({}): grant revoked", app.client_id, kind.as_str());
        let key = format!("replay:{}", row.grant_id);
        let entry = Entry::new(Event::AppTokenReplayed)
            .about(Who::user(row.user_id, &row.email))
            .detail(&detail);
        let meta = RequestMeta::default();
        audit::record_repeated(conn, now, &meta, audit::Repeated { entry, key: &key }).await?;
        return Err(OAuthError::invalid_grant(client_auth::REPLAYED).into());
    }
    if row.expires_at <= now || row.revoked_at.is_some() || !row.active {
        return Err(OAuthError::invalid_grant(
            "the code or refresh token has expired or was revoked",
        )
        .into());
    }
    let chain_ends = row.auth_time + i64::from(state.settings.auth.refresh_absolute_days) * 86_400;
    if matches!(grant, Grant::RefreshToken { .. }) && now >= chain_ends {
        db::oidc::revoke_grant(conn, row.grant_id, now).await?;
        return Err(OAuthError::invalid_grant(
            "the login this refresh token came from is too old; log in again",
        )
        .into());
    }
    // The app's rule is checked again at every exchange: a site admin made
    // a user, or an app made admins-only, ends what no longer qualifies.
    if !row.still_admitted() {
        db::oidc::revoke_grant(conn, row.grant_id, now).await?;
        return Err(OAuthError::invalid_grant("the app no longer admits this person").into());
    }
    if let Grant::AuthorizationCode {
        redirect_uri,
        verifier,
        ..
    } = &grant
    {
        if redirect_uri.as_deref() != row.redirect_uri.as_deref() {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            )
            .into());
        }
        let challenge = row.code_challenge.clone().map(Challenge::stored);
        let pkce_ok = match (challenge, verifier.as_deref()) {
            (Some(challenge), Some(verifier)) => challenge.is_met_by(verifier),
            (None, None) => true,
            _ => false,
        };
        if !pkce_ok {
            return Err(
                OAuthError::invalid_grant("the PKCE code_verifier is missing or wrong").into(),
            );
        }
    }
    Ok(issue(state, conn, &app.client_id, &row, now).await?)
}

/// A new access token (and, with `offline_access`, a refresh token) under
/// the row's grant, and the claims of its ID token.
async fn issue(
    state: &AppState,
    conn: &mut Conn,
    client_id: &str,
    row: &db::oidc::TokenRow,
    now: i64,
) -> Result<Issued, db::Error> {
    let access = store_token(conn, row.grant_id, Kind::Access, now, ACCESS_TOKEN_SECS).await?;
    // A refresh token never outlives its chain (see `exchange`).
    let chain_left =
        row.auth_time + i64::from(state.settings.auth.refresh_absolute_days) * 86_400 - now;
    let refresh = if row.scope.split_whitespace().any(|s| s == "offline_access") {
        let lifetime = REFRESH_TOKEN_SECS.min(chain_left.max(1));
        Some(store_token(conn, row.grant_id, Kind::Refresh, now, lifetime).await?)
    } else {
        None
    };
    let claims = IdTokenClaims {
        iss: state.settings.issuer(),
        sub: row.subject.clone(),
        aud: client_id.to_owned(),
        exp: now + ID_TOKEN_SECS,
        iat: now,
        auth_time: row.auth_time,
        amr: row.amr.split_whitespace().map(str::to_owned).collect(),
        nonce: row.nonce.clone(),
        person: PersonClaims::of(conn, row).await?,
    };
    Ok(Issued {
        access,
        refresh,
        scope: row.scope.clone(),
        claims,
    })
}

/// A new token of `kind` under the grant, stored hashed; its value.
async fn store_token(
    conn: &mut Conn,
    grant_id: i64,
    kind: Kind,
    now: i64,
    lifetime: i64,
) -> Result<String, db::Error> {
    let value = tokens::generate();
    db::oidc::insert_token(
        conn,
        db::oidc::NewToken {
            hash: &tokens::hash(&value),
            grant_id,
            kind,
            redirect_uri: None,
            code_challenge: None,
            now,
            expires_at: now + lifetime,
        },
    )
    .await?;
    Ok(value)
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
    match token(&state, &auth, &form).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(e) => caller.failed(e, &auth),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_grant_type_decides_what_is_read() {
        let code = tokens::generate();
        let grant = Grant::parse(&form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.test/cb"),
        ]))
        .unwrap();
        assert_eq!(
            grant,
            Grant::AuthorizationCode {
                code: code.clone(),
                redirect_uri: Some("https://app.test/cb".into()),
                verifier: None
            }
        );
        let refresh = Grant::parse(&form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &code),
        ]));
        assert_eq!(refresh, Ok(Grant::RefreshToken { token: code }));
    }

    #[test]
    fn unknown_grant_types_and_malformed_codes_are_refused() {
        let unsupported = Grant::parse(&form(&[("grant_type", "password")])).unwrap_err();
        assert_eq!(unsupported.code, ErrorCode::UnsupportedGrantType);
        let malformed = Grant::parse(&form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
        ]))
        .unwrap_err();
        assert_eq!(malformed.code, ErrorCode::InvalidGrant);
    }
}
