//! The client address behind a proxy: a real nginx on loopback in front of
//! the app, set up as the README documents, with clients on distinct
//! loopback addresses (all of 127.0.0.0/8 is loopback on Linux).

use crate::{both_engines, helpers::*, nginx::Nginx, probe};
use reqwest::{redirect::Policy, Response, StatusCode};
use std::{collections::BTreeMap, net::IpAddr, time::Duration};

const CLIENT_A: &str = "127.0.0.2";
const CLIENT_B: &str = "127.0.0.3";
const WRONG: &str = "not the password at all";

/// A browser on its own loopback address.
fn browser_from(app: &TestApp, addr: &str) -> Browser {
    let client = crate::log_audit::client_builder()
        .local_address(addr.parse::<IpAddr>().unwrap())
        .redirect(Policy::none())
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap();
    app.browser_using(client)
}

/// A wrong login posted to `base` (the app or the proxy), with the `Origin`
/// of the app's public URL, as a browser on the proxied site sends it, and
/// maybe a forged `X-Forwarded-For`.
async fn log_in_via(
    browser: &Browser,
    base: &str,
    email: &str,
    forged_for: Option<&str>,
) -> Response {
    let mut browser = browser.through(base);
    if let Some(forged) = forged_for {
        browser = browser.with_header("x-forwarded-for", forged);
    }
    browser.log_in(email, WRONG).await
}

/// Three wrong logins answered 401, then 429, for different emails so that
/// only the per-address throttle can be what stops them.
async fn fails_three_times_then_is_throttled(
    browser: &Browser,
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
        let res = log_in_via(browser, base, &email, forge.then_some(forged.as_str())).await;
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
    let mut groups: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for entry in probe::audit(app, None).await {
        if let Some(ip) = entry.ip {
            let (rows, total) = groups.entry((entry.event, ip)).or_default();
            *rows += 1;
            *total += entry.count;
        }
    }
    groups
        .into_iter()
        .map(|((event, ip), (rows, total))| (event, ip, rows, total))
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
    let nginx = Nginx::start(&locations).await?;
    app.create_jane().await;
    Some((app, nginx))
}

pub fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

async fn clients_behind_a_proxy_are_throttled_apart(engine: Engine) {
    let Some((app, nginx)) = spawn_behind_proxy(engine).await else {
        return;
    };

    let a = browser_from(&app, CLIENT_A);
    fails_three_times_then_is_throttled(&a, &nginx.base, "a", false).await;

    // B comes through the same nginx, so over the same TCP peer, but is
    // another client: A's throttle is not B's.
    let b = browser_from(&app, CLIENT_B);
    let res = log_in_via(&b, &nginx.base, USER_EMAIL, None).await;
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
}

async fn forged_forwarding_headers_gain_nothing(engine: Engine) {
    let Some((app, nginx)) = spawn_behind_proxy(engine).await else {
        return;
    };

    // (a) Straight to the app: 127.0.0.2 is no trusted proxy, so its
    // X-Forwarded-For, different each time, is not believed.
    let a = browser_from(&app, CLIENT_A);
    fails_three_times_then_is_throttled(&a, &app.base, "a", true).await;

    // (b) Through nginx, which appends the real address on the right: the
    // walk from the right stops there, at the first untrusted hop.
    let b = browser_from(&app, CLIENT_B);
    fails_three_times_then_is_throttled(&b, &nginx.base, "b", true).await;

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
}

both_engines!(
    clients_behind_a_proxy_are_throttled_apart,
    forged_forwarding_headers_gain_nothing,
);
