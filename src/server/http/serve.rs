//! Starting the server (state, listener, mail worker) and stopping it.

use super::{bundle::leptos_options, router::router};
use crate::server::{
    accounts::{passwords::Hasher, two_step::passkeys::Passkeys},
    db::Db,
    mail::{outbox, transport::Transport},
    platform::clock::{Clock, SystemClock},
    platform::config::MailTransport,
    platform::config::Settings,
    platform::secret_key::SecretKey,
    AppState, Shared,
};
use anyhow::Context;
use axum::{extract::ConnectInfo, Router};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::sync::{watch, Notify};

/// Connects, migrates and assembles the shared state.
pub async fn build_state(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let db = Db::connect(settings.database_url.as_str(), settings.max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                settings.database_url.redacted()
            )
        })?;
    db.migrate().await.context("database migrations failed")?;
    crate::server::platform::metrics::init();
    let mut hasher = Hasher::new(&settings.auth).map_err(anyhow::Error::msg)?;
    let stored = {
        let mut conn = db.conn().await?;
        crate::server::db::users::newest_password_hashes(&mut conn, 1000).await?
    };
    hasher.follow_stored(&stored).map_err(anyhow::Error::msg)?;
    let secret = SecretKey::load(
        settings.secret_key.as_ref().map(|k| &k.0),
        &settings.data_dir,
    )
    .map_err(anyhow::Error::msg)
    .context("the server's secret key (site.secret_key)")?;
    let passkeys = Passkeys::new(&settings);
    let leptos_options = leptos_options(&settings);
    Ok(AppState::new(Shared {
        settings: Arc::new(settings),
        db,
        hasher: Arc::new(hasher),
        secret: Arc::new(secret),
        passkeys: Arc::new(passkeys),
        clock,
        leptos_options,
        mail_notify: Arc::new(Notify::new()),
        mail_health: Arc::default(),
        mail_retry_base_secs: 5,
        mail_poll_ms: 1000,
        has_accounts: Arc::default(),
        signing_keys: Arc::default(),
        client_auth_failures: Arc::default(),
        pages: Arc::default(),
        shutting_down: Arc::default(),
    }))
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
        self.state
            .shutting_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.shutdown.send(true);
        let grace = std::time::Duration::from_secs(10);
        // Messages being sent finish within the SMTP timeout, counted from
        // now: they run while the server drains its connections.
        let mail_deadline = tokio::time::Instant::now()
            + self.state.settings.mail_timeout
            + std::time::Duration::from_secs(2);
        let server_abort = self.server.abort_handle();
        if tokio::time::timeout(grace, self.server).await.is_err() {
            tracing::warn!("open connections did not close in time; stopping anyway");
            server_abort.abort();
        }
        let worker_abort = self.worker.abort_handle();
        if tokio::time::timeout_at(mail_deadline, self.worker)
            .await
            .is_err()
        {
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
    let header_timeout = Duration::from_secs(state.settings.limits.header_read_timeout_secs.max(1));
    let server = tokio::spawn(serve_connections(listener, app, header_timeout, rx.clone()));
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
    // The OpenID Connect signing key is made on first start, before any
    // app can ask for it.
    crate::server::sign_in::oidc::keys::ensure(&state)
        .await
        .map_err(|e| anyhow::anyhow!("cannot make the signing key: {e}"))?;
    // Listened for before the port opens: a supervisor (or a test) that
    // stops the server as soon as it answers gets a graceful stop, not the
    // default action of a signal nobody handles yet.
    let stop = shutdown_signal().context("cannot listen for Ctrl-C and SIGTERM")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let running = start(state.clone(), listener).await?;
    crate::server::platform::memory::start_returning_freed_memory();
    tracing::info!(
        "Gatehouse is listening on http://{} (public URL {}, database {}, mail {})",
        running.addr,
        state.settings.public_url,
        state.settings.database_url.redacted(),
        Transport::from_settings(&state.settings)
            .map(|t| t.describe())
            .unwrap_or_default()
    );
    if !state.settings.cookie_secure() {
        tracing::warn!(
            "site.public_url ({}) is not https: session cookies are sent without `Secure` and passwords cross the network readable; use an https URL (behind a TLS proxy) anywhere but on this machine",
            state.settings.public_url
        );
    }
    // Locally (the file transport on this machine alone: a newcomer's
    // first run) the log carries the one-time link; any other site keeps
    // tokens out of its logs, and the operator asks the command line.
    let local = matches!(state.settings.mail, MailTransport::File { .. })
        && state.settings.addr.ip().is_loopback();
    if !local
        && crate::server::accounts::setup::is_open(&state)
            .await
            .unwrap_or(false)
    {
        tracing::info!(
            "No accounts yet: run `gatehouse setup-link` for a one-time link that creates the first site admin, or `gatehouse create-admin`"
        );
    } else if local {
        match crate::server::accounts::setup::issue_link(&state).await {
            Ok(Some(link)) => tracing::info!(
                "No accounts yet: open {link} to create the first site admin (valid for {} hours; `gatehouse setup-link` prints a fresh one), or run `gatehouse create-admin`",
                crate::server::accounts::setup::LINK_HOURS
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not issue a setup link"),
        }
    }
    stop.await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

/// Ctrl-C or SIGTERM, whichever comes first, from the moment this is
/// called (a signal that comes before the future is awaited still counts).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Accepts connections and serves each over HTTP/1.1 until `stop`, then
/// lets the requests under way finish. What axum's `serve` does, with a
/// timer: a client that has not sent a request's headers within
/// `header_timeout` (`limits.header_read_timeout_secs`; on a kept-alive
/// connection, counted from the last answer) is disconnected, so slow
/// senders cannot hold connections open.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let stopping = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stopping);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stopping => break,
        };
        // Without TCP_NODELAY a response whose headers and body go out as
        // two writes waits for the client's delayed ACK: 40 ms on every
        // static file (BENCHMARKS.md).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(axum::body::Body::new)
            },
        );
        let connection =
            http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
