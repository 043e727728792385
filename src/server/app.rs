//! The HTTP application: state, router, middleware and the server loop.

use crate::{
    app::{shell, App},
    error::AppError,
    server::{
        client_addr,
        clock::{Clock, SystemClock},
        config::Settings,
        db::Db,
        mail::{outbox, transport::Transport},
        passwords::Hasher,
        sessions, AppState, Shared,
    },
};
use anyhow::Context;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    serve::ListenerExt,
    Router,
};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{net::SocketAddr, sync::Arc};
use tokio::sync::{watch, Notify};
use tower_http::{
    compression::CompressionLayer, limit::RequestBodyLimitLayer,
    set_header::SetResponseHeaderLayer, CompressionLevel,
};

/// Where `cargo xtask bundle` put the client bundle, unless LEPTOS_* say
/// otherwise.
///
/// The bundle's files have content-hashed names, listed in `hash.txt` in
/// the site folder, so that a bundle and its names travel together. Leptos
/// looks for the list beside the executable; an absolute path sends it to
/// the site.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let site_root = env("LEPTOS_SITE_ROOT", "target/site");
    let hash_file = std::path::absolute(std::path::Path::new(&site_root).join(HASH_FILE))
        .unwrap_or_else(|_| std::path::Path::new(&site_root).join(HASH_FILE));
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "gatehouse"))
        .site_root(site_root)
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(settings.addr)
        .hash_files(hash_file.exists())
        .hash_file(hash_file.to_string_lossy().into_owned().into())
        .build()
}

/// The list of the bundle's hashed file names, in the site folder.
pub const HASH_FILE: &str = "hash.txt";

/// The stylesheet's address: `/pkg/gatehouse.<hash>.css` when the bundle
/// has hashed names. Read on each page, as Leptos reads the list for the
/// scripts, so a rebuilt bundle is picked up without a restart.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let pkg = &options.site_pkg_dir;
    let name = &options.output_name;
    let hash = options
        .hash_files
        .then(|| std::fs::read_to_string(&*options.hash_file).ok())
        .flatten()
        .and_then(|list| {
            list.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == "css").then(|| hash.trim().to_owned())
            })
        });
    match hash {
        Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}

/// Connects, migrates and assembles the shared state.
pub async fn build_state(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings.database_url, settings.max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                redact_url(&settings.database_url)
            )
        })?;
    db.migrate().await.context("database migrations failed")?;
    let hasher = Hasher::new(&settings.auth).map_err(anyhow::Error::msg)?;
    let leptos_options = leptos_options(&settings);
    Ok(AppState::new(Shared {
        settings: Arc::new(settings),
        db,
        hasher: Arc::new(hasher),
        clock,
        leptos_options,
        mail_notify: Arc::new(Notify::new()),
        mail_retry_base_secs: 5,
        mail_poll_ms: 1000,
        has_accounts: Arc::default(),
    }))
}

pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The route list is made once per process: generating it briefly stops
/// every resource in the process from loading (a process-wide flag in
/// leptos_server), which would stall pages rendered meanwhile by another
/// router, as in the integration tests.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let max_body = state.settings.limits.max_body_bytes;
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&state, routes, || {}, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || leptos::prelude::provide_context(state.clone())
            },
            shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), page_guard))
        .layer(middleware::from_fn(cache_policy))
        .layer(middleware::from_fn(api_error_status))
        .layer(middleware::from_fn_with_state(state.clone(), origin_check))
        .layer(RequestBodyLimitLayer::new(max_body))
        // Pages are compressed as they are sent: brotli's default quality
        // (11) is meant for files compressed once, and made every page
        // view several times dearer (BENCHMARKS.md). Static files are sent
        // precompressed at the best quality.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Same-origin only: reset links carry their token in the path.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages set their own policy, with the nonce of their inline
        // scripts (`set_page_csp`); everything else gets it without one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(None)).expect("a valid header"),
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(state.settings.proxies.clone()),
            client_addr::layer,
        ))
        .with_state(state)
}

/// The Content-Security-Policy: scripts only from this site, inline ones
/// only with the page's nonce. Under `cargo leptos watch` (LEPTOS_WATCH),
/// for those who develop with it, pages reload over a WebSocket.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let connect = if std::env::var_os("LEPTOS_WATCH").is_some() {
        "'self' ws: wss:"
    } else {
        "'self'"
    };
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
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

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Refuses state-changing requests from other origins. Browsers always send
/// `Origin` (or at least `Sec-Fetch-Site`) on cross-site posts; requests
/// without any of these come from non-browser clients, which carry no
/// ambient cookies to abuse.
async fn origin_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let expected = state.settings.public_origin();
    let headers = req.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let allowed = if let Some(origin) = header("origin") {
        origin == expected
    } else if let Some(site) = header("sec-fetch-site") {
        matches!(site, "same-origin" | "none")
    } else if let Some(referer) = header("referer") {
        url::Url::parse(referer).is_ok_and(|u| u.origin().ascii_serialization() == expected)
    } else {
        true
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), origin = ?header("origin"), "cross-origin request refused");
        (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response()
    }
}

/// Pages for logged-in people send visitors to the login page (and `/` to
/// wherever they belong) with a plain redirect before any rendering. The
/// pages check again when the browser navigates between them.
async fn page_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let protected = path == "/account" || path == "/admin" || path.starts_with("/admin/");
    if path != "/" && !protected {
        return next.run(req).await;
    }
    let logged_in = match sessions::read_cookie(&state.settings, req.headers()) {
        Some(id) => sessions::resolve(&state, &id)
            .await
            .ok()
            .flatten()
            .is_some(),
        None => false,
    };
    let target = match (path, logged_in) {
        ("/", true) => "/account".to_owned(),
        ("/", false) => "/login".to_owned(),
        (_, false) => {
            let wanted = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or(path);
            let encoded: String = url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
            format!("/login?next={encoded}")
        }
        (_, true) => return next.run(req).await,
    };
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

/// How long browsers and shared caches may keep each answer. Pages and
/// server-function answers can carry personal data (the header names who
/// is logged in): never stored. Files under content-hashed names never
/// change: kept for a year. Other files are revalidated on each use. Where
/// a file is sent precompressed, its encoding depends on the request's
/// `Accept-Encoding`, which `Vary` tells shared caches.
async fn cache_policy(req: Request, next: Next) -> Response {
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
async fn api_error_status(req: Request, next: Next) -> Response {
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

/// Everything a running server owns: the address it listens on and the
/// handles to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting requests, lets the mail worker finish the message in
    /// hand, and waits for both.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let grace = std::time::Duration::from_secs(10);
        let server_abort = self.server.abort_handle();
        if tokio::time::timeout(grace, self.server).await.is_err() {
            tracing::warn!("open connections did not close in time; stopping anyway");
            server_abort.abort();
        }
        let worker_abort = self.worker.abort_handle();
        if tokio::time::timeout(grace, self.worker).await.is_err() {
            tracing::warn!("the mail worker did not stop in time");
            worker_abort.abort();
        }
    }

    /// Stops at once, without waiting: for a caller that cannot wait (a
    /// test server dropped by a failing test).
    pub fn abort(&self) {
        let _ = self.shutdown.send(true);
        self.server.abort();
        self.worker.abort();
    }
}

/// Binds, then serves the app and runs the mail worker in the background.
pub async fn start(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<Running> {
    let transport = Transport::from_settings(&state.settings).map_err(anyhow::Error::msg)?;
    let addr = listener.local_addr()?;
    let (shutdown, rx) = watch::channel(false);
    let app = router(state.clone());
    let mut server_rx = rx.clone();
    // Without TCP_NODELAY a response whose headers and body go out as two
    // writes waits for the client's delayed ACK: 40 ms on every static
    // file (BENCHMARKS.md).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let server = tokio::spawn(async move {
        let result = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = server_rx.wait_for(|stop| *stop).await;
        })
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server error");
        }
    });
    let worker = tokio::spawn(outbox::run_worker(state.clone(), transport, rx));
    Ok(Running {
        addr,
        state,
        shutdown,
        server,
        worker,
    })
}

/// `gatehouse serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let addr = settings.addr;
    let state = build_state(settings, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let running = start(state.clone(), listener).await?;
    tracing::info!(
        "Gatehouse is listening on http://{} (public URL {}, database {}, mail {})",
        running.addr,
        state.settings.public_url,
        redact_url(&state.settings.database_url),
        Transport::from_settings(&state.settings)
            .map(|t| t.describe())
            .unwrap_or_default()
    );
    match crate::server::setup::issue_link(&state).await {
        Ok(Some(link)) => tracing::info!(
            "No accounts yet: open {link} to create the first site admin (valid for {} hours; `gatehouse setup-link` prints a fresh one), or run `gatehouse create-admin`",
            crate::server::setup::LINK_HOURS
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not issue a setup link"),
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
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
