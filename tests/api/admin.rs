use crate::{both_engines, helpers::*};
use reqwest::{header, StatusCode};

/// Every admin server function, with harmless arguments.
const ADMIN_CALLS: &[(&str, &[(&str, &str)])] = &[
    ("admin/list_users", &[]),
    ("admin/list_audit", &[]),
    (
        "admin/add_user",
        &[
            ("email", "new@acme.test"),
            ("name", "New"),
            ("role", "user"),
            ("setup", "invite"),
        ],
    ),
    (
        "admin/update_user",
        &[
            ("id", "1"),
            ("email", "x@acme.test"),
            ("name", "X"),
            ("role", "user"),
        ],
    ),
    ("admin/disable_user", &[("id", "1")]),
    ("admin/enable_user", &[("id", "1")]),
    ("admin/delete_user", &[("id", "1"), ("confirm", "yes")]),
    ("admin/send_reset_email", &[("id", "1")]),
];

async fn only_active_site_admins_reach_the_admin_panel(engine: Engine) {
    let app = spawn_app(engine).await;
    let admin_id = app.create_admin().await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    let visitor = app.new_client();
    let user = logged_in(&app, USER_EMAIL, USER_PASSWORD).await;
    for (endpoint, form) in ADMIN_CALLS {
        let res = call_with(&visitor, &app.base, endpoint, form).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "visitor on {endpoint}"
        );
        let res = call_with(&user, &app.base, endpoint, form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "user on {endpoint}");
    }
    // Pages: visitors go to login and back, users are told no.
    let res = visitor
        .get(app.url("/admin/users"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?next=%2Fadmin%2Fusers");
    let res = user
        .get(app.url("/admin/audit"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Not allowed"));
    // Nothing happened to anyone.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE active = 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);

    // A disabled admin's session ends, so they cannot use it either.
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let second = app
        .create_user(
            "second@acme.test",
            "Second Admin",
            ADMIN_PASSWORD,
            "site_admin",
        )
        .await;
    let other_admin = logged_in(&app, "second@acme.test", ADMIN_PASSWORD).await;
    let res = call_with(
        &admin,
        &app.base,
        "admin/disable_user",
        &[("id", &second.to_string())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_with(&other_admin, &app.base, "admin/list_users", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = call_with(&admin, &app.base, "admin/list_users", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = admin
        .get(app.url("/admin/users"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains(&format!("user-{admin_id}")));
    app.stop().await;
}

async fn no_admin_endpoint_sets_a_password(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let id = app
        .create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let hash_before: (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let sneaky = "admin chosen password 1";
    let id_s = id.to_string();
    for (endpoint, form) in ADMIN_CALLS {
        if endpoint.contains("delete")
            || endpoint.contains("disable")
            || endpoint.contains("add_user")
        {
            continue;
        }
        let mut form: Vec<(&str, &str)> = form
            .iter()
            .map(|(k, v)| (*k, if *k == "id" { id_s.as_str() } else { *v }))
            .collect();
        if endpoint.contains("update_user") {
            form = vec![
                ("id", &id_s),
                ("email", USER_EMAIL),
                ("name", "Jane Doe"),
                ("role", "user"),
            ];
        }
        form.extend([
            ("password", sneaky),
            ("new_password", sneaky),
            ("confirm_password", sneaky),
            ("password_hash", "x"),
        ]);
        let res = call_with(&admin, &app.base, endpoint, &form).await;
        assert!(res.status().is_success(), "{endpoint}: {}", res.status());
    }
    let hash_after: (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(hash_before, hash_after);
    assert_eq!(
        app.log_in(USER_EMAIL, sneaky).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // An invited user gets no password from the admin's form either.
    let res = call_with(
        &admin,
        &app.base,
        "admin/add_user",
        &[
            ("email", "inv@acme.test"),
            ("name", "Inv"),
            ("role", "user"),
            ("setup", "invite"),
            ("password", sneaky),
            ("confirm_password", sneaky),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (hash,): (Option<String>,) =
        sqlx::query_as("SELECT password_hash FROM users WHERE email_normalized = 'inv@acme.test'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(hash, None);
    app.stop().await;
}

async fn an_invited_user_sets_a_password_from_the_mail_and_logs_in(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = call_with(
        &admin,
        &app.base,
        "admin/add_user",
        &[
            ("email", "Newbie@Acme.test"),
            ("name", "New Bie"),
            ("role", "user"),
            ("setup", "invite"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mail = app.sink.wait_for("Newbie@Acme.test", 1).await.remove(0);
    assert_eq!(mail.from, "site-admin@acme.test");
    let text = mail.text_part();
    assert!(
        text.starts_with("An account has been created for you at 'Acme Consultations'."),
        "{text}"
    );
    assert!(
        text.contains("This link will expire in 168 hours on "),
        "{text}"
    );
    let link = mail.link().unwrap();
    let page = app.page(&link).await;
    assert!(page.contains("Choose your password"));
    let pw = "my own secret garden path";
    let res = app
        .call(
            "reset_password",
            &[
                ("token", &TestApp::token_of(&link)),
                ("new_password", pw),
                ("confirm_password", pw),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.log_in("newbie@acme.test", pw).await.status(),
        StatusCode::OK
    );
    // Duplicates in any letter case get a field error.
    let dup = call_with(
        &admin,
        &app.base,
        "admin/add_user",
        &[
            ("email", "NEWBIE@acme.TEST"),
            ("name", "Again"),
            ("role", "user"),
            ("setup", "invite"),
        ],
    )
    .await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text().await.unwrap().contains("already_taken"));
    app.stop().await;
}

async fn a_user_added_in_person_types_their_own_password(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let weak = call_with(
        &admin,
        &app.base,
        "admin/add_user",
        &[
            ("email", "desk@acme.test"),
            ("name", "Desk"),
            ("role", "user"),
            ("setup", "here"),
            ("password", "password1234"),
            ("confirm_password", "password1234"),
        ],
    )
    .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let pw = "typed by my own hands";
    let res = call_with(
        &admin,
        &app.base,
        "admin/add_user",
        &[
            ("email", "desk@acme.test"),
            ("name", "Desk"),
            ("role", "user"),
            ("setup", "here"),
            ("password", pw),
            ("confirm_password", pw),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.log_in("desk@acme.test", pw).await.status(),
        StatusCode::OK
    );
    assert!(
        app.sink.mails_to("desk@acme.test").is_empty(),
        "no invitation when present"
    );
    app.stop().await;
}

async fn the_last_admin_cannot_be_removed_and_admins_cannot_lock_themselves_out(engine: Engine) {
    let app = spawn_app(engine).await;
    let me = app.create_admin().await.to_string();
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for (endpoint, form) in [
        ("admin/disable_user", vec![("id", me.as_str())]),
        (
            "admin/delete_user",
            vec![("id", me.as_str()), ("confirm", "yes")],
        ),
        (
            "admin/update_user",
            vec![
                ("id", me.as_str()),
                ("email", ADMIN_EMAIL),
                ("name", "Site Admin"),
                ("role", "user"),
            ],
        ),
    ] {
        let res = call_with(&admin, &app.base, endpoint, &form).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{endpoint}");
    }
    let other = app
        .create_user(
            "other@acme.test",
            "Other Admin",
            ADMIN_PASSWORD,
            "site_admin",
        )
        .await
        .to_string();
    let other_client = logged_in(&app, "other@acme.test", ADMIN_PASSWORD).await;
    // With two admins, one may demote the other, but not the last one left.
    let res = call_with(
        &other_client,
        &app.base,
        "admin/update_user",
        &[
            ("id", &me),
            ("email", ADMIN_EMAIL),
            ("name", "Site Admin"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_with(&admin, &app.base, "admin/list_users", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "demoted at once");
    let res = call_with(
        &other_client,
        &app.base,
        "admin/update_user",
        &[
            ("id", &other),
            ("email", "other@acme.test"),
            ("name", "Other"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    app.stop().await;
}

async fn disabling_ends_sessions_and_enabling_restores_login(engine: Engine) {
    let app = spawn_app(engine).await;
    let (id, admin) = app.with_admin_and_user().await;
    let jane = logged_in(&app, USER_EMAIL, USER_PASSWORD).await;
    let res = form_post_with(
        &admin,
        &app.base,
        "admin/disable_user",
        "/admin/users?q=jane",
        &[("id", &id)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/admin/users?q=jane&done=disabled");
    let res = jane
        .get(app.url("/account"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "her session ended at once");
    assert_eq!(
        app.log_in(USER_EMAIL, USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = call_with(&admin, &app.base, "admin/enable_user", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.log_in(USER_EMAIL, USER_PASSWORD).await.status(),
        StatusCode::OK
    );

    let unconfirmed = call_with(&admin, &app.base, "admin/delete_user", &[("id", &id)]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = call_with(
        &admin,
        &app.base,
        "admin/delete_user",
        &[("id", &id), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let (kept,): (String,) =
        sqlx::query_as("SELECT detail FROM audit_log WHERE event = 'user_deleted'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(kept.contains(USER_EMAIL), "{kept}");
    app.stop().await;
}

async fn search_finds_any_part_of_email_or_name_and_pages_by_key(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    for i in 0..120 {
        let (email, name) = (
            format!("member{i:03}@example.test"),
            format!("Member Number {i:03}"),
        );
        gatehouse::server::db::users::insert(
            &mut app.state.db.conn().await.unwrap(),
            gatehouse::server::db::users::NewUser {
                email: &email,
                email_normalized: &email,
                name: &name,
                role: "user",
                password_hash: None,
                subject: &format!("subject-{i}"),
                now: 1,
            },
        )
        .await
        .unwrap();
    }
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = |form: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        let base = app.base.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = call_with(&admin, &base, "admin/list_users", &form).await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<gatehouse::domain::UserPage>().await.unwrap()
        }
    };
    let hits = page(vec![("q", "NUMBER 07".into())]).await;
    assert_eq!(hits.users.len(), 10, "070..079");
    assert!(hits.users.iter().all(|u| u.name.contains("Number 07")));
    let by_email = page(vec![("q", "ber11".into())]).await;
    assert_eq!(
        by_email
            .users
            .iter()
            .map(|u| u.email.as_str())
            .collect::<Vec<_>>()
            .len(),
        10
    );
    let short = page(vec![("q", "r1".into())]).await;
    assert!(short.users.len() >= 20, "short terms work too");

    // A term on all 120 users: full pages come from the newest rows, the
    // short last page from the trigram index; paging back returns the same.
    let searched = |cursor: Option<(&'static str, i64)>| {
        let mut form = vec![("q", "MEMBER".to_string())];
        form.extend(cursor.map(|(k, id)| (k, id.to_string())));
        page(form)
    };
    let one = searched(None).await;
    let two = searched(Some(("before", one.older.unwrap()))).await;
    let three = searched(Some(("before", two.older.unwrap()))).await;
    assert_eq!(
        (one.users.len(), two.users.len(), three.users.len()),
        (50, 50, 20)
    );
    assert!(three.older.is_none());
    assert!(three.users.iter().all(|u| u.email.starts_with("member")));
    assert_eq!(
        searched(Some(("after", three.newer.unwrap()))).await.users,
        two.users
    );

    let first = page(vec![]).await;
    assert_eq!(first.users.len(), 50);
    assert!(first.newer.is_none());
    let second = page(vec![("before", first.older.unwrap().to_string())]).await;
    assert_eq!(second.users.len(), 50);
    assert!(second.users[0].id < first.users[49].id);
    let third = page(vec![("before", second.older.unwrap().to_string())]).await;
    assert_eq!(third.users.len(), 21, "121 users in all");
    assert!(third.older.is_none());
    let back = page(vec![("after", third.newer.unwrap().to_string())]).await;
    assert_eq!(back.users, second.users);
    let html = admin
        .get(app.url("/admin/users?q=number%2007"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Member Number 075") && !html.contains("Member Number 080"));
    app.stop().await;
}

async fn admin_actions_are_audited_and_reset_mail_goes_out(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let id = app
        .create_user(USER_EMAIL, "<b>Jane</b>", USER_PASSWORD, "user")
        .await
        .to_string();
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = call_with(&admin, &app.base, "admin/send_reset_email", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mail = app.sink.wait_for(USER_EMAIL, 1).await.remove(0);
    assert_eq!(mail.subject(), "Password reset request");
    call_with(
        &admin,
        &app.base,
        "admin/update_user",
        &[
            ("id", &id),
            ("email", "jane@new.test"),
            ("name", "Jane"),
            ("role", "user"),
        ],
    )
    .await;
    app.log_in("ghost@acme.test", "wrong wrong wrong").await;
    let res = call_with(&admin, &app.base, "admin/list_audit", &[]).await;
    let body = res.text().await.unwrap();
    for event in [
        "user_created",
        "login",
        "login_failed",
        "reset_sent_by_admin",
        "user_edited",
    ] {
        assert!(body.contains(&format!("\"{event}\"")), "{event} missing");
    }
    assert!(body.contains("changed email, name"));
    // The link mailed to the old address died with the change of address.
    let token = TestApp::token_of(&mail.link().unwrap());
    let res = app
        .call(
            "reset_password",
            &[
                ("token", &token),
                ("new_password", "some new passphrase"),
                ("confirm_password", "some new passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    let filtered = call_with(
        &admin,
        &app.base,
        "admin/list_audit",
        &[("event", "user_edited")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!filtered.contains("\"login_failed\""));
    let html = admin
        .get(app.url("/admin/audit"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    assert!(html
        .text()
        .await
        .unwrap()
        .contains("Reset email sent by an admin"));
    let users_html = admin
        .get(app.url("/admin/users"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!users_html.contains("<b>Jane</b>") || users_html.contains("&lt;b&gt;Jane&lt;/b&gt;"));
    app.stop().await;
}

/// A rare term of one or two characters, which trigram indexes cannot
/// serve: PostgreSQL walks a bounded window of the newest users and says
/// where it stopped, instead of reading the whole table; paging on finds
/// the match.
async fn a_rare_short_term_is_searched_in_bounded_steps(engine: Engine) {
    use gatehouse::server::{admin::users::list_users, db::user_search::Page};
    let app = spawn_app(engine).await;
    app.create_user("old.zq@acme.test", "Oldest", USER_PASSWORD, "user")
        .await;
    let seed = match engine {
        Engine::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
             INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'u' || i || '@x.test', 'u' || i || '@x.test', 'P ' || i, 'p ' || i, 'user', 1, 0, 0 FROM n"
        }
        Engine::Postgres => {
            "INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'u' || i || '@x.test', 'u' || i || '@x.test', 'P ' || i, 'p ' || i, 'user', 1, 0, 0
             FROM generate_series(1, 60000) AS i"
        }
    };
    sqlx::query(seed).execute(&app.state.db.pool).await.unwrap();

    let mut page = Page::First;
    let mut pages = 0;
    let found = loop {
        let result = list_users(&app.state, Some("zq"), page).await.unwrap();
        pages += 1;
        if let Some(user) = result.users.first() {
            break user.email.clone();
        }
        let older = result.older.expect("an empty page says where to go on");
        page = Page::Before(older);
        assert!(pages < 5, "the search never reached the oldest user");
    };
    assert_eq!(found, "old.zq@acme.test");
    assert!(pages >= 2, "the search stops after a bounded walk");
    app.stop().await;
}

/// Rare terms go to the trigram index (on PostgreSQL asked for the term's
/// rarest trigrams, the term then checked on each row): every match and
/// nothing else, whichever trigrams the term shares with the other rows.
async fn a_rare_term_finds_exactly_its_matches_page_by_page(engine: Engine) {
    use gatehouse::server::{admin::users::list_users, db::user_search::Page};
    let app = spawn_app(engine).await;
    // 600 people whose names share "surname", a few decoys holding the
    // rare trigrams of `surname17` (`e17`) without the term, and one whose
    // email and name only meet across the two fields.
    let seed = match engine {
        Engine::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
             INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'p' || i || '@x.test', 'p' || i || '@x.test', 'Person Surname' || (i % 50),
                    'person surname' || (i % 50), 'user', 1, 0, 0 FROM n"
        }
        Engine::Postgres => {
            "INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'p' || i || '@x.test', 'p' || i || '@x.test', 'Person Surname' || (i % 50),
                    'person surname' || (i % 50), 'user', 1, 0, 0
             FROM generate_series(1, 600) AS i"
        }
    };
    sqlx::query(seed).execute(&app.state.db.pool).await.unwrap();
    for (email, name) in [
        ("decoy.e17@x.test", "Surname 9 e17"),
        ("surname@x.test", "Name17"),
        ("other@x.test", "Surname e1717"),
    ] {
        app.create_user(email, name, USER_PASSWORD, "user").await;
    }
    let all = |term: &'static str| {
        let state = app.state.clone();
        async move {
            let (mut emails, mut page) = (Vec::new(), Page::First);
            loop {
                let result = list_users(&state, Some(term), page).await.unwrap();
                emails.extend(result.users.iter().map(|u| u.email.clone()));
                match result.older {
                    Some(older) => page = Page::Before(older),
                    None => break emails,
                }
            }
        }
    };
    let mut wanted: Vec<String> = (1..=600)
        .filter(|i| i % 50 == 17)
        .map(|i| format!("p{i}@x.test"))
        .collect();
    wanted.reverse();
    assert_eq!(all("surname17").await, wanted);
    assert_eq!(all("Surname 9 E17").await, vec!["decoy.e17@x.test"]);
    // A term without a trigram of letters and digits only, on both fields.
    assert_eq!(all("me 9 e").await, vec!["decoy.e17@x.test"]);
    assert!(all("test\u{1f}name").await.is_empty());
    app.stop().await;
}

both_engines!(
    a_rare_term_finds_exactly_its_matches_page_by_page,
    a_rare_short_term_is_searched_in_bounded_steps,
    only_active_site_admins_reach_the_admin_panel,
    no_admin_endpoint_sets_a_password,
    an_invited_user_sets_a_password_from_the_mail_and_logs_in,
    a_user_added_in_person_types_their_own_password,
    the_last_admin_cannot_be_removed_and_admins_cannot_lock_themselves_out,
    disabling_ends_sessions_and_enabling_restores_login,
    search_finds_any_part_of_email_or_name_and_pages_by_key,
    admin_actions_are_audited_and_reset_mail_goes_out,
);
