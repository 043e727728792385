//! The admin's mail page: the outbox with each message's state and the
//! mail server's last answer, a retry for a message given up on, a test
//! message to any address, and the user list naming whose mail failed.

use crate::{both_engines, helpers::*, probe};
use gatehouse::{domain::Role, server::db::user_search::Page};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use std::time::{Duration, Instant};

both_engines!(
    invitations_are_listed_with_their_state_and_a_resend_voids_the_old_link,
    a_set_password_link_is_shown_once_and_works_like_a_reset_link,
    a_failed_message_shows_with_its_error_and_is_sent_on_retry,
    an_admin_sends_a_test_message_to_any_address,
    an_admin_learns_at_once_when_a_reset_or_an_invitation_does_not_go_out,
);

/// What the admin's browser shows after an action posted without
/// JavaScript from the user list: the `done` code it is sent back with,
/// and the page.
async fn shown_after(admin: &Browser, res: Response) -> (String, String) {
    assert!(
        res.status().is_redirection(),
        "{}: {}",
        res.url(),
        res.status()
    );
    let to = location(&res);
    let done = to
        .split("done=")
        .nth(1)
        .map(|d| d.split('&').next().unwrap().to_owned())
        .unwrap_or_default();
    (done, admin.open(&to).await)
}

async fn an_admin_learns_at_once_when_a_reset_or_an_invitation_does_not_go_out(engine: Engine) {
    let mut app = spawn_app(engine).await;
    let (jane_id, admin) = app.with_admin_and_user().await;

    // Refused for good: the admin hears so from the send itself.
    app.sink
        .refuse(USER_EMAIL, "550 5.1.1 <jane@example.test>: User unknown");
    let admin = admin.without_js();
    let (done, page) = shown_after(&admin, admin.send_reset_email(jane_id).await).await;
    assert_eq!(done, "reset_refused");
    assert!(
        page.contains("The mail server refused the password reset email")
            && page.contains("Make a set-password link"),
        "the page names the fallback"
    );

    // Once the server takes it: sent.
    app.sink.stop_refusing(USER_EMAIL);
    let (done, page) = shown_after(&admin, admin.send_reset_email(jane_id).await).await;
    assert_eq!(done, "reset_sent");
    assert!(page.contains("Password reset email sent."));
    app.sink.wait_for(USER_EMAIL, 1).await;

    // An invitation the server refuses.
    app.sink.refuse(
        "sam@example.test",
        "550 5.1.1 <sam@example.test>: User unknown",
    );
    let invite = NewUser::invite("sam@example.test", "Sam");
    let (done, page) = shown_after(&admin, admin.add_user(invite).await).await;
    assert_eq!(done, "invite_refused");
    assert!(page.contains("the mail server refused the invitation"));

    // A server that cannot be reached: queued, and the admin is told.
    app.sink.stop();
    let (done, page) = shown_after(&admin, admin.send_reset_email(jane_id).await).await;
    assert_eq!(done, "reset_queued");
    assert!(page.contains("the mail server has not taken it yet"));
    app.sink.resume().await;
    app.sink.wait_for(USER_EMAIL, 2).await;
}

/// Jane's row of the admin's user list.
async fn jane_in_the_list(admin: &Browser) -> Value {
    let res = admin.list_users(None, Page::First).await;
    let users: Value = res.json().await.unwrap();
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == USER_EMAIL)
        .cloned()
        .unwrap()
}

/// The admin's mail page (JSON).
async fn list(admin: &Browser) -> Value {
    let res = admin.list_mail().await;
    assert_status(&res, StatusCode::OK);
    res.json().await.unwrap()
}

async fn a_failed_message_shows_with_its_error_and_is_sent_on_retry(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.mail.max_attempts = 1).await;
    let (_, admin) = app.with_admin_and_user().await;
    app.sink
        .refuse(USER_EMAIL, "450 4.2.0 Greylisted, try again later");
    app.request_password_reset(USER_EMAIL).await;
    // The one attempt is refused for now, and one is all it may have: the
    // message is given up.
    let deadline = Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let page = list(&admin).await;
        let reset = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "reset")
            .cloned();
        if let Some(m) = reset.filter(|m| m["state"] == "failed") {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "the reset mail did not fail: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed["to"], USER_EMAIL);
    assert_eq!(failed["attempts"], 1);
    assert!(
        failed["last_error"]
            .as_str()
            .unwrap()
            .contains("Greylisted, try again later"),
        "the mail server's answer in full: {failed}"
    );
    assert!(
        failed.get("text").is_none() && failed.get("body").is_none(),
        "never the body"
    );

    // The user list says so, next to Jane.
    let jane = jane_in_the_list(&admin).await;
    assert!(jane["mail_failed"].is_string(), "{jane}");
    let page = admin.open("/admin/users").await;
    assert!(page.contains("Mail failed"), "the list page marks it");

    // Retry now, with the mail server taking it: sent, once.
    app.sink.stop_refusing(USER_EMAIL);
    let id = failed["id"].as_i64().unwrap();
    assert_status(&admin.retry_mail(id).await, StatusCode::OK);
    app.sink.wait_for(USER_EMAIL, 1).await;
    let res = admin.retry_mail(id).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "only a failed message can be retried"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = list(&admin).await;
        let m = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == failed["id"])
            .cloned()
            .unwrap();
        if m["state"] == "sent" {
            break;
        }
        assert!(Instant::now() < deadline, "not marked sent: {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let jane = jane_in_the_list(&admin).await;
    assert!(
        jane["mail_failed"].is_null(),
        "the newest mail went out: {jane}"
    );
    assert_eq!(app.sink.mails_to(USER_EMAIL).len(), 1);
}

async fn an_admin_sends_a_test_message_to_any_address(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, admin) = app.with_admin_and_user().await;
    let res = admin.send_test_mail("postmaster@elsewhere.test").await;
    assert_status(&res, StatusCode::OK);
    let mail = app.sink.wait_for("postmaster@elsewhere.test", 1).await;
    assert!(mail[0].text_part().contains("This is a test message"));
    let page = list(&admin).await;
    assert_eq!(page["entries"][0]["kind"], "test");

    let res = admin.send_test_mail("not an address").await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let res = jane.send_test_mail("x@elsewhere.test").await;
    assert_status(&res, StatusCode::FORBIDDEN);
    assert_status(&jane.list_mail().await, StatusCode::FORBIDDEN);
    let html = admin.open("/admin/mail").await;
    assert!(
        html.contains("postmaster@elsewhere.test"),
        "the page lists it:\n{html}"
    );
}

/// Without working mail: the admin makes a set-password link for Jane. It
/// is shown once (to the admin's page, without JavaScript too), stored
/// only as a hash, audited, and works like a reset link: using it sets her
/// password and voids the link mailed earlier.
async fn a_set_password_link_is_shown_once_and_works_like_a_reset_link(engine: Engine) {
    let app = spawn_app(engine).await;
    let (jane, admin) = app.with_admin_and_user().await;
    app.request_password_reset(USER_EMAIL).await;
    let mailed = app.last_email_link(USER_EMAIL, 1).await;

    let res = admin.without_js().make_set_password_link(jane).await;
    assert_redirects_to(&res, "/admin/users?done=link_made");
    // Jane hears of it: a link she did not ask for is someone about to
    // choose her password.
    let mails = app.sink.wait_for(USER_EMAIL, 2).await;
    let notice = mails
        .iter()
        .find(|m| m.subject() == "A link to set your password was made")
        .expect("the owner is told");
    assert!(
        notice.text_part().contains(ADMIN_EMAIL),
        "{}",
        notice.text_part()
    );
    assert!(notice.link().is_none(), "the notice carries no link");
    let page = admin.open("/admin/users?done=link_made").await;
    assert!(
        page.contains(&format!("Set-password link for {USER_EMAIL}")),
        "{page}"
    );
    let link = page
        .split("id=\"set-password-link\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the link in the page")
        .to_owned();
    assert!(link.starts_with(&app.url("/reset-password/")), "{link}");
    let again = admin.open("/admin/users").await;
    assert!(!again.contains(&link), "shown once");

    let token = TestApp::token_of(&link);
    assert!(
        !probe::password_token_stored_as_is(&app, &token).await,
        "only a hash is stored"
    );
    let audited = probe::audit(&app, Some("set_password_link_made")).await;
    let by_the_admin = audited
        .iter()
        .filter(|e| e.actor_email.as_deref() == Some(ADMIN_EMAIL))
        .count();
    assert_eq!(by_the_admin, 1);

    let new = "a passphrase handed over in person";
    let res = app.reset_password(&token, new, new).await;
    assert_status(&res, StatusCode::OK);
    assert_redirects_to(&app.without_js().log_in(USER_EMAIL, new).await, "/account");
    let res = app
        .reset_password(&TestApp::token_of(&mailed), new, new)
        .await;
    assert_eq!(res.status(), StatusCode::GONE, "the mailed link was voided");
    // A link passed on by hand proves nothing about the mailbox.
    assert!(
        !probe::email_verified(&app, jane).await,
        "an admin's link verifies no address"
    );
    app.request_password_reset(USER_EMAIL).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mailed = loop {
        let links: Vec<String> = app
            .sink
            .mails_to(USER_EMAIL)
            .iter()
            .filter_map(|m| m.link())
            .filter(|l| l.contains("/reset-password/") && *l != mailed)
            .collect();
        if let Some(link) = links.last() {
            break link.clone();
        }
        assert!(Instant::now() < deadline, "no second reset mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let newer = "a passphrase from the mailed link";
    assert_status(
        &app.reset_password(&TestApp::token_of(&mailed), newer, newer)
            .await,
        StatusCode::OK,
    );
    assert!(
        probe::email_verified(&app, jane).await,
        "a mailed link does"
    );

    // No admin gets a link that sets another site admin's password.
    let other = app
        .create_user(
            "second-admin@acme.test",
            "Sam Second",
            USER_PASSWORD,
            Role::SiteAdmin,
        )
        .await;
    let res = admin.make_set_password_link(other).await;
    assert_status(&res, StatusCode::FORBIDDEN);
}

async fn invitations(admin: &Browser) -> Vec<Value> {
    let res = admin.list_invitations().await;
    assert_status(&res, StatusCode::OK);
    res.json::<Vec<Value>>().await.unwrap()
}

/// Pending, then (after a resend) replaced by a fresh pending link whose
/// predecessor no longer works, then accepted; one left alone expires.
async fn invitations_are_listed_with_their_state_and_a_resend_voids_the_old_link(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = app.as_admin().await;
    for (email, name) in [("ivy@example.test", "Ivy"), ("otto@example.test", "Otto")] {
        let res = admin.add_user(NewUser::invite(email, name)).await;
        assert_status(&res, StatusCode::OK);
    }
    let first = app.last_email_link("ivy@example.test", 1).await;
    let list = invitations(&admin).await;
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|i| i["state"] == "pending"), "{list:?}");
    let ivy = list
        .iter()
        .find(|i| i["email"] == "ivy@example.test")
        .unwrap()["user_id"]
        .as_i64()
        .unwrap();

    assert_status(&admin.send_reset_email(ivy).await, StatusCode::OK);
    let second = app.last_email_link("ivy@example.test", 2).await;
    assert_ne!(first, second);
    let list = invitations(&admin).await;
    let states: Vec<&str> = list
        .iter()
        .filter(|i| i["email"] == "ivy@example.test")
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["pending", "replaced"], "newest first");
    let password = "a fine passphrase of her own 3";
    let old = TestApp::token_of(&first);
    assert_eq!(
        app.reset_password(&old, password, password).await.status(),
        StatusCode::GONE,
        "the old link is void"
    );
    let new = TestApp::token_of(&second);
    assert_status(
        &app.reset_password(&new, password, password).await,
        StatusCode::OK,
    );
    let list = invitations(&admin).await;
    assert_eq!(list[0]["state"], "accepted");

    app.clock
        .advance_secs(i64::from(app.state.settings.auth.invite_hours) * 3600 + 1);
    // A week on, the admin logs in again.
    let admin = app.as_admin().await;
    let list = invitations(&admin).await;
    let otto = list
        .iter()
        .find(|i| i["email"] == "otto@example.test")
        .unwrap();
    assert_eq!(otto["state"], "expired");
    let page = admin.open("/admin/users").await;
    assert!(
        page.contains("invitations-table") && page.contains("Expired"),
        "the users page lists them"
    );
}
