//! Gatehouse as an OpenID Connect provider (authorization code flow, PKCE,
//! refresh-token rotation, revocation and RP-initiated logout), built on the
//! login page, sessions and audit log that people already use.
//!
//! Codes, access tokens and refresh tokens are random values handed out
//! once and stored only as their SHA-256, under a grant (one sign-in of a
//! person to an app). Revoking the grant ends all of them: a replayed code
//! or refresh token does that, and so do a password reset, "log out
//! everywhere" and disabling the account (`sessions::end_everywhere`).

pub mod keys;
pub mod routes;

use crate::{
    domain::{CurrentUser, Role},
    server::{
        accounts::sessions::LiveSession,
        admin::apps,
        db::{self, oidc::Kind, Conn},
        platform::audit::{self, Entry, Event, Who},
        platform::client::RequestMeta,
        platform::tokens,
        AppState, ServiceError,
    },
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

/// An authorization code is good for one exchange within this time.
pub const CODE_SECS: i64 = 60;
/// Access tokens (opaque, checked at `/userinfo`).
pub const ACCESS_TOKEN_SECS: i64 = 3600;
/// ID tokens.
pub const ID_TOKEN_SECS: i64 = 3600;
/// Refresh tokens (scope `offline_access`); each use gives a new one.
pub const REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;
/// The scopes Gatehouse knows; others are dropped from a request.
pub const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// An OAuth error answer: `error` code and a sentence for developers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

/// Why `/oauth2/authorize` shows a page of its own instead of answering the
/// app: with an unknown app or redirect URI there is nowhere safe to send
/// the browser, and a person outside the app's role gets no code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownApp,
    BadRedirectUri,
    NoAccess,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownApp => "unknown_app",
            Refusal::BadRedirectUri => "bad_redirect_uri",
            Refusal::NoAccess => "no_access",
        }
    }
}

/// What `/oauth2/authorize` decided.
#[derive(Debug)]
pub enum Authorized {
    /// Send the browser here (the app's redirect URI with a code or an
    /// error, or the login page).
    Redirect(String),
    /// Show the "cannot sign you in" page.
    Refused(Refusal, Option<String>),
}

/// The parameters of an authorization request.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    /// Ours: the person must have entered their password at or after this
    /// time (set when `prompt=login` sends them to the login page).
    pub auth_after: Option<i64>,
}

fn sha256_b64(input: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(input.as_bytes()))
}

/// A PKCE verifier or challenge: 43 to 128 unreserved characters (RFC 7636).
fn pkce_shaped(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The requested scopes Gatehouse knows, in a fixed order.
fn known_scopes(requested: &str) -> Vec<&'static str> {
    let asked: Vec<&str> = requested.split_whitespace().collect();
    SCOPES.into_iter().filter(|s| asked.contains(s)).collect()
}

/// `redirect_uri?code=…&state=…&iss=…` or `…?error=…`.
fn answer_app(
    redirect_uri: &str,
    issuer: &str,
    state: Option<&str>,
    pairs: &[(&str, &str)],
) -> String {
    let mut url = Url::parse(redirect_uri).expect("registered redirect URIs are absolute URLs");
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        // RFC 9207: the app can tell which provider answered.
        query.append_pair("iss", issuer);
    }
    url.to_string()
}

/// Decides an authorization request for the person behind `session` (if
/// any). Checks the app and redirect URI first: only a registered URI,
/// compared exactly, ever receives an answer.
pub async fn authorize(
    state: &AppState,
    params: AuthorizeParams,
    session: Option<LiveSession>,
    meta: &RequestMeta,
) -> Result<Authorized, ServiceError> {
    let issuer = state.settings.issuer();
    let Some(client_id) = params.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(Authorized::Refused(Refusal::UnknownApp, None));
    };
    let app = {
        let mut conn = state.db.conn().await?;
        db::apps::find(&mut conn, client_id).await?
    };
    let Some(app) = app else {
        return Ok(Authorized::Refused(Refusal::UnknownApp, None));
    };
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(uri) if app.redirect_uris().any(|r| r == uri) => uri.to_owned(),
        _ => return Ok(Authorized::Refused(Refusal::BadRedirectUri, Some(app.name))),
    };
    let app_state = params.state.as_deref();
    let fail = |code: &str, description: &str| {
        Authorized::Redirect(answer_app(
            &redirect_uri,
            &issuer,
            app_state,
            &[("error", code), ("error_description", description)],
        ))
    };
    if params.response_type.as_deref() != Some("code") {
        return Ok(fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let scopes = known_scopes(params.scope.as_deref().unwrap_or_default());
    if !scopes.contains(&"openid") {
        return Ok(fail("invalid_scope", "the openid scope is required"));
    }
    let challenge = params.code_challenge.as_deref().filter(|c| !c.is_empty());
    match (challenge, params.code_challenge_method.as_deref()) {
        (None, _) if app.is_public() => {
            return Ok(fail(
                "invalid_request",
                "public clients must use PKCE (code_challenge with S256)",
            ))
        }
        (Some(_), Some(method)) if method != "S256" => {
            return Ok(fail(
                "invalid_request",
                "only the S256 code_challenge_method is supported",
            ))
        }
        (Some(_), None) => {
            return Ok(fail(
                "invalid_request",
                "code_challenge_method=S256 is required",
            ))
        }
        (Some(c), _) if !pkce_shaped(c) => {
            return Ok(fail("invalid_request", "code_challenge is malformed"))
        }
        _ => {}
    }
    let prompts: Vec<&str> = params
        .prompt
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return Ok(fail("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match params
        .max_age
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => None,
        Some(m) => match m.parse::<i64>() {
            Ok(secs) if secs >= 0 => Some(secs),
            _ => {
                return Ok(fail(
                    "invalid_request",
                    "max_age must be a number of seconds",
                ))
            }
        },
    };

    let now = state.clock.now();
    // After the login page this request sent the person to, a login at
    // or after that moment is what `prompt=login` and `max_age` asked for;
    // the trip through the login page may take a few minutes (and with
    // `max_age=0` the second has turned by the time they are back).
    let fresh_enough = |s: &LiveSession| match params.auth_after {
        Some(after) => {
            s.auth_time >= after && max_age.is_none_or(|max| now - s.auth_time <= max.max(300))
        }
        None => max_age.is_none_or(|max| now - s.auth_time <= max),
    };
    let session = match session {
        Some(s) if !prompts.contains(&"login") && fresh_enough(&s) => s,
        // prompt=login asks for the password again; the login page
        // sends the person back here without it, and `auth_after` holds
        // the requirement.
        Some(s)
            if prompts.contains(&"login") && params.auth_after.is_some() && fresh_enough(&s) =>
        {
            s
        }
        _ if prompts.contains(&"none") => {
            return Ok(fail("login_required", "the person is not logged in"));
        }
        _ => {
            let mut again = params.clone();
            if prompts.contains(&"login") || max_age.is_some() {
                again.prompt = None;
                again.auth_after = Some(params.auth_after.unwrap_or(now));
            }
            let query = serde_urlencoded::to_string(&again)
                .map_err(|e| anyhow::anyhow!("encoding an authorization request: {e}"))?;
            let next = format!("/oauth2/authorize?{query}");
            let login: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish();
            return Ok(Authorized::Redirect(format!("/login?{login}")));
        }
    };

    let user = &session.user;
    if app.allowed_role == Role::SiteAdmin && user.role != Role::SiteAdmin {
        let detail = format!("{} ({})", app.name, app.client_id);
        let key = format!("app:{}:{}", app.client_id, user.id);
        let mut conn = state.db.conn().await?;
        audit::record_repeated(
            &mut conn,
            now,
            meta,
            audit::Repeated {
                entry: Entry::new(Event::AppAccessDenied)
                    .by(Who::user(user.id, &user.email))
                    .detail(&detail),
                key: &key,
            },
        )
        .await?;
        return Ok(Authorized::Refused(Refusal::NoAccess, Some(app.name)));
    }

    let code = tokens::generate();
    let scope = scopes.join(" ");
    let mut tx = state.db.begin().await?;
    let grant_id = db::oidc::insert_grant(
        &mut tx,
        db::oidc::NewGrant {
            client_id: &app.client_id,
            user_id: user.id,
            scope: &scope,
            nonce: params.nonce.as_deref().filter(|n| !n.is_empty()),
            auth_time: session.auth_time,
            now,
        },
    )
    .await?;
    db::oidc::insert_token(
        &mut tx,
        db::oidc::NewToken {
            hash: &tokens::hash(&code),
            grant_id,
            kind: Kind::Code,
            redirect_uri: Some(&redirect_uri),
            code_challenge: challenge,
            now,
            expires_at: now + CODE_SECS,
        },
    )
    .await?;
    let detail = format!("{} ({})", app.name, app.client_id);
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::AppSignIn)
            .by(Who::user(user.id, &user.email))
            .detail(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(Authorized::Redirect(answer_app(
        &redirect_uri,
        &issuer,
        app_state,
        &[("code", &code)],
    )))
}

/// How the app proved who it is at the token and revocation endpoints.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Whether the credentials came in an `Authorization: Basic` header
    /// (an `invalid_client` answer then says so in `WWW-Authenticate`).
    pub basic: bool,
}

/// The app behind the credentials: a confidential app with its right
/// secret, or a public app that sent none.
pub async fn authenticate_client(
    conn: &mut Conn,
    auth: &ClientAuth,
) -> Result<Result<db::apps::AppRow, OAuthError>, ServiceError> {
    let invalid = || {
        Ok(Err(OAuthError::new(
            "invalid_client",
            "client authentication failed",
        )))
    };
    let Some(client_id) = auth.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return invalid();
    };
    let Some(app) = db::apps::find(conn, client_id).await? else {
        return invalid();
    };
    let ok = match (&auth.client_secret, app.is_public()) {
        (Some(secret), false) => apps::secret_matches(&app, secret),
        (None, true) => true,
        _ => false,
    };
    if ok {
        Ok(Ok(app))
    } else {
        invalid()
    }
}

/// The token endpoint's form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenParams {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// A successful token answer (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Clone, Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub roles: Vec<String>,
}

/// The claims the scopes allow: `email email_verified` with `email`,
/// `name` with `profile`, `roles` always.
fn person_claims(
    row: &db::oidc::TokenRow,
) -> (Option<String>, Option<bool>, Option<String>, Vec<String>) {
    let scopes: Vec<&str> = row.scope.split_whitespace().collect();
    let email = scopes.contains(&"email");
    (
        email.then(|| row.email.clone()),
        email.then_some(row.email_verified),
        scopes.contains(&"profile").then(|| row.name.clone()),
        vec![row.role.as_str().to_owned()],
    )
}

/// Exchanges a code or a refresh token. Everything is checked inside one
/// transaction; a code or refresh token is spent before anything is
/// issued, and spending one twice revokes its grant.
pub async fn token(
    state: &AppState,
    auth: &ClientAuth,
    params: &TokenParams,
) -> Result<Result<TokenAnswer, OAuthError>, ServiceError> {
    let now = state.clock.now();
    // Before the transaction: on SQLite it holds the one writer's turn, and
    // the first use ever makes and stores the key.
    let key = keys::active(state).await?;
    let mut tx = state.db.begin().await?;
    let app = match authenticate_client(&mut tx, auth).await? {
        Ok(app) => app,
        Err(e) => return Ok(Err(e)),
    };
    let bad_grant = |why: &str| Ok(Err(OAuthError::new("invalid_grant", why)));
    let (kind, presented) = match params.grant_type.as_deref() {
        Some("authorization_code") => (Kind::Code, params.code.as_deref()),
        Some("refresh_token") => (Kind::Refresh, params.refresh_token.as_deref()),
        _ => {
            return Ok(Err(OAuthError::new(
                "unsupported_grant_type",
                "authorization_code and refresh_token are supported",
            )))
        }
    };
    let Some(presented) = presented.filter(|p| tokens::well_formed(p)) else {
        return bad_grant("the code or refresh token is missing or malformed");
    };
    let hash = tokens::hash(presented);
    let Some(row) = db::oidc::find_token(&mut tx, &hash, kind).await? else {
        return bad_grant("unknown code or refresh token");
    };
    if row.client_id != app.client_id {
        return bad_grant("the code or refresh token was issued to another client");
    }
    if row.used_at.is_some() || !db::oidc::spend(&mut tx, &hash, now).await? {
        // A replay: whoever holds the other copy must lose what it bought.
        db::oidc::revoke_grant(&mut tx, row.grant_id, now).await?;
        tx.commit().await?;
        tracing::warn!(client_id = %app.client_id, grant = row.grant_id, kind = kind.as_str(), "a spent code or refresh token was presented again; its grant is revoked");
        return bad_grant("the code or refresh token was already used");
    }
    if row.expires_at <= now || row.revoked_at.is_some() || !row.active {
        tx.commit().await?;
        return bad_grant("the code or refresh token has expired or was revoked");
    }
    if kind == Kind::Code {
        if params.redirect_uri.as_deref() != row.redirect_uri.as_deref() {
            tx.commit().await?;
            return bad_grant("redirect_uri does not match the authorization request");
        }
        let verifier = params.code_verifier.as_deref();
        let pkce_ok = match (row.code_challenge.as_deref(), verifier) {
            (Some(challenge), Some(v)) => pkce_shaped(v) && sha256_b64(v) == challenge,
            (None, None) => true,
            _ => false,
        };
        if !pkce_ok {
            tx.commit().await?;
            return bad_grant("the PKCE code_verifier is missing or wrong");
        }
    }
    let issued = issue(state, &mut tx, &app.client_id, &row, now).await?;
    tx.commit().await?;
    // Signing takes a few milliseconds of CPU: after the commit (on SQLite
    // the transaction holds the one writer's turn) and off the async
    // workers.
    Ok(Ok(issued.sign(key).await?))
}

/// Tokens stored under a grant, with the ID token's claims still to sign.
struct Issued {
    access: String,
    refresh: Option<String>,
    scope: String,
    claims: IdTokenClaims,
}

impl Issued {
    async fn sign(
        self,
        key: std::sync::Arc<keys::SigningKey>,
    ) -> Result<TokenAnswer, ServiceError> {
        let Issued {
            access,
            refresh,
            scope,
            claims,
        } = self;
        let id_token = tokio::task::spawn_blocking(move || {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            header.kid = Some(key.kid.clone());
            jsonwebtoken::encode(&header, &claims, &key.encoding)
        })
        .await
        .map_err(anyhow::Error::new)?
        .map_err(|e| anyhow::anyhow!("signing an ID token failed: {e}"))?;
        Ok(TokenAnswer {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECS,
            id_token,
            refresh_token: refresh,
            scope,
        })
    }
}

/// A new access token (and, with `offline_access`, a refresh token) under
/// the row's grant, and the claims of its ID token.
async fn issue(
    state: &AppState,
    conn: &mut Conn,
    client_id: &str,
    row: &db::oidc::TokenRow,
    now: i64,
) -> Result<Issued, ServiceError> {
    let access = tokens::generate();
    db::oidc::insert_token(
        conn,
        db::oidc::NewToken {
            hash: &tokens::hash(&access),
            grant_id: row.grant_id,
            kind: Kind::Access,
            redirect_uri: None,
            code_challenge: None,
            now,
            expires_at: now + ACCESS_TOKEN_SECS,
        },
    )
    .await?;
    let refresh = if row.scope.split_whitespace().any(|s| s == "offline_access") {
        let refresh = tokens::generate();
        db::oidc::insert_token(
            conn,
            db::oidc::NewToken {
                hash: &tokens::hash(&refresh),
                grant_id: row.grant_id,
                kind: Kind::Refresh,
                redirect_uri: None,
                code_challenge: None,
                now,
                expires_at: now + REFRESH_TOKEN_SECS,
            },
        )
        .await?;
        Some(refresh)
    } else {
        None
    };
    let (email, email_verified, name, roles) = person_claims(row);
    let claims = IdTokenClaims {
        iss: state.settings.issuer(),
        sub: row.subject.clone(),
        aud: client_id.to_owned(),
        exp: now + ID_TOKEN_SECS,
        iat: now,
        auth_time: row.auth_time,
        nonce: row.nonce.clone(),
        email,
        email_verified,
        name,
        roles,
    };
    Ok(Issued {
        access,
        refresh,
        scope: row.scope.clone(),
        claims,
    })
}

/// `/oauth2/userinfo`'s answer.
#[derive(Debug, Serialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub roles: Vec<String>,
}

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
    if row.expires_at <= state.clock.now() || row.revoked_at.is_some() || !row.active {
        return Ok(None);
    }
    let (email, email_verified, name, roles) = person_claims(&row);
    Ok(Some(UserInfo {
        sub: row.subject,
        email,
        email_verified,
        name,
        roles,
    }))
}

/// RFC 7009: a refresh token revokes its whole grant, an access token only
/// itself. Unknown tokens, or another app's, change nothing and the answer
/// is the same.
pub async fn revoke(
    state: &AppState,
    auth: &ClientAuth,
    token: &str,
) -> Result<Result<(), OAuthError>, ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = match authenticate_client(&mut tx, auth).await? {
        Ok(app) => app,
        Err(e) => return Ok(Err(e)),
    };
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
    Ok(Ok(()))
}

/// The parameters of RP-initiated logout.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// What RP-initiated logout decided: whether to end the session, and
/// where the browser goes next.
pub struct LogoutDecision {
    pub end_session: bool,
    pub redirect: String,
}

/// The session ends only with an ID token we signed for this very person
/// (`id_token_hint`), so a link on another site cannot log anyone out. The
/// browser returns to the app only to a post-logout URI registered for it.
pub async fn end_session(
    state: &AppState,
    params: &LogoutParams,
    current: Option<&CurrentUser>,
    current_subject: Option<&str>,
) -> Result<LogoutDecision, ServiceError> {
    let hint = match params.id_token_hint.as_deref() {
        Some(token) => verify_own_id_token(state, token).await?,
        None => None,
    };
    let client_id = hint
        .as_ref()
        .map(|c| c.aud.clone())
        .or_else(|| params.client_id.clone());
    let app = match &client_id {
        Some(id) => {
            let mut conn = state.db.conn().await?;
            db::apps::find(&mut conn, id).await?
        }
        None => None,
    };
    let back = match (&app, params.post_logout_redirect_uri.as_deref()) {
        (Some(app), Some(uri)) if app.post_logout_redirect_uris().any(|u| u == uri) => {
            let mut url = Url::parse(uri).expect("registered URIs are absolute URLs");
            if let Some(s) = &params.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            Some(url.to_string())
        }
        _ => None,
    };
    let end_session = match (&hint, current, current_subject) {
        (Some(claims), Some(_), Some(subject)) => claims.sub == subject,
        _ => false,
    };
    let redirect = match (end_session, back, current) {
        (true, Some(back), _) => back,
        (true, None, _) => "/login".to_owned(),
        // Without proof that the app asks for this person, they decide
        // on their account page.
        (false, _, Some(_)) => "/account".to_owned(),
        (false, Some(back), None) => back,
        (false, None, None) => "/login".to_owned(),
    };
    Ok(LogoutDecision {
        end_session,
        redirect,
    })
}

/// The claims of an ID token we signed with a published key (expired ones
/// too: a hint may be old).
async fn verify_own_id_token(
    state: &AppState,
    token: &str,
) -> Result<Option<IdTokenClaims>, ServiceError> {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(None);
    };
    let keys = keys::published(state).await?;
    let Some(key) = keys
        .iter()
        .find(|k| header.kid.as_deref() == Some(k.kid.as_str()))
    else {
        return Ok(None);
    };
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[state.settings.issuer()]);
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    Ok(
        jsonwebtoken::decode::<IdTokenClaims>(token, &key.decoding, &validation)
            .ok()
            .map(|data| data.claims),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_values_are_43_to_128_unreserved_characters() {
        assert!(pkce_shaped(&"a".repeat(43)));
        assert!(!pkce_shaped(&"a".repeat(42)));
        assert!(!pkce_shaped(&"a".repeat(129)));
        assert!(!pkce_shaped(&format!("{}+", "a".repeat(43))));
        // RFC 7636 appendix B.
        assert_eq!(
            sha256_b64("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn unknown_scopes_are_dropped() {
        assert_eq!(
            known_scopes("profile openid admin email"),
            vec!["openid", "email", "profile"]
        );
    }

    #[test]
    fn answers_to_the_app_keep_its_query_and_name_the_issuer() {
        let url = answer_app(
            "https://app.test/cb?x=1",
            "https://id.test",
            Some("s t"),
            &[("code", "c")],
        );
        assert_eq!(
            url,
            "https://app.test/cb?x=1&code=c&state=s+t&iss=https%3A%2F%2Fid.test"
        );
    }
}
