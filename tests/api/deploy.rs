//! The shipped `deploy/nginx.conf`, run as it is by Debian's nginx on
//! loopback (only its addresses, certificate paths and upstream port
//! changed): plain http is sent to https, answers carry HSTS, Gatehouse
//! sees the real client address, not one a client forges, and nginx's
//! request id reaches Gatehouse's logs and answers.

use crate::{both_engines, helpers::*, nginx::Nginx, probe, proxy::port_of};
use reqwest::StatusCode;
use std::process::Command;

const SHIPPED: &str = include_str!("../../deploy/nginx.conf");

/// A self-signed certificate for accounts.example.com; `None` (the test
/// skips) without openssl, except under CI.
fn certificate(dir: &std::path::Path) -> Option<(String, String)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=accounts.example.com",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    match made {
        Ok(out) if out.status.success() => {
            Some((cert.display().to_string(), key.display().to_string()))
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("CI=true but openssl failed"),
        _ => {
            eprintln!("SKIPPED: no openssl");
            None
        }
    }
}

both_engines!(the_shipped_nginx_config_serves_gatehouse_over_tls_with_real_client_addresses);

async fn the_shipped_nginx_config_serves_gatehouse_over_tls_with_real_client_addresses(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |c| {
        c.site.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = certificate(dir.path()) else {
        return;
    };
    let http_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let upstream = port_of(&app.base);
    let make = |https_port: u16| {
        SHIPPED
            .replace("listen 80;", &format!("listen 127.0.0.1:{http_port};"))
            .replace("listen [::]:80;", "")
            .replace(
                "listen 443 ssl http2;",
                &format!("listen 127.0.0.1:{https_port} ssl http2;"),
            )
            .replace("listen [::]:443 ssl http2;", "")
            .replace(
                "/etc/letsencrypt/live/accounts.example.com/fullchain.pem",
                &cert,
            )
            .replace(
                "/etc/letsencrypt/live/accounts.example.com/privkey.pem",
                &key,
            )
            .replace("127.0.0.1:3000", &format!("127.0.0.1:{upstream}"))
    };
    assert!(
        make(1).contains(&format!("127.0.0.1:{upstream}")),
        "the shipped file names 127.0.0.1:3000"
    );
    let Some(nginx) = Nginx::start_servers(&make).await else {
        return;
    };
    let https = nginx.base.replace("http://", "https://");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let res = client
        .get(format!("http://127.0.0.1:{http_port}/login"))
        .header("host", "accounts.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&res), "https://accounts.example.com/login");

    let res = client.get(format!("{https}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", nginx.error_log());
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32, "nginx's $request_id came through: {id}");

    // A login with a forged X-Forwarded-For: the audit log has the real
    // address (nginx replaces the header).
    let res = app
        .browser_using(client)
        .through(&https)
        .with_header("x-forwarded-for", "203.0.113.9")
        .log_in("nobody@example.test", "not the password at all")
        .await;
    assert_status(&res, StatusCode::UNAUTHORIZED);
    let failed = probe::audit(&app, Some("login_failed")).await;
    assert_eq!(failed[0].ip.as_deref(), Some("127.0.0.1"));
}
