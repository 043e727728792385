use crate::{both_engines, helpers::*, probe};
use reqwest::{header, StatusCode};

async fn known_and_unknown_addresses_get_the_same_answer(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let mut answers = Vec::new();
    for email in ["jane.doe@EXAMPLE.test", "nobody@example.test"] {
        let res = app.request_password_reset(email).await;
        answers.push((res.status(), res.text().await.unwrap()));
        let res = app.without_js().request_password_reset(email).await;
        answers.push((res.status(), location(&res)));
    }
    assert_eq!(answers[0], answers[2]);
    assert_eq!(answers[1], answers[3]);
    assert_eq!(answers[0].0, StatusCode::OK);
    assert_eq!(answers[1].1, "/forgot-password?sent=1");
    let page = app
        .get("/forgot-password?sent=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("If an account exists for that address, we have sent a link"));
    app.sink.wait_for(USER_EMAIL, 2).await;
    assert!(app.sink.mails_to("nobody@example.test").is_empty());
}

async fn the_reset_mail_has_the_fixed_wording_sender_and_parts(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.request_password_reset(USER_EMAIL).await;
    let mail = app.sink.wait_for(USER_EMAIL, 1).await.remove(0);
    assert_eq!(mail.from, "site-admin@acme.test");
    assert_eq!(mail.subject(), "Password reset request");
    assert!(mail
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let link = mail.link().unwrap();
    assert!(
        link.starts_with(&format!("{}/reset-password/", app.base)),
        "{link}"
    );

    let text = mail.text_part();
    let expected_start = format!(
        "Someone requested that the password to your account at 'Acme Consultations' be reset.\n\n\
         If this was not you, you may safely ignore this mail. If you wish to proceed and reset your password, please visit this address:\n\n\
         {link}\n\n\
         This password reset request will expire in 24 hours on "
    );
    assert!(text.starts_with(&expected_start), "{text}");
    assert!(
        text.trim_end().ends_with(" UTC."),
        "the expiry names its zone: {text}"
    );
    let html = mail.html_part();
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
}

async fn the_host_header_cannot_change_the_link(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let res = app
        .without_origin()
        .with_header(header::HOST.as_str(), "evil.test")
        .with_header("X-Forwarded-Host", "evil.test")
        .request_password_reset(USER_EMAIL)
        .await;
    assert_status(&res, StatusCode::OK);
    let link = app.last_email_link(USER_EMAIL, 1).await;
    assert!(
        link.starts_with(&app.base) && !link.contains("evil"),
        "{link}"
    );
}

async fn opening_the_link_twice_does_not_use_it_up_and_submitting_does(engine: Engine) {
    let app = spawn_app(engine).await;
    let id = app.create_jane().await;
    let victim_session = app.browser();
    victim_session.log_in(USER_EMAIL, USER_PASSWORD).await;

    app.request_password_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let path = link.replace(&app.base, "");
    for _ in 0..2 {
        let page = app.get(&path).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("Choose a new password"));
    }
    let token = TestApp::token_of(&link);
    let new = "lighthouse tangerine quartz";
    let res = app.without_js().reset_password(&token, new, new).await;
    assert_redirects_to(&res, "/login?reset=done");

    // Used up: a second submit and a second look both say so.
    let again = app
        .reset_password(&token, "another fine passphrase", "another fine passphrase")
        .await;
    assert_status(&again, StatusCode::GONE);
    assert!(app
        .get(&path)
        .await
        .text()
        .await
        .unwrap()
        .contains("This link has expired or was already used"));

    // Every session of the user ended; the notice went out; the new password works.
    assert!(!victim_session.is_logged_in().await);
    let mails = app.sink.wait_for(USER_EMAIL, 2).await;
    assert_eq!(mails[1].subject(), "Your password was changed");
    assert_eq!(
        app.log_in(USER_EMAIL, USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.log_in(USER_EMAIL, new).await.status(), StatusCode::OK);
    assert_eq!(probe::unused_password_tokens(&app, id).await, 0);
}

async fn a_new_password_voids_every_outstanding_link(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.request_password_reset(USER_EMAIL).await;
    app.request_password_reset(USER_EMAIL).await;
    let mails = app.sink.wait_for(USER_EMAIL, 2).await;
    let first = TestApp::token_of(&mails[0].link().unwrap());
    let second = TestApp::token_of(&mails[1].link().unwrap());
    let new = "copper willow thistle";
    assert_status(&app.reset_password(&second, new, new).await, StatusCode::OK);
    let res = app
        .reset_password(&first, "yet another passphrase", "yet another passphrase")
        .await;
    assert_status(&res, StatusCode::GONE);
}

async fn links_expire_after_the_configured_hours(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.request_password_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let path = link.replace(&app.base, "");
    app.clock.advance_secs(24 * 3600 - 60);
    assert!(app
        .get(&path)
        .await
        .text()
        .await
        .unwrap()
        .contains("Choose a new password"));
    app.clock.advance_secs(120);
    let page = app.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("This link has expired or was already used"));
    let token = TestApp::token_of(&link);
    let late = "late but strong passphrase";
    let res = app.reset_password(&token, late, late).await;
    assert_status(&res, StatusCode::GONE);

    // One click sends a fresh link to the account's own address.
    let res = app.without_js().on(&path).resend_reset_link(&token).await;
    assert_redirects_to(&res, &format!("{path}?resent=1"));
    let fresh = app.last_email_link(USER_EMAIL, 2).await;
    assert_ne!(fresh, link);
    assert!(app.page(&fresh).await.contains("Choose a new password"));
}

async fn garbage_tokens_get_a_clear_page_never_an_error(engine: Engine) {
    let app = spawn_app(engine).await;
    let long = "A".repeat(5000);
    for token in [
        "x",
        "%00",
        "..%2F..%2Fetc",
        "%F0%9F%94%A5",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        long.as_str(),
    ] {
        let res = app.get(&format!("/reset-password/{token}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{token}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("This link is not valid") && html.contains("/forgot-password"),
            "{token}"
        );
        let post = app
            .reset_password(
                token,
                "whatever passphrase here",
                "whatever passphrase here",
            )
            .await;
        assert_eq!(post.status(), StatusCode::GONE, "{token}");
    }
}

async fn weak_and_mismatched_passwords_are_refused_and_the_link_stays_usable(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.request_password_reset(USER_EMAIL).await;
    let token = TestApp::token_of(&app.last_email_link(USER_EMAIL, 1).await);
    let cases = [
        ("short", "short", "too_short"),
        ("password1234", "password1234", "common_password"),
        (
            "my name is jane.doe ok",
            "my name is jane.doe ok",
            "contains_email",
        ),
        (
            "acme consultations rock",
            "acme consultations rock",
            "contains_site_name",
        ),
        (
            "a perfectly fine passphrase",
            "a different passphrase",
            "mismatch",
        ),
    ];
    for (new, confirm, problem) in cases {
        let res = app.reset_password(&token, new, confirm).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        assert!(res.text().await.unwrap().contains(problem), "{problem}");
    }
    let fine = "a perfectly fine passphrase";
    let ok = app.reset_password(&token, fine, fine).await;
    assert_status(&ok, StatusCode::OK);
}

async fn invalid_addresses_get_a_field_message(engine: Engine) {
    let app = spawn_app(engine).await;
    let res = app.request_password_reset("not an address").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("invalid_email"));
}

both_engines!(
    known_and_unknown_addresses_get_the_same_answer,
    the_reset_mail_has_the_fixed_wording_sender_and_parts,
    the_host_header_cannot_change_the_link,
    opening_the_link_twice_does_not_use_it_up_and_submitting_does,
    a_new_password_voids_every_outstanding_link,
    links_expire_after_the_configured_hours,
    garbage_tokens_get_a_clear_page_never_an_error,
    weak_and_mismatched_passwords_are_refused_and_the_link_stays_usable,
    invalid_addresses_get_a_field_message,
);
