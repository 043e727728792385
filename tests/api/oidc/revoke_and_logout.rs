//! What ends the tokens an app holds: the person logging out everywhere, a
//! password reset, an admin disabling or deleting them, the app revoking a
//! token (`/oauth2/revoke`), and RP-initiated logout (`/oauth2/logout`).

use super::*;
use crate::{both_engines, probe};

both_engines!(
    disabling_resetting_and_logging_out_everywhere_end_an_apps_tokens,
    revocation_and_logout_end_what_the_app_holds,
    logout_without_a_hint_asks_the_person_first,
    the_account_page_lists_and_ends_sessions_and_apps,
);

async fn disabling_resetting_and_logging_out_everywhere_end_an_apps_tokens(engine: Engine) {
    let app = spawn_app(engine).await;
    let (jane, admin) = app.with_admin_and_user().await;
    let creds = register(&app, false, "user").await;

    let t = jane_tokens(&app, &creds, USER_PASSWORD).await;
    assert_eq!(
        userinfo_status(&app, &text(&t, "access_token")).await,
        StatusCode::OK
    );
    let jane_browser = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let res = jane_browser.log_out_everywhere().await;
    assert_status(&res, StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "log out everywhere").await;

    let t = jane_tokens(&app, &creds, USER_PASSWORD).await;
    app.request_password_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let new_password = "another fine passphrase 9";
    let res = app
        .reset_password(&TestApp::token_of(&link), new_password, new_password)
        .await;
    assert_status(&res, StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "password reset").await;

    let t = jane_tokens(&app, &creds, new_password).await;
    assert_status(&admin.disable_user(jane).await, StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "disabled").await;

    // Deleted: enabled again, signed in again, then deleted for good.
    assert_status(&admin.enable_user(jane).await, StatusCode::OK);
    let t = jane_tokens(&app, &creds, new_password).await;
    assert_eq!(
        userinfo_status(&app, &text(&t, "access_token")).await,
        StatusCode::OK
    );
    assert_status(&admin.delete_user(jane).await, StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "deleted").await;
}

async fn revocation_and_logout_end_what_the_app_holds(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let browser = app.browser();
    let back = jane_signs_in(&app, &browser, &creds, &challenge).await;
    let (_, t) = exchange(&app, &creds, &param(&back, "code").unwrap(), &verifier).await;

    // RFC 7009: revoking the refresh token ends the access token too.
    let refresh_token = text(&t, "refresh_token");
    let status = revoke(
        &app,
        &creds,
        &[
            ("token", refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        userinfo_status(&app, &text(&t, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = refresh(&app, &creds, &text(&t, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // An unknown token: the same answer.
    let status = revoke(&app, &creds, &[("token", "never-issued")]).await;
    assert_eq!(status, StatusCode::OK);

    // RP-initiated logout: with the ID token as hint, the session ends and
    // the browser goes to the registered post-logout URI with the state.
    let mut logout = Url::parse(&app.url("/oauth2/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &text(&t, "id_token"))
        .append_pair("post_logout_redirect_uri", POST_LOGOUT)
        .append_pair("state", "bye-1");
    // Without the hint nothing ends, and an unregistered URI is not followed.
    let unhinted = replace_param(
        &replace_param(logout.as_str(), "id_token_hint", ""),
        "post_logout_redirect_uri",
        "http://evil.test/",
    );
    let res = browser.get(&unhinted).await;
    let asked = location(&res);
    assert!(asked.starts_with("/log-out?"), "{asked}");
    assert!(!asked.contains("evil.test"), "{asked}");
    assert!(browser.is_logged_in().await);
    let res = browser.get(logout.as_str()).await;
    assert_eq!(location(&res), format!("{POST_LOGOUT}?state=bye-1"));
    assert!(!browser.is_logged_in().await, "logged out of Gatehouse too");
}

/// RP-initiated logout without a valid, unexpired `id_token_hint` (some
/// relying parties never send one): the person is asked "Log out of
/// <site>?"; confirming (without JavaScript too) ends the session and
/// follows the post-logout URI registered for the `client_id` given.
async fn logout_without_a_hint_asks_the_person_first(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let browser = app.browser();
    let back = jane_signs_in(&app, &browser, &creds, &challenge).await;
    let (_, t) = exchange(&app, &creds, &param(&back, "code").unwrap(), &verifier).await;

    let mut logout = Url::parse(&app.url("/oauth2/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", &creds.client_id)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT)
        .append_pair("state", "bye-2");
    let res = browser.get(logout.as_str()).await;
    let asked = location(&res);
    assert!(asked.starts_with("/log-out?"), "{asked}");
    assert!(
        browser.is_logged_in().await,
        "nothing ends before the person says so"
    );
    let page = browser.open(&asked).await;
    assert!(page.contains("Log out of Acme Consultations?"), "{page}");
    assert!(
        page.contains("Wiki asked to log you out of Acme Consultations."),
        "{page}"
    );
    assert!(page.contains("value=\"bye-2\""), "{page}");

    // An expired hint proves no more than none.
    for _ in 0..4 {
        // An hour and a bit, the session kept from idling out.
        app.clock.advance_secs(20 * 60);
        assert!(browser.is_logged_in().await);
    }
    let expired = replace_param(logout.as_str(), "id_token_hint", &text(&t, "id_token"));
    let res = browser.get(&expired).await;
    assert!(
        location(&res).starts_with("/log-out?"),
        "{}",
        location(&res)
    );
    assert!(browser.is_logged_in().await);

    // The person confirms, as the page's form posts it.
    let res = browser
        .without_js()
        .on(&asked)
        .log_out_to(&creds.client_id, POST_LOGOUT, "bye-2")
        .await;
    let to = location(&res);
    assert!(
        to.starts_with("/continue?to=") && to.contains("bye-2"),
        "back to the app, through /continue: {to}"
    );
    assert!(!browser.is_logged_in().await);

    // Without a registered URI the browser stays here, at the login page.
    let browser = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let res = browser
        .log_out_to(&creds.client_id, "http://evil.test/", "x")
        .await;
    assert_status(&res, StatusCode::OK);
    assert_eq!(location(&res), "/login");
    assert!(!browser.is_logged_in().await);
}

/// The account page lists where the person is logged in (browser and
/// system from the User-Agent, address, this one marked) and the apps that
/// can still act for them; ending one logs that browser out, ending an app
/// stops its tokens at once. Both are audited.
async fn the_account_page_lists_and_ends_sessions_and_apps(engine: Engine) {
    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const FIREFOX: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let here = app.browser().with_header("User-Agent", CHROME);
    assert_status(
        &here.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    let there = app.browser().with_header("User-Agent", FIREFOX);
    assert_status(
        &there.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    let t = jane_tokens(&app, &creds, USER_PASSWORD).await;

    let res = here.list_sessions().await;
    assert_status(&res, StatusCode::OK);
    let listed: Value = res.json().await.unwrap();
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{listed}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{listed}");
    assert_eq!(current[0]["browser"], "Chrome");
    assert_eq!(current[0]["os"], "Linux");
    assert_eq!(current[0]["address"], "127.0.0.1");
    let firefox = sessions
        .iter()
        .find(|s| s["browser"] == "Firefox")
        .expect("the other browser's session");
    assert!(
        firefox["os"].as_str().unwrap().starts_with("Windows"),
        "{firefox}"
    );
    let apps = listed["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "{listed}");
    assert_eq!(apps[0]["name"], "Wiki");

    // The page shows them, without JavaScript too.
    let page = here.open("/account").await;
    assert!(
        page.contains("Chrome on Linux") && page.contains("This browser"),
        "{page}"
    );
    assert!(page.contains("Firefox on Windows"), "{page}");
    assert!(page.contains("Wiki"), "{page}");

    // Someone else's session is not Jane's to end.
    app.create_admin().await;
    let admin = app.as_admin().await;
    let theirs: Value = admin.list_sessions().await.json().await.unwrap();
    let theirs = theirs["sessions"][0]["handle"].as_str().unwrap().to_owned();
    assert_status(&here.end_session(&theirs).await, StatusCode::NOT_FOUND);
    assert_status(
        &here.end_session("not-a-handle").await,
        StatusCode::NOT_FOUND,
    );
    assert!(admin.is_logged_in().await);

    let handle = firefox["handle"].as_str().unwrap();
    let res = here.without_js().end_session(handle).await;
    assert_redirects_to(&res, "/account?ended=session");
    assert!(!there.is_logged_in().await, "that browser is logged out");
    assert!(here.is_logged_in().await, "this one is not");

    let res = here.end_app_access(&creds.client_id).await;
    assert_status(&res, StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "access removed on the account page").await;
    let listed: Value = here.list_sessions().await.json().await.unwrap();
    assert!(listed["apps"].as_array().unwrap().is_empty(), "{listed}");
    assert_status(
        &here.end_app_access(&creds.client_id).await,
        StatusCode::NOT_FOUND,
    );

    assert_eq!(probe::audit(&app, Some("session_ended")).await.len(), 1);
    assert_eq!(probe::audit(&app, Some("app_access_ended")).await.len(), 1);
}
