//! `/oauth2/logout`: RP-initiated logout (OpenID Connect RP-Initiated
//! Logout 1.0).

use super::{
    answer::{internal, no_store, visit, BrowserVisit},
    claims::IdTokenClaims,
    keys,
};
use crate::{
    domain::CurrentUser,
    server::{
        accounts::{login, sessions},
        db, AppState, ServiceError,
    },
};
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use url::Url;

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

/// The session ends at once only with an unexpired ID token we signed for
/// this very person (`id_token_hint`), so a link on another site cannot log
/// anyone out; without one, a logged-in person is asked ("Log out of
/// <site>?", `/log-out`). The browser returns to the app only to a
/// post-logout URI registered for it.
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
    let back = return_to(
        state,
        client_id.as_deref(),
        params.post_logout_redirect_uri.as_deref(),
        params.state.as_deref(),
    )
    .await?;
    let now = state.clock.now();
    let end_session = match (&hint, current, current_subject) {
        (Some(claims), Some(_), Some(subject)) => claims.sub == subject && claims.exp > now,
        _ => false,
    };
    let redirect = match (end_session, back, current) {
        (true, Some(back), _) => back,
        (true, None, _) => "/login".to_owned(),
        // Without proof that the app asks for this person, they decide.
        (false, back, Some(_)) => {
            let mut ask = url::form_urlencoded::Serializer::new(String::from("/log-out?"));
            if let Some(id) = &client_id {
                ask.append_pair("client_id", id);
            }
            if back.is_some() {
                if let Some(uri) = &params.post_logout_redirect_uri {
                    ask.append_pair("post_logout_redirect_uri", uri);
                }
                if let Some(s) = &params.state {
                    ask.append_pair("state", s);
                }
            }
            ask.finish()
        }
        (false, Some(back), None) => back,
        (false, None, None) => "/login".to_owned(),
    };
    Ok(LogoutDecision {
        end_session,
        redirect,
    })
}

/// Where the browser goes after logging out at an app's request: `uri`
/// (with the app's `state`) when it is a post-logout URI registered for
/// app `client_id`; otherwise nowhere outside Gatehouse.
pub async fn return_to(
    state: &AppState,
    client_id: Option<&str>,
    uri: Option<&str>,
    app_state: Option<&str>,
) -> Result<Option<String>, ServiceError> {
    let (Some(client_id), Some(uri)) = (client_id, uri) else {
        return Ok(None);
    };
    let app = {
        let mut conn = state.db.conn().await?;
        db::apps::find(&mut conn, client_id).await?
    };
    Ok(app
        .filter(|app| app.post_logout_redirect_uris().any(|u| u == uri))
        .map(|_| {
            let mut url = Url::parse(uri).expect("registered URIs are absolute URLs");
            if let Some(s) = app_state {
                url.query_pairs_mut().append_pair("state", s);
            }
            url.to_string()
        }))
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

/// The endpoint.
pub async fn handle(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let BrowserVisit {
        params,
        meta,
        session_id,
        session,
    }: BrowserVisit<LogoutParams> = match visit(&state, request).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let decided = end_session(
        &state,
        &params,
        session.as_ref().map(|s| &s.user),
        session.as_ref().map(|s| s.subject.as_str()),
    )
    .await;
    let decision = match decided {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let mut response = Redirect::to(&decision.redirect).into_response();
    if decision.end_session {
        let user = session.as_ref().map(|s| &s.user);
        if let Err(e) = login::log_out(&state, session_id.as_deref(), user, &meta).await {
            return internal(e);
        }
        for cookie in sessions::clear_cookies(&state.settings) {
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    no_store(response)
}
