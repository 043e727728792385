//! Throttles that hold under concurrency, floods that cost little, and the
//! audit log's account of them.

use crate::{both_engines, helpers::*, probe};
use gatehouse::server::db::user_search::Page;
use reqwest::StatusCode;

/// Sends the requests made by `request(i)` all at once; returns the statuses.
async fn all_at_once<F, Fut>(n: usize, request: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(request(i))).collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap().status());
    }
    statuses
}

fn count(statuses: &[StatusCode], wanted: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == wanted).count()
}

/// The audit log's entries of `event`, oldest first: how many times,
/// whose account, and the detail.
async fn audit_rows(app: &TestApp, event: &str) -> Vec<(i64, Option<String>, Option<String>)> {
    probe::audit(app, Some(event))
        .await
        .into_iter()
        .map(|e| (e.count, e.actor_email, e.detail))
        .collect()
}

/// A site with one user whose account allows `burst` attempts at once,
/// and no limit per address in the way.
async fn app_with_account_burst(engine: Engine, burst: u32) -> TestApp {
    let app = spawn_app_with(engine, |c| {
        c.limits.login_per_ip_burst = 1000;
        c.limits.login_per_account_burst = burst;
    })
    .await;
    app.create_jane().await;
    app
}

async fn concurrent_wrong_passwords_are_verified_no_more_than_the_burst(engine: Engine) {
    let app = app_with_account_burst(engine, 10).await;
    let runs = app.state.hasher.runs();
    let statuses = all_at_once(50, |i| {
        let browser = app.browser();
        async move {
            let guess = format!("wrong guess number {i}");
            browser.log_in(USER_EMAIL, &guess).await
        }
    })
    .await;
    let verified = app.state.hasher.runs() - runs;
    assert!(verified <= 10, "{verified} guesses were verified");
    assert!(
        count(&statuses, StatusCode::UNAUTHORIZED) <= 10,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED)
            + count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        50,
        "{statuses:?}"
    );
    assert!(count(&statuses, StatusCode::UNAUTHORIZED) >= 1);
}

async fn concurrent_wrong_current_passwords_are_verified_no_more_than_the_burst(engine: Engine) {
    let app = app_with_account_burst(engine, 10).await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let runs = app.state.hasher.runs();
    let statuses = all_at_once(50, |i| {
        let jane = jane.clone();
        async move {
            let guess = format!("wrong guess number {i}");
            let new = "a brand new passphrase 7";
            jane.change_password(&guess, new, new).await
        }
    })
    .await;
    let verified = app.state.hasher.runs() - runs;
    let wrong = count(&statuses, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(verified <= 10, "{verified} current passwords were verified");
    assert!((1..=10).contains(&wrong), "{statuses:?}");
    assert_eq!(
        wrong + count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        50,
        "{statuses:?}"
    );
    // Each wrong current password is in the audit log, under the account.
    let rows = audit_rows(&app, "password_change_failed").await;
    assert_eq!(rows.len(), wrong);
    assert!(rows
        .iter()
        .all(|(_, actor, _)| actor.as_deref() == Some(USER_EMAIL)));
}

async fn the_right_password_does_not_use_up_the_allowance(engine: Engine) {
    let app = app_with_account_burst(engine, 3).await;
    for _ in 0..6 {
        let res = app.log_in(USER_EMAIL, USER_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

async fn a_flood_of_throttled_requests_is_one_counted_audit_entry(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.login_per_ip_burst = 2;
        c.limits.reset_per_ip_burst = 2;
    })
    .await;
    for i in 0..22 {
        let res = app
            .log_in(&format!("spray{i}@acme.test"), "some wrong password")
            .await;
        let expected = if i < 2 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(res.status(), expected, "login {i}");
        let res = app
            .request_password_reset(&format!("spray{i}@acme.test"))
            .await;
        assert_eq!(res.status().is_success(), i < 2, "reset {i}");
    }
    for event in ["login_throttled", "reset_throttled"] {
        let rows = audit_rows(&app, event).await;
        assert_eq!(rows.len(), 1, "{event}: {rows:?}");
        assert_eq!(rows[0].0, 20, "{event}: {rows:?}");
    }
    // The audit page says how often.
    let page = gatehouse::server::admin::users::list_audit(
        &app.state,
        Some("login_throttled"),
        None,
        None,
    )
    .await
    .unwrap();
    let detail = page.entries[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("20 times"), "{detail}");

    // A new window starts a new entry.
    app.clock.advance_secs(3600);
    for _ in 0..3 {
        app.log_in("late@acme.test", "some wrong password").await;
    }
    let rows = audit_rows(&app, "login_throttled").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
}

async fn old_audit_entries_are_deleted_after_the_retention_period(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.audit.retention_days = 30).await;
    app.create_jane().await;
    app.log_in(USER_EMAIL, "a wrong password here").await;
    app.clock.advance_secs(31 * 86_400);
    app.log_in(USER_EMAIL, "another wrong password").await;
    // The mail worker runs housekeeping too, once the clock has moved;
    // run it here as well so the test does not wait for it.
    gatehouse::server::platform::housekeeping::run(&app.state).await;
    let rows = audit_rows(&app, "login_failed").await;
    assert_eq!(rows.len(), 1, "only the recent entry is kept");
    assert!(audit_rows(&app, "user_created").await.is_empty());
}

async fn refused_admin_calls_are_audited_with_the_account(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    for res in [
        jane.list_users(None, Page::First).await,
        jane.list_audit(None).await,
        jane.list_users(None, Page::First).await,
    ] {
        assert_status(&res, StatusCode::FORBIDDEN);
    }
    let rows = audit_rows(&app, "access_denied").await;
    assert_eq!(
        rows.len(),
        1,
        "one counted entry per user and hour: {rows:?}"
    );
    let (n, actor, detail) = &rows[0];
    assert_eq!(*n, 3);
    assert_eq!(actor.as_deref(), Some(USER_EMAIL));
    assert!(detail
        .as_deref()
        .unwrap_or_default()
        .starts_with("/api/admin/"));
}

/// Requests that all pass the read-only precheck at once are decided in
/// the write transaction (on SQLite, the writer thread's batch): no more
/// links than the burst, and nothing of a refused request written.
async fn concurrent_reset_requests_issue_no_more_links_than_the_burst(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.reset_per_ip_per_hour = 3600;
        c.limits.reset_per_ip_burst = 1000;
        c.limits.reset_per_account_per_hour = 1;
        c.limits.reset_per_account_burst = 3;
    })
    .await;
    app.create_jane().await;
    let statuses = all_at_once(40, |_| {
        let browser = app.browser();
        async move { browser.request_password_reset(USER_EMAIL).await }
    })
    .await;
    assert_eq!(count(&statuses, StatusCode::OK), 3, "{statuses:?}");
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        37,
        "{statuses:?}"
    );
    // The address's allowance (an hour's 3,600 at one a second) was spent
    // by the three accepted requests alone.
    let address_tat = probe::reset_allowance_of(&app, "127.0.0.1").await;
    let spent_ms = address_tat - app.state.clock.now_ms();
    assert!(
        spent_ms <= 3_000,
        "{spent_ms} ms of the address's allowance spent"
    );
    assert_eq!(probe::password_tokens(&app).await, 3);
    let counts = probe::outbox_counts(&app).await;
    assert_eq!(counts.pending + counts.sent + counts.failed, 3);
    assert_eq!(audit_rows(&app, "reset_requested").await.len(), 3);
    let throttled = audit_rows(&app, "reset_throttled").await;
    assert_eq!(
        throttled.iter().map(|r| r.0).sum::<i64>(),
        37,
        "{throttled:?}"
    );
    app.sink.wait_for(USER_EMAIL, 3).await;
}

both_engines!(
    concurrent_reset_requests_issue_no_more_links_than_the_burst,
    concurrent_wrong_passwords_are_verified_no_more_than_the_burst,
    concurrent_wrong_current_passwords_are_verified_no_more_than_the_burst,
    the_right_password_does_not_use_up_the_allowance,
    someone_guessing_elsewhere_cannot_keep_the_owner_out,
    a_flood_of_throttled_requests_is_one_counted_audit_entry,
    old_audit_entries_are_deleted_after_the_retention_period,
    refused_admin_calls_are_audited_with_the_account
);

/// The account's allowance is kept per network (with a looser one across
/// all of them), and a browser that logged in to the account before has an
/// allowance of its own: someone who knows the address and keeps guessing
/// cannot keep its owner out, from another network or from their own.
async fn someone_guessing_elsewhere_cannot_keep_the_owner_out(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.site.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.limits.login_per_ip_burst = 1000;
        c.limits.login_per_account_burst = 3;
    })
    .await;
    app.create_jane().await;
    let from = |browser: &Browser, address: &str| browser.with_header("X-Forwarded-For", address);
    // Jane's laptop has logged in before.
    let laptop = from(&app.browser(), "198.51.100.7");
    assert_status(
        &laptop.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    assert_status(&laptop.log_out().await, StatusCode::OK);

    // Someone on 203.0.113.0/24 guesses until refused, and stays refused.
    let guesser = from(&app.browser(), "203.0.113.5");
    for i in 0..3 {
        let res = guesser
            .log_in(USER_EMAIL, &format!("wrong guess {i} here"))
            .await;
        assert_status(&res, StatusCode::UNAUTHORIZED);
    }
    let res = guesser.log_in(USER_EMAIL, "wrong guess 4 here").await;
    assert_status(&res, StatusCode::TOO_MANY_REQUESTS);
    let neighbour = from(&app.browser(), "203.0.113.77");
    assert_status(
        &neighbour.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    );

    // Jane, from another network in a new browser: in.
    let phone = from(&app.browser(), "192.0.2.44");
    assert_status(
        &phone.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    // Her laptop, in a café on the guesser's network: in too.
    let cafe = from(&laptop, "203.0.113.200");
    assert_status(
        &cafe.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    assert_status(&cafe.log_out().await, StatusCode::OK);

    // Guesses from many networks use up the account's wider allowance (ten
    // times the per-network one): then a browser it does not know waits,
    // and her laptop still gets in.
    for n in 0..30 {
        let spread = from(&app.browser(), &format!("10.{n}.0.1"));
        let _ = spread.log_in(USER_EMAIL, "wrong guess from afar").await;
    }
    let stranger = from(&app.browser(), "192.0.2.99");
    assert_status(
        &stranger.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    );
    assert_status(
        &cafe.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    // A forged device cookie is a stranger's.
    let forged = from(&app.browser(), "192.0.2.100").with_header(
        "Cookie",
        &format!("gatehouse_device={}.{}", "A".repeat(43), "0".repeat(32)),
    );
    assert_status(
        &forged.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    );
}
