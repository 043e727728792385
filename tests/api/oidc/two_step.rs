//! What apps and proxies learn of two-step verification: ID tokens say how
//! the person logged in (`amr`, RFC 8176); an app that needs two steps has
//! a person without them set them up first, and one whose session began
//! with the password alone log in again; `/auth/verify?two_factor=1`
//! refuses a one-step session.

use super::*;
use crate::both_engines;

both_engines!(
    id_tokens_say_how_the_person_logged_in_and_two_step_apps_ask_for_it,
    forward_auth_can_require_a_session_begun_with_two_steps,
    someone_who_must_set_it_up_gets_no_code_until_they_have,
);

/// The claims of an ID token (its signature is checked elsewhere).
fn claims(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The `amr` of the ID token an authorization answer's code gives.
async fn amr_of(app: &TestApp, creds: &AppCredentials, back: &Url, verifier: &str) -> Value {
    let code = param(back, "code").expect("a code");
    let (status, answer) = exchange(app, creds, &code, verifier).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    claims(answer["id_token"].as_str().unwrap())["amr"].clone()
}

async fn id_tokens_say_how_the_person_logged_in_and_two_step_apps_ask_for_it(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let plain = register_app(&app, false, "user", false).await;
    let strict = register_app(&app, false, "user", true).await;
    let (verifier, challenge) = pkce();

    // The password alone: `pwd`; the app that needs two steps sends Jane
    // to set them up, and back.
    let stale = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let browser = app.browser();
    let back = jane_signs_in(&app, &browser, &plain, &challenge).await;
    assert_eq!(
        amr_of(&app, &plain, &back, &verifier).await,
        serde_json::json!(["pwd"])
    );
    let url = authorize_url(&app, &strict.client_id, &challenge, &[]);
    let res = browser.get(&url).await;
    assert_status(&res, StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(
        to.starts_with("/account/security?next=%2Foauth2%2Fauthorize"),
        "{to}"
    );
    let next = Url::parse(&browser.url(&to))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let phone = Authenticator::from_page(&browser.open(&to).await);
    let now = app.state.clock.now();
    let res = browser
        .without_js()
        .set_up_app_then(&phone.code_at(now), USER_PASSWORD, &next)
        .await;
    assert_status(&res, StatusCode::FOUND);
    let page = browser.open(&location(&res)).await;
    let onward = page
        .split("rel=\"external\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| href.trim_end_matches([' ', '"']).replace("&amp;", "&"))
        .expect("a way on");
    let pairs = |u: &str| {
        let mut pairs: Vec<(String, String)> = Url::parse(&browser.url(u))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        pairs.sort();
        pairs
    };
    assert_eq!(
        pairs(&onward),
        pairs(&next),
        "the page leads on to the app's request"
    );
    let res = browser.get(&next).await;
    assert_status(&res, StatusCode::SEE_OTHER);
    let back = Url::parse(&location(&res)).unwrap();
    assert_eq!(
        amr_of(&app, &strict, &back, &verifier).await,
        serde_json::json!(["pwd", "otp", "mfa"]),
        "the session that set up the app has shown it"
    );

    // A session begun with the password alone before the app was set up:
    // to the login page again for the app that needs two steps, and back
    // with them.
    let res = stale.get(&url).await;
    assert_status(&res, StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(to.starts_with("/login?next=%2Foauth2%2Fauthorize"), "{to}");
    let next = Url::parse(&stale.url(&to))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let res = stale
        .without_js()
        .log_in_then(USER_EMAIL, USER_PASSWORD, &next)
        .await;
    assert_redirects_to(&res, "/login/verify");
    app.clock.advance_secs(30);
    let res = stale
        .without_js()
        .verify_login(&phone.code_at(app.state.clock.now()))
        .await;
    assert_status(&res, StatusCode::FOUND);
    assert_eq!(stale.through_continue(&location(&res)).await, next);
    let res = stale.get(&next).await;
    assert_status(&res, StatusCode::SEE_OTHER);
    let back = Url::parse(&location(&res)).unwrap();
    assert_eq!(
        amr_of(&app, &strict, &back, &verifier).await,
        serde_json::json!(["pwd", "otp", "mfa"])
    );
}

async fn forward_auth_can_require_a_session_begun_with_two_steps(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.site.allowed_return_hosts = vec!["wiki.acme.test".parse().unwrap()];
    })
    .await;
    app.create_jane().await;
    // A session with the password alone, from before the app was set up.
    let one_step = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let two_steps = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let phone = Authenticator::from_page(&two_steps.open("/account/security").await);
    let code = phone.code_at(app.state.clock.now());
    assert_status(
        &two_steps.set_up_app(&code, USER_PASSWORD).await,
        StatusCode::OK,
    );

    for (who, browser, expected) in [
        ("one step", &one_step, StatusCode::FORBIDDEN),
        ("two steps", &two_steps, StatusCode::OK),
    ] {
        let res = browser.get("/auth/verify?two_factor=1").await;
        assert_eq!(res.status(), expected, "{who}");
        let res = browser.get("/auth/verify").await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{who}, without the requirement"
        );
    }

    // The way back to a protected app passes through the second step.
    let wanted = "https://wiki.acme.test/page";
    let browser = app.browser().without_js();
    let res = browser.log_in_then(USER_EMAIL, USER_PASSWORD, wanted).await;
    assert_redirects_to(&res, "/login/verify");
    app.clock.advance_secs(30);
    let res = browser
        .verify_login(&phone.code_at(app.state.clock.now()))
        .await;
    assert_status(&res, StatusCode::FOUND);
    assert_eq!(browser.through_continue(&location(&res)).await, wanted);

    // Removing the last factor turns it off, and the owner is told.
    assert_status(&two_steps.remove_app(USER_PASSWORD).await, StatusCode::OK);
    let mails = app.sink.wait_for(USER_EMAIL, 2).await;
    assert_eq!(
        mails.last().unwrap().subject(),
        "Two-step verification is off"
    );
    assert_eq!(
        location(
            &app.browser()
                .without_js()
                .log_in(USER_EMAIL, USER_PASSWORD)
                .await
        ),
        "/account"
    );
}

async fn someone_who_must_set_it_up_gets_no_code_until_they_have(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.auth.two_factor = gatehouse::server::platform::config::TwoFactorPolicy::Everyone;
    })
    .await;
    app.create_jane().await;
    let creds = register(&app, false, "user").await;
    let (verifier, challenge) = pkce();
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let url = authorize_url(&app, &creds.client_id, &challenge, &[]);
    let res = jane.get(&url).await;
    assert_status(&res, StatusCode::SEE_OTHER);
    assert!(
        location(&res).starts_with("/account/security?next="),
        "{}",
        location(&res)
    );
    let silent = jane.get(&replace_param(&url, "prompt", "none")).await;
    let back = Url::parse(&location(&silent)).unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("interaction_required")
    );
    assert_eq!(param(&back, "code"), None);

    let phone = Authenticator::from_page(&jane.open("/account/security").await);
    let code = phone.code_at(app.state.clock.now());
    assert_status(&jane.set_up_app(&code, USER_PASSWORD).await, StatusCode::OK);
    let res = jane.get(&url).await;
    let back = Url::parse(&location(&res)).unwrap();
    assert!(amr_of(&app, &creds, &back, &verifier)
        .await
        .to_string()
        .contains("mfa"));
}
