//! `/oauth2/authorize`: an app sends a browser here, and it goes back with
//! a code, or to the login page first.
//!
//! Three steps: [`AuthorizeRequest::parse`] reads what the app asked for
//! (pure), [`decide`] says whether the person must log in first (pure), and
//! [`issue_code`] writes the grant and its code (the only step that writes).

use super::{
    answer::{internal, no_store, visit, BrowserVisit},
    error::{ErrorCode, OAuthError},
    pkce::Challenge,
    CODE_SECS, SCOPES,
};
use crate::{
    domain::{CurrentUser, Role},
    server::{
        accounts::{sessions::LiveSession, two_step},
        db::{self, oidc::Kind},
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            secret_key::SecretKey,
            tokens,
        },
        AppState, ServiceError,
    },
};
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use url::Url;

/// The parameters of an authorization request, as sent.
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
    /// Ours: the person must have entered their password at or after a
    /// time (set when `prompt=login` or `max_age` sends them to the login
    /// page), sealed to this request with the server's key: see
    /// [`StepUp`]. One added by the browser changes nothing.
    pub auth_after: Option<String>,
}

/// The freshness a request asked for, carried through the login page in
/// the request itself: `<unix time>.<keyed hash>`, the hash over the time
/// and every parameter the app sent, with the server's secret key. Only
/// Gatehouse can make one, it fits only the request it was made for, and
/// it lasts [`StepUp::SECS`] (the trip through the login page).
pub struct StepUp;

impl StepUp {
    /// How long a sealed requirement lasts.
    pub const SECS: i64 = 15 * 60;

    fn mac(key: &SecretKey, params: &AuthorizeParams, after: i64) -> String {
        let fields = [
            params.client_id.as_deref(),
            params.redirect_uri.as_deref(),
            params.response_type.as_deref(),
            params.scope.as_deref(),
            params.state.as_deref(),
            params.nonce.as_deref(),
            params.code_challenge.as_deref(),
            params.code_challenge_method.as_deref(),
            params.max_age.as_deref(),
            params.prompt.as_deref(),
        ];
        let mut data = after.to_string();
        for field in fields {
            // Absent and empty differ; lengths keep the fields apart.
            match field {
                None => data.push_str("|-"),
                Some(v) => data.push_str(&format!("|{}:{v}", v.len())),
            }
        }
        key.keyed_hash("oidc step-up", data.as_bytes())
    }

    /// `after`, sealed to the request `params`.
    pub fn seal(key: &SecretKey, params: &AuthorizeParams, after: i64) -> String {
        format!("{after}.{}", Self::mac(key, params, after))
    }

    /// The time a sealed requirement in `params` holds, if Gatehouse made
    /// it for this very request and it has not run out.
    pub fn open(key: &SecretKey, params: &AuthorizeParams, now: i64) -> Option<i64> {
        let sealed = params.auth_after.as_deref()?;
        let (after, mac) = sealed.split_once('.')?;
        let after: i64 = after.parse().ok()?;
        let expected = Self::mac(key, params, after);
        let same: bool = subtle::ConstantTimeEq::ct_eq(mac.as_bytes(), expected.as_bytes()).into();
        (same && after <= now && now - after <= Self::SECS).then_some(after)
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

/// `prompt`'s values that Gatehouse acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// Answer at once, never with a page.
    pub none: bool,
    /// Ask for the password again.
    pub login: bool,
}

/// An authorization request from a known app to one of its redirect URIs,
/// checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The scopes Gatehouse knows, in a fixed order; `openid` among them.
    pub scopes: Vec<&'static str>,
    pub challenge: Option<Challenge>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub auth_after: Option<i64>,
}

impl AuthorizeRequest {
    /// Reads what the app asked for; a public app must use PKCE.
    pub fn parse(params: &AuthorizeParams, public_app: bool) -> Result<Self, OAuthError> {
        if params.response_type.as_deref() != Some("code") {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
        let scopes = known_scopes(params.scope.as_deref().unwrap_or_default());
        if !scopes.contains(&"openid") {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the openid scope is required",
            ));
        }
        let challenge = Challenge::parse(
            params.code_challenge.as_deref(),
            params.code_challenge_method.as_deref(),
        )?;
        if challenge.is_none() && public_app {
            return Err(OAuthError::invalid_request(
                "public clients must use PKCE (code_challenge with S256)",
            ));
        }
        let nonce = params.nonce.clone().filter(|n| !n.is_empty());
        // Something must tie the code to the app's own request (RFC 9700
        // 2.1.1): PKCE, or a nonce the app checks in the ID token.
        if challenge.is_none() && nonce.is_none() {
            return Err(OAuthError::invalid_request(
                "use PKCE (code_challenge with S256) or a nonce",
            ));
        }
        if [&params.state, &params.nonce]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| v.len() > MAX_ECHOED))
        {
            return Err(OAuthError::invalid_request(
                "state and nonce are at most 512 bytes",
            ));
        }
        let prompts: Vec<&str> = params
            .prompt
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if prompts.contains(&"none") && prompts.len() > 1 {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined",
            ));
        }
        let max_age = match params.max_age.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(m) => match m.parse::<i64>() {
                Ok(secs) if secs >= 0 => Some(secs),
                _ => {
                    return Err(OAuthError::invalid_request(
                        "max_age must be a number of seconds",
                    ))
                }
            },
        };
        Ok(Self {
            scopes,
            challenge,
            nonce,
            prompt: Prompt {
                none: prompts.contains(&"none"),
                login: prompts.contains(&"login"),
            },
            max_age,
            // What an earlier trip through the login page sealed is read
            // by `authorize`, which holds the key.
            auth_after: None,
        })
    }
}

/// The longest `state` or `nonce` taken (each goes back to the app, in the
/// redirect or the ID token).
pub const MAX_ECHOED: usize = 512;

/// The requested scopes Gatehouse knows, in a fixed order.
fn known_scopes(requested: &str) -> Vec<&'static str> {
    let asked: Vec<&str> = requested.split_whitespace().collect();
    SCOPES.into_iter().filter(|s| asked.contains(s)).collect()
}

/// Whether the person may have a code now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Their session will do.
    Issue,
    /// To the login page first, and back with the password entered at or
    /// after `auth_after` (when the app asked for a fresh login).
    LogIn { auth_after: Option<i64> },
    /// `prompt=none` and no session that will do.
    LoginRequired,
}

/// Decides from the session's login time (`None`: not logged in) whether
/// the request can be answered now.
///
/// After the login page this request sent the person to, a login at or
/// after that moment is what `prompt=login` and `max_age` asked for; the
/// trip through the login page may take a few minutes (and with `max_age=0`
/// the second has turned by the time they are back).
pub fn decide(request: &AuthorizeRequest, auth_time: Option<i64>, now: i64) -> Decision {
    let max_age = request.max_age;
    let fresh_enough = |auth_time: i64| match request.auth_after {
        Some(after) => {
            auth_time >= after && max_age.is_none_or(|max| now - auth_time <= max.max(300))
        }
        None => max_age.is_none_or(|max| now - auth_time <= max),
    };
    match auth_time {
        // prompt=login asks for the password again; the login page sends
        // the person back here with the moment sealed in `auth_after`,
        // which a login since then meets.
        Some(t) if fresh_enough(t) && (!request.prompt.login || request.auth_after.is_some()) => {
            Decision::Issue
        }
        _ if request.prompt.none => Decision::LoginRequired,
        _ if request.prompt.login || max_age.is_some() => Decision::LogIn {
            auth_after: Some(request.auth_after.unwrap_or(now)),
        },
        _ => Decision::LogIn {
            auth_after: request.auth_after,
        },
    }
}

/// Whether the app lets this person in: by role, then by groups (the same
/// rules [`db::oidc::TokenRow::still_admitted`] checks again later).
async fn admits(
    state: &AppState,
    app: &db::apps::AppRow,
    user: &CurrentUser,
) -> Result<bool, ServiceError> {
    if app.allowed_role == Role::SiteAdmin && user.role != Role::SiteAdmin {
        return Ok(false);
    }
    let mut conn = state.db.conn().await?;
    Ok(db::apps::groups_admit(&mut conn, &app.client_id, user.id).await?)
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
    let back = AppAnswer {
        redirect_uri: &redirect_uri,
        issuer: state.settings.issuer(),
        // One too long to take is not sent back either.
        state: params.state.as_deref().filter(|s| s.len() <= MAX_ECHOED),
    };
    let request = match AuthorizeRequest::parse(&params, app.is_public()) {
        Ok(request) => request,
        Err(e) => return Ok(Authorized::Redirect(back.error(&e))),
    };
    let now = state.clock.now();
    let request = AuthorizeRequest {
        auth_after: StepUp::open(&state.secret, &params, now),
        ..request
    };
    let key = &state.secret;
    let session = match decide(&request, session.as_ref().map(|s| s.auth_time), now) {
        Decision::Issue => session.expect("a session was decided on"),
        Decision::LoginRequired => {
            let e = OAuthError::new(ErrorCode::LoginRequired, "the person is not logged in");
            return Ok(Authorized::Redirect(back.error(&e)));
        }
        Decision::LogIn { auth_after } => {
            return login_first(key, params, auth_after).map(Authorized::Redirect);
        }
    };
    if !admits(state, &app, &session.user).await? {
        record_no_access(state, &app, &session.user, meta, now).await?;
        // prompt=none never shows a page: the app hears it.
        if request.prompt.none {
            let e = OAuthError::new(ErrorCode::AccessDenied, "this person may not use the app");
            return Ok(Authorized::Redirect(back.error(&e)));
        }
        return Ok(Authorized::Refused(Refusal::NoAccess, Some(app.name)));
    }
    // Two-step verification the site requires of this person, or the app
    // of everyone: set up first, or logged in again with it.
    let needs_second_step = app.two_factor && !session.sign_in.two_factor();
    if session.user.must_set_up_two_step || (needs_second_step && !session.has_factor) {
        if request.prompt.none {
            let e = OAuthError::new(
                ErrorCode::InteractionRequired,
                "two-step verification must be set up",
            );
            return Ok(Authorized::Redirect(back.error(&e)));
        }
        return back_here(key, params, None, two_step::set_up_first).map(Authorized::Redirect);
    }
    if needs_second_step {
        if request.prompt.none {
            let e = OAuthError::new(
                ErrorCode::LoginRequired,
                "the app needs a login with two steps",
            );
            return Ok(Authorized::Redirect(back.error(&e)));
        }
        return login_first(key, params, Some(now)).map(Authorized::Redirect);
    }
    let code = issue_code(state, &app, &session, &request, &redirect_uri, meta, now).await?;
    Ok(Authorized::Redirect(back.with(&[("code", &code)])))
}

/// The login page, and back to this request afterwards; with the
/// freshness a `prompt=login` or `max_age` asked for held in `auth_after`.
fn login_first(
    key: &SecretKey,
    params: AuthorizeParams,
    auth_after: Option<i64>,
) -> Result<String, ServiceError> {
    back_here(key, params, auth_after, |next| {
        let login: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish();
        format!("/login?{login}")
    })
}

/// A page of ours (`page` of the way back), and back to this request
/// afterwards, with `auth_after` as [`login_first`] says (sealed, see
/// [`StepUp`]); a requirement that did not hold is never carried on.
fn back_here(
    key: &SecretKey,
    mut params: AuthorizeParams,
    auth_after: Option<i64>,
    page: impl FnOnce(&str) -> String,
) -> Result<String, ServiceError> {
    params.auth_after = None;
    // `prompt` stays: without a sealed requirement beside it (taken away,
    // or not made for this request) it asks for the password again.
    if let Some(after) = auth_after {
        params.auth_after = Some(StepUp::seal(key, &params, after));
    }
    let query = serde_urlencoded::to_string(&params)
        .map_err(|e| anyhow::anyhow!("encoding an authorization request: {e}"))?;
    Ok(page(&format!("/oauth2/authorize?{query}")))
}

/// A refused sign-in, audited once per person, app and hour.
async fn record_no_access(
    state: &AppState,
    app: &db::apps::AppRow,
    user: &CurrentUser,
    meta: &RequestMeta,
    now: i64,
) -> Result<(), ServiceError> {
    let detail = format!("{} ({})", app.name, app.client_id);
    let key = format!("app:{}:{}", app.client_id, user.id);
    let mut conn = state.db.conn().await?;
    let entry = Entry::new(Event::AppAccessDenied)
        .by(Who::user(user.id, &user.email))
        .detail(&detail);
    audit::record_repeated(&mut conn, now, meta, audit::Repeated { entry, key: &key }).await?;
    Ok(())
}

/// A new grant for the person and app, with its code (stored hashed,
/// single use, [`CODE_SECS`]), and the audit entry. Returns the code.
async fn issue_code(
    state: &AppState,
    app: &db::apps::AppRow,
    session: &LiveSession,
    request: &AuthorizeRequest,
    redirect_uri: &str,
    meta: &RequestMeta,
    now: i64,
) -> Result<String, ServiceError> {
    let user = &session.user;
    let code = tokens::generate();
    let scope = request.scopes.join(" ");
    let mut tx = state.db.begin().await?;
    let grant_id = db::oidc::insert_grant(
        &mut tx,
        db::oidc::NewGrant {
            client_id: &app.client_id,
            user_id: user.id,
            scope: &scope,
            nonce: request.nonce.as_deref(),
            auth_time: session.auth_time,
            amr: session.sign_in.amr(),
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
            redirect_uri: Some(redirect_uri),
            code_challenge: request.challenge.as_ref().map(Challenge::as_str),
            now,
            expires_at: now + CODE_SECS,
        },
    )
    .await?;
    let detail = format!("{} ({})", app.name, app.client_id);
    let entry = Entry::new(Event::AppSignIn)
        .by(Who::user(user.id, &user.email))
        .detail(&detail);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(code)
}

/// Where the app hears back: its redirect URI, with the request's `state`
/// and the issuer (RFC 9207).
struct AppAnswer<'a> {
    redirect_uri: &'a str,
    issuer: String,
    state: Option<&'a str>,
}

impl AppAnswer<'_> {
    /// `redirect_uri?…&state=…&iss=…`.
    fn with(&self, pairs: &[(&str, &str)]) -> String {
        answer_app(self.redirect_uri, &self.issuer, self.state, pairs)
    }

    fn error(&self, e: &OAuthError) -> String {
        self.with(&[
            ("error", e.code.as_str()),
            ("error_description", &e.description),
        ])
    }
}

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

/// The endpoint.
pub async fn handle(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let BrowserVisit {
        params,
        meta,
        session,
        ..
    }: BrowserVisit<AuthorizeParams> = match visit(&state, request).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let client_id = params.client_id.clone().unwrap_or_default();
    match authorize(&state, params, session, &meta).await {
        Ok(Authorized::Redirect(to)) => no_store(Redirect::to(&to).into_response()),
        Ok(Authorized::Refused(why, _)) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("reason", why.as_str())
                .append_pair("client_id", &client_id)
                .finish();
            no_store(Redirect::to(&format!("/sign-in-problem?{query}")).into_response())
        }
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> AuthorizeParams {
        serde_urlencoded::from_str(query).unwrap()
    }

    /// A confidential app's request, with a nonce.
    fn parse(query: &str) -> Result<AuthorizeRequest, ErrorCode> {
        AuthorizeRequest::parse(&params(&format!("{query}&nonce=n-1")), false).map_err(|e| e.code)
    }

    const NOW: i64 = 1_000_000;

    #[test]
    fn unknown_scopes_are_dropped() {
        assert_eq!(
            known_scopes("profile openid admin email"),
            vec!["openid", "email", "profile"]
        );
    }

    #[test]
    fn a_request_needs_the_code_flow_and_openid() {
        assert!(parse("response_type=code&scope=openid").is_ok());
        assert_eq!(
            parse("response_type=token&scope=openid"),
            Err(ErrorCode::UnsupportedResponseType)
        );
        assert_eq!(
            parse("response_type=code&scope=email"),
            Err(ErrorCode::InvalidScope)
        );
    }

    #[test]
    fn every_request_is_tied_to_the_app_by_pkce_or_a_nonce_of_bounded_size() {
        let bare = params("response_type=code&scope=openid&state=s");
        assert_eq!(
            AuthorizeRequest::parse(&bare, false).unwrap_err().code,
            ErrorCode::InvalidRequest,
            "a confidential app with neither"
        );
        let challenge = "a".repeat(43);
        let pkce = format!("&code_challenge={challenge}&code_challenge_method=S256");
        let with_pkce = params(&format!("response_type=code&scope=openid{pkce}"));
        assert!(AuthorizeRequest::parse(&with_pkce, false).is_ok());
        assert!(parse("response_type=code&scope=openid").is_ok(), "a nonce");
        let long = "x".repeat(MAX_ECHOED + 1);
        for field in ["state", "nonce"] {
            let query = format!("response_type=code&scope=openid{pkce}&{field}={long}");
            assert_eq!(
                AuthorizeRequest::parse(&params(&query), false)
                    .unwrap_err()
                    .code,
                ErrorCode::InvalidRequest,
                "{field}"
            );
            let query = format!(
                "response_type=code&scope=openid{pkce}&{field}={}",
                &long[1..]
            );
            assert!(
                AuthorizeRequest::parse(&params(&query), false).is_ok(),
                "{field}"
            );
        }
    }

    #[test]
    fn public_apps_must_use_pkce_and_only_s256_is_taken() {
        let plain = params("response_type=code&scope=openid");
        assert_eq!(
            AuthorizeRequest::parse(&plain, true).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let challenge = "a".repeat(43);
        let s256 = params(&format!(
            "response_type=code&scope=openid&code_challenge={challenge}&code_challenge_method=S256"
        ));
        assert!(AuthorizeRequest::parse(&s256, true)
            .unwrap()
            .challenge
            .is_some());
        let wrong = format!(
            "response_type=code&scope=openid&code_challenge={challenge}&code_challenge_method=plain"
        );
        assert_eq!(parse(&wrong), Err(ErrorCode::InvalidRequest));
    }

    #[test]
    fn prompt_and_max_age_are_read() {
        let r = parse("response_type=code&scope=openid&prompt=login+consent&max_age=60").unwrap();
        assert_eq!(
            r.prompt,
            Prompt {
                none: false,
                login: true
            }
        );
        assert_eq!(r.max_age, Some(60));
        assert_eq!(
            parse("response_type=code&scope=openid&prompt=none+login"),
            Err(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            parse("response_type=code&scope=openid&max_age=-1"),
            Err(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            parse("response_type=code&scope=openid&max_age=")
                .unwrap()
                .max_age,
            None
        );
    }

    #[test]
    fn a_session_does_unless_the_app_asks_for_a_fresh_login() {
        let plain = parse("response_type=code&scope=openid").unwrap();
        assert_eq!(decide(&plain, Some(NOW - 86_400), NOW), Decision::Issue);
        assert_eq!(
            decide(&plain, None, NOW),
            Decision::LogIn { auth_after: None }
        );

        let none = parse("response_type=code&scope=openid&prompt=none").unwrap();
        assert_eq!(decide(&none, None, NOW), Decision::LoginRequired);
        assert_eq!(decide(&none, Some(NOW - 5), NOW), Decision::Issue);
    }

    #[test]
    fn prompt_login_sends_even_a_fresh_session_to_log_in_again_once() {
        let login = parse("response_type=code&scope=openid&prompt=login").unwrap();
        assert_eq!(
            decide(&login, Some(NOW), NOW),
            Decision::LogIn {
                auth_after: Some(NOW)
            }
        );
        // Back from the login page, with the moment sealed beside the
        // prompt: a login since then will do.
        let back = AuthorizeRequest {
            auth_after: Some(NOW),
            ..login
        };
        assert_eq!(decide(&back, Some(NOW + 30), NOW + 30), Decision::Issue);
        assert_eq!(
            decide(&back, Some(NOW - 1), NOW + 30),
            Decision::LogIn {
                auth_after: Some(NOW)
            }
        );
    }

    #[test]
    fn max_age_counts_from_the_login_with_minutes_for_the_trip() {
        let aged = parse("response_type=code&scope=openid&max_age=0").unwrap();
        assert_eq!(decide(&aged, Some(NOW), NOW), Decision::Issue);
        assert_eq!(
            decide(&aged, Some(NOW - 1), NOW),
            Decision::LogIn {
                auth_after: Some(NOW)
            }
        );
        let back = AuthorizeRequest {
            auth_after: Some(NOW),
            ..aged
        };
        assert_eq!(decide(&back, Some(NOW + 10), NOW + 200), Decision::Issue);
        assert_eq!(
            decide(&back, Some(NOW + 10), NOW + 400),
            Decision::LogIn {
                auth_after: Some(NOW)
            }
        );
    }

    #[test]
    fn only_a_step_up_sealed_for_this_very_request_holds() {
        let key = SecretKey::from_bytes(&[7; 32]);
        let mut request = params("client_id=app&response_type=code&scope=openid&state=s1");
        request.auth_after = Some(StepUp::seal(&key, &request, NOW));
        assert_eq!(StepUp::open(&key, &request, NOW + 60), Some(NOW));
        // Made by the browser, changed, or for another request: nothing.
        for forged in ["0", "0.00", &format!("{}.{}", NOW - 3600, "0".repeat(64))] {
            let tampered = AuthorizeParams {
                auth_after: Some(forged.to_owned()),
                ..request.clone()
            };
            assert_eq!(StepUp::open(&key, &tampered, NOW), None, "{forged}");
        }
        let earlier = request.auth_after.as_deref().unwrap().replacen(
            &NOW.to_string(),
            &(NOW - 600).to_string(),
            1,
        );
        let moved = AuthorizeParams {
            auth_after: Some(earlier),
            ..request.clone()
        };
        assert_eq!(StepUp::open(&key, &moved, NOW), None);
        let other = AuthorizeParams {
            state: Some("s2".into()),
            ..request.clone()
        };
        assert_eq!(StepUp::open(&key, &other, NOW), None);
        let other_key = SecretKey::from_bytes(&[8; 32]);
        assert_eq!(StepUp::open(&other_key, &request, NOW), None);
        // It lasts the trip through the login page, no longer.
        assert_eq!(StepUp::open(&key, &request, NOW + StepUp::SECS), Some(NOW));
        assert_eq!(StepUp::open(&key, &request, NOW + StepUp::SECS + 1), None);
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
