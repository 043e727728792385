//! Gatehouse as an OpenID Connect provider, driven as a real relying party
//! drives it: the `openidconnect` crate discovers the provider, builds the
//! authorization request, exchanges the code, checks the ID token's
//! signature against the JWKS, reads userinfo and refreshes. The browser in
//! between logs in through the real login form. Negative cases speak plain
//! HTTP, each on its own. One file per endpoint or job; what they share is
//! here: the app's registration, the browser's sign-in, and the calls an
//! app's server makes.

mod authorize;
mod keys;
mod relying_party;
mod revoke_and_logout;
mod token;
mod two_step;

use crate::helpers::*;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use gatehouse::{
    domain::AppCredentials,
    server::{admin::apps, http::request::RequestMeta},
};
use reqwest::{header, Client, Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

/// Where the test app receives sign-ins. Nothing listens there: the
/// browser here stops at the redirect and reads it.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const POST_LOGOUT: &str = "http://127.0.0.1:9/bye";

async fn register(app: &TestApp, public: bool, role: &str) -> AppCredentials {
    register_app(app, public, role, false).await
}

/// An app, which admits only people who logged in with two steps when
/// `two_factor`.
async fn register_app(app: &TestApp, public: bool, role: &str, two_factor: bool) -> AppCredentials {
    register_with(
        app,
        public,
        apps::AppForm {
            allowed_role: role,
            two_factor,
            ..wiki()
        },
    )
    .await
}

/// The Wiki's settings, open to everyone: change what a test needs.
fn wiki() -> apps::AppForm<'static> {
    apps::AppForm {
        name: "Wiki",
        redirect_uris: REDIRECT,
        post_logout_redirect_uris: POST_LOGOUT,
        allowed_role: "user",
        two_factor: false,
        groups: "",
    }
}

/// An app with these settings.
async fn register_with(app: &TestApp, public: bool, form: apps::AppForm<'_>) -> AppCredentials {
    let input = apps::AppInput::parse(form).unwrap();
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
    app.create_jane().await;
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
async fn sign_in(browser: &Browser, authorize: &str, email: &str, password: &str) -> Url {
    let res = browser.get(authorize).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "authorize answers with a redirect"
    );
    let mut to = location(&res);
    if to.starts_with("/login?") {
        let login = Url::parse(&browser.url(&to)).unwrap();
        let next = login
            .query_pairs()
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v.into_owned())
            .expect("the login page is told where to go next");
        assert!(next.starts_with("/oauth2/authorize?"), "{next}");
        let res = browser
            .without_js()
            .on(&to)
            .log_in_then(email, password, &next)
            .await;
        assert_status(&res, StatusCode::FOUND);
        let back = browser.through_continue(&location(&res)).await;
        assert_eq!(back, next, "the login goes back to the authorization");
        let res = browser.get(&next).await;
        assert_status(&res, StatusCode::SEE_OTHER);
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
    browser: &Browser,
    creds: &AppCredentials,
    challenge: &str,
) -> Url {
    let url = authorize_url(app, &creds.client_id, challenge, &[]);
    sign_in(browser, &url, USER_EMAIL, USER_PASSWORD).await
}

/// A code for Jane through a browser that logs in first.
async fn code_for_jane(app: &TestApp, creds: &AppCredentials, challenge: &str) -> String {
    let back = jane_signs_in(app, &app.browser(), creds, challenge).await;
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

/// POSTs the token endpoint with `client_secret_basic` credentials: the
/// answer as it is.
async fn token_post_basic(
    app: &TestApp,
    client_id: &str,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> Response {
    rp_http()
        .post(app.url("/oauth2/token"))
        .basic_auth(client_id, secret)
        .form(form)
        .send()
        .await
        .unwrap()
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

/// The app revokes a token (RFC 7009), with its `client_secret_basic`
/// credentials.
async fn revoke(app: &TestApp, creds: &AppCredentials, form: &[(&str, &str)]) -> StatusCode {
    rp_http()
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&creds.client_id, creds.client_secret.as_deref())
        .form(form)
        .send()
        .await
        .unwrap()
        .status()
}

/// The claims of an ID token, as they are (not checked).
fn claims_of(id_token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_owned()
}

/// Jane signs in to the app (logging in with `password`) and the app
/// exchanges the code: the token answer.
async fn jane_tokens(app: &TestApp, creds: &AppCredentials, password: &str) -> Value {
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, &creds.client_id, &challenge, &[]);
    let back = sign_in(&app.browser(), &url, USER_EMAIL, password).await;
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
