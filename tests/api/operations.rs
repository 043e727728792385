//! What an operator relies on: readiness, and a consistent backup of a live
//! SQLite database that a new server starts from.

use crate::{both_engines, helpers::*};
use reqwest::StatusCode;
use std::sync::atomic::Ordering;

both_engines!(
    readyz_answers_only_when_the_schema_is_current_and_not_while_stopping,
    a_backup_taken_under_load_restores_to_a_site_people_log_in_to,
);

async fn readyz_answers_only_when_the_schema_is_current_and_not_while_stopping(engine: Engine) {
    let app = spawn_app(engine).await;
    let status = |path: &'static str| {
        let url = app.url(path);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(status("/readyz").await, StatusCode::OK);
    app.state.shutting_down.store(true, Ordering::SeqCst);
    assert_eq!(
        status("/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "stopping"
    );
    app.state.shutting_down.store(false, Ordering::SeqCst);
    assert_eq!(status("/readyz").await, StatusCode::OK);
    // A migration this build knows but the database lacks.
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(status("/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        status("/healthz").await,
        StatusCode::OK,
        "alive all the same"
    );
    app.stop().await;
}

async fn a_backup_taken_under_load_restores_to_a_site_people_log_in_to(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backup.db");
    let url = app.state.settings.database_url.clone();
    // Logins and reset requests keep writing while the copy is made.
    let load = {
        let (base, client) = (app.base.clone(), app.new_client());
        tokio::spawn(async move {
            for i in 0..40 {
                let email = format!("nobody{i}@example.test");
                let _ = call_with(
                    &client,
                    &base,
                    "login",
                    &[("email", USER_EMAIL), ("password", USER_PASSWORD)],
                )
                .await;
                let _ = call_with(
                    &client,
                    &base,
                    "request_password_reset",
                    &[("email", &email)],
                )
                .await;
            }
        })
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir.path())
        .args(["backup", "--to", copy.to_str().unwrap()])
        .env("GATEHOUSE_DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    load.await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if engine == Engine::Postgres {
        assert!(!out.status.success());
        assert!(stderr.contains("pg_dump"), "{stderr}");
        app.stop().await;
        return;
    }
    assert!(out.status.success(), "backup: {stderr}");
    app.stop().await;

    let again = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir.path())
        .args(["backup", "--to", copy.to_str().unwrap()])
        .env("GATEHOUSE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let restored = format!("sqlite://{}", copy.display());
    let app = spawn_app_with(engine, |c| c.database.url = restored.clone()).await;
    app.form_log_in(USER_EMAIL, USER_PASSWORD).await;
    app.stop().await;
}
