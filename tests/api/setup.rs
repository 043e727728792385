use crate::{both_engines, helpers::*};
use reqwest::StatusCode;

async fn an_empty_site_offers_setup_then_closes_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let page = app.get("/login").await.text().await.unwrap();
    assert!(
        page.contains("href=\"/setup\""),
        "login page should point newcomers to /setup"
    );

    let res = app
        .form_post(
            "setup",
            "/setup",
            &[
                ("email", ADMIN_EMAIL),
                ("name", "Site Admin"),
                ("password", ADMIN_PASSWORD),
                ("confirm_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/login?setup=done");

    let again = app
        .call(
            "setup",
            &[
                ("email", "other@acme.test"),
                ("name", "Other"),
                ("password", ADMIN_PASSWORD),
                ("confirm_password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let page = app.get("/setup").await.text().await.unwrap();
    assert!(page.contains("Setup is complete"));
    assert!(!app
        .get("/login")
        .await
        .text()
        .await
        .unwrap()
        .contains("href=\"/setup\""));

    let login = app.log_in("admin@acme.test", ADMIN_PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    app.stop().await;
}

async fn setup_rejects_weak_or_mismatched_passwords_with_field_messages(engine: Engine) {
    let app = spawn_app(engine).await;
    let res = app
        .call(
            "setup",
            &[
                ("email", "not-an-email"),
                ("name", ""),
                ("password", "password1234"),
                ("confirm_password", "different"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    for expected in ["invalid_email", "required", "common_password", "mismatch"] {
        assert!(body.contains(expected), "{expected} missing from {body}");
    }
    let page = app.get("/setup").await.text().await.unwrap();
    assert!(
        page.contains("Create the first site admin"),
        "nothing was created"
    );
    app.stop().await;
}

both_engines!(
    an_empty_site_offers_setup_then_closes_it,
    setup_rejects_weak_or_mismatched_passwords_with_field_messages
);
