//! What the OpenID Connect endpoints send back, and what they read of a
//! browser's visit.

use super::error::{ErrorCode, Failure, OAuthError};
use crate::server::{accounts::sessions, platform::client::RequestMeta, AppState, ServiceError};
use axum::{
    extract::Query,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// Answers that carry codes and tokens are never stored.
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Our failure: logged, answered `server_error`.
pub fn internal(e: ServiceError) -> Response {
    tracing::error!(error = %e, "OpenID Connect request failed");
    no_store(
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "server_error", "error_description": "internal error"})),
        )
            .into_response(),
    )
}

/// An OAuth error as JSON (RFC 6749 §5.2): 401 for `invalid_client`,
/// with a `WWW-Authenticate` challenge when the app sent Basic credentials.
pub fn oauth_error(e: OAuthError, basic: bool) -> Response {
    let invalid_client = e.code == ErrorCode::InvalidClient;
    let status = if invalid_client {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = (
        status,
        Json(json!({"error": e.code.as_str(), "error_description": e.description})),
    )
        .into_response();
    if invalid_client && basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    no_store(response)
}

/// Either kind of failure, answered.
pub fn failure(e: Failure, basic: bool) -> Response {
    match e {
        Failure::OAuth(e) => oauth_error(e, basic),
        Failure::Internal(e) => internal(e),
    }
}

/// What a browser sent to a page-like endpoint: its query (unreadable
/// parameters count as none), where it came from, and its session.
pub struct BrowserVisit<P> {
    pub params: P,
    pub meta: RequestMeta,
    pub session_id: Option<String>,
    pub session: Option<sessions::LiveSession>,
}

pub async fn visit<P: serde::de::DeserializeOwned + Default>(
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
