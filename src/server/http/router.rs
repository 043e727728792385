//! The routes: pages (rendered by Leptos), server functions, static files
//! and the health check, with the middleware every request passes through.

use super::middleware::{
    api_error_status, cache_policy, content_security_policy, hsts, origin_check, page_guard,
    request_span, PERMISSIONS_POLICY,
};
use super::{language, light, page_cache};
use crate::{
    app::{shell, App},
    i18n::{Lang, Msg},
    server::{http::client_addr, sign_in::forward_auth, sign_in::oidc, AppState},
};
use axum::{
    extract::State,
    http::{header, HeaderName, HeaderValue, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::{
    compression::CompressionLayer, limit::RequestBodyLimitLayer,
    set_header::SetResponseHeaderLayer, timeout::RequestBodyTimeoutLayer, CompressionLevel,
};

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
    // Shared, not owned: every route's service (and so this closure) is
    // cloned for each request it answers, and a whole LeptosOptions is
    // dearer to clone than a reference count (BENCHMARKS.md, issue 31).
    let options = Arc::new(state.leptos_options.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::server::platform::metrics::endpoint))
        .route("/continue", get(continue_to))
        .route("/auth/verify", get(forward_auth::verify))
        .route("/i18n/{file}", get(language::words))
        .merge(oidc::routes::routes())
        .merge(crate::server::accounts::two_step::routes::routes())
        .leptos_routes_with_context(&state, routes, language::provide, {
            let options = options.clone();
            move || shell(LeptosOptions::clone(&options))
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || {
                    leptos::prelude::provide_context(state.clone());
                    language::provide();
                }
            },
            shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), pages))
        .layer(middleware::from_fn_with_state(state.clone(), page_guard))
        .layer(middleware::from_fn(cache_policy))
        .layer(middleware::from_fn(api_error_status))
        .layer(middleware::from_fn_with_state(state.clone(), origin_check))
        .layer(RequestBodyLimitLayer::new(max_body))
        // A body that stalls between its parts ends the request.
        .layer(RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(state.settings.limits.body_read_timeout_secs.max(1)),
        ))
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
        // Same-origin only; the reset page, whose address holds its token,
        // sends none at all (`no-referrer`, set as it renders).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages (not the files they load, whose every byte counts on a
        // first visit): a window of their own that no other site's page
        // can reach, and none of the devices a sign-in never needs.
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            |res: &Response| page_only(res, HeaderValue::from_static("same-origin")),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            |res: &Response| page_only(res, HeaderValue::from_static(PERMISSIONS_POLICY)),
        ))
        .layer(tower::util::option_layer(hsts(&state.settings).map(
            |value| SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, value),
        )))
        // Pages set their own policy, with the nonce of their inline
        // scripts (`set_page_csp`); everything else gets it without one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(None)).expect("a valid header"),
        ))
        // Inside the client-address layer, so that its span knows the
        // address.
        .layer(middleware::from_fn(request_span))
        .layer(middleware::from_fn_with_state(
            Arc::new(client_addr::Proxies::new(&state.settings)),
            client_addr::layer,
        ))
        .with_state(state)
}

/// `value` for an HTML page, nothing for anything else.
fn page_only(res: &Response, value: HeaderValue) -> Option<HeaderValue> {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"))
        .then_some(value)
}

/// What every request to a page goes through, in one layer: its language
/// (which the page cache keeps a page per), its weight (light or with the
/// client), and the page cache. One `from_fn` layer, not three: each such
/// layer clones the whole stack below it for every request (BENCHMARKS.md,
/// "Hardening").
async fn pages(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let chosen = language::choose(&state, &mut req).await;
    light::mark(&state, &mut req).await;
    let mut response = page_cache::answer(&state, req, next).await;
    language::remember(&state, chosen, &mut response);
    response
}

/// `/continue?to=…`: a page that moves the browser on (a meta refresh, and a
/// link for browsers that ignore it) after a form post without JavaScript,
/// so the next hop is a plain navigation; see `request::after_form_post`.
/// Only where a login may go: a local path or a listed return host.
async fn continue_to(
    State(state): State<AppState>,
    axum::Extension(lang): axum::Extension<Lang>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    use crate::server::{http::request::safe_next, mail::templates::escape_html};
    let to = escape_html(&safe_next(
        &state.settings,
        query.get("to").map(String::as_str),
    ));
    let (tag, title, link) = (
        lang.tag(),
        escape_html(lang.text(Msg::ContinueTitle)),
        escape_html(lang.text(Msg::ContinueLink)),
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"0; url={to}\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1><p><a href=\"{to}\">{link}</a></p></main></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// Ready for traffic: not shutting down, the database answers, and every
/// migration of this build is applied. Load balancers and orchestrators
/// ask this; `/healthz` only says the process is alive.
async fn readyz(State(state): State<AppState>) -> Response {
    if state
        .shutting_down
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match state.db.migrations_current().await {
        Ok(true) => (StatusCode::OK, "ready").into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
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
