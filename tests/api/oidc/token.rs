//! `/oauth2/token`: codes spent once and only by their app, PKCE, client
//! secrets, expiry, and refresh tokens that rotate; it is open to other
//! origins, while the admin's app actions are not.

use super::*;
use crate::both_engines;
use gatehouse::domain::Role;

both_engines!(
    a_code_used_twice_fails_and_ends_the_tokens_it_gave,
    pkce_is_required_of_public_apps_and_must_match,
    a_wrong_client_secret_is_refused_in_both_ways_of_sending_it,
    an_expired_code_is_refused,
    a_refresh_token_rotates_and_its_reuse_ends_the_chain,
    cross_site_posts_to_the_admin_apps_actions_are_refused,
    requests_that_fail_are_answered_without_a_write,
    who_the_app_admits_is_checked_again_after_the_sign_in,
    a_refresh_chain_ends_90_days_after_its_login,
    failed_client_authentication_is_throttled_per_address,
    refused_apps_codes_replays_and_proxied_visits_are_audited_and_counted,
    the_groups_scope_names_the_persons_groups,
    an_app_limited_to_groups_admits_their_members_only_and_for_as_long_as_they_stay,
    an_app_made_two_step_only_ends_the_sign_ins_made_with_a_password_alone,
);

/// Jane, in a browser of her own, goes to the app's authorization URL and
/// logs in; where she ends up (the app's redirect URI or a page of ours).
async fn jane_tries(app: &TestApp, creds: &AppCredentials) -> String {
    let (_, challenge) = pkce();
    let browser = app.browser();
    let url = authorize_url(app, &creds.client_id, &challenge, &[]);
    let login = location(&browser.get(&url).await);
    let next = param(&Url::parse(&app.url(&login)).unwrap(), "next").unwrap();
    browser
        .without_js()
        .on(&login)
        .log_in_then(USER_EMAIL, USER_PASSWORD, &next)
        .await;
    location(&browser.get(&next).await)
}

/// An app limited to a group admits its members only, checked at sign-in
/// and again at every refresh and userinfo call: taken out of the group,
/// Jane's tokens end at once. A group apps admit by cannot be deleted (the
/// app would admit everyone), and a group that does not exist is refused
/// on the form.
async fn an_app_limited_to_groups_admits_their_members_only_and_for_as_long_as_they_stay(
    engine: Engine,
) {
    use gatehouse::{
        domain::GroupName,
        error::{AppError, Field},
        server::admin::groups::{self, Membership},
    };
    let app = spawn_app(engine).await;
    let (_jane, admin) = app.with_admin_and_user().await;
    let editors = GroupName::parse("wiki-editors").unwrap();
    let meta = RequestMeta::default();
    groups::create(&app.state, None, &editors, &meta)
        .await
        .unwrap();
    let creds = register_with(
        &app,
        false,
        apps::AppForm {
            groups: "wiki-editors",
            ..wiki()
        },
    )
    .await;

    let to = jane_tries(&app, &creds).await;
    assert!(to.starts_with("/sign-in-problem?reason=no_access"), "{to}");
    assert!(!to.contains("code="), "{to}");

    app.put_in_group(USER_EMAIL, "wiki-editors").await;
    let to = jane_tries(&app, &creds).await;
    assert!(to.starts_with(REDIRECT) && to.contains("code="), "{to}");
    let tokens = jane_tokens(&app, &creds, USER_PASSWORD).await;
    let (status, refreshed) = refresh(&app, &creds, &text(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "a member refreshes: {refreshed}");

    let deleted = groups::remove(&app.state, None, &editors, &meta).await;
    match deleted {
        Err(gatehouse::server::ServiceError::User(AppError::Validation(problems))) => {
            assert_eq!(problems[0].0, Field::Name);
            assert!(problems[0].1.message().contains("Wiki"), "{problems:?}");
        }
        other => panic!("a group an app admits by was deleted: {other:?}"),
    }

    let out = groups::change_member(
        &app.state,
        None,
        &editors,
        USER_EMAIL,
        Membership::Remove,
        &meta,
    )
    .await
    .unwrap();
    assert!(out);
    assert_tokens_ended(&app, &creds, &refreshed, "taken out of the group").await;
    let audit = admin
        .list_audit(Some("group_member_removed"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("sign-ins no longer admitted ended"),
        "{audit}"
    );

    // On the admin's form: a group that does not exist is named back.
    let res = admin
        .edit_app_with(
            &creds.client_id,
            &[
                ("name", "Wiki"),
                ("redirect_uris", REDIRECT),
                ("allowed_role", "user"),
                ("groups", "wiki-editors, no-such-group"),
            ],
        )
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("no-such-group"), "{body}");
    // Taken off the app, the group goes, and the app admits everyone again.
    let res = admin
        .edit_app_with(
            &creds.client_id,
            &[
                ("name", "Wiki"),
                ("redirect_uris", REDIRECT),
                ("allowed_role", "user"),
                ("groups", ""),
            ],
        )
        .await;
    assert_status(&res, StatusCode::OK);
    groups::remove(&app.state, None, &editors, &meta)
        .await
        .unwrap();
    let to = jane_tries(&app, &creds).await;
    assert!(to.starts_with(REDIRECT) && to.contains("code="), "{to}");
}

/// An app made to ask for two steps ends the sign-ins people made to it
/// with a password alone: at once, not when they next log in.
async fn an_app_made_two_step_only_ends_the_sign_ins_made_with_a_password_alone(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_jane, admin) = app.with_admin_and_user().await;
    let creds = register(&app, false, "user").await;
    let tokens = jane_tokens(&app, &creds, USER_PASSWORD).await;
    assert_eq!(
        userinfo_status(&app, &text(&tokens, "access_token")).await,
        StatusCode::OK
    );
    let res = admin
        .edit_app_with(
            &creds.client_id,
            &[
                ("name", "Wiki"),
                ("redirect_uris", REDIRECT),
                ("allowed_role", "user"),
                ("two_factor", "yes"),
            ],
        )
        .await;
    assert_status(&res, StatusCode::OK);
    assert_tokens_ended(&app, &creds, &tokens, "the app now asks for two steps").await;
}

/// With the scope `groups`, the ID token and userinfo carry the claim
/// `groups` (the person's groups, by name; read at each call, so leaving a
/// group shows at once); without it, no such claim.
async fn the_groups_scope_names_the_persons_groups(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    app.put_in_group(USER_EMAIL, "wiki-editors").await;
    app.put_in_group(USER_EMAIL, "accounts").await;
    let tokens = |scope: &'static str| {
        let (app, creds) = (&app, &creds);
        async move {
            let (verifier, challenge) = pkce();
            let url = authorize_url(app, &creds.client_id, &challenge, &[("scope", scope)]);
            let back = sign_in(&app.browser(), &url, USER_EMAIL, USER_PASSWORD).await;
            let (status, body) =
                exchange(app, creds, &param(&back, "code").unwrap(), &verifier).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let userinfo = |access: String| {
        let app = &app;
        async move {
            let res = rp_http()
                .get(app.url("/oauth2/userinfo"))
                .bearer_auth(access)
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()
        }
    };

    let t = tokens("openid groups").await;
    let claims = claims_of(&text(&t, "id_token"));
    assert_eq!(
        claims["groups"],
        serde_json::json!(["accounts", "wiki-editors"]),
        "{claims}"
    );
    assert_eq!(
        userinfo(text(&t, "access_token")).await["groups"],
        serde_json::json!(["accounts", "wiki-editors"])
    );

    use gatehouse::{domain::GroupName, server::admin::groups};
    let name = GroupName::parse("wiki-editors").unwrap();
    groups::change_member(
        &app.state,
        None,
        &name,
        USER_EMAIL,
        groups::Membership::Remove,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        userinfo(text(&t, "access_token")).await["groups"],
        serde_json::json!(["accounts"])
    );

    let t = tokens("openid email").await;
    assert!(claims_of(&text(&t, "id_token")).get("groups").is_none());
    assert!(userinfo(text(&t, "access_token"))
        .await
        .get("groups")
        .is_none());

    let discovery: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert!(discovery["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("groups")));
    assert!(discovery["claims_supported"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("groups")));
}

/// What is refused to apps and at forward-auth is in the audit log, one
/// row an hour for each kind and source, with its count; a failed login
/// names the account when it exists.
async fn refused_apps_codes_replays_and_proxied_visits_are_audited_and_counted(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, admin) = app.with_admin_and_user().await;
    let creds = register(&app, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    for _ in 0..3 {
        let res = token_post_basic(&app, &creds.client_id, Some("wrong"), &form).await;
        assert_status(&res, StatusCode::UNAUTHORIZED);
    }
    let made_up = gatehouse::server::platform::tokens::generate();
    let (status, _) = exchange(&app, &creds, &made_up, &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a replay");
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let res = jane.get("/auth/verify?role=site_admin").await;
    assert_status(&res, StatusCode::FORBIDDEN);
    assert_status(
        &app.log_in(USER_EMAIL, "not her password at all").await,
        StatusCode::UNAUTHORIZED,
    );

    let audit = |event: &'static str| {
        let admin = admin.clone();
        async move {
            let body: Value = admin.list_audit(Some(event)).await.json().await.unwrap();
            body["entries"].as_array().cloned().unwrap_or_default()
        }
    };
    let failed = audit("app_auth_failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].to_string().contains("3 times within the hour"),
        "{failed:?}"
    );
    assert_eq!(audit("app_token_refused").await.len(), 1);
    let replayed = audit("app_token_replayed").await;
    assert_eq!(replayed.len(), 1);
    assert!(
        replayed[0].to_string().contains(&USER_EMAIL.to_lowercase())
            || replayed[0].to_string().contains(USER_EMAIL),
        "{replayed:?}"
    );
    let refused = audit("forward_auth_refused").await;
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].to_string().contains("Site admins only"),
        "{refused:?}"
    );
    // Listed under Jane's account, as a search by her address finds it.
    let hers = gatehouse::server::admin::users::list_audit(
        &app.state,
        Some("login_failed"),
        Some(USER_EMAIL),
        None,
    )
    .await
    .unwrap();
    assert_eq!(hers.entries.len(), 1, "the failed login names the account");
}

/// An address that keeps sending wrong client credentials is refused for a
/// while (429, `Retry-After`), whatever it sends; the allowance comes back.
async fn failed_client_authentication_is_throttled_per_address(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    // 20 failures at once are let through, then none.
    for _ in 0..20 {
        let res = token_post_basic(&app, &creds.client_id, Some("wrong"), &form).await;
        assert_status(&res, StatusCode::UNAUTHORIZED);
    }
    let secret = creds.client_secret.as_deref();
    let res = token_post_basic(&app, &creds.client_id, secret, &form).await;
    assert_status(&res, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let res = rp_http()
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&creds.client_id, secret)
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_status(&res, StatusCode::TOO_MANY_REQUESTS);
    // Allowance comes back with time; the code was never spent.
    app.clock.advance_secs(50);
    let code = code_for_jane(&app, &creds, &challenge).await;
    let (status, body) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Refresh tokens renew each other for 90 days from the login they came
/// from (`auth.refresh_absolute_days`), however often they are used.
async fn a_refresh_chain_ends_90_days_after_its_login(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let mut tokens = jane_tokens(&app, &creds, USER_PASSWORD).await;
    for day in [29, 58, 87] {
        app.clock.advance_secs(29 * 86_400);
        let (status, body) = refresh(&app, &creds, &text(&tokens, "refresh_token")).await;
        assert_eq!(status, StatusCode::OK, "day {day}: {body}");
        tokens = body;
    }
    app.clock.advance_secs(3 * 86_400 + 60);
    let (status, body) = refresh(&app, &creds, &text(&tokens, "refresh_token")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "day 90: {body}"
    );
}

/// An app's rule is not only checked at sign-in: a site admin made a user
/// loses what an admins-only app held for them, and so does everyone else
/// when an app is made admins-only (refresh and userinfo refused, the
/// grant ended).
async fn who_the_app_admits_is_checked_again_after_the_sign_in(engine: Engine) {
    let app = spawn_app(engine).await;
    let (jane, admin) = app.with_admin_and_user().await;
    let profile = |role| Profile {
        email: USER_EMAIL,
        name: "Jane Doe",
        role,
    };
    assert_status(
        &admin.update_user(jane, profile(Role::SiteAdmin)).await,
        StatusCode::OK,
    );
    let admins_only = register(&app, false, "site_admin").await;
    let tokens = jane_tokens(&app, &admins_only, USER_PASSWORD).await;
    let (status, refreshed) = refresh(&app, &admins_only, &text(&tokens, "refresh_token")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a site admin refreshes: {refreshed}"
    );

    assert_status(
        &admin.update_user(jane, profile(Role::User)).await,
        StatusCode::OK,
    );
    assert_tokens_ended(&app, &admins_only, &refreshed, "made a user").await;

    // An app open to everyone, then made admins-only.
    let open = register(&app, false, "user").await;
    let tokens = jane_tokens(&app, &open, USER_PASSWORD).await;
    assert_eq!(
        userinfo_status(&app, &text(&tokens, "access_token")).await,
        StatusCode::OK
    );
    let res = admin
        .edit_app(&open.client_id, "Wiki", REDIRECT, Role::SiteAdmin)
        .await;
    assert_status(&res, StatusCode::OK);
    assert_tokens_ended(&app, &open, &tokens, "the app made admins-only").await;
    let audit = admin
        .list_audit(Some("user_edited"))
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("app sign-ins ended"), "{audit}");
}

/// What an unknown app, a wrong secret or a made-up code or token asks of
/// the token and revocation endpoints is answered from reads: it never
/// waits for the writer's turn (held here by the test; on SQLite there is
/// one) nor takes it.
async fn requests_that_fail_are_answered_without_a_write(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    let held = app.state.db.begin().await.unwrap();
    let made_up = gatehouse::server::platform::tokens::generate();
    let wrong = AppCredentials {
        client_secret: Some("wrong".into()),
        ..creds.clone()
    };
    let unknown = AppCredentials {
        client_id: "no-such-app".into(),
        ..creds.clone()
    };
    for (who, code, status, error) in [
        (
            &wrong,
            code.as_str(),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &unknown,
            code.as_str(),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &creds,
            made_up.as_str(),
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
    ] {
        let exchanged = exchange(&app, who, code, &verifier);
        let (got, body) = tokio::time::timeout(std::time::Duration::from_secs(3), exchanged)
            .await
            .expect("the token endpoint waited for the writer");
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{body}"
        );
    }
    for who in [&wrong, &creds] {
        let form = [("token", made_up.as_str())];
        let revoked = revoke(&app, who, &form);
        let got = tokio::time::timeout(std::time::Duration::from_secs(3), revoked)
            .await
            .expect("the revocation endpoint waited for the writer");
        assert!(
            matches!(got, StatusCode::OK | StatusCode::UNAUTHORIZED),
            "{got}"
        );
    }
    drop(held);
    // Nothing was spent: the code works for its own app.
    let (status, body) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn a_code_used_twice_fails_and_ends_the_tokens_it_gave(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    let (status, first) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let access = text(&first, "access_token");
    assert_eq!(userinfo_status(&app, &access).await, StatusCode::OK);

    let (status, again) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["error"], "invalid_grant");
    assert_eq!(
        userinfo_status(&app, &access).await,
        StatusCode::UNAUTHORIZED,
        "the replay revoked the access token"
    );
    let (status, _) = refresh(&app, &creds, &text(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "and the refresh token");
}

async fn pkce_is_required_of_public_apps_and_must_match(engine: Engine) {
    let (app, public) = app_with_jane(engine, true, "user").await;
    assert!(public.client_secret.is_none());
    let (verifier, challenge) = pkce();

    // A public app without a challenge, or with `plain`, gets no code.
    let base = authorize_url(&app, &public.client_id, &challenge, &[]);
    for (name, value, why) in [
        ("code_challenge", "", "no challenge"),
        ("code_challenge_method", "plain", "plain"),
    ] {
        let res = app.get(&replace_param(&base, name, value)).await;
        let back = Url::parse(&location(&res)).unwrap();
        assert_eq!(
            param(&back, "error").as_deref(),
            Some("invalid_request"),
            "{why}"
        );
        assert!(param(&back, "code").is_none());
    }

    let code = code_for_jane(&app, &public, &challenge).await;
    let (status, body) = token_post(
        &app,
        &public,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "no verifier"
    );
    let code = code_for_jane(&app, &public, &challenge).await;
    let (other, _) = pkce();
    let (status, _) = exchange(&app, &public, &code, &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a wrong verifier");
    let code = code_for_jane(&app, &public, &challenge).await;
    let (status, body) = exchange(&app, &public, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "the right verifier: {body}");
}

async fn a_wrong_client_secret_is_refused_in_both_ways_of_sending_it(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let res = token_post_basic(&app, &creds.client_id, Some("wrong"), &form).await;
    assert_status(&res, StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let wrong = AppCredentials {
        client_secret: Some("wrong".into()),
        ..creds.clone()
    };
    let (status, body) = token_post(&app, &wrong, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    // The code was not spent by the failed attempts.
    let secret = creds.client_secret.as_deref();
    let res = token_post_basic(&app, &creds.client_id, secret, &form).await;
    assert_status(&res, StatusCode::OK);
}

async fn an_expired_code_is_refused(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    app.clock.advance_secs(61);
    let (status, body) = exchange(&app, &creds, &code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

async fn a_refresh_token_rotates_and_its_reuse_ends_the_chain(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let code = code_for_jane(&app, &creds, &challenge).await;
    let (_, first) = exchange(&app, &creds, &code, &verifier).await;
    let (status, second) = refresh(&app, &creds, &text(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // The spent one again (a thief or a bug): refused, and the new one dies too.
    let (status, body) = refresh(&app, &creds, &text(&first, "refresh_token")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = refresh(&app, &creds, &text(&second, "refresh_token")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "reuse revoked the whole chain"
    );
    assert_eq!(
        userinfo_status(&app, &text(&second, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn cross_site_posts_to_the_admin_apps_actions_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = app.as_admin().await;
    let res = admin
        .as_if_from("https://evil.test")
        .add_app(NewApp {
            name: "Evil",
            redirect_uri: "https://evil.test/cb",
            public: false,
            role: Role::User,
        })
        .await;
    assert_status(&res, StatusCode::FORBIDDEN);
    assert!(apps::list(&app.state).await.unwrap().is_empty());
    // The token endpoint is for apps' own servers and browsers: no Origin check,
    // no cookies, and CORS allowed.
    let res = rp_http()
        .post(app.url("/oauth2/token"))
        .header(header::ORIGIN, "https://spa.example.test")
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "invalid_client, not a refused origin"
    );
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}
