//! `/oauth2/jwks`: the keys that sign ID tokens, through a rotation.

use super::*;
use crate::both_engines;

both_engines!(the_jwks_keeps_the_old_key_after_a_rotation);

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
