//! The client address behind a proxy: a real nginx on loopback in front of
//! the app, set up as the README documents, with clients on distinct
//! loopback addresses (all of 127.0.0.0/8 is loopback on Linux).

use crate::{both_engines, helpers::*, nginx::Nginx};
use reqwest::{header, redirect::Policy, Client, Response, StatusCode};
use std::{net::IpAddr, time::Duration};

const CLIENT_A: &str = "127.0.0.2";
const CLIENT_B: &str = "127.0.0.3";
const WRONG: &str = "not the password at all";

/// A browser on its own loopback address.
fn client_from(addr: &str) -> Client {
    crate::log_audit::client_builder()
        .local_address(addr.parse::<IpAddr>().unwrap())
        .redirect(Policy::none())
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap()
}

/// A login posted to `base` (the app or the proxy), with the `Origin` of the
/// app's public URL, as a browser on the proxied site sends it, and maybe a
/// forged `X-Forwarded-For`.
async fn log_in_via(
    client: &Client,
    app: &TestApp,
    base: &str,
    email: &str,
    forged_for: Option<&str>,
) -> Response {
    let mut req = client
        .post(format!("{base}/api/login"))
        .header(header::ORIGIN, &app.base)
        .form(&[("email", email), ("password", WRONG)]);
    if let Some(forged) = forged_for {
        req = req.header("x-forwarded-for", forged);
    }
    req.send().await.unwrap()
}

/// Three wrong logins answered 401, then 429, for different emails so that
/// only the per-address throttle can be what stops them.
async fn fails_three_times_then_is_throttled(
    client: &Client,
    app: &TestApp,
    base: &str,
    who: &str,
    forge: bool,
) {
    for n in 1..=4 {
        let email = if n == 1 {
            USER_EMAIL.to_owned()
        } else {
            format!("{who}-{n}@acme.test")
        };
        let forged = format!("198.51.100.{n}");
        let res = log_in_via(client, app, base, &email, forge.then_some(forged.as_str())).await;
        let expected = if n <= 3 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(res.status(), expected, "{who}'s wrong login #{n}");
    }
}

/// (event, ip, rows, summed count) of every audit entry that has an address.
async fn audit_by_ip(app: &TestApp) -> Vec<(String, String, i64, i64)> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT event, ip, COUNT(*) AS n, CAST(SUM(count) AS BIGINT) AS total FROM audit_log \
         WHERE ip IS NOT NULL GROUP BY event, ip ORDER BY event, ip",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("event").unwrap(),
                r.try_get("ip").unwrap(),
                r.try_get("n").unwrap(),
                r.try_get("total").unwrap(),
            )
        })
        .collect()
}

fn row(event: &str, ip: &str, rows: i64, total: i64) -> (String, String, i64, i64) {
    (event.to_owned(), ip.to_owned(), rows, total)
}

/// The app, trusting 127.0.0.1, with nginx in front and a user to guess
/// at; `None` where nginx is not installed (outside CI).
async fn spawn_behind_proxy(engine: Engine) -> Option<(TestApp, Nginx)> {
    let app = spawn_app_with(engine, |c| {
        c.site.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.limits.login_per_ip_burst = 3;
        c.limits.login_per_ip_per_hour = 60;
        c.limits.login_per_account_burst = 1000;
        c.limits.login_per_account_per_hour = 1000;
    })
    .await;
    let upstream = port_of(&app.base);
    let locations = format!(
        "location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}"
    );
    let Some(nginx) = Nginx::start(&locations).await else {
        app.stop().await;
        return None;
    };
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    Some((app, nginx))
}

pub fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

async fn clients_behind_a_proxy_are_throttled_apart(engine: Engine) {
    let Some((app, nginx)) = spawn_behind_proxy(engine).await else {
        return;
    };

    let a = client_from(CLIENT_A);
    fails_three_times_then_is_throttled(&a, &app, &nginx.base, "a", false).await;

    // B comes through the same nginx, so over the same TCP peer, but is
    // another client: A's throttle is not B's.
    let b = client_from(CLIENT_B);
    let res = log_in_via(&b, &app, &nginx.base, USER_EMAIL, None).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "B is not throttled for A's failures"
    );

    assert_eq!(
        audit_by_ip(&app).await,
        vec![
            row("login_failed", CLIENT_A, 3, 3),
            row("login_failed", CLIENT_B, 1, 1),
            row("login_throttled", CLIENT_A, 1, 1),
        ],
        "the audit log names the clients, never the proxy (127.0.0.1)"
    );
    drop(nginx);
    app.stop().await;
}

async fn forged_forwarding_headers_gain_nothing(engine: Engine) {
    let Some((app, nginx)) = spawn_behind_proxy(engine).await else {
        return;
    };

    // (a) Straight to the app: 127.0.0.2 is no trusted proxy, so its
    // X-Forwarded-For, different each time, is not believed.
    let a = client_from(CLIENT_A);
    fails_three_times_then_is_throttled(&a, &app, &app.base, "a", true).await;

    // (b) Through nginx, which appends the real address on the right: the
    // walk from the right stops there, at the first untrusted hop.
    let b = client_from(CLIENT_B);
    fails_three_times_then_is_throttled(&b, &app, &nginx.base, "b", true).await;

    assert_eq!(
        audit_by_ip(&app).await,
        vec![
            row("login_failed", CLIENT_A, 3, 3),
            row("login_failed", CLIENT_B, 3, 3),
            row("login_throttled", CLIENT_A, 1, 1),
            row("login_throttled", CLIENT_B, 1, 1),
        ],
        "no forged 198.51.100.x address and not the proxy's in the audit log"
    );
    drop(nginx);
    app.stop().await;
}

both_engines!(
    clients_behind_a_proxy_are_throttled_apart,
    forged_forwarding_headers_gain_nothing,
);
