//! Gatehouse as an OpenID Connect provider, driven as a real relying party
//! drives it: the `openidconnect` crate discovers the provider, builds the
//! authorization request, exchanges the code, checks the ID token's
//! signature against the JWKS, reads userinfo and refreshes. The browser in
//! between logs in through the real login form. Negative cases speak plain
//! HTTP, each on its own.

use crate::{both_engines, helpers::*};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use gatehouse::{
    domain::AppCredentials,
    server::{admin::apps, http::request::RequestMeta},
};
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

/// Where the test app receives sign-ins. Nothing listens there: the
/// browser here stops at the redirect and reads it.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const POST_LOGOUT: &str = "http://127.0.0.1:9/bye";

async fn register(app: &TestApp, public: bool, role: &str) -> AppCredentials {
    let input = apps::AppInput::parse("Wiki", REDIRECT, POST_LOGOUT, role).unwrap();
    let creds = apps::add(&app.state, None, input, public, &RequestMeta::default())
        .await
        .unwrap();
    if let Some(secret) = &creds.client_secret {
        crate::log_audit::note(secret);
    }
    creds
}

/// A site with Jane (a user) and one app registered (public or not, open
/// to `role`).
async fn app_with_jane(engine: Engine, public: bool, role: &str) -> (TestApp, AppCredentials) {
    let app = spawn_app(engine).await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    let creds = register(&app, public, role).await;
    (app, creds)
}

/// An HTTP client as a relying party's server uses it: no redirects.
fn rp_http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Follows the browser from an authorization URL to the app's redirect
/// URI, logging in through the login form (without JavaScript) when
/// Gatehouse asks for it. Returns the URL the app receives.
async fn sign_in(
    app: &TestApp,
    browser: &Client,
    authorize: &str,
    email: &str,
    password: &str,
) -> Url {
    let res = browser.get(authorize).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "authorize answers with a redirect"
    );
    let mut to = location(&res);
    if to.starts_with("/login?") {
        let login = Url::parse(&app.url(&to)).unwrap();
        let next = login
            .query_pairs()
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v.into_owned())
            .expect("the login page is told where to go next");
        assert!(next.starts_with("/oauth2/authorize?"), "{next}");
        let res = form_post_with(
            browser,
            &app.base,
            "login",
            &to,
            &[("email", email), ("password", password), ("next", &next)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FOUND);
        let back = through_continue(browser, app, &location(&res)).await;
        assert_eq!(back, next, "the login goes back to the authorization");
        let res = browser.get(app.url(&next)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        to = location(&res);
    }
    Url::parse(&to).unwrap_or_else(|_| panic!("an absolute redirect, not {to}"))
}

fn param(url: &Url, name: &str) -> Option<String> {
    let value = url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    if let (Some(v), "code") = (&value, name) {
        crate::log_audit::note(v);
    }
    value
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        gatehouse::server::platform::tokens::generate(),
        "-extra.length~"
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// `/oauth2/authorize?…` for `client_id` with PKCE, plus `extra`.
fn authorize_url(
    app: &TestApp,
    client_id: &str,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = Url::parse(&app.url("/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile offline_access")
        .append_pair("state", "st-1")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    let mut url = url.to_string();
    for (k, v) in extra {
        url = replace_param(&url, k, v);
    }
    url
}

/// Sets (or with an empty value removes) one query parameter.
fn replace_param(url: &str, name: &str, value: &str) -> String {
    let mut url = Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        q.extend_pairs(kept);
        if !value.is_empty() {
            q.append_pair(name, value);
        }
    }
    url.to_string()
}

/// Jane, in `browser`, signs in to the app (logging in if need be): the
/// URL the app receives.
async fn jane_signs_in(
    app: &TestApp,
    browser: &Client,
    creds: &AppCredentials,
    challenge: &str,
) -> Url {
    let url = authorize_url(app, &creds.client_id, challenge, &[]);
    sign_in(app, browser, &url, USER_EMAIL, USER_PASSWORD).await
}

/// A code for Jane through a browser that logs in first.
async fn code_for_jane(app: &TestApp, creds: &AppCredentials, challenge: &str) -> String {
    let back = jane_signs_in(app, &app.new_client(), creds, challenge).await;
    param(&back, "code").expect("a code")
}

/// POSTs the token endpoint with `client_secret_post` credentials.
async fn token_post(
    app: &TestApp,
    creds: &AppCredentials,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    fields.push(("client_id", &creds.client_id));
    if let Some(secret) = &creds.client_secret {
        fields.push(("client_secret", secret));
    }
    let res = rp_http()
        .post(app.url("/oauth2/token"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let answer: Value = res.json().await.unwrap();
    for key in ["access_token", "refresh_token", "id_token"] {
        if let Some(token) = answer[key].as_str() {
            crate::log_audit::note(token);
        }
    }
    (status, answer)
}

async fn exchange(
    app: &TestApp,
    creds: &AppCredentials,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token_post(
        app,
        creds,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn userinfo_status(app: &TestApp, access_token: &str) -> StatusCode {
    rp_http()
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn refresh(app: &TestApp, creds: &AppCredentials, token: &str) -> (StatusCode, Value) {
    token_post(
        app,
        creds,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_owned()
}

both_engines!(
    an_app_signs_a_person_in_through_the_login_page_and_verifies_the_id_token,
    a_logged_in_person_goes_straight_back_and_prompt_none_never_shows_a_page,
    prompt_login_and_max_age_ask_for_the_password_again,
    only_a_registered_redirect_uri_matched_exactly_gets_an_answer,
    a_code_used_twice_fails_and_ends_the_tokens_it_gave,
    pkce_is_required_of_public_apps_and_must_match,
    a_wrong_client_secret_is_refused_in_both_ways_of_sending_it,
    an_expired_code_is_refused,
    a_refresh_token_rotates_and_its_reuse_ends_the_chain,
    a_person_outside_the_apps_role_gets_a_page_and_no_code,
    disabling_resetting_and_logging_out_everywhere_end_an_apps_tokens,
    revocation_and_logout_end_what_the_app_holds,
    the_jwks_keeps_the_old_key_after_a_rotation,
    forward_auth_answers_with_who_is_logged_in_and_refuses_unlisted_hosts,
    cross_site_posts_to_the_admin_apps_actions_are_refused,
);

async fn an_app_signs_a_person_in_through_the_login_page_and_verifies_the_id_token(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let http = rp_http();

    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .expect("discovery and JWKS");
    assert_eq!(
        metadata.issuer().as_str(),
        app.base,
        "the issuer is the public URL without a slash"
    );
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(creds.client_id.clone()),
        Some(ClientSecret::new(creds.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = app.new_client();
    let back = sign_in(
        &app,
        &browser,
        authorize.as_str(),
        USER_EMAIL,
        USER_PASSWORD,
    )
    .await;
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(app.base.as_str()));
    let code = param(&back, "code").unwrap();
    assert!(
        URL_SAFE_NO_PAD.decode(&code).unwrap().len() >= 32,
        "codes carry 256 random bits"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_tokens WHERE token_hash = $1")
        .bind(&code)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "codes are stored only as a hash");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange (client_secret_basic)");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token's signature, issuer, audience, expiry and nonce");
    let sub = claims.subject().as_str().to_owned();
    assert!(
        !sub.contains('@') && sub.len() >= 32,
        "sub is opaque: {sub}"
    );
    assert_eq!(claims.email().map(|e| e.as_str()), Some(USER_EMAIL));
    assert_eq!(claims.email_verified(), Some(false), "no link used yet");
    assert_eq!(
        claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Jane Doe")
    );
    assert!(claims.auth_time().is_some());
    assert!(tokens.expires_in().unwrap().as_secs() <= 3600);
    let raw_claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.to_string().split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(raw_claims["roles"], serde_json::json!(["user"]));

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo with the access token");
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(info.email().map(|e| e.as_str()), Some(USER_EMAIL));

    let refreshed = client
        .exchange_refresh_token(
            tokens
                .refresh_token()
                .expect("offline_access gives a refresh token"),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("a refresh");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        tokens.refresh_token().unwrap().secret(),
        "refresh tokens rotate"
    );

    // The sub stays when the email changes, and email_verified follows a
    // used reset link.
    app.request_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let res = app
        .call(
            "reset_password",
            &[
                ("token", &TestApp::token_of(&link)),
                ("new_password", "a brand new passphrase 7"),
                ("confirm_password", "a brand new passphrase 7"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (verifier, challenge) = pkce();
    let browser = app.new_client();
    let back = sign_in(
        &app,
        &browser,
        &authorize_url(&app, &creds.client_id, &challenge, &[]),
        USER_EMAIL,
        "a brand new passphrase 7",
    )
    .await;
    let (status, body) = exchange(&app, &creds, &param(&back, "code").unwrap(), &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(text(&body, "id_token").split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(second["sub"], sub.as_str());
    assert_eq!(
        second["email_verified"], true,
        "the reset link proved the mailbox"
    );
    app.stop().await;
}

async fn a_logged_in_person_goes_straight_back_and_prompt_none_never_shows_a_page(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (_, challenge) = pkce();

    // No session, prompt=none: the app hears login_required.
    let browser = app.new_client();
    let url = authorize_url(&app, &creds.client_id, &challenge, &[("prompt", "none")]);
    let res = browser.get(&url).send().await.unwrap();
    let back = Url::parse(&location(&res)).unwrap();
    assert!(back.as_str().starts_with(REDIRECT));
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&back, "state").as_deref(), Some("st-1"));

    // Logged in: straight back with a code, no page in between.
    jane_signs_in(&app, &browser, &creds, &challenge).await;
    let res = browser.get(&url).send().await.unwrap();
    let back = Url::parse(&location(&res)).unwrap();
    assert!(param(&back, "code").is_some(), "{back}");
    app.stop().await;
}

async fn prompt_login_and_max_age_ask_for_the_password_again(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (_, challenge) = pkce();
    let browser = app.new_client();
    jane_signs_in(&app, &browser, &creds, &challenge).await;

    for extra in [("prompt", "login"), ("max_age", "0")] {
        app.clock.advance_secs(5);
        let url = authorize_url(&app, &creds.client_id, &challenge, &[extra]);
        let res = browser.get(&url).send().await.unwrap();
        assert!(
            location(&res).starts_with("/login?"),
            "{extra:?} asks for the password: {}",
            location(&res)
        );
        let back = sign_in(&app, &browser, &url, USER_EMAIL, USER_PASSWORD).await;
        assert!(
            param(&back, "code").is_some(),
            "{extra:?}: after logging in again, a code"
        );
    }
    // A generous max_age lets the fresh session through.
    let url = authorize_url(&app, &creds.client_id, &challenge, &[("max_age", "3600")]);
    let res = browser.get(&url).send().await.unwrap();
    assert!(location(&res).starts_with(REDIRECT), "{}", location(&res));
    app.stop().await;
}

async fn only_a_registered_redirect_uri_matched_exactly_gets_an_answer(engine: Engine) {
    let app = spawn_app(engine).await;
    let creds = register(&app, false, "user").await;
    let (_, challenge) = pkce();
    let base = authorize_url(&app, &creds.client_id, &challenge, &[]);
    for wrong in [
        "http://127.0.0.1:9/callback/more",
        "http://127.0.0.1:9/callbac",
        "http://127.0.0.1:9/callback?x=1",
        "http://evil.test/callback",
    ] {
        let res = app
            .client
            .get(replace_param(&base, "redirect_uri", wrong))
            .send()
            .await
            .unwrap();
        let to = location(&res);
        assert!(
            to.starts_with("/sign-in-problem?reason=bad_redirect_uri"),
            "{wrong}: {to}"
        );
    }
    let res = app
        .client
        .get(replace_param(&base, "client_id", "nope"))
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/sign-in-problem?reason=unknown_app"));
    let page = app.page(&location(&res)).await;
    assert!(page.contains("This sign-in link does not work"), "{page}");
    // With a good URI, errors go back to the app: only response_type=code.
    let res = app
        .client
        .get(replace_param(&base, "response_type", "token"))
        .send()
        .await
        .unwrap();
    let back = Url::parse(&location(&res)).unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );
    app.stop().await;
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
    app.stop().await;
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
        let res = app
            .client
            .get(replace_param(&base, name, value))
            .send()
            .await
            .unwrap();
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
    app.stop().await;
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
    let res = rp_http()
        .post(app.url("/oauth2/token"))
        .basic_auth(&creds.client_id, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
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
    let res = rp_http()
        .post(app.url("/oauth2/token"))
        .basic_auth(&creds.client_id, creds.client_secret.as_deref())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
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
    app.stop().await;
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
    app.stop().await;
}

async fn a_person_outside_the_apps_role_gets_a_page_and_no_code(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "site_admin").await;
    let (_, challenge) = pkce();
    let browser = app.new_client();
    let url = authorize_url(&app, &creds.client_id, &challenge, &[]);
    let res = browser.get(&url).send().await.unwrap();
    let login = location(&res);
    let next = param(&Url::parse(&app.url(&login)).unwrap(), "next").unwrap();
    form_post_with(
        &browser,
        &app.base,
        "login",
        &login,
        &[
            ("email", USER_EMAIL),
            ("password", USER_PASSWORD),
            ("next", &next),
        ],
    )
    .await;
    let res = browser.get(app.url(&next)).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with("/sign-in-problem?reason=no_access"), "{to}");
    assert!(!to.contains("code="));
    let res = browser.get(app.url(&to)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("You don&#x27;t have access to Wiki")
            || page.contains("You don't have access to Wiki"),
        "{page}"
    );
    app.stop().await;
}

/// Jane signs in to the app (logging in with `password`) and the app
/// exchanges the code: the token answer.
async fn jane_tokens(app: &TestApp, creds: &AppCredentials, password: &str) -> Value {
    let (verifier, challenge) = pkce();
    let browser = app.new_client();
    let url = authorize_url(app, &creds.client_id, &challenge, &[]);
    let back = sign_in(app, &browser, &url, USER_EMAIL, password).await;
    let (status, body) = exchange(app, creds, &param(&back, "code").unwrap(), &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn assert_tokens_ended(app: &TestApp, creds: &AppCredentials, tokens: &Value, why: &str) {
    assert_eq!(
        userinfo_status(app, &text(tokens, "access_token")).await,
        StatusCode::UNAUTHORIZED,
        "{why}: userinfo"
    );
    let (status, _) = refresh(app, creds, &text(tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: refresh");
}

async fn disabling_resetting_and_logging_out_everywhere_end_an_apps_tokens(engine: Engine) {
    let app = spawn_app(engine).await;
    let (jane, admin) = app.with_admin_and_user().await;
    let creds = register(&app, false, "user").await;

    let t = jane_tokens(&app, &creds, USER_PASSWORD).await;
    assert_eq!(
        userinfo_status(&app, &text(&t, "access_token")).await,
        StatusCode::OK
    );
    let jane_browser = logged_in(&app, USER_EMAIL, USER_PASSWORD).await;
    let res = call_with(&jane_browser, &app.base, "logout_everywhere", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "log out everywhere").await;

    let t = jane_tokens(&app, &creds, USER_PASSWORD).await;
    app.request_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let new_password = "another fine passphrase 9";
    let res = app
        .call(
            "reset_password",
            &[
                ("token", &TestApp::token_of(&link)),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "password reset").await;

    let t = jane_tokens(&app, &creds, new_password).await;
    let res = call_with(&admin, &app.base, "admin/disable_user", &[("id", &jane)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "disabled").await;

    // Deleted: enabled again, signed in again, then deleted for good.
    let res = call_with(&admin, &app.base, "admin/enable_user", &[("id", &jane)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let t = jane_tokens(&app, &creds, new_password).await;
    assert_eq!(
        userinfo_status(&app, &text(&t, "access_token")).await,
        StatusCode::OK
    );
    let res = call_with(
        &admin,
        &app.base,
        "admin/delete_user",
        &[("id", &jane), ("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_tokens_ended(&app, &creds, &t, "deleted").await;
    app.stop().await;
}

async fn revocation_and_logout_end_what_the_app_holds(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    let (verifier, challenge) = pkce();
    let browser = app.new_client();
    let back = jane_signs_in(&app, &browser, &creds, &challenge).await;
    let (_, t) = exchange(&app, &creds, &param(&back, "code").unwrap(), &verifier).await;

    // RFC 7009: revoking the refresh token ends the access token too.
    let res = rp_http()
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&creds.client_id, creds.client_secret.as_deref())
        .form(&[
            ("token", text(&t, "refresh_token").as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        userinfo_status(&app, &text(&t, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = refresh(&app, &creds, &text(&t, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // An unknown token: the same answer.
    let res = rp_http()
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&creds.client_id, creds.client_secret.as_deref())
        .form(&[("token", "never-issued")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // RP-initiated logout: with the ID token as hint, the session ends and
    // the browser goes to the registered post-logout URI with the state.
    let mut logout = Url::parse(&app.url("/oauth2/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &text(&t, "id_token"))
        .append_pair("post_logout_redirect_uri", POST_LOGOUT)
        .append_pair("state", "bye-1");
    // Without the hint nothing ends, and an unregistered URI is not followed.
    let unhinted = replace_param(
        &replace_param(logout.as_str(), "id_token_hint", ""),
        "post_logout_redirect_uri",
        "http://evil.test/",
    );
    let res = browser.get(&unhinted).send().await.unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let res = browser.get(logout.as_str()).send().await.unwrap();
    assert_eq!(location(&res), format!("{POST_LOGOUT}?state=bye-1"));
    let res = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "logged out of Gatehouse too"
    );
    app.stop().await;
}

async fn the_jwks_keeps_the_old_key_after_a_rotation(engine: Engine) {
    let app = spawn_app(engine).await;
    let jwks = |app: &TestApp| {
        let url = app.url("/oauth2/jwks");
        async move {
            rp_http()
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let before = jwks(&app).await;
    assert_eq!(before["keys"].as_array().unwrap().len(), 1);
    assert_eq!(before["keys"][0]["alg"], "RS256");
    let old_kid = before["keys"][0]["kid"].clone();
    let new_kid =
        gatehouse::server::sign_in::oidc::keys::rotate(&app.state, &RequestMeta::default())
            .await
            .unwrap();
    let after = jwks(&app).await;
    let kids: Vec<&Value> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kid"])
        .collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(
        kids[0],
        &Value::String(new_kid),
        "the new key signs, listed first"
    );
    assert!(kids.contains(&&old_kid), "the old key stays published");
    // Once every ID token the old key signed has expired, it goes.
    app.clock.advance_secs(3600 + 120);
    gatehouse::server::platform::housekeeping::run(&app.state).await;
    assert_eq!(jwks(&app).await["keys"].as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn forward_auth_answers_with_who_is_logged_in_and_refuses_unlisted_hosts(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.site.allowed_return_hosts = vec!["wiki.example.test".parse().unwrap()];
    })
    .await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
    let visitor = app.new_client();
    let verify = |client: &Client, headers: &[(&str, &str)], query: &str| {
        let mut req = client.get(app.url(&format!("/auth/verify{query}")));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let res = verify(&visitor, &[], "").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Caddy and Traefik forward the parts of the wanted URL: a redirect to
    // the login page and back.
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "wiki.example.test"),
        ("x-forwarded-uri", "/page?a=1"),
    ];
    let res = verify(&visitor, &forwarded, "").await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        location(&res),
        app.url("/login?next=https%3A%2F%2Fwiki.example.test%2Fpage%3Fa%3D1")
    );
    // An unlisted host: refused, never a redirect there.
    let res = verify(
        &visitor,
        &[("x-original-url", "https://evil.test/steal")],
        "",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(header::LOCATION).is_none());
    let res = verify(
        &visitor,
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "wiki.example.test.evil.test"),
        ],
        "",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // And the login page will not send anyone there either.
    let res = form_post_with(
        &visitor,
        &app.base,
        "login",
        "/login",
        &[
            ("email", USER_EMAIL),
            ("password", USER_PASSWORD),
            ("next", "https://evil.test/steal"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/account");
    let res = form_post_with(
        &visitor,
        &app.base,
        "login",
        "/login",
        &[
            ("email", USER_EMAIL),
            ("password", USER_PASSWORD),
            ("next", "https://wiki.example.test/page?a=1"),
        ],
    )
    .await;
    assert_eq!(
        through_continue(&visitor, &app, &location(&res)).await,
        "https://wiki.example.test/page?a=1",
        "a listed host is followed"
    );
    // The stop on the way out goes nowhere else either.
    let to = through_continue(&visitor, &app, "/continue?to=https%3A%2F%2Fevil.test%2F").await;
    assert_eq!(to, "/account");

    let res = verify(&visitor, &[], "").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    let sub = h["remote-user"].to_str().unwrap().to_owned();
    assert!(!sub.contains('@') && sub.len() >= 32);
    assert_eq!(h["remote-email"], USER_EMAIL);
    assert_eq!(h["remote-name"], "Jane Doe");
    assert_eq!(h["remote-groups"], "user");
    let res = verify(&visitor, &[], "?role=site_admin").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn cross_site_posts_to_the_admin_apps_actions_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = logged_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = admin
        .post(app.url("/api/admin/add_app"))
        .header(header::ORIGIN, "https://evil.test")
        .form(&[
            ("name", "Evil"),
            ("redirect_uris", "https://evil.test/cb"),
            ("client_type", "confidential"),
            ("allowed_role", "user"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
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
    app.stop().await;
}
