use crate::{both_engines, helpers::*};
use gatehouse::server::{
    db,
    mail::{outbox, templates, transport::Transport},
};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Waits until every queued message is marked sent, then stops the server
/// and its mail worker (which finishes the message in hand first): what the
/// sink holds then is final.
async fn all_sent_and_stopped(app: &mut TestApp) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (unsent,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        if unsent == 0 {
            return app.stop_server().await;
        }
        assert!(
            Instant::now() < deadline,
            "{unsent} messages still unsent after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn the_forgot_password_answer_never_waits_for_the_mail_server(engine: Engine) {
    let mut app = spawn_app(engine).await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    app.sink.stop();
    let known = app.request_reset(USER_EMAIL).await;
    let (ks, kb) = (known.status(), known.text().await.unwrap());
    let unknown = app.request_reset("ghost@example.test").await;
    assert_eq!((ks, kb), (unknown.status(), unknown.text().await.unwrap()));
    assert_eq!(ks, StatusCode::OK);
    app.sink.resume().await;
    app.stop().await;
}

async fn mail_queued_while_the_server_is_down_is_delivered_once_it_is_back(engine: Engine) {
    let mut app = spawn_app(engine).await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    app.create_user("sam@example.test", "Sam", USER_PASSWORD, "user")
        .await;
    app.sink.stop();
    app.request_reset(USER_EMAIL).await;
    app.request_reset("sam@example.test").await;
    // Let the worker fail at least once against the closed port.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL")
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        if n >= 1 || Instant::now() > deadline {
            assert!(n >= 1, "the worker should have tried and failed");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.sink.mails().is_empty());
    app.sink.resume().await;
    app.sink.wait_for(USER_EMAIL, 1).await;
    app.sink.wait_for("sam@example.test", 1).await;
    all_sent_and_stopped(&mut app).await;
    assert_eq!(app.sink.mails_to(USER_EMAIL).len(), 1, "exactly once");
    assert_eq!(
        app.sink.mails_to("sam@example.test").len(),
        1,
        "exactly once"
    );
    let (pending, body): (i64, String) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(MAX(body_text), '') FROM outbox WHERE sent_at IS NULL",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!((pending, body.as_str()), (0, ""));
    let (bodies,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE body_text <> ''")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(bodies, 0, "sent mail no longer holds its link at rest");
    app.stop().await;
}

async fn several_workers_never_send_a_message_twice(engine: Engine) {
    let mut app = spawn_app(engine).await;
    let now = app.state.clock.now();
    let total = 40;
    {
        let mut tx = app.state.db.begin().await.unwrap();
        for i in 0..total {
            let mail = templates::test_email("Acme");
            outbox::enqueue(&mut tx, &format!("user{i}@example.test"), &mail, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    // Three more workers race the app's own one.
    let mut workers = Vec::new();
    for _ in 0..3 {
        let state = app.state.clone();
        workers.push(tokio::spawn(async move {
            let transport = Transport::new(&state.settings.mail).unwrap();
            loop {
                match outbox::deliver_one(&state, &transport).await.unwrap() {
                    outbox::Delivery::Idle => break,
                    _ => continue,
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    for i in 0..total {
        app.sink.wait_for(&format!("user{i}@example.test"), 1).await;
    }
    all_sent_and_stopped(&mut app).await;
    assert_eq!(app.sink.mails().len(), total, "each message exactly once");
    let mut conn = app.state.db.conn().await.unwrap();
    let counts = db::outbox::counts(&mut conn).await.unwrap();
    assert_eq!((counts.pending, counts.sent), (0, total as i64));
    app.stop().await;
}

both_engines!(
    the_forgot_password_answer_never_waits_for_the_mail_server,
    mail_queued_while_the_server_is_down_is_delivered_once_it_is_back,
    several_workers_never_send_a_message_twice,
);
