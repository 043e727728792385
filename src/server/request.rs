//! What a server function knows about the request it serves.

use crate::{
    domain::CurrentUser,
    error::AppError,
    server::{sessions, AppState},
};
use axum::extract::ConnectInfo;
use http::{header, request::Parts, HeaderValue};
use leptos::prelude::{expect_context, use_context};
use std::net::SocketAddr;

/// The client's address and agent, for throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn ip_or_unknown(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

pub fn meta() -> RequestMeta {
    let Some(parts) = parts() else {
        return RequestMeta::default();
    };
    RequestMeta {
        ip: parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect()),
    }
}

/// The raw session id from the request's cookie.
pub fn session_id(state: &AppState) -> Option<String> {
    parts().and_then(|p| sessions::read_cookie(&state.settings, &p.headers))
}

/// The logged-in user, if any.
pub async fn current_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(id) = session_id(state) else {
        return Ok(None);
    };
    sessions::resolve(state, &id).await.map_err(|e| {
        tracing::error!(error = %e, "session lookup failed");
        AppError::Internal
    })
}

pub async fn require_user(state: &AppState) -> Result<CurrentUser, AppError> {
    current_user(state).await?.ok_or(AppError::Unauthorized)
}

pub fn set_cookie(value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        expect_context::<leptos_axum::ResponseOptions>().append_header(header::SET_COOKIE, v);
    }
}

/// A local path to continue to after login; anything else becomes `/account`.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control) => {
            p.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin/users?q=a")), "/admin/users?q=a");
        for evil in ["https://evil.test", "//evil.test", "/\\evil.test", "javascript:alert(1)", ""] {
            assert_eq!(safe_next(Some(evil)), "/account", "{evil}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
