use crate::{both_engines, helpers::*, probe};
use gatehouse::{
    domain::Role,
    server::{
        db,
        mail::{outbox, templates, transport::Transport},
    },
};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Messages not sent (yet or for good).
async fn not_sent(app: &TestApp) -> i64 {
    let counts = probe::outbox_counts(app).await;
    counts.pending + counts.failed
}

/// Waits until every queued message is marked sent, then stops the server
/// and its mail worker (which finishes the message in hand first): what the
/// sink holds then is final.
async fn all_sent_and_stopped(app: &mut TestApp) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let unsent = not_sent(app).await;
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
    app.create_jane().await;
    app.sink.stop();
    let known = app.request_password_reset(USER_EMAIL).await;
    let (ks, kb) = (known.status(), known.text().await.unwrap());
    let unknown = app.request_password_reset("ghost@example.test").await;
    assert_eq!((ks, kb), (unknown.status(), unknown.text().await.unwrap()));
    assert_eq!(ks, StatusCode::OK);
    app.sink.resume().await;
}

async fn mail_queued_while_the_server_is_down_is_delivered_once_it_is_back(engine: Engine) {
    let mut app = spawn_app(engine).await;
    app.create_jane().await;
    app.create_user("sam@example.test", "Sam", USER_PASSWORD, Role::User)
        .await;
    app.sink.stop();
    app.request_password_reset(USER_EMAIL).await;
    app.request_password_reset("sam@example.test").await;
    // Let the worker fail at least once against the closed port.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = probe::messages_with_an_error(&app).await;
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
    assert_eq!(not_sent(&app).await, 0);
    assert_eq!(
        probe::messages_holding_a_body(&app).await,
        0,
        "sent mail no longer holds its link at rest"
    );
}

async fn several_workers_never_send_a_message_twice(engine: Engine) {
    let mut app = spawn_app(engine).await;
    let now = app.state.clock.now();
    let total = 40;
    {
        let mut tx = app.state.db.begin().await.unwrap();
        for i in 0..total {
            let mail = templates::Mails(gatehouse::i18n::Lang::EN).test("Acme");
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
            let transport = Transport::from_settings(&state.settings).unwrap();
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
}

/// Queues a test message to each address, as one transaction.
async fn queue(app: &TestApp, addresses: &[String]) {
    let now = app.state.clock.now();
    let mut tx = app.state.db.begin().await.unwrap();
    for to in addresses {
        let mail = templates::Mails(gatehouse::i18n::Lang::EN).test("Acme");
        outbox::enqueue(&mut tx, to, &mail, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    app.state.mail_notify.notify_one();
}

async fn row(app: &TestApp, to: &str) -> db::outbox::ListedMail {
    probe::test_message_to(app, to).await
}

/// The row of the message to `to` once it has failed for good.
async fn once_failed(app: &TestApp, to: &str, what: &str) -> db::outbox::ListedMail {
    eventually(what, || async { row(app, to).await.failed_at.is_some() }).await;
    row(app, to).await
}

async fn a_refusal_is_that_messages_alone(engine: Engine) {
    let mut app = spawn_app(engine).await;
    let (bounce, greylist, jane) = (
        "nobody@acme.test".to_owned(),
        "new@acme.test".to_owned(),
        "jane@acme.test".to_owned(),
    );
    app.sink
        .refuse(&bounce, "550 5.1.1 <nobody@acme.test>: User unknown");
    app.sink.refuse(
        &greylist,
        "450 4.2.0 <new@acme.test>: Greylisted, try again later",
    );
    queue(&app, &[bounce.clone(), greylist.clone(), jane.clone()]).await;

    app.sink.wait_for(&jane, 1).await;
    let failed = once_failed(&app, &bounce, "the 550 fails its message").await;
    assert_eq!(failed.attempts, 1, "a refusal for good is not tried again");
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap()
            .contains("User unknown"),
        "{failed:?}"
    );
    eventually("the 450 is tried again", || async {
        row(&app, &greylist).await.attempts >= 2
    })
    .await;
    let waiting = row(&app, &greylist).await;
    assert!(waiting.failed_at.is_none() && waiting.sent_at.is_none());
    assert!(waiting
        .last_error
        .as_deref()
        .unwrap()
        .contains("Greylisted"));
    assert!(
        !app.state.mail_health.is_down(),
        "one recipient's refusal does not stop the queue"
    );

    // Once the greylisting server takes it, it goes, once.
    app.sink.stop_refusing(&greylist);
    app.sink.wait_for(&greylist, 1).await;
    all_sent_or_failed_and_stopped(&mut app).await;
    assert_eq!(app.sink.mails().len(), 2, "{:?}", app.sink.mails());
    assert_eq!(app.sink.mails_to(&greylist).len(), 1);
}

async fn a_server_that_does_not_answer_pauses_the_queue_and_costs_no_attempts(engine: Engine) {
    let mut app = spawn_app_with(engine, |c| {
        c.mail.timeout_secs = 1;
        c.mail.concurrency = 4;
    })
    .await;
    app.sink.hang();
    let addresses: Vec<String> = (0..12).map(|i| format!("user{i}@acme.test")).collect();
    queue(&app, &addresses).await;
    eventually("the worker notices the outage", || async {
        app.state.mail_health.is_down()
    })
    .await;
    let outage = app.state.mail_health.outage().unwrap();
    assert!(
        outage.error.to_lowercase().contains("timed out")
            || outage.error.to_lowercase().contains("timeout"),
        "{outage:?}"
    );
    // Long enough for every message to have paid its own timeout twice
    // over, had each been tried.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let tried = app.sink.connections();
    assert!(
        tried < addresses.len(),
        "the queue paused instead of trying each message: {tried} connections"
    );
    for to in &addresses {
        let m = row(&app, to).await;
        assert_eq!(
            (m.attempts, m.sent_at, m.failed_at),
            (0, None, None),
            "no attempt is spent while the server is away: {m:?}"
        );
    }
    // The admin's mail page says so.
    app.create_admin().await;
    let admin = app.as_admin().await;
    let page = admin.open("/admin/mail").await;
    let banner = page
        .split("id=\"mail-server-down\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("no outage banner in {page}"));
    assert!(
        banner.contains("The mail server cannot be reached since") && banner.contains("timed out"),
        "{banner}"
    );

    app.sink.unhang();
    for to in &addresses {
        app.sink.wait_for(to, 1).await;
    }
    all_sent_or_failed_and_stopped(&mut app).await;
    assert_eq!(app.sink.mails().len(), addresses.len(), "each exactly once");
    assert!(!app.state.mail_health.is_down());
}

async fn a_message_that_times_out_again_after_the_server_answered_is_that_messages_alone(
    engine: Engine,
) {
    let mut app = spawn_app_with(engine, |c| {
        c.mail.timeout_secs = 1;
        c.mail.max_attempts = 2;
    })
    .await;
    let (slow, jane) = ("slow@acme.test".to_owned(), "jane@acme.test".to_owned());
    app.sink.tarpit(&slow);
    queue(&app, &[slow.clone(), jane.clone()]).await;
    app.sink.wait_for(&jane, 1).await;
    // Its first timeout pauses the queue (it could be the server); the
    // server then answers the probe, and the same message times out again:
    // from then on it is retried as a refusal, and gives up after its two
    // attempts instead of pausing the queue again and again.
    let failed = once_failed(&app, &slow, "the tarpitted message gives up").await;
    assert_eq!(failed.attempts, 2, "{failed:?}");
    assert!(
        failed.last_error.as_deref().unwrap().contains("timed out"),
        "{failed:?}"
    );
    assert!(!app.state.mail_health.is_down());

    // The queue goes on.
    queue(&app, &["after@acme.test".to_owned()]).await;
    app.sink.wait_for("after@acme.test", 1).await;
    all_sent_or_failed_and_stopped(&mut app).await;
    assert_eq!(app.sink.count(), 2);
}

async fn messages_go_out_several_at_once_over_reused_connections(engine: Engine) {
    let mut app = spawn_app_with(engine, |c| c.mail.concurrency = 4).await;
    let addresses: Vec<String> = (0..200).map(|i| format!("user{i}@acme.test")).collect();
    queue(&app, &addresses).await;
    for to in &addresses {
        app.sink.wait_for(to, 1).await;
    }
    all_sent_and_stopped(&mut app).await;
    assert_eq!(app.sink.count(), addresses.len(), "each exactly once");
    assert!(
        app.sink.most_open() >= 2,
        "several messages in flight at once: at most {} connections were open",
        app.sink.most_open()
    );
    assert!(
        app.sink.connections() <= 8,
        "connections are pooled and reused: {} for {} messages",
        app.sink.connections(),
        addresses.len()
    );
}

/// Like [`all_sent_and_stopped`], for a queue where some fail for good.
async fn all_sent_or_failed_and_stopped(app: &mut TestApp) {
    eventually("the queue empties", || async {
        probe::outbox_counts(app).await.pending == 0
    })
    .await;
    app.stop_server().await;
}

both_engines!(
    the_forgot_password_answer_never_waits_for_the_mail_server,
    mail_queued_while_the_server_is_down_is_delivered_once_it_is_back,
    several_workers_never_send_a_message_twice,
    a_refusal_is_that_messages_alone,
    a_server_that_does_not_answer_pauses_the_queue_and_costs_no_attempts,
    a_message_that_times_out_again_after_the_server_answered_is_that_messages_alone,
    messages_go_out_several_at_once_over_reused_connections,
);
