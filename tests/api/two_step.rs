//! Two-step verification: an authenticator app set up on the security page
//! (its codes made by totp-lite, not the server's code), recovery codes,
//! the login's second step (bound to its browser, five minutes, once,
//! throttled), the site's policy, a site admin turning it off, and what
//! apps and proxies are told (`amr`, apps that need two steps,
//! `/auth/verify?two_factor=1`).

use crate::{both_engines, helpers::*};
use gatehouse::server::{db::user_search::Page, platform::config::TwoFactorPolicy};
use reqwest::StatusCode;

both_engines!(
    an_authenticator_app_is_set_up_with_a_code_and_asked_for_at_every_login,
    a_code_is_taken_once_and_one_step_either_side_only,
    a_recovery_code_works_once_and_new_ones_void_the_old,
    wrong_codes_are_answered_alike_audited_and_throttled,
    the_waiting_login_is_bound_to_its_browser_and_lasts_five_minutes,
    a_password_reset_does_not_remove_the_second_step,
    the_site_policy_sends_admins_to_set_up_first_and_lets_them_do_nothing_else,
    a_site_admin_turns_it_off_for_someone_who_lost_their_factors,
);

/// The server's clock now, kept at least five seconds from the end of a
/// 30-second step, so that a test's codes stay in the steps it means.
fn steady_now(app: &TestApp) -> i64 {
    let now = app.state.clock.now();
    if now % 30 >= 25 {
        app.clock.advance_secs(6);
    }
    app.state.clock.now()
}

/// Jane, logged in in a browser without JavaScript, sets up an
/// authenticator app: the app, and the recovery codes shown to her.
async fn jane_sets_up_an_app(app: &TestApp, jane: &Browser) -> (Authenticator, Vec<String>) {
    let page = jane.open("/account/security").await;
    assert!(page.contains("<svg"), "a QR code drawn on the server");
    let phone = Authenticator::from_page(&page);
    let code = phone.code_at(steady_now(app));
    let res = jane.without_js().set_up_app(&code, USER_PASSWORD).await;
    assert_redirects_to(&res, "/account/security?done=app_on");
    let page = jane.open("/account/security").await;
    let codes = recovery_codes(&page);
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    (phone, codes)
}

/// Jane logs in with her password in a new browser: she is asked for her
/// second step, with no session yet.
async fn jane_types_her_password(app: &TestApp) -> Browser {
    let browser = app.browser().without_js();
    let res = browser.log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_redirects_to(&res, "/login/verify");
    assert!(
        !browser.is_logged_in().await,
        "no session before the second step"
    );
    browser
}

async fn an_authenticator_app_is_set_up_with_a_code_and_asked_for_at_every_login(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;

    // Not on until a code from the app confirms it, and never without the
    // current password.
    let page = jane.open("/account/security").await;
    let phone = Authenticator::from_page(&page);
    let again = Authenticator::from_page(&jane.open("/account/security").await);
    assert_eq!(
        again.code_at(0),
        phone.code_at(0),
        "the same key until it is confirmed"
    );
    let now = steady_now(&app);
    let res = jane.set_up_app("000000", USER_PASSWORD).await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("wrong_code"));
    let res = jane
        .set_up_app(&phone.code_at(now), "not my password")
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("wrong_current_password"));
    assert_redirects_to(
        &app.browser().get("/account/security").await,
        "/login?next=%2Faccount%2Fsecurity",
    );
    assert_redirects_to(
        &app.browser()
            .without_js()
            .log_in(USER_EMAIL, USER_PASSWORD)
            .await,
        "/account",
    );
    assert!(
        app.sink.mails_to(USER_EMAIL).is_empty(),
        "nothing on yet, nothing told"
    );

    // On: the codes shown once, the owner told.
    let res = jane
        .without_js()
        .set_up_app(&phone.code_at(now), USER_PASSWORD)
        .await;
    assert_redirects_to(&res, "/account/security?done=app_on");
    let page = jane.open("/account/security").await;
    assert_eq!(recovery_codes(&page).len(), 10);
    assert!(page.contains("Two-step verification is on"), "{page}");
    assert!(
        !page.contains("id=\"totp-secret\""),
        "the key is never shown again"
    );
    assert!(
        recovery_codes(&jane.open("/account/security").await).is_empty(),
        "shown once"
    );
    let mails = app.sink.wait_for(USER_EMAIL, 1).await;
    assert_eq!(mails[0].subject(), "Two-step verification is on");

    // Every login now asks for a code; the right one starts the session.
    app.clock.advance_secs(30);
    let browser = jane_types_her_password(&app).await;
    let verify = browser.open("/login/verify").await;
    assert!(verify.contains("name=\"code\""), "{verify}");
    let res = browser.verify_login(&phone.code_at(steady_now(&app))).await;
    assert_redirects_to(&res, "/account");
    assert!(browser.is_logged_in().await);
}

async fn a_code_is_taken_once_and_one_step_either_side_only(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let (phone, _) = jane_sets_up_an_app(&app, &jane).await;
    app.clock.advance_secs(120);
    let now = steady_now(&app);

    // Two steps ahead: too far.
    let browser = jane_types_her_password(&app).await;
    let res = browser.verify_login(&phone.code_at(now + 60)).await;
    assert_status(&res, StatusCode::FOUND);
    assert!(!browser.is_logged_in().await, "two steps off is refused");
    // One step behind (a slow clock): taken.
    let res = browser.verify_login(&phone.code_at(now - 30)).await;
    assert_redirects_to(&res, "/account");

    // The same code again, in another login: refused (a replay).
    let browser = jane_types_her_password(&app).await;
    browser.verify_login(&phone.code_at(now - 30)).await;
    assert!(!browser.is_logged_in().await, "a code works once");
    // One step ahead (a fast clock): taken; then the current step's code,
    // older than the last one taken, is refused too.
    let res = browser.verify_login(&phone.code_at(now + 30)).await;
    assert_redirects_to(&res, "/account");
    let browser = jane_types_her_password(&app).await;
    browser.verify_login(&phone.code_at(now)).await;
    assert!(
        !browser.is_logged_in().await,
        "no code older than the last one taken"
    );
}

async fn a_recovery_code_works_once_and_new_ones_void_the_old(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let (_, codes) = jane_sets_up_an_app(&app, &jane).await;

    // Typed in capitals with spaces: still the code.
    let browser = jane_types_her_password(&app).await;
    let typed = codes[0].to_uppercase().replace('-', " ");
    let res = browser.verify_login(&typed).await;
    assert_redirects_to(&res, "/account");
    let mails = app.sink.wait_for(USER_EMAIL, 2).await;
    let told = mails.last().unwrap();
    assert_eq!(told.subject(), "A recovery code was used");
    assert!(
        told.text_part().contains("9 unused recovery codes left"),
        "{}",
        told.text_part()
    );

    let browser = jane_types_her_password(&app).await;
    browser.verify_login(&codes[0]).await;
    assert!(!browser.is_logged_in().await, "a recovery code works once");

    // New codes: the old ones void, the new ones good; the owner told.
    let res = jane
        .without_js()
        .renew_recovery_codes("wrong password")
        .await;
    assert_status(&res, StatusCode::FOUND);
    assert!(location(&res).contains("__err"), "{}", location(&res));
    let res = jane.without_js().renew_recovery_codes(USER_PASSWORD).await;
    assert_redirects_to(&res, "/account/security?done=codes");
    let fresh = recovery_codes(&jane.open("/account/security").await);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    let mails = app.sink.wait_for(USER_EMAIL, 3).await;
    assert_eq!(mails.last().unwrap().subject(), "New recovery codes");
    let browser = jane_types_her_password(&app).await;
    browser.verify_login(&codes[1]).await;
    assert!(!browser.is_logged_in().await, "an old code no longer works");
    assert_redirects_to(&browser.verify_login(&fresh[0]).await, "/account");
}

async fn wrong_codes_are_answered_alike_audited_and_throttled(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.login_per_account_burst = 3;
        c.limits.login_per_account_per_hour = 3;
    })
    .await;
    app.create_admin().await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    jane_sets_up_an_app(&app, &jane).await;

    let browser = app.browser();
    let res = browser.log_in(USER_EMAIL, USER_PASSWORD).await;
    assert_eq!(location(&res), "/login/verify");
    let answers: Vec<(StatusCode, String)> = {
        let mut answers = Vec::new();
        for code in ["123456", "abcde-fghij", "not a code at all"] {
            let res = browser.verify_login(code).await;
            answers.push((res.status(), res.text().await.unwrap()));
        }
        answers
    };
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "one answer for every wrong code: {answers:?}"
    );
    assert_eq!(answers[0].0, StatusCode::UNPROCESSABLE_ENTITY);
    let res = browser.verify_login("654321").await;
    assert_status(&res, StatusCode::TOO_MANY_REQUESTS);

    let admin = app.as_admin().await;
    let audit = admin
        .list_audit(Some("second_step_failed"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(audit.matches("second_step_failed").count(), 3, "{audit}");
    let audit = admin
        .list_audit(Some("second_step_throttled"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("too many attempts for this account"),
        "{audit}"
    );
}

async fn the_waiting_login_is_bound_to_its_browser_and_lasts_five_minutes(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let (phone, _) = jane_sets_up_an_app(&app, &jane).await;
    app.clock.advance_secs(60);

    // Another browser (without the login's cookie) has no login to finish.
    let _waiting = jane_types_her_password(&app).await;
    let elsewhere = app.browser();
    let res = elsewhere
        .verify_login(&phone.code_at(steady_now(&app)))
        .await;
    assert_status(&res, StatusCode::GONE);
    assert!(!elsewhere.is_logged_in().await);
    let page = elsewhere.open("/login/verify").await;
    assert!(page.contains("This login has ended"), "{page}");

    // Five minutes later the login has ended.
    let late = jane_types_her_password(&app).await;
    app.clock.advance_secs(301);
    let res = late.verify_login(&phone.code_at(steady_now(&app))).await;
    assert_status(&res, StatusCode::FOUND);
    assert!(location(&res).contains("__err"), "{}", location(&res));
    assert!(!late.is_logged_in().await);

    // Finished once: the same browser cannot finish it again.
    app.clock.advance_secs(60);
    let browser = jane_types_her_password(&app).await;
    let cookie_before = browser.clone();
    assert_redirects_to(
        &browser.verify_login(&phone.code_at(steady_now(&app))).await,
        "/account",
    );
    app.clock.advance_secs(60);
    let res = cookie_before
        .with_header(
            "Cookie",
            "gatehouse_pending=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .verify_login(&phone.code_at(steady_now(&app)))
        .await;
    assert_status(&res, StatusCode::FOUND);
    assert!(location(&res).contains("__err"));
}

async fn a_password_reset_does_not_remove_the_second_step(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    jane_sets_up_an_app(&app, &jane).await;

    // The set-up's notice may still be on its way: the reset mail is the
    // one with a set-password link.
    app.browser().request_password_reset(USER_EMAIL).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let link = loop {
        let mails = app.sink.mails_to(USER_EMAIL);
        if let Some(link) = mails
            .iter()
            .filter_map(|m| m.link())
            .find(|l| l.contains("/reset-password/"))
        {
            break link;
        }
        assert!(std::time::Instant::now() < deadline, "no reset mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let token = TestApp::token_of(&link);
    let new = "a brand new passphrase for jane";
    let res = app.browser().reset_password(&token, new, new).await;
    assert_eq!(res.status(), StatusCode::OK);

    let browser = app.browser().without_js();
    assert_redirects_to(&browser.log_in(USER_EMAIL, new).await, "/login/verify");
    assert!(!browser.is_logged_in().await, "the reset skipped nothing");
}

async fn the_site_policy_sends_admins_to_set_up_first_and_lets_them_do_nothing_else(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |c| c.auth.two_factor = TwoFactorPolicy::SiteAdmins).await;
    app.create_admin().await;
    app.create_jane().await;

    // A plain user is not asked.
    assert_redirects_to(
        &app.browser()
            .without_js()
            .log_in(USER_EMAIL, USER_PASSWORD)
            .await,
        "/account",
    );

    // The admin is taken to set it up, and can do nothing else meanwhile.
    let admin = app.browser();
    let res = admin.without_js().log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_redirects_to(&res, "/account/security");
    assert_redirects_to(&admin.get("/account").await, "/account/security");
    assert_redirects_to(
        &admin.get("/admin/users").await,
        "/account/security?next=%2Fadmin%2Fusers",
    );
    let res = admin.list_users(None, Page::First).await;
    assert_status(&res, StatusCode::FORBIDDEN);
    let res = admin
        .with_header("x-original-url", &format!("{}/private/", app.base))
        .get("/auth/verify")
        .await;
    assert_ne!(res.status(), StatusCode::OK, "no forward-auth pass either");
    let page = admin.open("/account/security").await;
    assert!(page.contains("requires two-step verification"), "{page}");

    // Set up: everything opens.
    let phone = Authenticator::from_page(&page);
    let res = admin
        .without_js()
        .set_up_app_then(
            &phone.code_at(steady_now(&app)),
            ADMIN_PASSWORD,
            "/admin/users",
        )
        .await;
    assert_redirects_to(&res, "/account/security?done=app_on&next=%2Fadmin%2Fusers");
    let page = admin
        .open("/account/security?done=app_on&next=%2Fadmin%2Fusers")
        .await;
    assert!(page.contains("href=\"/admin/users\""), "a way on: {page}");
    assert_status(&admin.list_users(None, Page::First).await, StatusCode::OK);
    assert_status(&admin.get("/admin/users").await, StatusCode::OK);
}

async fn a_site_admin_turns_it_off_for_someone_who_lost_their_factors(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let jane_id = app.create_jane().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let (phone, codes) = jane_sets_up_an_app(&app, &jane).await;
    let admin = app.as_admin().await;

    // The admin sees that it is on, and nothing of the key or the codes.
    let list = admin
        .list_users(None, Page::First)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("\"two_step\":{\"app\":true,\"passkeys\":0}"),
        "{list}"
    );
    let key_code = phone.code_at(0);
    assert!(!list.contains(&codes[0]) && !list.contains(&key_code));

    let res = admin.turn_off_two_step(jane_id, false).await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        jane.is_logged_in().await,
        "nothing happened without the box ticked"
    );
    let res = admin.without_js().turn_off_two_step(jane_id, true).await;
    assert_redirects_to(&res, "/admin/users?done=two_step_off");

    // Off: her sessions ended, she is told, it is audited; her password
    // alone logs her in again.
    assert!(!jane.is_logged_in().await, "her sessions ended");
    let mails = app.sink.wait_for(USER_EMAIL, 2).await;
    assert_eq!(
        mails.last().unwrap().subject(),
        "Two-step verification is off"
    );
    let audit = admin
        .list_audit(Some("two_step_turned_off_by_admin"))
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("1 sessions ended"), "{audit}");
    let list = admin
        .list_users(None, Page::First)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("\"two_step\":{\"app\":false,\"passkeys\":0}"),
        "{list}"
    );
    assert_redirects_to(
        &app.browser()
            .without_js()
            .log_in(USER_EMAIL, USER_PASSWORD)
            .await,
        "/account",
    );
    // Not on one's own account.
    let me = admin
        .list_users(Some("admin@acme"), Page::First)
        .await
        .text()
        .await
        .unwrap();
    let my_id: i64 = me
        .split("\"id\":")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let res = admin.turn_off_two_step(my_id, true).await;
    assert_ne!(res.status(), StatusCode::OK);
}
