//! The whole sign-in as a well-kept relying party library does it:
//! discovery, the code flow with PKCE, the ID token's checks, userinfo and
//! a refresh.

use super::*;
use crate::{both_engines, probe};
use openidconnect::{
    core::{
        CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm, CoreProviderMetadata,
    },
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IdToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};

/// The claim the scope `groups` adds, as an app declares it to the library.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Groups {
    #[serde(default)]
    groups: Vec<String>,
}
impl AdditionalClaims for Groups {}

type IdTokenWithGroups =
    IdToken<Groups, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

both_engines!(an_app_signs_a_person_in_through_the_login_page_and_verifies_the_id_token);

async fn an_app_signs_a_person_in_through_the_login_page_and_verifies_the_id_token(engine: Engine) {
    let (app, creds) = app_with_jane(engine, false, "user").await;
    app.put_in_group(USER_EMAIL, "wiki-editors").await;
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
        .add_scope(Scope::new("groups".into()))
        .set_pkce_challenge(challenge)
        .url();

    let back = sign_in(
        &app.browser(),
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
    assert!(
        !probe::oidc_token_stored_as_is(&app, &code).await,
        "codes are stored only as a hash"
    );

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
    let raw_claims = claims_of(&id_token.to_string());
    assert_eq!(raw_claims["roles"], serde_json::json!(["user"]));
    // The app reads the groups as its library declares them, verified.
    let with_groups: IdTokenWithGroups = id_token.to_string().parse().unwrap();
    let verified = with_groups
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the same ID token, read with the groups claim");
    assert_eq!(verified.additional_claims().groups, ["wiki-editors"]);

    let info: UserInfoClaims<Groups, CoreGenderClaim> = client
        .user_info(tokens.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo with the access token");
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(info.email().map(|e| e.as_str()), Some(USER_EMAIL));
    assert_eq!(info.additional_claims().groups, ["wiki-editors"]);

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
    app.request_password_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let new = "a brand new passphrase 7";
    let res = app
        .reset_password(&TestApp::token_of(&link), new, new)
        .await;
    assert_status(&res, StatusCode::OK);
    let (verifier, challenge) = pkce();
    let url = authorize_url(&app, &creds.client_id, &challenge, &[]);
    let back = sign_in(&app.browser(), &url, USER_EMAIL, new).await;
    let (status, body) = exchange(&app, &creds, &param(&back, "code").unwrap(), &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = claims_of(&text(&body, "id_token"));
    assert_eq!(second["sub"], sub.as_str());
    assert_eq!(
        second["email_verified"], true,
        "the reset link proved the mailbox"
    );
}
