//! What an admin can do to an account, done safely: the last admin holds
//! under concurrency, an email change is announced to the old address, and
//! only addresses the mailer can send to are accepted.

use crate::{both_engines, helpers::*, probe};
use gatehouse::{
    domain::{CurrentUser, Role},
    server::{
        admin::{apps::AppForm, password_again::Recent, users},
        http::request::RequestMeta,
    },
};
use reqwest::StatusCode;

fn as_admin(id: i64, email: &str) -> CurrentUser {
    CurrentUser {
        id,
        email: email.into(),
        name: "Admin".into(),
        role: Role::SiteAdmin,
        must_set_up_two_step: false,
        language: None,
    }
}

/// What each of two admins does to the other, both at once.
#[derive(Clone, Copy)]
enum Against {
    Disable,
    Demote,
}

async fn act(
    app: &TestApp,
    actor: CurrentUser,
    target: i64,
    target_email: String,
    how: Against,
) -> bool {
    let (state, meta) = (app.state.clone(), RequestMeta::default());
    tokio::spawn(async move {
        match how {
            Against::Disable => users::set_active(&state, &actor, target, false, &meta).await,
            Against::Demote => {
                let edit = users::ProfileEdit::parse(&target_email, "Admin", "user").unwrap();
                users::update_user(&state, &actor, target, edit, Recent::GIVEN, &meta).await
            }
        }
        .is_ok()
    })
    .await
    .unwrap()
}

/// Many rounds of two admins acting against each other at the same time:
/// exactly one may succeed, and one active admin always remains.
async fn race(engine: Engine, how: Against) {
    let app = spawn_app(engine).await;
    let (a_email, b_email) = (ADMIN_EMAIL.to_owned(), "second@acme.test".to_owned());
    let a = app.create_admin().await;
    let b = app
        .create_user(&b_email, "Second", ADMIN_PASSWORD, Role::SiteAdmin)
        .await;
    for round in 0..25 {
        let (one, two) = tokio::join!(
            act(&app, as_admin(a, &a_email), b, b_email.clone(), how),
            act(&app, as_admin(b, &b_email), a, a_email.clone(), how),
        );
        assert!(
            one ^ two,
            "round {round}: exactly one of the two may succeed"
        );
        assert_eq!(probe::active_admins(&app).await, 1, "round {round}");
        // Both active admins again for the next round.
        for admin in [a, b] {
            probe::make_active_admin(&app, admin).await;
        }
    }
}

async fn two_admins_disabling_each_other_at_once_leave_one(engine: Engine) {
    race(engine, Against::Disable).await;
}

async fn two_admins_demoting_each_other_at_once_leave_one(engine: Engine) {
    race(engine, Against::Demote).await;
}

async fn an_email_change_is_announced_to_the_old_address(engine: Engine) {
    let app = spawn_app(engine).await;
    let (id, admin) = app.with_admin_and_user().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let new_address = Profile {
        email: "new.address@elsewhere.test",
        name: "Jane Doe",
        role: Role::User,
    };
    assert_status(&admin.update_user(id, new_address).await, StatusCode::OK);

    let notice = app.sink.wait_for(USER_EMAIL, 1).await;
    let notice = notice.last().unwrap();
    assert_eq!(notice.subject(), "The email of your account was changed");
    let text = notice.text_part();
    assert!(
        text.contains(
            "'Acme Consultations' was changed to new.address@elsewhere.test by a site admin"
        ) && text.contains("contact the site administrator at site-admin@acme.test"),
        "{text}"
    );
    assert!(notice.link().is_none(), "no link that could be used");

    // Jane's sessions ended with the change.
    let res = jane.current_user().await;
    assert_eq!(res.text().await.unwrap(), "null");

    let page =
        gatehouse::server::admin::users::list_audit(&app.state, Some("user_edited"), None, None)
            .await
            .unwrap();
    let detail = page.entries[0].detail.clone().unwrap_or_default();
    assert!(
        detail.contains(&format!("email was {USER_EMAIL}")) && detail.contains("1 sessions ended"),
        "{detail}"
    );
}

async fn addresses_the_mailer_cannot_send_to_are_refused_on_the_form(engine: Engine) {
    let app = spawn_app(engine).await;
    let (id, admin) = app.with_admin_and_user().await;
    for bad in [
        "jane..doe@example.test",
        "jane@-example.test",
        "jöhn@example.test",
    ] {
        let res = admin.add_user(NewUser::invite(bad, "Someone")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res.text().await.unwrap().contains("invalid_email"), "{bad}");
        let profile = Profile {
            email: bad,
            name: "Jane Doe",
            role: Role::User,
        };
        let res = admin.update_user(id, profile).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let counts = probe::outbox_counts(&app).await;
    assert_eq!(
        counts.pending + counts.sent + counts.failed,
        0,
        "nothing was queued for an address that cannot be sent to"
    );
}

/// The stricter rule is for addresses being stored: an account made under
/// the older, looser one can still log in and ask for a reset.
async fn accounts_stored_under_the_older_address_rule_still_log_in(engine: Engine) {
    use gatehouse::domain::password::Secret;
    let app = spawn_app(engine).await;
    let legacy = "jane..doe@example.test";
    let hash = app
        .state
        .hasher
        .hash_again(&Secret::new(USER_PASSWORD))
        .await
        .unwrap();
    probe::insert_user(&app, legacy, "Jane", Some(&hash)).await;
    let res = app.log_in(legacy, USER_PASSWORD).await;
    assert_status(&res, StatusCode::OK);
    let res = app.request_password_reset(legacy).await;
    assert_status(&res, StatusCode::OK);
}

async fn every_mail_carries_a_message_id_and_auto_submitted(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.request_password_reset(USER_EMAIL).await;
    let mails = app.sink.wait_for(USER_EMAIL, 1).await;
    let mail = mails.last().unwrap();
    let id = mail.header("Message-ID").expect("a Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@acme.test>"), "{id}");
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
}

both_engines!(
    two_admins_disabling_each_other_at_once_leave_one,
    two_admins_demoting_each_other_at_once_leave_one,
    an_email_change_is_announced_to_the_old_address,
    addresses_the_mailer_cannot_send_to_are_refused_on_the_form,
    accounts_stored_under_the_older_address_rule_still_log_in,
    every_mail_carries_a_message_id_and_auto_submitted,
    takeover_changes_need_the_admins_password_again,
);

/// The changes through which an admin could take over an account (a
/// set-password link, a password typed for a new user, another email or
/// role, an app registered or given a new secret) need the admin's
/// password from the last five minutes: given at login, or again on
/// `/admin/confirm`. The rest do not.
async fn takeover_changes_need_the_admins_password_again(engine: Engine) {
    let app = spawn_app(engine).await;
    let (jane, admin) = app.with_admin_and_user().await;
    let input = gatehouse::server::admin::apps::AppInput::parse(AppForm {
        name: "Wiki",
        redirect_uris: "https://wiki.acme.test/cb",
        allowed_role: "user",
        ..AppForm::default()
    })
    .unwrap();
    let wiki = gatehouse::server::admin::apps::add(
        &app.state,
        None,
        input,
        false,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    assert_status(&admin.make_set_password_link(jane).await, StatusCode::OK);

    app.clock.advance_secs(5 * 60 + 1);
    let profile = |email, role| Profile {
        email,
        name: "Jane Doe",
        role,
    };
    let refused = [
        (
            "set-password link",
            admin.make_set_password_link(jane).await,
        ),
        (
            "email",
            admin
                .update_user(jane, profile("jane.new@acme.test", Role::User))
                .await,
        ),
        (
            "role",
            admin
                .update_user(jane, profile(USER_EMAIL, Role::SiteAdmin))
                .await,
        ),
        (
            "password typed here",
            admin
                .add_user(NewUser::in_person(
                    "sam@acme.test",
                    "Sam",
                    "a passphrase typed here",
                ))
                .await,
        ),
        (
            "new app",
            admin
                .add_app(NewApp {
                    name: "Blog",
                    redirect_uri: "https://blog.acme.test/cb",
                    public: false,
                    role: Role::User,
                })
                .await,
        ),
        ("new secret", admin.rotate_app_secret(&wiki.client_id).await),
    ];
    for (what, res) in refused {
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
        assert!(
            res.text().await.unwrap().contains("password_again"),
            "{what}"
        );
    }
    let user = probe::user(&app, jane).await;
    assert_eq!(
        (user.email.as_str(), user.role),
        (USER_EMAIL, Role::User),
        "nothing changed"
    );
    // The rest need no password.
    let renamed = Profile {
        email: USER_EMAIL,
        name: "Jane Q. Doe",
        role: Role::User,
    };
    assert_status(&admin.update_user(jane, renamed).await, StatusCode::OK);
    assert_status(
        &admin
            .add_user(NewUser::invite("ivy@acme.test", "Ivy"))
            .await,
        StatusCode::OK,
    );

    // Without JavaScript the page says why, and where to give it.
    let res = admin.without_js().make_set_password_link(jane).await;
    let page = admin.page(&location(&res)).await;
    assert!(
        page.contains("href=\"/admin/confirm?next=/admin/users\""),
        "{page}"
    );
    let page = admin.open("/admin/confirm?next=/admin/users").await;
    assert!(page.contains("name=\"current_password\""), "{page}");

    let res = admin
        .confirm_password("not my password at all", "/admin/users")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_status(
        &admin.make_set_password_link(jane).await,
        StatusCode::FORBIDDEN,
    );
    let res = admin
        .without_js()
        .confirm_password(ADMIN_PASSWORD, "https://evil.test/")
        .await;
    assert_redirects_to(&res, "/admin/users");
    assert_status(&admin.make_set_password_link(jane).await, StatusCode::OK);
    assert_status(
        &admin.rotate_app_secret(&wiki.client_id).await,
        StatusCode::OK,
    );
    let res = admin
        .update_user(jane, profile(USER_EMAIL, Role::SiteAdmin))
        .await;
    assert_status(&res, StatusCode::OK);

    // For five minutes.
    app.clock.advance_secs(5 * 60 + 1);
    assert_status(
        &admin.rotate_app_secret(&wiki.client_id).await,
        StatusCode::FORBIDDEN,
    );
}
