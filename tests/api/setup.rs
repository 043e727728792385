//! First start: the setup link, and exactly one first site admin.

use crate::{both_engines, helpers::*, probe};
use reqwest::StatusCode;

/// A fresh setup link, as the server log and `gatehouse setup-link` show it.
async fn setup_link(app: &TestApp) -> String {
    let link = gatehouse::server::accounts::setup::issue_link(&app.state)
        .await
        .expect("a setup link")
        .expect("setup is open");
    crate::log_audit::note(&token_of(&link));
    link
}

fn token_of(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    assert_eq!(url.path(), "/setup", "{link}");
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a token in the link")
}

/// The site admin, created with the setup link's `token`.
fn first_admin<'a>(token: &'a str, email: &'a str) -> FirstAdmin<'a> {
    FirstAdmin {
        token,
        email,
        name: "Site Admin",
        password: ADMIN_PASSWORD,
        confirm: ADMIN_PASSWORD,
    }
}

async fn an_empty_site_asks_for_the_setup_link_then_closes(engine: Engine) {
    let app = spawn_app(engine).await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(
        login.contains("gatehouse setup-link"),
        "the login page tells the operator where the setup link is"
    );
    assert!(
        !login.contains("href=\"/setup"),
        "no link that anybody could use"
    );
    let page = app.get("/setup").await.text().await.unwrap();
    assert!(page.contains("gatehouse setup-link") && !page.contains("name=\"email\""));
    let page = app.get("/setup?token=bogus").await.text().await.unwrap();
    assert!(page.contains("expired or was already used") && !page.contains("name=\"email\""));

    let link = setup_link(&app).await;
    assert!(
        link.starts_with(&format!("{}/setup?token=", app.base)),
        "{link}"
    );
    let token = token_of(&link);
    let page = app.page(&link).await;
    assert!(page.contains("Create the first site admin") && page.contains(&token));

    let res = app
        .without_js()
        .set_up(&first_admin(&token, ADMIN_EMAIL))
        .await;
    assert_redirects_to(&res, "/login?setup=done");

    // Setup is over, with a new link as with the used one.
    assert!(gatehouse::server::accounts::setup::issue_link(&app.state)
        .await
        .unwrap()
        .is_none());
    let again = app.set_up(&first_admin(&token, "other@acme.test")).await;
    assert_status(&again, StatusCode::CONFLICT);
    let page = app
        .get(&format!("/setup?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Setup is complete"));
    assert!(!app
        .get("/login")
        .await
        .text()
        .await
        .unwrap()
        .contains("gatehouse setup-link"));

    let login = app.log_in("admin@acme.test", ADMIN_PASSWORD).await;
    assert_status(&login, StatusCode::OK);
    assert_eq!(probe::user_count(&app).await, 1);
}

async fn setup_without_a_valid_link_is_refused_before_any_hashing(engine: Engine) {
    let app = spawn_app(engine).await;
    let runs = app.state.hasher.runs();
    for token in ["", "not-a-token"] {
        let res = app.set_up(&first_admin(token, ADMIN_EMAIL)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "token {token:?}");
        assert!(res.text().await.unwrap().contains("setup_link_invalid"));
    }
    assert_eq!(app.state.hasher.runs(), runs, "nothing was hashed");
    assert_eq!(probe::user_count(&app).await, 0);

    // Once an account exists, a link issued before is no use either, and
    // the password is not hashed to find that out.
    let early = token_of(&setup_link(&app).await);
    app.create_admin().await;
    let runs = app.state.hasher.runs();
    let res = app.set_up(&first_admin(&early, "late@acme.test")).await;
    assert_status(&res, StatusCode::CONFLICT);
    assert_eq!(app.state.hasher.runs(), runs, "nothing was hashed");
    assert_eq!(probe::user_count(&app).await, 1);
}

async fn setup_is_throttled_per_address(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.login_per_ip_burst = 3;
        c.limits.login_per_ip_per_hour = 30;
    })
    .await;
    for _ in 0..3 {
        let res = app.set_up(&first_admin("guess", ADMIN_EMAIL)).await;
        assert_status(&res, StatusCode::FORBIDDEN);
    }
    let res = app.set_up(&first_admin("guess", ADMIN_EMAIL)).await;
    assert_status(&res, StatusCode::TOO_MANY_REQUESTS);
}

async fn concurrent_setups_make_exactly_one_admin(engine: Engine) {
    let app = spawn_app(engine).await;
    // Several valid links (the operator ran `setup-link` more than once,
    // or several instances started), all used at the same moment.
    let mut tokens = Vec::new();
    for _ in 0..6 {
        tokens.push(token_of(&setup_link(&app).await));
    }
    tokens.push(tokens[0].clone());
    let attempts = tokens.iter().enumerate().map(|(i, token)| {
        let browser = app.browser();
        let token = token.clone();
        async move {
            let email = format!("admin{i}@acme.test");
            browser.set_up(&first_admin(&token, &email)).await.status()
        }
    });
    let statuses = futures_join_all(attempts).await;
    let created = statuses.iter().filter(|s| s.is_success()).count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::CONFLICT || *s == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
    assert_eq!(probe::user_count(&app).await, 1);
}

/// Runs the futures at once on the test runtime and collects their results.
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn setup_rejects_weak_or_mismatched_passwords_with_field_messages(engine: Engine) {
    let app = spawn_app(engine).await;
    let link = setup_link(&app).await;
    let token = token_of(&link);
    let res = app
        .set_up(&FirstAdmin {
            token: &token,
            email: "not-an-email",
            name: "",
            password: "password1234",
            confirm: "different",
        })
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    for expected in ["invalid_email", "required", "common_password", "mismatch"] {
        assert!(body.contains(expected), "{expected} missing from {body}");
    }
    let page = app.page(&link).await;
    assert!(
        page.contains("Create the first site admin"),
        "nothing was created, and the link still works"
    );
}

both_engines!(
    an_empty_site_asks_for_the_setup_link_then_closes,
    setup_without_a_valid_link_is_refused_before_any_hashing,
    setup_is_throttled_per_address,
    concurrent_setups_make_exactly_one_admin,
    setup_rejects_weak_or_mismatched_passwords_with_field_messages
);
