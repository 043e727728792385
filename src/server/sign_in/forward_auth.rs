//! `GET /auth/verify`: a reverse proxy's forward-auth sub-request (nginx
//! `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`). With a
//! Gatehouse session: `200` and who it is in `Remote-*` headers. Without
//! one: `401`, and where the proxy says which page was wanted, the way to
//! the login page and back; only to hosts the site lists, never anywhere
//! else.

use crate::{
    domain::Role,
    server::{
        accounts::sessions,
        platform::{
            audit::{self, Entry, Event, Repeated, Who},
            client::RequestMeta,
        },
        AppState,
    },
};
use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use url::Url;

#[derive(Debug, Default, Deserialize)]
pub struct VerifyParams {
    /// `site_admin`: only site admins pass (403 for others).
    pub role: Option<String>,
    /// `1`: only sessions begun with two steps pass (403 for others).
    pub two_factor: Option<String>,
    /// A group's name: only its members pass (403 for others).
    pub group: Option<String>,
}

/// The page the browser asked the proxy for. nginx sends it whole in
/// `X-Original-URL` (as the README's snippet sets it); Caddy and Traefik
/// in `X-Forwarded-Proto`, `-Host` and `-Uri`.
fn original_url(headers: &HeaderMap) -> Option<(Url, Flavour)> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(url) = get("x-original-url") {
        return Url::parse(url).ok().map(|u| (u, Flavour::Nginx));
    }
    let (proto, host) = (get("x-forwarded-proto")?, get("x-forwarded-host")?);
    let uri = get("x-forwarded-uri").unwrap_or("/");
    if !uri.starts_with('/') {
        return None;
    }
    Url::parse(&format!("{proto}://{host}{uri}"))
        .ok()
        .map(|u| (u, Flavour::Redirecting))
}

/// How the proxy passes on a refusal: nginx's `auth_request` only knows
/// 2xx, 401 and 403 (the login address goes in `Location` for its
/// `error_page`); Caddy and Traefik hand our answer to the browser as it
/// is, so a redirect works directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Nginx,
    Redirecting,
}

pub async fn verify(
    State(state): State<AppState>,
    Query(params): Query<VerifyParams>,
    headers: HeaderMap,
) -> Response {
    let session = match sessions::for_forward_auth(&state, &headers).await {
        Ok(session) => session,
        Err(e) => {
            tracing::error!(error = %e, "forward-auth: session lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some(session) = session else {
        return refuse(&state, &headers, "/login");
    };
    // Until they set up the second step the site requires, they may do
    // nothing else: the way back goes through the security page.
    if session.user.must_set_up_two_step {
        return refuse(&state, &headers, "/account/security");
    }
    match params.two_factor.as_deref() {
        None | Some("" | "0") => {}
        Some("1") if session.sign_in.two_factor() => {}
        Some("1") => {
            let why = "Two-step verification needed.";
            return refused(&state, &session, &headers, why).await;
        }
        Some(_) => return (StatusCode::BAD_REQUEST, "two_factor is 1 or 0.").into_response(),
    }
    let required = params.role.as_deref().map(Role::parse);
    match required {
        Some(Ok(Role::SiteAdmin)) if session.user.role != Role::SiteAdmin => {
            return refused(&state, &session, &headers, "Site admins only.").await;
        }
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "Unknown role.").into_response(),
        _ => {}
    }
    if let Some(wanted) = params.group.as_deref() {
        if crate::domain::GroupName::parse(wanted).is_err() {
            return (StatusCode::BAD_REQUEST, "Not a group's name.").into_response();
        }
        if !session.groups.iter().any(|g| g == wanted) {
            return refused(&state, &session, &headers, "Not in the group.").await;
        }
    }
    // The person's groups, and `site_admin` for site admins.
    let mut remote_groups = session.groups.clone();
    if session.user.role == Role::SiteAdmin {
        remote_groups.push(Role::SiteAdmin.as_str().to_owned());
    }
    let remote_groups = remote_groups.join(",");
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    let user = &session.user;
    for (name, value) in [
        ("remote-user", session.subject.as_str()),
        ("remote-email", user.email.as_str()),
        ("remote-name", user.name.as_str()),
        ("remote-groups", remote_groups.as_str()),
    ] {
        // Names are free text (UTF-8) without control characters.
        if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
            out.insert(name, v);
        }
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `403` for a logged-in person the app's rule leaves out, audited (one
/// row an hour for each person, host and reason, counted).
async fn refused(
    state: &AppState,
    session: &sessions::LiveSession,
    headers: &HeaderMap,
    why: &'static str,
) -> Response {
    let host = original_url(headers)
        .and_then(|(url, _)| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "-".into());
    let detail = format!("{host}: {why}");
    let key = format!("{}:{host}:{why}", session.user.id);
    let meta = RequestMeta::of(headers, &http::Extensions::new());
    let recorded = async {
        let mut conn = state.db.conn().await?;
        let entry = Entry::new(Event::ForwardAuthRefused)
            .about(Who::user(session.user.id, &session.user.email))
            .detail(&detail);
        audit::record_repeated(
            &mut conn,
            state.clock.now(),
            &meta,
            Repeated { entry, key: &key },
        )
        .await
    };
    if let Err(e) = recorded.await {
        tracing::error!(error = %e, "forward-auth: could not audit a refusal");
    }
    (StatusCode::FORBIDDEN, why).into_response()
}

/// `401`; with the way to `page` (the login page, or the security page)
/// and back when the wanted page is on a host the site lists
/// (`site.allowed_return_hosts`), never otherwise.
fn refuse(state: &AppState, headers: &HeaderMap, page: &str) -> Response {
    let Some((wanted, flavour)) = original_url(headers) else {
        return (StatusCode::UNAUTHORIZED, "Not logged in.").into_response();
    };
    if !state.settings.may_return_to(&wanted) {
        tracing::warn!(host = ?wanted.host_str(), "forward-auth: return host not in site.allowed_return_hosts");
        return (
            StatusCode::UNAUTHORIZED,
            "Not logged in (and the page's host is not one Gatehouse may send people back to).",
        )
            .into_response();
    }
    let next: String = url::form_urlencoded::byte_serialize(wanted.as_str().as_bytes()).collect();
    let login = state.settings.link(&format!("{page}?next={next}"));
    let Ok(location) = HeaderValue::from_str(&login) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let status = match flavour {
        Flavour::Nginx => StatusCode::UNAUTHORIZED,
        Flavour::Redirecting => StatusCode::FOUND,
    };
    let mut response = (status, "Not logged in.").into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_page_comes_from_nginx_or_from_forwarded_parts() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-original-url",
            "https://wiki.example.com/a?b=1".parse().unwrap(),
        );
        let (url, flavour) = original_url(&h).unwrap();
        assert_eq!(
            (url.as_str(), flavour),
            ("https://wiki.example.com/a?b=1", Flavour::Nginx)
        );
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        h.insert("x-forwarded-host", "files.example.com".parse().unwrap());
        h.insert("x-forwarded-uri", "/x".parse().unwrap());
        let (url, flavour) = original_url(&h).unwrap();
        assert_eq!(
            (url.as_str(), flavour),
            ("https://files.example.com/x", Flavour::Redirecting)
        );
        h.insert("x-forwarded-uri", "@evil.test/".parse().unwrap());
        assert!(original_url(&h).is_none());
    }
}
