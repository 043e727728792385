//! The admin's mail page: the outbox with each message's state and the
//! mail server's last answer, a retry for a message given up on, a test
//! message to any address, and the user list naming whose mail failed.

use crate::{both_engines, helpers::*};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

both_engines!(
    a_failed_message_shows_with_its_error_and_is_sent_on_retry,
    an_admin_sends_a_test_message_to_any_address,
);

/// A page as the admin's browser (without JavaScript) gets it.
async fn admin_page(app: &TestApp, admin: &reqwest::Client, path: &str) -> String {
    let res = admin
        .get(app.url(path))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn list(app: &TestApp, admin: &reqwest::Client) -> Value {
    let res = call_with(admin, &app.base, "admin/list_mail", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn a_failed_message_shows_with_its_error_and_is_sent_on_retry(engine: Engine) {
    let mut app = spawn_app_with(engine, |c| c.mail.max_attempts = 1).await;
    let (_, admin) = app.with_admin_and_user().await;
    app.sink.stop();
    app.request_reset(USER_EMAIL).await;
    // The one attempt fails against the closed port: the message is given up.
    let deadline = Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let page = list(&app, &admin).await;
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
        !failed["last_error"].as_str().unwrap().is_empty(),
        "the mail server's answer: {failed}"
    );
    assert!(
        failed.get("text").is_none() && failed.get("body").is_none(),
        "never the body"
    );

    // The user list says so, next to Jane.
    let res = call_with(&admin, &app.base, "admin/list_users", &[]).await;
    let users: Value = res.json().await.unwrap();
    let jane = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == USER_EMAIL)
        .unwrap();
    assert!(jane["mail_failed"].is_string(), "{jane}");
    let page = admin_page(&app, &admin, "/admin/users").await;
    assert!(page.contains("Mail failed"), "the list page marks it");

    // Retry now, with the mail server back: sent, once.
    app.sink.resume().await;
    let id = failed["id"].as_i64().unwrap().to_string();
    let res = call_with(&admin, &app.base, "admin/retry_mail", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.sink.wait_for(USER_EMAIL, 1).await;
    let res = call_with(&admin, &app.base, "admin/retry_mail", &[("id", &id)]).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "only a failed message can be retried"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = list(&app, &admin).await;
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
    let res = call_with(&admin, &app.base, "admin/list_users", &[]).await;
    let users: Value = res.json().await.unwrap();
    let jane = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == USER_EMAIL)
        .unwrap();
    assert!(
        jane["mail_failed"].is_null(),
        "the newest mail went out: {jane}"
    );
    assert_eq!(app.sink.mails_to(USER_EMAIL).len(), 1);
    app.stop().await;
}

async fn an_admin_sends_a_test_message_to_any_address(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, admin) = app.with_admin_and_user().await;
    let res = call_with(
        &admin,
        &app.base,
        "admin/send_test_mail",
        &[("to", "postmaster@elsewhere.test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mail = app.sink.wait_for("postmaster@elsewhere.test", 1).await;
    assert!(mail[0].text_part().contains("This is a test message"));
    let page = list(&app, &admin).await;
    assert_eq!(page["entries"][0]["kind"], "test");

    let res = call_with(
        &admin,
        &app.base,
        "admin/send_test_mail",
        &[("to", "not an address")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let jane = logged_in(&app, USER_EMAIL, USER_PASSWORD).await;
    let res = call_with(
        &jane,
        &app.base,
        "admin/send_test_mail",
        &[("to", "x@elsewhere.test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = call_with(&jane, &app.base, "admin/list_mail", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = admin_page(&app, &admin, "/admin/mail").await;
    assert!(
        html.contains("postmaster@elsewhere.test"),
        "the page lists it:\n{html}"
    );
    app.stop().await;
}
