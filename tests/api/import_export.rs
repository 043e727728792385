//! `gatehouse import` and `export`: other systems' password hashes, made
//! here by independent implementations (the reference argon2's port,
//! pwhash's bcrypt, ring's PBKDF2 and SHA-1), log in through the real form
//! and become ours; an import is all or nothing; invitations go out
//! through the outbox; an export is private and round-trips.

use crate::{both_engines, helpers::*, probe};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use gatehouse::server::{
    admin::transfer::{self, ImportOptions, Imported},
    http::request::RequestMeta,
};
use reqwest::StatusCode;
use std::{num::NonZeroU32, time::Instant};

both_engines!(
    every_kept_hash_format_logs_in_through_the_form_and_becomes_ours,
    an_import_is_all_or_nothing_and_names_every_bad_line,
    people_without_a_hash_are_invited_through_the_outbox,
    an_export_imported_into_an_empty_site_gives_the_same_people_who_can_log_in,
    a_failed_login_takes_as_long_whatever_the_hash,
);

const PASSWORD: &str = "kept from the old site 9";

fn bcrypt(variant: pwhash::bcrypt::BcryptVariant, password: &[u8]) -> String {
    pwhash::bcrypt::hash_with(
        pwhash::bcrypt::BcryptSetup {
            salt: None,
            cost: Some(5),
            variant: Some(variant),
        },
        password,
    )
    .unwrap()
}

fn argon2(variant: argon2_reference::Variant) -> String {
    let config = argon2_reference::Config {
        variant,
        mem_cost: 4096,
        time_cost: 2,
        lanes: 2,
        ..argon2_reference::Config::default()
    };
    argon2_reference::hash_encoded(PASSWORD.as_bytes(), b"old-site-salt-16", &config).unwrap()
}

fn django_pbkdf2() -> String {
    let (iterations, salt) = (1_000, "Xy9salt1234");
    let mut out = [0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations).unwrap(),
        salt.as_bytes(),
        PASSWORD.as_bytes(),
        &mut out,
    );
    format!("pbkdf2_sha256${iterations}${salt}${}", STANDARD.encode(out))
}

fn django_bcrypt_sha256() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, PASSWORD.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let hash = bcrypt(pwhash::bcrypt::BcryptVariant::V2b, hex.as_bytes());
    format!("bcrypt_sha256${hash}")
}

fn zope_ssha() -> String {
    let salt = b"pepper42";
    let mut data = PASSWORD.as_bytes().to_vec();
    data.extend_from_slice(salt);
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data);
    let mut both = digest.as_ref().to_vec();
    both.extend_from_slice(salt);
    format!("{{SSHA}}{}", STANDARD.encode(both))
}

/// Each format the contract names, made independently, by person.
fn old_site() -> Vec<(&'static str, String)> {
    use argon2_reference::Variant;
    use pwhash::bcrypt::BcryptVariant;
    vec![
        ("argon2id@old.test", argon2(Variant::Argon2id)),
        ("argon2i@old.test", argon2(Variant::Argon2i)),
        (
            "bcrypt2a@old.test",
            bcrypt(BcryptVariant::V2a, PASSWORD.as_bytes()),
        ),
        (
            "bcrypt2b@old.test",
            bcrypt(BcryptVariant::V2b, PASSWORD.as_bytes()),
        ),
        (
            "bcrypt2y@old.test",
            bcrypt(BcryptVariant::V2y, PASSWORD.as_bytes()),
        ),
        ("pbkdf2@old.test", django_pbkdf2()),
        (
            "djargon2@old.test",
            format!("argon2{}", argon2(Variant::Argon2id)),
        ),
        ("bcryptsha@old.test", django_bcrypt_sha256()),
        ("ssha@old.test", zope_ssha()),
    ]
}

fn csv_of(people: &[(&str, String)], groups: &str) -> String {
    let mut csv = String::from("email,name,role,groups,password_hash\n");
    for (email, hash) in people {
        // Quoted: argon2's parameters are separated by commas.
        csv.push_str(&format!("{email},Old {email},user,{groups},\"{hash}\"\n"));
    }
    csv
}

async fn import(app: &TestApp, csv: &str, options: ImportOptions) -> Imported {
    transfer::import(&app.state, csv.as_bytes(), options, &RequestMeta::default())
        .await
        .unwrap()
}

async fn every_kept_hash_format_logs_in_through_the_form_and_becomes_ours(engine: Engine) {
    let app = spawn_app(engine).await;
    let people = old_site();
    let imported = import(&app, &csv_of(&people, "old-site"), ImportOptions::default()).await;
    assert!(matches!(imported, Imported::People(9)), "{imported:?}");
    for (email, hash) in &people {
        let before = probe::user_by_email(&app, email).await.unwrap();
        assert_eq!(before.password_hash.as_deref(), Some(hash.as_str()));
        // A wrong password is refused, and the kept hash stays.
        let wrong = app.browser().log_in(email, "not the old password").await;
        assert_status(&wrong, StatusCode::UNAUTHORIZED);
        let res = app.browser().without_js().log_in(email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{email} ({hash})");
        let after = probe::user_by_email(&app, email).await.unwrap();
        let ours = after.password_hash.unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=2048,t=1,p=1$"),
            "{email}: {ours}"
        );
        // And the new hash holds the same password.
        let again = app.browser().log_in(email, PASSWORD).await;
        assert_status(&again, StatusCode::OK);
        assert_eq!(
            probe::user_by_email(&app, email)
                .await
                .unwrap()
                .password_hash,
            Some(ours)
        );
    }
}

async fn an_import_is_all_or_nothing_and_names_every_bad_line(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane_again = USER_EMAIL.to_uppercase();
    let csv = format!(
        "email,name,role,groups,password_hash\n\
         ann@new.test,Ann,user,editors,\n\
         {jane_again},Jane,user,,\n\
         bob@new.test,Bob,owner,,\n\
         cy@new.test,Cy,site_admin,editors;ops,$2b$04$tooshort\n\
         dee@new.test,Dee,,,\n"
    );
    let Imported::Refused(bad) = import(&app, &csv, ImportOptions::default()).await else {
        panic!("a file with bad lines was imported");
    };
    let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4, 5], "{bad:?}");
    assert!(bad[0].reason.contains("exists already"), "{bad:?}");
    assert!(bad[1].reason.starts_with("role:"), "{bad:?}");
    assert!(bad[2].reason.contains("malformed bcrypt"), "{bad:?}");
    let nobody = probe::user_by_email(&app, "ann@new.test").await;
    assert!(nobody.is_none(), "nothing is imported");

    let good = "email,name,role,groups,password_hash\n\
                ann@new.test,Ann,user,editors,\n\
                cy@new.test,Cy,site_admin,editors;ops,\n";
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    assert!(matches!(import(&app, good, dry).await, Imported::People(2)));
    assert!(probe::user_by_email(&app, "ann@new.test").await.is_none());
    assert!(matches!(
        import(&app, good, ImportOptions::default()).await,
        Imported::People(2)
    ));
    let cy = probe::user_by_email(&app, "cy@new.test").await.unwrap();
    assert_eq!(cy.role, gatehouse::domain::Role::SiteAdmin);
    assert_eq!(cy.password_hash, None, "no password until they set one");
    let groups = gatehouse::server::admin::groups::list(&app.state)
        .await
        .unwrap();
    let groups: Vec<(&str, i64)> = groups
        .iter()
        .map(|g| (g.name.as_str(), g.members))
        .collect();
    assert_eq!(
        groups,
        [("editors", 2), ("ops", 1)],
        "groups made when missing"
    );
    let res = app.browser().log_in("cy@new.test", "").await;
    assert!(res.status().is_client_error());
    // The same file again: everyone is here already.
    assert!(matches!(
        import(&app, good, ImportOptions::default()).await,
        Imported::Refused(bad) if bad.len() == 2
    ));
}

async fn people_without_a_hash_are_invited_through_the_outbox(engine: Engine) {
    let app = spawn_app(engine).await;
    let csv = format!(
        "email,name,role,groups,password_hash\n\
         new1@new.test,New One,,,\n\
         new2@new.test,New Two,,,\n\
         kept@new.test,Kept,user,,{}\n",
        django_pbkdf2()
    );
    let invite = ImportOptions {
        invite: true,
        ..ImportOptions::default()
    };
    assert!(matches!(
        import(&app, &csv, invite).await,
        Imported::People(3)
    ));
    let mail = app.sink.wait_for("new2@new.test", 1).await.remove(0);
    assert!(
        mail.text_part()
            .starts_with("An account has been created for you at 'Acme Consultations'."),
        "{}",
        mail.text_part()
    );
    let link = mail.link().unwrap();
    let new = "a password of my own 5";
    let res = app
        .reset_password(&TestApp::token_of(&link), new, new)
        .await;
    assert_status(&res, StatusCode::OK);
    assert_status(
        &app.browser().log_in("new2@new.test", new).await,
        StatusCode::OK,
    );
    app.sink.wait_for("new1@new.test", 1).await;
    // Someone with a kept hash is not invited: they log in as before.
    assert!(app.sink.mails_to("kept@new.test").is_empty());
    assert_status(
        &app.browser().log_in("kept@new.test", PASSWORD).await,
        StatusCode::OK,
    );
}

async fn an_export_imported_into_an_empty_site_gives_the_same_people_who_can_log_in(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.put_in_group(USER_EMAIL, "wiki-editors").await;
    app.put_in_group(USER_EMAIL, "ops").await;
    let people = old_site();
    import(
        &app,
        &csv_of(&people[..2], "old-site"),
        ImportOptions::default(),
    )
    .await;
    let mut first = Vec::new();
    transfer::export(&app.state, &mut first, &RequestMeta::default())
        .await
        .unwrap();
    let first = String::from_utf8(first).unwrap();
    assert!(
        first.starts_with("email,name,role,groups,password_hash\n"),
        "{first}"
    );
    assert!(
        first.contains("Jane Doe,user,ops;wiki-editors,\"$argon2id$"),
        "{first}"
    );

    let other = spawn_app(engine).await;
    assert!(matches!(
        import(&other, &first, ImportOptions::default()).await,
        Imported::People(3)
    ));
    let mut second = Vec::new();
    transfer::export(&other.state, &mut second, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(String::from_utf8(second).unwrap(), first);
    assert_status(
        &other.browser().log_in(USER_EMAIL, USER_PASSWORD).await,
        StatusCode::OK,
    );
    assert_status(
        &other.browser().log_in(people[0].0, PASSWORD).await,
        StatusCode::OK,
    );
}

/// A wrong password for an imported hash (here bcrypt, slower to check
/// than the tests' cheap argon2) is answered no sooner than one for an
/// unknown address or one of our hashes: each waits for the slowest check
/// seen, and for the configured floor.
async fn a_failed_login_takes_as_long_whatever_the_hash(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        cheap_hashing(c);
        c.auth.failed_login_floor_ms = 300;
    })
    .await;
    app.create_jane().await;
    let costly = pwhash::bcrypt::hash_with(
        pwhash::bcrypt::BcryptSetup {
            salt: None,
            cost: Some(10),
            variant: Some(pwhash::bcrypt::BcryptVariant::V2b),
        },
        PASSWORD,
    )
    .unwrap();
    let csv = format!("email,name,role,groups,password_hash\nold@old.test,Old,user,,{costly}\n");
    import(&app, &csv, ImportOptions::default()).await;
    let timed = |email: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let res = app.browser().log_in(email, "a wrong password 123").await;
            assert_status(&res, StatusCode::UNAUTHORIZED);
            started.elapsed()
        }
    };
    let floor = std::time::Duration::from_millis(300);
    for email in ["old@old.test", USER_EMAIL, "nobody@old.test"] {
        let took = timed(email).await;
        assert!(took >= floor, "{email} answered after {took:?}");
    }
    let slowest = app.state.hasher.longest();
    for email in [USER_EMAIL, "nobody@old.test"] {
        let took = timed(email).await;
        assert!(
            took >= slowest,
            "{email}: {took:?}, the bcrypt took {slowest:?}"
        );
    }
}
