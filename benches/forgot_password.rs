//! Median response time of `/api/request_password_reset` for a known and an
//! unknown address, side by side. They must be indistinguishable.
//!
//! cargo bench --bench forgot_password

use gatehouse::{
    domain::password::Secret,
    server::{
        accounts::new_account::{create_account, InitialPassword, NewAccount},
        http,
        http::request::RequestMeta,
        platform::clock::SystemClock,
        platform::config::{Config, Settings},
    },
};
use std::{sync::Arc, time::Instant};

const ROUNDS: usize = 400;

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pick = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (pick(0.5), pick(0.25), pick(0.95))
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::default();
    config.site.public_url = Some(format!("http://{addr}").parse().unwrap());
    config.site.addr = addr;
    config.site.data_dir = dir.path().to_owned();
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    config.database.url = Some(database_url.parse().unwrap());
    // Throttling is not what is measured here.
    config.limits.reset_per_ip_per_hour = 1_000_000;
    config.limits.reset_per_ip_burst = 100_000;
    config.limits.reset_per_account_per_hour = 1_000_000;
    config.limits.reset_per_account_burst = 100_000;
    let settings = Settings::from_config(config).unwrap();
    let state = http::build_state(settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let password = InitialPassword::Typed {
        password: Secret::new("bench passphrase 2026"),
        confirm: Secret::new("bench passphrase 2026"),
    };
    let account = NewAccount::parse(
        &state.settings,
        "known@example.test",
        "Known",
        "user",
        password,
    )
    .unwrap();
    create_account(&state, None, account, &RequestMeta::default())
        .await
        .unwrap();
    let running = http::start(state, listener).await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/request_password_reset");

    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS * 2 {
        // Interleave so drift affects both sides alike.
        let (email, bucket) = if i % 2 == 0 {
            ("Known@Example.test", &mut known)
        } else {
            ("unknown@example.test", &mut unknown)
        };
        let start = Instant::now();
        let res = client
            .post(&url)
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let _ = res.bytes().await.unwrap();
        if i >= 20 {
            bucket.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (km, kq1, kp95) = stats(known);
    let (um, uq1, up95) = stats(unknown);
    println!("forgotten-password response time, {ROUNDS} requests each (ms)");
    println!("| address | median | p25 | p95 |");
    println!("|---|---|---|---|");
    println!("| known   | {km:.3} | {kq1:.3} | {kp95:.3} |");
    println!("| unknown | {um:.3} | {uq1:.3} | {up95:.3} |");
    println!("difference of medians: {:.3} ms", (km - um).abs());
    running.stop().await;
}
