use crate::{both_engines, helpers::*, probe};
use reqwest::{header, StatusCode};

async fn a_plain_form_post_logs_in_and_the_account_page_names_the_user(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let res = app
        .without_js()
        .log_in("admin@acme.test", ADMIN_PASSWORD)
        .await;
    assert_redirects_to(&res, "/account");
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gatehouse_session="))
        .expect("the session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let page = app.get("/account").await;
    assert_status(&page, StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Site Admin") && html.contains("Admin@Acme.test"),
        "account page should name the user"
    );
}

async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let wrong = app.log_in(ADMIN_EMAIL, "not the password at all").await;
    let (s1, b1) = (wrong.status(), wrong.text().await.unwrap());
    let unknown = app
        .log_in("nobody@acme.test", "not the password at all")
        .await;
    let (s2, b2) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, &b1), (s2, &b2));

    // Without JavaScript both come back to the form with the same message.
    let a = app
        .without_js()
        .log_in(ADMIN_EMAIL, "wrong wrong wrong")
        .await;
    let b = app
        .without_js()
        .log_in("ghost@acme.test", "wrong wrong wrong")
        .await;
    assert_eq!(location(&a), location(&b));
    let page = app.page(&location(&a)).await;
    assert!(
        page.contains("The email or password is incorrect."),
        "the error shows on the page"
    );
}

async fn email_matching_ignores_letter_case(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    for typed in [
        "jane.doe@example.test",
        "JANE.DOE@EXAMPLE.TEST",
        "  Jane.Doe@Example.test ",
    ] {
        let res = app.browser().log_in(typed, USER_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "{typed}");
    }
}

async fn the_account_page_sends_visitors_to_login_and_back(engine: Engine) {
    let app = spawn_app(engine).await;
    let res = app.get("/account").await;
    assert_redirects_to(&res, "/login?next=%2Faccount");

    app.create_admin().await;
    let res = app
        .without_js()
        .on("/login?next=%2Faccount")
        .log_in_then(ADMIN_EMAIL, ADMIN_PASSWORD, "/account")
        .await;
    assert_redirects_to(&res, "/account");
}

async fn login_never_redirects_off_site(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    for next in ["https://evil.test/", "//evil.test", "/\\evil.test"] {
        let res = app
            .browser()
            .without_js()
            .log_in_then(ADMIN_EMAIL, ADMIN_PASSWORD, next)
            .await;
        assert_eq!(location(&res), "/account", "{next}");
    }
}

async fn logging_in_issues_a_new_session_id_and_logout_ends_it(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let first = app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let c1 = first
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let second = app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let c2 = second
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        c1.split(';').next(),
        c2.split(';').next(),
        "a fresh id at each login"
    );

    // The first session was replaced, the second works.
    let old_cookie = c1.split(';').next().unwrap().to_owned();
    let old = app
        .browser()
        .with_header(header::COOKIE.as_str(), &old_cookie);
    assert!(
        !old.is_logged_in().await,
        "the replaced session no longer works"
    );
    assert!(app.is_logged_in().await);

    let out = app.without_js().log_out().await;
    assert_eq!(location(&out), "/login");
    assert!(!app.is_logged_in().await);
}

async fn log_out_everywhere_ends_every_session_of_the_user(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let other = app.browser();
    other.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = app.log_out_everywhere().await;
    assert_status(&res, StatusCode::OK);
    assert!(
        !other.is_logged_in().await,
        "the other device was logged out"
    );
    assert!(!app.is_logged_in().await);
}

/// ASVS L2's defaults: half an hour idle, twelve hours in all.
async fn sessions_end_after_the_idle_timeout(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(app.is_logged_in().await);
    app.clock.advance_secs(29 * 60);
    assert!(app.is_logged_in().await, "activity keeps the session alive");
    app.clock.advance_secs(31 * 60);
    assert!(!app.is_logged_in().await, "idle for over half an hour");
}

async fn sessions_end_at_the_absolute_timeout_despite_activity(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // Active every 20 minutes: alive for 11 h 40 min, over at 12 h.
    for step in 1..=35 {
        app.clock.advance_secs(20 * 60);
        assert!(app.is_logged_in().await, "after {} minutes", step * 20);
    }
    app.clock.advance_secs(20 * 60);
    assert!(!app.is_logged_in().await, "twelve hours after the login");
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let other = app.browser();
    other.log_in(USER_EMAIL, USER_PASSWORD).await;
    app.log_in(USER_EMAIL, USER_PASSWORD).await;
    let new = "saffron lantern mosaic";
    let wrong = app.change_password("nope nope nope", new, new).await;
    assert_status(&wrong, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("wrong_current_password"));

    let ok = app.change_password(USER_PASSWORD, new, new).await;
    assert_status(&ok, StatusCode::OK);
    assert!(app.is_logged_in().await, "this session stays");
    assert!(!other.is_logged_in().await, "other sessions end");
    let notice = app.sink.wait_for(USER_EMAIL, 1).await;
    assert_eq!(notice[0].subject(), "Your password was changed");
    assert_status(&app.browser().log_in(USER_EMAIL, new).await, StatusCode::OK);
}

async fn a_disabled_user_cannot_log_in(engine: Engine) {
    let app = spawn_app(engine).await;
    let id = app.create_jane().await;
    probe::set_active(&app, id, false).await;
    let res = app.log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_status(&res, StatusCode::UNAUTHORIZED);
}

async fn hashes_made_with_old_parameters_are_upgraded_at_login(engine: Engine) {
    let app = spawn_app_with(engine, production_hashing).await;
    let id = app.create_jane().await;
    let old_params = gatehouse::server::platform::config::AuthConfig {
        argon2_memory_kib: 8192,
        argon2_iterations: 1,
        ..Default::default()
    };
    let old = gatehouse::server::accounts::passwords::Hasher::new(&old_params).unwrap();
    let old_hash = old
        .hash_again(&gatehouse::domain::password::Secret::new(USER_PASSWORD))
        .await
        .unwrap();
    probe::set_password_hash(&app, id, &old_hash).await;

    assert_status(&app.log_in(USER_EMAIL, USER_PASSWORD).await, StatusCode::OK);
    let hash = probe::user(&app, id).await.password_hash.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

async fn repeated_failures_are_throttled_but_a_reset_still_works(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.login_per_account_burst = 3;
        c.limits.login_per_account_per_hour = 6;
    })
    .await;
    app.create_jane().await;
    for _ in 0..3 {
        assert_status(
            &app.log_in(USER_EMAIL, "guess guess guess").await,
            StatusCode::UNAUTHORIZED,
        );
    }
    let throttled = app.log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_status(&throttled, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key(header::RETRY_AFTER));

    app.request_password_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let token = TestApp::token_of(&link);
    let new = "harbour meadow cinnamon";
    let res = app.reset_password(&token, new, new).await;
    assert_status(&res, StatusCode::OK);
    assert_eq!(
        app.log_in(USER_EMAIL, new).await.status(),
        StatusCode::OK,
        "the owner is let back in"
    );
}

both_engines!(
    a_plain_form_post_logs_in_and_the_account_page_names_the_user,
    a_wrong_password_and_an_unknown_email_get_the_same_answer,
    email_matching_ignores_letter_case,
    the_account_page_sends_visitors_to_login_and_back,
    login_never_redirects_off_site,
    logging_in_issues_a_new_session_id_and_logout_ends_it,
    log_out_everywhere_ends_every_session_of_the_user,
    sessions_end_after_the_idle_timeout,
    sessions_end_at_the_absolute_timeout_despite_activity,
    changing_the_password_needs_the_current_one_and_ends_other_sessions,
    a_disabled_user_cannot_log_in,
    hashes_made_with_old_parameters_are_upgraded_at_login,
    repeated_failures_are_throttled_but_a_reset_still_works,
);
