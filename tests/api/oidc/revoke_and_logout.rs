//! What ends the tokens an app holds: the person logging out everywhere, a
//! password reset, an admin disabling or deleting them, the app revoking a
//! token (`/oauth2/revoke`), and RP-initiated logout (`/oauth2/logout`).

use super::*;
use crate::both_engines;

both_engines!(
    disabling_resetting_and_logging_out_everywhere_end_an_apps_tokens,
    revocation_and_logout_end_what_the_app_holds,
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
    assert_eq!(location(&res), "/account");
    assert!(browser.is_logged_in().await);
    let res = browser.get(logout.as_str()).await;
    assert_eq!(location(&res), format!("{POST_LOGOUT}?state=bye-1"));
    assert!(!browser.is_logged_in().await, "logged out of Gatehouse too");
}
