//! What an operator relies on: readiness, and a consistent backup of a live
//! SQLite database that a new server starts from.

use crate::{both_engines, helpers::*, probe};
use reqwest::StatusCode;
use std::sync::atomic::Ordering;

both_engines!(
    metrics_are_served_to_allowed_addresses_only,
    readyz_answers_only_when_the_schema_is_current_and_not_while_stopping,
    a_backup_taken_under_load_restores_to_a_site_people_log_in_to,
);

async fn readyz_answers_only_when_the_schema_is_current_and_not_while_stopping(engine: Engine) {
    let app = spawn_app(engine).await;
    let status = |path: &'static str| {
        let url = app.url(path);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(status("/readyz").await, StatusCode::OK);
    app.state.shutting_down.store(true, Ordering::SeqCst);
    assert_eq!(
        status("/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "stopping"
    );
    app.state.shutting_down.store(false, Ordering::SeqCst);
    assert_eq!(status("/readyz").await, StatusCode::OK);
    // A migration this build knows but the database lacks.
    probe::forget_newest_migration(&app).await;
    assert_eq!(status("/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        status("/healthz").await,
        StatusCode::OK,
        "alive all the same"
    );
}

async fn a_backup_taken_under_load_restores_to_a_site_people_log_in_to(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backup.db");
    let url = app.state.settings.database_url.as_str().to_owned();
    // Logins and reset requests keep writing while the copy is made.
    let load = {
        let browser = app.browser();
        tokio::spawn(async move {
            for i in 0..40 {
                let email = format!("nobody{i}@example.test");
                browser.log_in(USER_EMAIL, USER_PASSWORD).await;
                browser.request_password_reset(&email).await;
            }
        })
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir.path())
        .args(["backup", "--to", copy.to_str().unwrap()])
        .env("GATEHOUSE_DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    load.await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if engine == Engine::Postgres {
        assert!(!out.status.success());
        assert!(stderr.contains("pg_dump"), "{stderr}");
        return;
    }
    assert!(out.status.success(), "backup: {stderr}");
    // The old server goes; a new one starts on the copy.
    drop(app);

    let again = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir.path())
        .args(["backup", "--to", copy.to_str().unwrap()])
        .env("GATEHOUSE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let restored = format!("sqlite://{}", copy.display());
    let app = spawn_app_with(engine, |c| c.database.url = Some(restored.parse().unwrap())).await;
    let res = app.without_js().log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_redirects_to(&res, "/account");
}

/// `gatehouse serve` as its own process, on a fresh SQLite database with
/// Jane as a user, mail over SMTP to `sink`, and `extra` settings; its log
/// goes to a file.
struct Served {
    dir: tempfile::TempDir,
    base: String,
    child: std::process::Child,
    log_path: std::path::PathBuf,
}

impl Served {
    async fn start(sink: &crate::smtp_sink::SmtpSink, extra: &[(&str, &str)]) -> Served {
        Self::start_with(sink, extra, true).await
    }

    /// Starts the process without waiting for it to answer.
    fn spawn(sink: &crate::smtp_sink::SmtpSink, extra: &[(&str, &str)], with_jane: bool) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let db = format!("sqlite://{}/gh.db?mode=rwc", dir.path().display());
        let command = |args: &[&str]| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
            for (key, _) in std::env::vars() {
                if key.starts_with("GATEHOUSE_") || key.starts_with("LEPTOS_") {
                    command.env_remove(key);
                }
            }
            command
                .current_dir(dir.path())
                .args(args)
                .env("GATEHOUSE_DATABASE_URL", &db)
                .env("GATEHOUSE_SMTP_URL", sink.url())
                .env("GATEHOUSE_PUBLIC_URL", &base)
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
                // `{port}` in a value is the port chosen here.
                .envs(
                    extra
                        .iter()
                        .map(|(k, v)| (*k, v.replace("{port}", &port.to_string()))),
                );
            command
        };
        if with_jane {
            let mut create = command(&[
                "create-admin",
                "--email",
                USER_EMAIL,
                "--name",
                "Jane Doe",
                "--role",
                "user",
                "--password-stdin",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
            use std::io::Write;
            writeln!(create.stdin.take().unwrap(), "{USER_PASSWORD}").unwrap();
            assert!(create.wait().unwrap().success());
        }
        let log_path =
            crate::log_audit::file_for("served").unwrap_or_else(|| dir.path().join("server.log"));
        let child = command(&["serve"])
            .stderr(std::fs::File::create(&log_path).unwrap())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Served {
            dir,
            base,
            child,
            log_path,
        }
    }

    async fn start_with(
        sink: &crate::smtp_sink::SmtpSink,
        extra: &[(&str, &str)],
        with_jane: bool,
    ) -> Served {
        let served = Self::spawn(sink, extra, with_jane);
        for _ in 0..100 {
            if reqwest::get(format!("{}/healthz", served.base))
                .await
                .is_ok()
            {
                return served;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the server did not start:\n{}", served.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (it must come within 25 s).
    async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running 25 s after SIGTERM"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.dir;
    }
}

/// SIGTERM while logins are in flight: each of them is answered in full,
/// and the server then exits on its own, with success.
#[test]
fn sigterm_answers_the_requests_in_flight_then_exits() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        // One hashing slot and production parameters: a row of logins
        // waits in line, so several are in flight when SIGTERM comes.
        let mut served = Served::start(
            &sink,
            &[
                ("GATEHOUSE_AUTH__HASH_CONCURRENCY", "1"),
                ("RUST_LOG", "warn"),
            ],
        )
        .await;
        let browser = Browser::new(reqwest::Client::new(), &served.base);
        let logins: Vec<_> = (0..6)
            .map(|_| {
                let browser = browser.clone();
                tokio::spawn(
                    async move { browser.log_in(USER_EMAIL, USER_PASSWORD).await.status() },
                )
            })
            .collect();
        // Once the first is answered, the rest are queued or hashing.
        let mut logins = logins.into_iter();
        assert_eq!(logins.next().unwrap().await.unwrap(), StatusCode::OK);
        let status = served.terminate().await;
        for login in logins {
            assert_eq!(
                login.await.unwrap(),
                StatusCode::OK,
                "a login in flight was cut off"
            );
        }
        assert!(
            status.success(),
            "exit status after SIGTERM: {status}\n{}",
            served.log()
        );
    });
}

/// `gatehouse serve` with `log.format = "json"` and mail over SMTP: every
/// line is a JSON object, a request's lines carry its id (echoed in the
/// answer) with its route, status and client address, and no password,
/// reset token or session id appears anywhere in the log. SIGTERM then
/// stops it within the grace period.
#[test]
fn json_logs_carry_the_request_id_and_never_a_secret() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let mut served = Served::start(
            &sink,
            &[
                ("GATEHOUSE_LOG__FORMAT", "json"),
                ("RUST_LOG", "info,gatehouse=debug"),
            ],
        )
        .await;
        let base = served.base.clone();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client
            .get(format!("{base}/healthz"))
            .header("x-request-id", "probe-42")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-request-id"], "probe-42");
        let res = client.get(format!("{base}/readyz")).send().await.unwrap();
        let made_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(made_id.len(), 16, "a fresh id when none came in");

        let browser = Browser::new(client, &base);
        let res = browser.log_in(USER_EMAIL, USER_PASSWORD).await;
        assert_status(&res, StatusCode::OK);
        let session = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("gatehouse_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        browser.request_password_reset(USER_EMAIL).await;
        let mail = sink.wait_for(USER_EMAIL, 1).await;
        let link = mail.last().unwrap().link().expect("a reset link");
        let token = TestApp::token_of(&link);

        // SIGTERM: the server finishes and exits in good time.
        let status = served.terminate().await;
        assert!(status.success(), "exit status after SIGTERM: {status}");

        let log = served.log();
        let lines: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        assert!(lines
            .iter()
            .all(|l| l["timestamp"].is_string() && l["level"].is_string()));
        let probe = lines
            .iter()
            .find(|l| l["span"]["request_id"] == "probe-42" && l["message"] == "answered")
            .unwrap_or_else(|| panic!("no line of the probe request:\n{log}"));
        assert_eq!(probe["span"]["route"], "/healthz");
        assert_eq!(probe["span"]["status"], 200);
        assert_eq!(probe["span"]["client"], "127.0.0.1");
        assert!(lines
            .iter()
            .any(|l| l["span"]["request_id"] == made_id.as_str()));
        for (what, secret) in [
            ("password", USER_PASSWORD),
            ("reset token", token.as_str()),
            ("session id", session.as_str()),
        ] {
            assert!(!log.contains(secret), "the log holds the {what}:\n{log}");
        }
        assert!(
            log.contains("mail sent"),
            "the mail worker logs what it sent"
        );
    });
}

/// `/metrics`: Prometheus text with requests by route and status, login
/// outcomes, hashing, mail, outbox, sessions and the database pool, for
/// the allowed addresses only (loopback by default).
async fn metrics_are_served_to_allowed_addresses_only(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    assert_status(&app.log_in(USER_EMAIL, USER_PASSWORD).await, StatusCode::OK);
    assert_eq!(
        app.log_in(USER_EMAIL, "not the password at all")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.request_password_reset(USER_EMAIL).await;
    app.sink.wait_for(USER_EMAIL, 1).await;

    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    for wanted in [
        "gatehouse_logins_total{outcome=\"ok\"}",
        "gatehouse_logins_total{outcome=\"failed\"}",
        "gatehouse_http_requests_total{route=\"/api/login\",method=\"POST\",status=\"200\"}",
        "gatehouse_http_request_duration_seconds_bucket{route=\"/api/login\"",
        "gatehouse_password_hash_wait_seconds_count",
        "gatehouse_mail_total{kind=\"reset\",outcome=\"sent\"}",
        "gatehouse_outbox_queued",
        "gatehouse_mail_server_down",
        "gatehouse_outbox_oldest_queued_age_seconds",
        "gatehouse_sessions_active",
        "gatehouse_db_pool_connections",
    ] {
        assert!(text.contains(wanted), "no {wanted} in:\n{text}");
    }
    let active: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("gatehouse_sessions_active "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(active >= 1.0, "Jane's session counts");

    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let res = elsewhere.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "other addresses see nothing"
    );
}

/// A site that sends real mail keeps tokens out of its logs, the first
/// start's setup link too: the log says to ask `gatehouse setup-link`.
#[test]
fn with_smtp_the_first_start_logs_no_setup_link() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let mut served = Served::start_with(&sink, &[("RUST_LOG", "info")], false).await;
        assert!(served.terminate().await.success());
        let log = served.log();
        assert!(log.contains("run `gatehouse setup-link`"), "{log}");
        assert!(!log.contains("setup?token="), "{log}");
    });
}

/// A supervisor may stop the server the moment its port opens: SIGTERM
/// is handled from before then, so that stop is graceful too (it used to
/// kill a server still logging its start, 4 times in 10 by hand).
#[test]
fn sigterm_as_soon_as_the_port_opens_is_a_graceful_stop() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        for _ in 0..5 {
            let mut served = Served::spawn(&sink, &[("RUST_LOG", "info")], false);
            let addr = served.base.trim_start_matches("http://").to_owned();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while tokio::net::TcpStream::connect(&addr).await.is_err() {
                assert!(std::time::Instant::now() < deadline, "{}", served.log());
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            let status = served.terminate().await;
            let log = served.log();
            assert!(status.success(), "{status}: {log}");
            assert!(log.contains("shutting down"), "{log}");
        }
    });
}

/// glibc keeps memory that many threads freed at once resident until asked
/// to give it back: a thread of the running server asks every two seconds
/// (`server::platform::memory`; what it gives back is measured in BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_running_server_has_a_thread_returning_freed_memory() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let mut served = Served::start(&sink, &[]).await;
        let tasks = format!("/proc/{}/task", served.child.id());
        let has_the_thread = || async {
            std::fs::read_dir(&tasks)
                .unwrap()
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .any(|name| name.trim() == "malloc-trim")
        };
        eventually("a thread named malloc-trim", has_the_thread).await;
        assert!(served.terminate().await.success());
    });
}

/// Start-up says when the public URL is not https, and the first request
/// that a local proxy forwards while no proxy is trusted says so too
/// (once): every visitor would share the proxy's login allowance.
#[test]
fn start_up_warns_of_plain_http_and_of_a_forgotten_trusted_proxy() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let served = Served::start_with(&sink, &[("RUST_LOG", "warn")], false).await;
        let client = reqwest::Client::new();
        let plain = served.log();
        assert!(plain.contains("is not https"), "{plain}");
        assert!(!plain.contains("forwarding headers"), "{plain}");
        for _ in 0..2 {
            let res = client
                .get(format!("{}/login", served.base))
                .header("X-Forwarded-For", "203.0.113.9")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let log = served.log();
        assert_eq!(
            log.matches("carry forwarding headers, but site.trusted_proxies is empty")
                .count(),
            1,
            "{log}"
        );
    });
}

/// The `file` transport logs links for someone trying Gatehouse out on
/// their own machine; a server that listens for others does not, nor does
/// any server log a mail's recipient at INFO.
#[test]
fn a_server_others_reach_logs_no_link_and_no_recipient() {
    runtime().block_on(async {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let mut served = Served::start_with(
            &sink,
            &[
                ("RUST_LOG", "info"),
                ("GATEHOUSE_SMTP_URL", ""),
                ("LEPTOS_SITE_ADDR", "0.0.0.0:{port}"),
            ],
            true,
        )
        .await;
        let browser = Browser::new(reqwest::Client::new(), &served.base);
        assert_status(
            &browser.request_password_reset(USER_EMAIL).await,
            StatusCode::OK,
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !served.log().contains("mail sent") {
            assert!(std::time::Instant::now() < deadline, "{}", served.log());
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(served.terminate().await.success());
        let log = served.log();
        assert!(!log.contains("/reset-password/"), "{log}");
        assert!(!log.contains("setup?token="), "{log}");
        assert!(
            !log.to_lowercase().contains(&USER_EMAIL.to_lowercase()),
            "{log}"
        );
    });
}
