//! What every request passes through: the Content-Security-Policy, the
//! Origin check, the login guard of pages, caching headers, and the status
//! codes of server-function errors.

use crate::{
    error::AppError,
    server::{accounts::sessions, AppState},
};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The Content-Security-Policy: scripts only from this site, inline ones
/// only with the page's nonce, styles only from the stylesheet. Under
/// `cargo leptos watch` (LEPTOS_WATCH) in a debug build, for those who
/// develop with it, pages reload over a WebSocket; a release build ignores
/// the variable.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let connect = if cfg!(debug_assertions) && std::env::var_os("LEPTOS_WATCH").is_some() {
        "'self' ws: wss:"
    } else {
        "'self'"
    };
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Called while a page renders: its policy names the nonce that Leptos
/// put on the page's inline scripts.
pub fn set_page_csp() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    if let (Some(options), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&content_security_policy(Some(&nonce))),
    ) {
        options.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// What pages may use of the browser: none of the devices and payments a
/// sign-in never needs (passkeys, `publickey-credentials-*`, stay this
/// site's own, their default).
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()";

/// `Strict-Transport-Security` when the public URL is https: a year, and
/// the subdomains too when a cookie is shared with them. Over plain http
/// (trying Gatehouse out) none: it would stick to the host.
pub fn hsts(settings: &crate::server::platform::config::Settings) -> Option<HeaderValue> {
    settings.cookie_secure().then(|| {
        HeaderValue::from_static(match settings.cookie_domain {
            Some(_) => "max-age=31536000; includeSubDomains",
            None => "max-age=31536000",
        })
    })
}

/// A page whose policy did not reach its response: under load, a render's
/// `set_page_csp` now and then ends up without the response (a page came
/// with the nonce-less policy, and the browser blocked its scripts). Its
/// policy is then made from the nonce its scripts carry (escaped user text
/// never holds `nonce="`). Pages that have theirs pass untouched. The page
/// cache applies it to every answer it does not serve itself (it sits
/// inside the compression, where a page's body is still readable).
pub(super) async fn with_page_policy(res: Response) -> Response {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let has_nonce = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.contains("'nonce-"));
    if !html || has_nonce {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let nonce = std::str::from_utf8(&bytes).ok().and_then(|page| {
        let start = page.find("nonce=\"")? + "nonce=\"".len();
        let len = page[start..].find('"')?;
        let nonce = &page[start..start + len];
        nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
            .then_some(nonce)
    });
    if let Some(value) =
        nonce.and_then(|n| HeaderValue::from_str(&content_security_policy(Some(n))).ok())
    {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Refuses state-changing requests from other origins. Browsers always send
/// `Origin` (or at least `Sec-Fetch-Site`) on cross-site posts; requests
/// without any of these come from non-browser clients, which carry no
/// ambient cookies to abuse.
pub(super) async fn origin_check(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || crate::server::sign_in::oidc::routes::is_app_endpoint(req.uri().path())
    {
        return next.run(req).await;
    }
    let expected = state.settings.public_origin();
    let headers = req.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let site = header("sec-fetch-site");
    let allowed = if let Some(origin) = header("origin") {
        // A page sent with `Referrer-Policy: no-referrer` (the reset page,
        // whose address holds its token) posts with `Origin: null`; the
        // browser's own `Sec-Fetch-Site`, which no page can set, still
        // says where the post comes from.
        origin == expected || (origin == "null" && site == Some("same-origin"))
    } else if let Some(site) = site {
        matches!(site, "same-origin" | "none")
    } else if let Some(referer) = header("referer") {
        url::Url::parse(referer).is_ok_and(|u| u.origin().ascii_serialization() == expected)
    } else {
        true
    };
    if allowed {
        next.run(with_reset_page_referer(&state, req).await).await
    } else {
        tracing::warn!(path = %req.uri().path(), origin = ?header("origin"), "cross-origin request refused");
        (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response()
    }
}

/// The reset page's forms, posted without a `Referer` (the page sends
/// none: its address holds the link's token). A plain form post that fails
/// goes back to the page it came from, which Leptos learns from the
/// `Referer`; it is made again from the form's own `token` field.
async fn with_reset_page_referer(state: &AppState, req: Request) -> Request {
    let from_reset_page = matches!(
        req.uri().path(),
        "/api/reset_password" | "/api/resend_reset_link"
    );
    if !from_reset_page
        || req.headers().contains_key(header::REFERER)
        || !req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    {
        return req;
    }
    let (mut parts, body) = req.into_parts();
    let limit = state.settings.limits.max_body_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Request::from_parts(parts, Body::empty());
    };
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| crate::server::platform::tokens::well_formed(t));
    let page = token.map(|t| state.settings.link(&format!("/reset-password/{t}")));
    if let Some(value) = page.and_then(|p| HeaderValue::from_str(&p).ok()) {
        parts.headers.insert(header::REFERER, value);
    }
    Request::from_parts(parts, Body::from(bytes))
}

/// Where people manage their second factors.
const SECURITY_PAGE: &str = "/account/security";

/// Pages for logged-in people send visitors to the login page (and `/` to
/// wherever they belong) with a plain redirect before any rendering. The
/// pages check again when the browser navigates between them.
pub(super) async fn page_guard(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let protected = path == "/account"
        || path.starts_with("/account/")
        || path == "/admin"
        || path.starts_with("/admin/");
    if path != "/" && !protected {
        return next.run(req).await;
    }
    let user = match sessions::read_cookie(&state.settings, req.headers()) {
        Some(id) => sessions::resolve(&state, &id).await.ok().flatten(),
        None => None,
    };
    let wanted = || {
        let wanted = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(path);
        url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect::<String>()
    };
    let target = match (path, user) {
        // Someone who must set up two-step verification first may see
        // only the page where they do.
        (SECURITY_PAGE, Some(_)) => return next.run(req).await,
        ("/" | "/account", Some(user)) if user.must_set_up_two_step => SECURITY_PAGE.to_owned(),
        (_, Some(user)) if user.must_set_up_two_step => {
            format!("{SECURITY_PAGE}?next={}", wanted())
        }
        ("/", Some(_)) => "/account".to_owned(),
        ("/", None) => "/login".to_owned(),
        (_, None) => format!("/login?next={}", wanted()),
        (_, Some(_)) => return next.run(req).await,
    };
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

/// How long browsers and shared caches may keep each answer. Pages and
/// server-function answers can carry personal data (the header names who
/// is logged in): never stored. Files under content-hashed names never
/// change: kept for a year. Other files are revalidated on each use. Where
/// a file is sent precompressed, its encoding depends on the request's
/// `Accept-Encoding`, which `Vary` tells shared caches.
pub(super) async fn cache_policy(req: Request, next: Next) -> Response {
    let asset = static_file_name(req.uri().path()).map(str::to_owned);
    let mut response = next.run(req).await;
    let found = matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED);
    let asset = asset.filter(|_| found);
    let headers = response.headers_mut();
    if headers.contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let policy = match asset.as_deref() {
        Some(name) if is_content_hashed(name) => "public, max-age=31536000, immutable",
        Some(_) => "no-cache",
        None => "no-store",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    if asset.is_some() && !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// The file name, when `path` names a static file (the bundle under
/// `/pkg/`, or a public file such as `/favicon.ico`).
fn static_file_name(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    let public_file = path.matches('/').count() == 1 && name.contains('.');
    (path.starts_with("/pkg/") || public_file).then_some(name)
}

/// `name.<22 base64url characters>.ext`, as `cargo xtask bundle` (and
/// cargo-leptos) name hashed files; not the all-underscore placeholder of an
/// unhashed build.
fn is_content_hashed(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|p| {
            p.len() == 22
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && p.chars().any(|c| c != '_')
        })
}

/// Server functions answer errors with status 500; give API callers the
/// status that fits the error instead (and `Retry-After` when throttled).
///
/// Stock Leptos has no way to choose a server function's status: its error
/// type crosses the wire as a body, always with 500. Ours is an `AppError`
/// whose code decides the status (401 wrong password, 403, 409, 429…),
/// which API clients, proxies and the audit of failures rely on; the body
/// is left as it is, so the browser's client reads the same error.
pub(super) async fn api_error_status(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::TooManyRequests { retry_after_secs } = err {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                parts.headers.insert(header::RETRY_AFTER, v);
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Every request gets an id: the one a proxy put in `X-Request-Id` (if it
/// looks like one), or a new one. It is echoed in the answer's
/// `X-Request-Id` and carried, with the method, the route (the pattern,
/// not the path: no tokens from reset links), the client's address and
/// the status, by every log line of the request.
pub(super) async fn request_span(req: Request, next: Next) -> Response {
    use tracing::Instrument;
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let route_str = route.as_ref().map_or("other", |r| r.as_str());
    // Fields are formatted only when a log line is written; a disabled
    // span costs next to nothing.
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route_str,
        client = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    if let Some(client) = req
        .extensions()
        .get::<crate::server::platform::client::ClientAddr>()
    {
        span.record("client", tracing::field::display(client.0));
    }
    let method = req.method().clone();
    // Server functions share one wildcard route: name them by their path
    // when they answered (unknown paths keep the pattern, so that no one
    // can mint labels).
    let path = route_str.contains('*').then(|| req.uri().path().to_owned());
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    span.record("status", status.as_u16());
    let label = match &path {
        Some(path) if status.as_u16() < 400 => path.as_str(),
        _ => route_str,
    };
    crate::server::platform::metrics::request(
        label,
        &method,
        status,
        started.elapsed().as_secs_f64(),
    );
    span.in_scope(|| {
        tracing::debug!(
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// A new request id: this process's random 32-bit prefix and a counter, in
/// hex (16 characters): unique across instances without a system call per
/// request.
fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
        u32::from_le_bytes(bytes)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) as u32;
    format!("{prefix:08x}{n:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_files_are_kept_for_a_year() {
        assert!(is_content_hashed("gatehouse.Zm9vYmFyYmF6cXV4cXV1eA.wasm"));
        assert!(is_content_hashed(
            "gatehouse.Zm9vYmFyYmF6cXV4cXV1eA.wasm.br"
        ));
        assert!(!is_content_hashed("gatehouse.wasm"));
        assert!(!is_content_hashed("__wasm_split.______________________.js"));
        assert_eq!(
            static_file_name("/pkg/gatehouse.css"),
            Some("gatehouse.css")
        );
        assert_eq!(static_file_name("/favicon.ico"), Some("favicon.ico"));
        assert_eq!(static_file_name("/login"), None);
        assert_eq!(static_file_name("/api/login"), None);
        assert_eq!(static_file_name("/reset-password/abc"), None);
    }
}
