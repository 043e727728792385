use crate::{both_engines, helpers::*};
use reqwest::{header, StatusCode};

async fn a_plain_form_post_logs_in_and_the_account_page_names_the_user(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let res = app.form_log_in("admin@acme.test", ADMIN_PASSWORD).await;
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("gatehouse_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let page = app.get("/account").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Site Admin") && html.contains("Admin@Acme.test"),
        "account page should name the user"
    );
    app.stop().await;
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
        .form_post(
            "login",
            "/login",
            &[("email", ADMIN_EMAIL), ("password", "wrong wrong wrong")],
        )
        .await;
    let b = app
        .form_post(
            "login",
            "/login",
            &[
                ("email", "ghost@acme.test"),
                ("password", "wrong wrong wrong"),
            ],
        )
        .await;
    assert_eq!(location(&a), location(&b));
    let page = app.page(&location(&a)).await;
    assert!(
        page.contains("The email or password is incorrect."),
        "the error shows on the page"
    );
    app.stop().await;
}

async fn email_matching_ignores_letter_case(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    for typed in [
        "jane.doe@example.test",
        "JANE.DOE@EXAMPLE.TEST",
        "  Jane.Doe@Example.test ",
    ] {
        let client = app.new_client();
        let res = call_with(
            &client,
            &app.base,
            "login",
            &[("email", typed), ("password", USER_PASSWORD)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{typed}");
    }
    app.stop().await;
}

async fn the_account_page_sends_visitors_to_login_and_back(engine: Engine) {
    let app = spawn_app(engine).await;
    let res = app.get("/account").await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/login?next=%2Faccount");

    app.create_admin().await;
    let res = app
        .form_post(
            "login",
            "/login?next=%2Faccount",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/account");
    app.stop().await;
}

async fn login_never_redirects_off_site(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    for next in ["https://evil.test/", "//evil.test", "/\\evil.test"] {
        let client = app.new_client();
        let res = form_post_with(
            &client,
            &app.base,
            "login",
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(location(&res), "/account", "{next}");
    }
    app.stop().await;
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
    let old = app.new_client();
    let old_cookie = c1.split(';').next().unwrap().to_owned();
    let res = old
        .get(app.url("/account"))
        .header(header::COOKIE, &old_cookie)
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "the replaced session no longer works"
    );
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);

    let out = app.form_post("logout", "/account", &[]).await;
    assert_eq!(location(&out), "/login");
    assert_eq!(app.get("/account").await.status(), StatusCode::FOUND);
    app.stop().await;
}

async fn log_out_everywhere_ends_every_session_of_the_user(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let other = app.new_client();
    call_with(
        &other,
        &app.base,
        "login",
        &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
    )
    .await;
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = app.call("logout_everywhere", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = other
        .get(app.url("/account"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "the other device was logged out"
    );
    assert_eq!(app.get("/account").await.status(), StatusCode::FOUND);
    app.stop().await;
}

async fn sessions_end_after_the_idle_timeout(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    app.clock.advance_secs(119 * 60);
    assert_eq!(
        app.get("/account").await.status(),
        StatusCode::OK,
        "activity keeps the session alive"
    );
    app.clock.advance_secs(121 * 60);
    assert_eq!(
        app.get("/account").await.status(),
        StatusCode::FOUND,
        "idle for over two hours"
    );
    app.stop().await;
}

async fn sessions_end_at_the_absolute_timeout_despite_activity(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for _ in 0..168 {
        app.clock.advance_secs(3600);
        if app.get("/account").await.status() != StatusCode::OK {
            break;
        }
    }
    assert_eq!(app.get("/account").await.status(), StatusCode::FOUND);
    app.stop().await;
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    let other = app.new_client();
    call_with(
        &other,
        &app.base,
        "login",
        &[("email", USER_EMAIL), ("password", USER_PASSWORD)],
    )
    .await;
    app.log_in(USER_EMAIL, USER_PASSWORD).await;
    let new = "saffron lantern mosaic";
    let wrong = app
        .call(
            "change_password",
            &[
                ("current_password", "nope nope nope"),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("wrong_current_password"));

    let ok = app
        .call(
            "change_password",
            &[
                ("current_password", USER_PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        app.get("/account").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    let res = other
        .get(app.url("/account"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "other sessions end");
    let notice = app.sink.wait_for(USER_EMAIL, 1).await;
    assert_eq!(notice[0].subject(), "Your password was changed");
    assert_eq!(
        app.new_client()
            .post(app.url("/api/login"))
            .form(&[("email", USER_EMAIL), ("password", new)])
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

async fn a_disabled_user_cannot_log_in(engine: Engine) {
    let app = spawn_app(engine).await;
    let id = app
        .create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    sqlx::query("UPDATE users SET active = 0 WHERE id = $1")
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let res = app.log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn hashes_made_with_old_parameters_are_upgraded_at_login(engine: Engine) {
    let app = spawn_app_with(engine, production_hashing).await;
    let id = app
        .create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
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
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&old_hash)
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();

    assert_eq!(
        app.log_in(USER_EMAIL, USER_PASSWORD).await.status(),
        StatusCode::OK
    );
    let row: (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        row.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        row.0
    );
    app.stop().await;
}

async fn repeated_failures_are_throttled_but_a_reset_still_works(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.login_per_account_burst = 3;
        c.limits.login_per_account_per_hour = 6;
    })
    .await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.log_in(USER_EMAIL, "guess guess guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = app.log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key(header::RETRY_AFTER));

    app.request_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let token = TestApp::token_of(&link);
    let new = "harbour meadow cinnamon";
    let res = app
        .call(
            "reset_password",
            &[
                ("token", &token),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.log_in(USER_EMAIL, new).await.status(),
        StatusCode::OK,
        "the owner is let back in"
    );
    app.stop().await;
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
