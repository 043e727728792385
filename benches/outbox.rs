//! The outbox against a local SMTP sink (the tests' sink, on loopback):
//!
//! 1. throughput: queued messages delivered per second, for several values
//!    of `mail.concurrency` (by default 1,000 messages one at a time, as the
//!    outbox sent before, then 10,000 at 4, the shipped value, and at 16);
//! 2. recovery: 1,000 messages queued while the sink refuses connections
//!    for five minutes; the time from the sink's return to the last
//!    message delivered.
//!
//! Both check that each message arrived exactly once.
//!
//! cargo bench --bench outbox
//!   BENCH_DATABASE_URL=postgres://…/empty_db   PostgreSQL instead of SQLite
//!   BENCH_RUNS=1:1000,4:10000,16:10000   concurrency:messages for each run
//!   BENCH_OUTAGE_MESSAGES=1000  BENCH_OUTAGE_SECS=300
//!   BENCH_SKIP_OUTAGE=1   throughput only

#[allow(dead_code)]
#[path = "../tests/api/smtp_sink.rs"]
mod smtp_sink;

use gatehouse::server::{
    http,
    mail::{outbox, templates, transport::Transport},
    platform::clock::SystemClock,
    platform::config::{Config, Settings, TransportKind},
    AppState,
};
use smtp_sink::SmtpSink;
use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fresh server state (database migrated) that sends to `sink`.
async fn state(database_url: &str, sink: &SmtpSink, concurrency: u32) -> AppState {
    let mut config = Config::default();
    let dir = std::env::temp_dir();
    config.site.data_dir = dir;
    config.database.url = Some(database_url.parse().unwrap());
    config.mail.transport = TransportKind::Smtp;
    config.mail.smtp_url = Some(sink.url().parse().unwrap());
    config.mail.concurrency = concurrency;
    let settings = Settings::from_config(config).unwrap();
    http::build_state(settings, Arc::new(SystemClock))
        .await
        .unwrap()
}

async fn empty_outbox(state: &AppState) {
    sqlx::query("DELETE FROM outbox")
        .execute(&state.db.pool)
        .await
        .unwrap();
}

/// Queues `n` messages, each to its own address, in one transaction.
async fn queue(state: &AppState, tag: &str, n: u64) {
    let now = state.clock.now();
    let mut tx = state.db.begin().await.unwrap();
    let mail = templates::Mails(gatehouse::i18n::Lang::EN).test("Bench");
    for i in 0..n {
        outbox::enqueue(&mut tx, &format!("{tag}{i}@bench.test"), &mail, now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

fn start_worker(state: &AppState) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let transport = Transport::from_settings(&state.settings).unwrap();
    let (stop, rx) = watch::channel(false);
    let worker = tokio::spawn(outbox::run_worker(state.clone(), transport, rx));
    state.mail_notify.notify_one();
    (stop, worker)
}

async fn stop_worker(stop: watch::Sender<bool>, worker: tokio::task::JoinHandle<()>) {
    let _ = stop.send(true);
    worker.await.unwrap();
}

/// Waits until the sink holds `n` messages; then checks each of the
/// queue's addresses got exactly one and the outbox holds none unsent.
async fn all_delivered(state: &AppState, sink: &SmtpSink, tag: &str, n: u64) -> Instant {
    while (sink.count() as u64) < n {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let done = Instant::now();
    // Anything sent twice would arrive now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.mails();
    let ours: Vec<&String> = mails
        .iter()
        .flat_map(|m| m.to.iter())
        .filter(|to| to.starts_with(tag))
        .collect();
    let distinct: HashSet<&&String> = ours.iter().collect();
    assert_eq!(ours.len() as u64, n, "each message exactly once");
    assert_eq!(distinct.len() as u64, n, "each message exactly once");
    let (unsent,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&state.db.pool)
        .await
        .unwrap();
    assert_eq!(unsent, 0);
    done
}

async fn throughput(database_url: &str, concurrency: u32, n: u64) {
    let sink = SmtpSink::start().await;
    let state = state(database_url, &sink, concurrency).await;
    empty_outbox(&state).await;
    let tag = format!("c{concurrency}-");
    queue(&state, &tag, n).await;
    let started = Instant::now();
    let (stop, worker) = start_worker(&state);
    let done = all_delivered(&state, &sink, &tag, n).await;
    stop_worker(stop, worker).await;
    let secs = (done - started).as_secs_f64();
    println!(
        "| throughput | {concurrency} | {n} | {secs:.2} s | {:.0} msg/s | {} |",
        n as f64 / secs,
        sink.connections()
    );
}

async fn recovery(database_url: &str, n: u64, outage: Duration) {
    let mut sink = SmtpSink::start().await;
    let state = state(database_url, &sink, Config::default().mail.concurrency).await;
    empty_outbox(&state).await;
    sink.stop();
    queue(&state, "outage-", n).await;
    let (stop, worker) = start_worker(&state);
    tokio::time::sleep(outage).await;
    let (attempts,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(attempts), 0) FROM outbox")
        .fetch_one(&state.db.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "an outage spends no message's attempts");
    assert!(state.mail_health.is_down());
    sink.resume().await;
    let back = Instant::now();
    let done = all_delivered(&state, &sink, "outage-", n).await;
    stop_worker(stop, worker).await;
    println!(
        "| recovery after {} s refused | {} | {n} | {:.2} s from the server's return to the last delivered | | {} |",
        outage.as_secs(),
        state.settings.mail_concurrency,
        (done - back).as_secs_f64(),
        sink.connections()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
    };
    let engine = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let runs = std::env::var("BENCH_RUNS").unwrap_or_else(|_| "1:1000,4:10000,16:10000".into());
    println!("outbox on {engine}");
    println!("| run | concurrency | messages | time | rate | SMTP connections |");
    println!("|---|---|---|---|---|---|");
    for run in runs.split(',') {
        let (concurrency, n) = run
            .split_once(':')
            .and_then(|(c, n)| Some((c.trim().parse().ok()?, n.trim().parse().ok()?)))
            .expect("BENCH_RUNS: concurrency:messages,…");
        throughput(&database_url, concurrency, n).await;
    }
    if std::env::var_os("BENCH_SKIP_OUTAGE").is_none() {
        recovery(
            &database_url,
            env_or("BENCH_OUTAGE_MESSAGES", 1_000),
            Duration::from_secs(env_or("BENCH_OUTAGE_SECS", 300)),
        )
        .await;
    }
}
