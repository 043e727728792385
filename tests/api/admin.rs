use crate::{both_engines, helpers::*, probe};
use gatehouse::{
    domain::{Role, UserPage},
    server::db::user_search::Page,
};
use reqwest::{Response, StatusCode};

/// Every admin action, by `browser`, on the user `id`, with harmless
/// arguments: the action's name and its answer.
async fn every_admin_action(browser: &Browser, id: i64) -> Vec<(&'static str, Response)> {
    let harmless = Profile {
        email: "x@acme.test",
        name: "X",
        role: Role::User,
    };
    vec![
        ("list_users", browser.list_users(None, Page::First).await),
        ("list_audit", browser.list_audit(None).await),
        (
            "add_user",
            browser
                .add_user(NewUser::invite("new@acme.test", "New"))
                .await,
        ),
        ("update_user", browser.update_user(id, harmless).await),
        ("disable_user", browser.disable_user(id).await),
        ("enable_user", browser.enable_user(id).await),
        ("delete_user", browser.delete_user(id).await),
        ("send_reset_email", browser.send_reset_email(id).await),
    ]
}

async fn only_active_site_admins_reach_the_admin_panel(engine: Engine) {
    let app = spawn_app(engine).await;
    let admin_id = app.create_admin().await;
    app.create_jane().await;
    let visitor = app.browser();
    let user = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    for (action, res) in every_admin_action(&visitor, 1).await {
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "visitor on {action}"
        );
    }
    for (action, res) in every_admin_action(&user, 1).await {
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "user on {action}");
    }
    // Pages: visitors go to login and back, users are told no.
    let res = visitor.get("/admin/users").await;
    assert_eq!(location(&res), "/login?next=%2Fadmin%2Fusers");
    let res = user.get("/admin/audit").await;
    assert_status(&res, StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Not allowed"));
    // Nothing happened to anyone.
    assert_eq!(probe::active_users(&app).await, 2);

    // A disabled admin's session ends, so they cannot use it either.
    let admin = app.as_admin().await;
    let second = app
        .create_user(
            "second@acme.test",
            "Second Admin",
            ADMIN_PASSWORD,
            Role::SiteAdmin,
        )
        .await;
    let other_admin = app.as_user("second@acme.test", ADMIN_PASSWORD).await;
    assert_status(&admin.disable_user(second).await, StatusCode::OK);
    assert_status(
        &other_admin.list_users(None, Page::First).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(&admin.list_users(None, Page::First).await, StatusCode::OK);
    let page = admin.open("/admin/users").await;
    assert!(page.contains(&format!("user-{admin_id}")));
}

async fn no_admin_endpoint_sets_a_password(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let id = app.create_jane().await;
    let hash_before = probe::user(&app, id).await.password_hash.unwrap();
    let sneaky = "admin chosen password 1";
    crate::log_audit::note(sneaky);
    let admin = app.as_admin().await.with_extra_fields(&[
        ("password", sneaky),
        ("new_password", sneaky),
        ("confirm_password", sneaky),
        ("password_hash", "x"),
    ]);
    let jane = Profile {
        email: USER_EMAIL,
        name: "Jane Doe",
        role: Role::User,
    };
    for (action, res) in [
        ("list_users", admin.list_users(None, Page::First).await),
        ("list_audit", admin.list_audit(None).await),
        ("update_user", admin.update_user(id, jane).await),
        ("enable_user", admin.enable_user(id).await),
        ("send_reset_email", admin.send_reset_email(id).await),
    ] {
        assert!(res.status().is_success(), "{action}: {}", res.status());
    }
    assert_eq!(probe::user(&app, id).await.password_hash, Some(hash_before));
    assert_status(
        &app.log_in(USER_EMAIL, sneaky).await,
        StatusCode::UNAUTHORIZED,
    );
    // An invited user gets no password from the admin's form either.
    let res = admin
        .add_user(NewUser::invite("inv@acme.test", "Inv"))
        .await;
    assert_status(&res, StatusCode::OK);
    let invited = probe::user_by_email(&app, "inv@acme.test").await.unwrap();
    assert_eq!(invited.password_hash, None);
}

async fn an_invited_user_sets_a_password_from_the_mail_and_logs_in(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = app.as_admin().await;
    let res = admin
        .add_user(NewUser::invite("Newbie@Acme.test", "New Bie"))
        .await;
    assert_status(&res, StatusCode::OK);
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
    let res = app.reset_password(&TestApp::token_of(&link), pw, pw).await;
    assert_status(&res, StatusCode::OK);
    assert_status(&app.log_in("newbie@acme.test", pw).await, StatusCode::OK);
    // Duplicates in any letter case get a field error.
    let dup = admin
        .add_user(NewUser::invite("NEWBIE@acme.TEST", "Again"))
        .await;
    assert_status(&dup, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text().await.unwrap().contains("already_taken"));
}

async fn a_user_added_in_person_types_their_own_password(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = app.as_admin().await;
    let weak = admin
        .add_user(NewUser::in_person("desk@acme.test", "Desk", "password1234"))
        .await;
    assert_status(&weak, StatusCode::UNPROCESSABLE_ENTITY);
    let pw = "typed by my own hands";
    let res = admin
        .add_user(NewUser::in_person("desk@acme.test", "Desk", pw))
        .await;
    assert_status(&res, StatusCode::OK);
    assert_status(&app.log_in("desk@acme.test", pw).await, StatusCode::OK);
    assert!(
        app.sink.mails_to("desk@acme.test").is_empty(),
        "no invitation when present"
    );
}

async fn the_last_admin_cannot_be_removed_and_admins_cannot_lock_themselves_out(engine: Engine) {
    let app = spawn_app(engine).await;
    let me = app.create_admin().await;
    let admin = app.as_admin().await;
    let demoted = |email| Profile {
        email,
        name: "Site Admin",
        role: Role::User,
    };
    for (action, res) in [
        ("disable_user", admin.disable_user(me).await),
        ("delete_user", admin.delete_user(me).await),
        (
            "update_user",
            admin.update_user(me, demoted(ADMIN_EMAIL)).await,
        ),
    ] {
        assert_eq!(res.status(), StatusCode::CONFLICT, "{action}");
    }
    let other = app
        .create_user(
            "other@acme.test",
            "Other Admin",
            ADMIN_PASSWORD,
            Role::SiteAdmin,
        )
        .await;
    let other_admin = app.as_user("other@acme.test", ADMIN_PASSWORD).await;
    // With two admins, one may demote the other, but not the last one left.
    let res = other_admin.update_user(me, demoted(ADMIN_EMAIL)).await;
    assert_status(&res, StatusCode::OK);
    let res = admin.list_users(None, Page::First).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "demoted at once");
    let res = other_admin
        .update_user(
            other,
            Profile {
                email: "other@acme.test",
                name: "Other",
                role: Role::User,
            },
        )
        .await;
    assert_status(&res, StatusCode::CONFLICT);
}

async fn disabling_ends_sessions_and_enabling_restores_login(engine: Engine) {
    let app = spawn_app(engine).await;
    let (id, admin) = app.with_admin_and_user().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let res = admin
        .without_js()
        .on("/admin/users?q=jane")
        .disable_user(id)
        .await;
    assert_redirects_to(&res, "/admin/users?q=jane&done=disabled");
    assert!(!jane.is_logged_in().await, "her session ended at once");
    assert_status(
        &app.log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(&admin.enable_user(id).await, StatusCode::OK);
    assert_status(&app.log_in(USER_EMAIL, USER_PASSWORD).await, StatusCode::OK);

    let unconfirmed = admin.delete_user_unconfirmed(id).await;
    assert_status(&unconfirmed, StatusCode::UNPROCESSABLE_ENTITY);
    assert_status(&admin.delete_user(id).await, StatusCode::OK);
    assert_eq!(probe::session_count(&app, id).await, 0);
    let deleted = probe::audit(&app, Some("user_deleted")).await;
    let kept = deleted[0].detail.clone().unwrap();
    assert!(kept.contains(USER_EMAIL), "{kept}");
}

async fn search_finds_any_part_of_email_or_name_and_pages_by_key(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    for i in 0..120 {
        let (email, name) = (
            format!("member{i:03}@example.test"),
            format!("Member Number {i:03}"),
        );
        probe::insert_user(&app, &email, &name, None).await;
    }
    let admin = app.as_admin().await;
    let page = |search: Option<&'static str>, page: Page| {
        let admin = admin.clone();
        async move {
            let res = admin.list_users(search, page).await;
            assert_status(&res, StatusCode::OK);
            res.json::<UserPage>().await.unwrap()
        }
    };
    let hits = page(Some("NUMBER 07"), Page::First).await;
    assert_eq!(hits.users.len(), 10, "070..079");
    assert!(hits.users.iter().all(|u| u.name.contains("Number 07")));
    let by_email = page(Some("ber11"), Page::First).await;
    assert_eq!(
        by_email
            .users
            .iter()
            .map(|u| u.email.as_str())
            .collect::<Vec<_>>()
            .len(),
        10
    );
    let short = page(Some("r1"), Page::First).await;
    assert!(short.users.len() >= 20, "short terms work too");

    // A term on all 120 users: full pages come from the newest rows, the
    // short last page from the trigram index; paging back returns the same.
    let searched = |at: Page| page(Some("MEMBER"), at);
    let one = searched(Page::First).await;
    let two = searched(Page::Before(one.older.unwrap())).await;
    let three = searched(Page::Before(two.older.unwrap())).await;
    assert_eq!(
        (one.users.len(), two.users.len(), three.users.len()),
        (50, 50, 20)
    );
    assert!(three.older.is_none());
    assert!(three.users.iter().all(|u| u.email.starts_with("member")));
    assert_eq!(
        searched(Page::After(three.newer.unwrap())).await.users,
        two.users
    );

    let first = page(None, Page::First).await;
    assert_eq!(first.users.len(), 50);
    assert!(first.newer.is_none());
    let second = page(None, Page::Before(first.older.unwrap())).await;
    assert_eq!(second.users.len(), 50);
    assert!(second.users[0].id < first.users[49].id);
    let third = page(None, Page::Before(second.older.unwrap())).await;
    assert_eq!(third.users.len(), 21, "121 users in all");
    assert!(third.older.is_none());
    let back = page(None, Page::After(third.newer.unwrap())).await;
    assert_eq!(back.users, second.users);
    let html = admin.page("/admin/users?q=number%2007").await;
    assert!(html.contains("Member Number 075") && !html.contains("Member Number 080"));
}

async fn admin_actions_are_audited_and_reset_mail_goes_out(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let id = app
        .create_user(USER_EMAIL, "<b>Jane</b>", USER_PASSWORD, Role::User)
        .await;
    let admin = app.as_admin().await;
    assert_status(&admin.send_reset_email(id).await, StatusCode::OK);
    let mail = app.sink.wait_for(USER_EMAIL, 1).await.remove(0);
    assert_eq!(mail.subject(), "Password reset request");
    admin
        .update_user(
            id,
            Profile {
                email: "jane@new.test",
                name: "Jane",
                role: Role::User,
            },
        )
        .await;
    app.log_in("ghost@acme.test", "wrong wrong wrong").await;
    let body = admin.list_audit(None).await.text().await.unwrap();
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
    let new = "some new passphrase";
    let res = app.reset_password(&token, new, new).await;
    assert_status(&res, StatusCode::GONE);
    let filtered = admin
        .list_audit(Some("user_edited"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!filtered.contains("\"login_failed\""));
    let html = admin.open("/admin/audit").await;
    assert!(html.contains("Reset email sent by an admin"));
    // Jane is "Jane" now; a name that is still markup shows as text.
    app.create_user("bold@x.test", "<b>Bold</b>", USER_PASSWORD, Role::User)
        .await;
    let users_html = admin.page("/admin/users").await;
    assert!(
        users_html.contains("&lt;b&gt;Bold&lt;/b&gt;"),
        "{users_html}"
    );
    assert!(!users_html.contains("<b>Bold</b>"));
}

/// A rare term of one or two characters, which trigram indexes cannot
/// serve: PostgreSQL walks a bounded window of the newest users and says
/// where it stopped, instead of reading the whole table; paging on finds
/// the match.
async fn a_rare_short_term_is_searched_in_bounded_steps(engine: Engine) {
    use gatehouse::server::admin::users::list_users;
    let app = spawn_app(engine).await;
    app.create_user("old.zq@acme.test", "Oldest", USER_PASSWORD, Role::User)
        .await;
    probe::insert_numbered_users(&app, engine, 60_000).await;

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
}

/// Rare terms go to the trigram index (on PostgreSQL asked for the term's
/// rarest trigrams, the term then checked on each row): every match and
/// nothing else, whichever trigrams the term shares with the other rows.
async fn a_rare_term_finds_exactly_its_matches_page_by_page(engine: Engine) {
    use gatehouse::server::admin::users::list_users;
    let app = spawn_app(engine).await;
    // 600 people whose names share "surname", a few decoys holding the
    // rare trigrams of `surname17` (`e17`) without the term, and one whose
    // email and name only meet across the two fields.
    probe::insert_people_sharing_surnames(&app, engine, 600).await;
    for (email, name) in [
        ("decoy.e17@x.test", "Surname 9 e17"),
        ("surname@x.test", "Name17"),
        ("other@x.test", "Surname e1717"),
    ] {
        app.create_user(email, name, USER_PASSWORD, Role::User)
            .await;
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
