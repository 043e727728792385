//! `/metrics` in the Prometheus text format, through the `metrics` facade
//! and its Prometheus recorder. Counters and histograms are recorded where
//! things happen (requests, logins, password hashing, mail); the gauges
//! that describe stored state (outbox depth and age, active sessions, the
//! database pool) are read when Prometheus scrapes.

use crate::server::{db, platform::client::ClientAddr, AppState};
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Seconds: request latency and the wait for a password-hashing slot.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's recorder, installed on first use (one per process, as the
/// `metrics` facade has one global recorder).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        handle
    })
}

/// Installs the recorder before anything is recorded.
pub fn init() {
    handle();
}

/// A request answered: by route pattern (never the path), method and status.
/// Labels are interned (`'static`), so recording allocates nothing.
pub fn request(route: &str, method: &http::Method, status: http::StatusCode, seconds: f64) {
    let route = intern(route);
    let method = match *method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::HEAD => "HEAD",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::PATCH => "PATCH",
        _ => "other",
    };
    metrics::counter!(
        "gatehouse_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => intern(status.as_str()),
    )
    .increment(1);
    metrics::histogram!("gatehouse_http_request_duration_seconds", "route" => route)
        .record(seconds);
}

/// The one `'static` copy of a label value. The values are bounded: route
/// patterns, server functions' paths that answered, status codes.
fn intern(value: &str) -> &'static str {
    use std::{collections::HashSet, sync::RwLock};
    static SEEN: std::sync::OnceLock<RwLock<HashSet<&'static str>>> = std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(known) = seen.read().expect("label set poisoned").get(value) {
        return known;
    }
    let mut seen = seen.write().expect("label set poisoned");
    if let Some(known) = seen.get(value) {
        return known;
    }
    let leaked: &'static str = Box::leak(value.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// A login attempt's outcome: `ok`, `failed`, `throttled` or `busy`.
pub fn login(outcome: &'static str) {
    metrics::counter!("gatehouse_logins_total", "outcome" => outcome).increment(1);
}

/// Requests waiting for a password-hashing slot (+1 on arrival, -1 when
/// served or given up), and how long they waited.
pub fn hash_queue(delta: f64) {
    metrics::gauge!("gatehouse_password_hash_queue_depth").increment(delta);
}

pub fn hash_wait(seconds: f64) {
    metrics::histogram!("gatehouse_password_hash_wait_seconds").record(seconds);
}

/// A mail delivered (`sent`), to be retried (`retry`) or given up
/// (`failed`), by kind.
pub fn mail(kind: &str, outcome: &'static str) {
    metrics::counter!("gatehouse_mail_total", "kind" => kind.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// 1 while the mail server cannot be reached and delivery is paused.
pub fn mail_server_down(down: bool) {
    metrics::gauge!("gatehouse_mail_server_down").set(if down { 1.0 } else { 0.0 });
}

/// `GET /metrics`, for the addresses in `metrics.allowed` only (404 for
/// anyone else, as if there were nothing here).
pub async fn endpoint(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
) -> Response {
    let allowed = client.is_some_and(|Extension(ClientAddr(ip))| {
        state
            .settings
            .metrics_allowed
            .iter()
            .any(|net| net.contains(&ip))
    });
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Err(e) = record_stored_state(&state).await {
        tracing::warn!(error = %e, "metrics: could not read the stored state");
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
        .into_response()
}

async fn record_stored_state(state: &AppState) -> sqlx::Result<()> {
    let pool = &state.db.pool;
    metrics::gauge!("gatehouse_db_pool_connections").set(f64::from(pool.size()));
    metrics::gauge!("gatehouse_db_pool_idle_connections").set(pool.num_idle() as f64);
    let now = state.clock.now();
    let mut conn = state.db.conn().await?;
    let counts = db::outbox::counts(&mut conn).await?;
    metrics::gauge!("gatehouse_outbox_queued").set(counts.pending as f64);
    metrics::gauge!("gatehouse_outbox_failed").set(counts.failed as f64);
    let oldest = db::outbox::oldest_queued_at(&mut conn).await?;
    metrics::gauge!("gatehouse_outbox_oldest_queued_age_seconds")
        .set(oldest.map_or(0.0, |at| (now - at).max(0) as f64));
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let sessions = db::sessions::count_live(&mut conn, now, idle).await?;
    metrics::gauge!("gatehouse_sessions_active").set(sessions as f64);
    Ok(())
}
