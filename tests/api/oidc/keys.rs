//! `/oauth2/jwks`: the keys that sign ID tokens, through a rotation.

use super::*;
use crate::both_engines;

both_engines!(
    the_jwks_keeps_the_old_key_after_a_rotation,
    signing_keys_are_stored_sealed_with_the_servers_key,
);

/// A copy of the database alone holds no signing key: each is sealed with
/// the server's key (kept outside it). One stored in the clear by an older
/// Gatehouse is sealed at start and goes on being published.
async fn signing_keys_are_stored_sealed_with_the_servers_key(engine: Engine) {
    use base64::engine::general_purpose::STANDARD;
    use gatehouse::server::{db, platform::secret_key::SecretKey, sign_in::oidc::keys};
    let app = spawn_app(engine).await;
    keys::ensure(&app.state).await.unwrap();
    let mut conn = app.state.db.conn().await.unwrap();
    let rows = db::oidc::list_keys(&mut conn).await.unwrap();
    assert_eq!(rows.len(), 1);
    let (kid, stored) = (&rows[0].kid, &rows[0].private_der);
    let sealed = stored.strip_prefix("sealed:").expect("stored sealed");
    let purpose = format!("oidc signing key {kid}");
    let der = app
        .state
        .secret
        .open(&purpose, sealed)
        .expect("the server's key opens it");
    assert_eq!(&der[..2], &[0x30, 0x82], "PKCS#1 DER inside");
    assert!(SecretKey::from_bytes(&[9; 32])
        .open(&purpose, sealed)
        .is_none());

    // A key as an older Gatehouse stored it: plain base64 DER.
    db::oidc::insert_key(&mut conn, "legacy-key", &STANDARD.encode(&der), 1)
        .await
        .unwrap();
    drop(conn);
    keys::ensure(&app.state).await.unwrap();
    let mut conn = app.state.db.conn().await.unwrap();
    let legacy = db::oidc::list_keys(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kid == "legacy-key")
        .unwrap();
    let sealed = legacy
        .private_der
        .strip_prefix("sealed:")
        .expect("sealed at start");
    assert_eq!(
        app.state.secret.open("oidc signing key legacy-key", sealed),
        Some(der)
    );
    let jwks: Value = rp_http()
        .get(app.url("/oauth2/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "{jwks}");
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
}
