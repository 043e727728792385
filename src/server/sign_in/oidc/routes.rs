//! The OpenID Connect endpoints over HTTP: discovery, JWKS, authorize,
//! token, userinfo, revocation and logout. The protocol's decisions are in
//! the parent module; this one reads requests and writes answers.

use super::{
    keys, AuthorizeParams, Authorized, ClientAuth, LogoutParams, OAuthError, TokenParams, SCOPES,
};
use crate::server::{
    accounts::login, accounts::sessions, platform::client::RequestMeta, AppState, ServiceError,
};
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::json;
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
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/jwks", get(jwks))
        .route("/oauth2/token", post(token))
        .route("/oauth2/userinfo", get(userinfo).post(userinfo))
        .route("/oauth2/revoke", post(revoke))
        .layer(cors);
    Router::new()
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/logout", get(logout))
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

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn internal(e: ServiceError) -> Response {
    tracing::error!(error = %e, "OpenID Connect request failed");
    no_store(
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "server_error", "error_description": "internal error"})),
        )
            .into_response(),
    )
}

fn oauth_error(e: OAuthError, basic: bool) -> Response {
    let status = if e.code == "invalid_client" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = (
        status,
        Json(json!({"error": e.code, "error_description": e.description})),
    )
        .into_response();
    if e.code == "invalid_client" && basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    no_store(response)
}

async fn discovery(State(state): State<AppState>) -> Response {
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
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "email", "email_verified", "name", "roles"],
        "prompt_values_supported": ["none", "login"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    }))
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
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

/// What a browser sent to a page-like endpoint: its query (unreadable
/// parameters count as none), where it came from, and its session.
struct BrowserVisit<P> {
    params: P,
    meta: RequestMeta,
    session_id: Option<String>,
    session: Option<sessions::LiveSession>,
}

async fn visit<P: serde::de::DeserializeOwned + Default>(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<BrowserVisit<P>, Response> {
    let (parts, _) = request.into_parts();
    let params = Query::try_from_uri(&parts.uri)
        .map(|Query(p)| p)
        .unwrap_or_default();
    let session_id = sessions::read_cookie(&state.settings, &parts.headers);
    let session = match &session_id {
        Some(id) => sessions::resolve_session(state, id)
            .await
            .map_err(|e| internal(e.into()))?,
        None => None,
    };
    Ok(BrowserVisit {
        params,
        meta: RequestMeta::of(&parts.headers, &parts.extensions),
        session_id,
        session,
    })
}

async fn authorize(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let visit: BrowserVisit<AuthorizeParams> = match visit(&state, request).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let client_id = visit.params.client_id.clone().unwrap_or_default();
    match super::authorize(&state, visit.params, visit.session, &visit.meta).await {
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

/// The form fields, each at most once (RFC 6749 §3.2).
fn form_fields(body: &[u8]) -> Option<std::collections::HashMap<String, String>> {
    let mut fields = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if fields.insert(k.into_owned(), v.into_owned()).is_some() {
            return None;
        }
    }
    Some(fields)
}

/// Client credentials from `Authorization: Basic` (each part
/// form-urlencoded, RFC 6749 §2.3.1) or from the form; never both.
fn client_auth(
    headers: &HeaderMap,
    form: &std::collections::HashMap<String, String>,
) -> Result<ClientAuth, OAuthError> {
    let from_form = ClientAuth {
        client_id: form.get("client_id").cloned(),
        client_secret: form.get("client_secret").cloned(),
        basic: false,
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(from_form);
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(from_form);
    };
    let invalid = || OAuthError::new("invalid_client", "malformed Basic credentials");
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    if from_form.client_secret.is_some() {
        return Err(OAuthError::new(
            "invalid_request",
            "use one client authentication method",
        ));
    }
    let id = unescape(id);
    if from_form.client_id.as_deref().is_some_and(|f| f != id) {
        return Err(invalid());
    }
    Ok(ClientAuth {
        client_id: Some(id),
        client_secret: Some(unescape(secret)),
        basic: true,
    })
}

/// An app's call to the token or revocation endpoint: its form fields
/// (each once) and its credentials, or the error to answer (and whether
/// the credentials came as Basic).
fn app_call(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(std::collections::HashMap<String, String>, ClientAuth), (OAuthError, bool)> {
    let Some(form) = form_fields(body) else {
        return Err((
            OAuthError::new("invalid_request", "a parameter was repeated"),
            false,
        ));
    };
    let auth = client_auth(headers, &form).map_err(|e| (e, true))?;
    Ok((form, auth))
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (form, auth) = match app_call(&headers, &body) {
        Ok(call) => call,
        Err((e, basic)) => return oauth_error(e, basic),
    };
    let field = |k: &str| form.get(k).cloned();
    let params = TokenParams {
        grant_type: field("grant_type"),
        code: field("code"),
        redirect_uri: field("redirect_uri"),
        code_verifier: field("code_verifier"),
        refresh_token: field("refresh_token"),
        client_id: field("client_id"),
        client_secret: field("client_secret"),
    };
    match super::token(&state, &auth, &params).await {
        Ok(Ok(answer)) => no_store(Json(answer).into_response()),
        Ok(Err(e)) => oauth_error(e, auth.basic),
        Err(e) => internal(e),
    }
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let refuse = |error: &'static str| {
        let mut response =
            (StatusCode::UNAUTHORIZED, Json(json!({"error": error}))).into_response();
        let challenge = if error == "invalid_token" {
            "Bearer error=\"invalid_token\""
        } else {
            "Bearer"
        };
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        no_store(response)
    };
    let Some(token) = bearer else {
        return refuse("invalid_request");
    };
    match super::userinfo(&state, token).await {
        Ok(Some(info)) => no_store(Json(info).into_response()),
        Ok(None) => refuse("invalid_token"),
        Err(e) => internal(e),
    }
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (form, auth) = match app_call(&headers, &body) {
        Ok(call) => call,
        Err((e, basic)) => return oauth_error(e, basic),
    };
    let Some(token) = form.get("token") else {
        return oauth_error(
            OAuthError::new("invalid_request", "token is required"),
            false,
        );
    };
    match super::revoke(&state, &auth, token).await {
        Ok(Ok(())) => no_store(StatusCode::OK.into_response()),
        Ok(Err(e)) => oauth_error(e, auth.basic),
        Err(e) => internal(e),
    }
}

async fn logout(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let BrowserVisit {
        params,
        meta,
        session_id,
        session,
    }: BrowserVisit<LogoutParams> = match visit(&state, request).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let decided = super::end_session(
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
        if let Err(e) = login::log_out(
            &state,
            session_id.as_deref(),
            session.as_ref().map(|s| &s.user),
            &meta,
        )
        .await
        {
            return internal(e);
        }
        if let Ok(v) = HeaderValue::from_str(&sessions::clear_cookie(&state.settings)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    no_store(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_and_exclusive_with_the_form() {
        let mut headers = HeaderMap::new();
        let creds = STANDARD.encode("my%20app:s%3Acret");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {creds}").parse().unwrap(),
        );
        let auth = client_auth(&headers, &Default::default()).unwrap();
        assert_eq!(auth.client_id.as_deref(), Some("my app"));
        assert_eq!(auth.client_secret.as_deref(), Some("s:cret"));
        assert!(auth.basic);
        let form = [("client_secret".to_owned(), "x".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(
            client_auth(&headers, &form).unwrap_err().code,
            "invalid_request"
        );
    }

    #[test]
    fn repeated_form_fields_are_refused() {
        assert!(form_fields(b"a=1&b=2").is_some());
        assert!(form_fields(b"a=1&a=2").is_none());
    }
}
