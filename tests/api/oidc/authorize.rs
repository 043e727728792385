//! `/oauth2/authorize`: who gets a code, who is asked to log in (again),
//! and where errors go.

use super::*;
use crate::both_engines;

both_engines!(
    a_logged_in_person_goes_straight_back_and_prompt_none_never_shows_a_page,
    prompt_login_and_max_age_ask_for_the_password_again,
    a_fresh_login_requirement_cannot_be_forged_or_moved,
    only_a_registered_redirect_uri_matched_exactly_gets_an_answer,
    a_person_outside_the_apps_role_gets_a_page_and_no_code,
);

async fn a_logged_in_person_goes_straight_back_and_prompt_none_never_shows_a_page(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (_, challenge) = pkce();

    // No session, prompt=none: the app hears login_required.
    let browser = app.browser();
    let url = authorize_url(&app, &creds.client_id, &challenge, &[("prompt", "none")]);
    let res = browser.get(&url).await;
    let back = Url::parse(&location(&res)).unwrap();
    assert!(back.as_str().starts_with(REDIRECT));
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&back, "state").as_deref(), Some("st-1"));

    // Logged in: straight back with a code, no page in between.
    jane_signs_in(&app, &browser, &creds, &challenge).await;
    let res = browser.get(&url).await;
    let back = Url::parse(&location(&res)).unwrap();
    assert!(param(&back, "code").is_some(), "{back}");
}

async fn prompt_login_and_max_age_ask_for_the_password_again(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (_, challenge) = pkce();
    let browser = app.browser();
    jane_signs_in(&app, &browser, &creds, &challenge).await;

    for extra in [("prompt", "login"), ("max_age", "0")] {
        app.clock.advance_secs(5);
        let url = authorize_url(&app, &creds.client_id, &challenge, &[extra]);
        let res = browser.get(&url).await;
        assert!(
            location(&res).starts_with("/login?"),
            "{extra:?} asks for the password: {}",
            location(&res)
        );
        let back = sign_in(&browser, &url, USER_EMAIL, USER_PASSWORD).await;
        assert!(
            param(&back, "code").is_some(),
            "{extra:?}: after logging in again, a code"
        );
    }
    // A generous max_age lets the fresh session through.
    let url = authorize_url(&app, &creds.client_id, &challenge, &[("max_age", "3600")]);
    let res = browser.get(&url).await;
    assert!(location(&res).starts_with(REDIRECT), "{}", location(&res));
}

/// `auth_after` carries a `prompt=login` or `max_age` through the login
/// page; one written by the browser, or taken from another request, does
/// not let an old session through.
async fn a_fresh_login_requirement_cannot_be_forged_or_moved(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (_, challenge) = pkce();
    let browser = app.browser();
    jane_signs_in(&app, &browser, &creds, &challenge).await;
    // Twenty minutes on: the session lives, its login is not fresh.
    let later = || async {
        app.clock.advance_secs(20 * 60);
        assert!(browser.is_logged_in().await, "the session is still alive");
    };
    later().await;

    for extra in [("prompt", "login"), ("max_age", "60")] {
        let url = authorize_url(&app, &creds.client_id, &challenge, &[extra]);
        for forged in ["0", "1", "1.00"] {
            let res = browser.get(&format!("{url}&auth_after={forged}")).await;
            assert!(
                location(&res).starts_with("/login?"),
                "{extra:?} with auth_after={forged}: {}",
                location(&res)
            );
        }
        // A genuine one, sealed for this request, moved to another (its
        // own state) or with its time changed, is no better.
        let login = location(&browser.get(&url).await);
        let next = app.url(&param(&Url::parse(&app.url(&login)).unwrap(), "next").unwrap());
        let sealed = param(&Url::parse(&next).unwrap(), "auth_after").unwrap();
        let (time, mac) = sealed.split_once('.').unwrap();
        let elsewhere = replace_param(&next, "state", "st-2");
        let earlier = replace_param(
            &next,
            "auth_after",
            &format!("{}.{mac}", time.parse::<i64>().unwrap() - 7200),
        );
        for moved in [elsewhere, earlier] {
            let res = browser.get(&moved).await;
            assert!(
                location(&res).starts_with("/login?"),
                "{moved}: {}",
                location(&res)
            );
        }
        // Untouched, it asks for the password that the person then gives.
        let res = browser.get(&next).await;
        assert!(location(&res).starts_with("/login?"), "{}", location(&res));
        let back = sign_in(&browser, &url, USER_EMAIL, USER_PASSWORD).await;
        assert!(
            param(&back, "code").is_some(),
            "{extra:?}: a code after the login"
        );
        later().await;
    }
}

async fn only_a_registered_redirect_uri_matched_exactly_gets_an_answer(engine: Engine) {
    let app = spawn_app(engine).await;
    let creds = register(&app, false, "user").await;
    let (_, challenge) = pkce();
    let base = authorize_url(&app, &creds.client_id, &challenge, &[]);
    for wrong in [
        "http://127.0.0.1:9/callback/more",
        "http://127.0.0.1:9/callbac",
        "http://127.0.0.1:9/callback?x=1",
        "http://evil.test/callback",
    ] {
        let res = app.get(&replace_param(&base, "redirect_uri", wrong)).await;
        let to = location(&res);
        assert!(
            to.starts_with("/sign-in-problem?reason=bad_redirect_uri"),
            "{wrong}: {to}"
        );
    }
    let res = app.get(&replace_param(&base, "client_id", "nope")).await;
    assert!(location(&res).starts_with("/sign-in-problem?reason=unknown_app"));
    let page = app.page(&location(&res)).await;
    assert!(page.contains("This sign-in link does not work"), "{page}");
    // With a good URI, errors go back to the app: only response_type=code.
    let res = app
        .get(&replace_param(&base, "response_type", "token"))
        .await;
    let back = Url::parse(&location(&res)).unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );
    // A confidential app too must tie the code to its request: PKCE or a
    // nonce; and a state too long to take is not echoed.
    let bare = replace_param(
        &replace_param(&base, "code_challenge", ""),
        "code_challenge_method",
        "",
    );
    let back = Url::parse(&location(&app.get(&bare).await)).unwrap();
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    let with_nonce = replace_param(&bare, "nonce", "n-1");
    let res = app.get(&with_nonce).await;
    assert!(location(&res).starts_with("/login?"), "{}", location(&res));
    let long = replace_param(&base, "state", &"s".repeat(513));
    let back = Url::parse(&location(&app.get(&long).await)).unwrap();
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "state"), None);
}

async fn a_person_outside_the_apps_role_gets_a_page_and_no_code(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "site_admin").await;
    let (_, challenge) = pkce();
    let browser = app.browser();
    let url = authorize_url(&app, &creds.client_id, &challenge, &[]);
    let res = browser.get(&url).await;
    let login = location(&res);
    let next = param(&Url::parse(&app.url(&login)).unwrap(), "next").unwrap();
    browser
        .without_js()
        .on(&login)
        .log_in_then(USER_EMAIL, USER_PASSWORD, &next)
        .await;
    let res = browser.get(&next).await;
    let to = location(&res);
    assert!(to.starts_with("/sign-in-problem?reason=no_access"), "{to}");
    assert!(!to.contains("code="));
    let res = browser.get(&to).await;
    assert_status(&res, StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("You don&#x27;t have access to Wiki")
            || page.contains("You don't have access to Wiki"),
        "{page}"
    );
    // prompt=none never shows a page: the app hears access_denied.
    let quiet = replace_param(&url, "prompt", "none");
    let back = Url::parse(&location(&browser.get(&quiet).await)).unwrap();
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert!(param(&back, "code").is_none());
}
