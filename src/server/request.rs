//! What a server function knows about the request it serves.

use crate::server::client_addr::{self, ClientAddr};
use crate::{
    domain::CurrentUser,
    error::AppError,
    server::{audit, sessions, AppState},
};
use http::{header, request::Parts, HeaderValue};
use leptos::prelude::{expect_context, use_context};
use std::net::IpAddr;

/// The client's address and agent, for throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client's address (behind a trusted proxy, the one it reports).
    pub addr: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// The full address, as the audit log and sessions keep it.
    pub fn ip(&self) -> Option<String> {
        self.addr.map(|a| a.to_string())
    }

    /// What per-address throttles count (IPv6 clients by their /64).
    pub fn throttle_subject(&self) -> String {
        self.addr
            .map(client_addr::throttle_subject)
            .unwrap_or_else(|| "unknown".into())
    }
}

/// The shared state. It is missing only when the request has already
/// ended, as when a client goes away while its page is rendering: an
/// ordinary event, not an error of ours.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::debug!("request ended before it was served (client went away?)");
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
        addr: parts.extensions.get::<ClientAddr>().map(|c| c.0),
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

/// The caller, if they are an active site admin; otherwise 401 or 403.
/// A refusal is an audit event (one entry per user and hour, counted).
pub async fn require_admin(state: &AppState) -> Result<CurrentUser, AppError> {
    let user = require_user(state).await?;
    if user.is_admin() {
        return Ok(user);
    }
    let path = parts().map(|p| p.uri.path().to_owned());
    let key = format!("user:{}", user.id);
    let recorded = async {
        let mut conn = state.db.conn().await?;
        audit::record_repeated(
            &mut conn,
            state.clock.now(),
            &meta(),
            audit::Repeated {
                entry: audit::Entry {
                    detail: path.as_deref(),
                    ..audit::Entry::new(audit::Event::AccessDenied)
                        .by(audit::Who::user(user.id, &user.email))
                },
                key: &key,
            },
        )
        .await
    }
    .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record a refused access");
    }
    Err(AppError::Forbidden)
}

/// Sends a plain form post back to the page it came from (same origin
/// only), with `done=<what>` so the page can say what happened.
pub fn redirect_back_with(done: &str, fallback: &str) {
    let from = parts()
        .and_then(|p| {
            p.headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .and_then(|r| url::Url::parse(&r).ok());
    let expected = use_context::<AppState>().map(|s| s.settings.public_origin());
    let mut target = match from {
        Some(url) if Some(url.origin().ascii_serialization()) == expected => url,
        _ => url::Url::parse(&format!("http://x{fallback}")).expect("a local path"),
    };
    let kept: Vec<(String, String)> = target
        .query_pairs()
        .filter(|(k, _)| !matches!(k.as_ref(), "done" | "__err" | "__path"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    target.set_query(None);
    target
        .query_pairs_mut()
        .extend_pairs(kept)
        .append_pair("done", done);
    let path = match target.query() {
        Some(q) => format!("{}?{q}", target.path()),
        None => target.path().to_owned(),
    };
    leptos_axum::redirect(&path);
}

pub fn set_cookie(value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        expect_context::<leptos_axum::ResponseOptions>().append_header(header::SET_COOKIE, v);
    }
}

/// A local path to continue to after login; anything else becomes `/account`.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
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
        for evil in [
            "https://evil.test",
            "//evil.test",
            "/\\evil.test",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/account", "{evil}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
