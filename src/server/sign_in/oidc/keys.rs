//! ID-token signing keys: RSA 2048, made on first start and kept in the
//! database (so every instance signs with the same key), rotated with
//! `gatehouse keys rotate`. A retired key stays in the JWKS until every ID
//! token it signed has expired.

use super::ID_TOKEN_SECS;
use crate::server::{
    db,
    platform::audit::{self, Entry, Event},
    platform::client::RequestMeta,
    platform::secret_key::SecretKey,
    AppState, ServiceError,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts, PrivateKey};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// A key ready to sign and to verify, with its public JWK parts.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// Modulus and exponent, base64url (JWK `n` and `e`).
    pub n: String,
    pub e: String,
    pub retired: bool,
}

/// Keys parsed once per process, by key id.
#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<String, Arc<SigningKey>>>);

/// How a signing key is stored: `sealed:` and the PKCS#1 DER encrypted with
/// the server's key (`platform::secret_key`), which is kept outside the
/// database: a copy of the database alone cannot sign an ID token.
const SEALED: &str = "sealed:";

fn purpose(kid: &str) -> String {
    format!("oidc signing key {kid}")
}

/// The stored form of a key's DER.
fn seal(secret: &SecretKey, kid: &str, der: &[u8]) -> String {
    format!("{SEALED}{}", secret.seal(&purpose(kid), der))
}

/// A stored key's DER: sealed, or (made before keys were sealed) in plain
/// base64, which `ensure` seals at start.
fn open(secret: &SecretKey, row: &db::oidc::KeyRow) -> Result<Vec<u8>, ServiceError> {
    match row.private_der.strip_prefix(SEALED) {
        Some(sealed) => secret.open(&purpose(&row.kid), sealed).ok_or_else(|| {
            anyhow::anyhow!(
                "signing key {} was sealed with another server key: restore the site's secret key (site.secret_key, or secret.key in the data directory) from the backup",
                row.kid
            )
            .into()
        }),
        None => Ok(STANDARD
            .decode(&row.private_der)
            .map_err(|e| anyhow::anyhow!("signing key {} is not base64: {e}", row.kid))?),
    }
}

impl KeyCache {
    fn load(
        &self,
        secret: &SecretKey,
        row: &db::oidc::KeyRow,
    ) -> Result<Arc<SigningKey>, ServiceError> {
        let mut cache = self.0.lock().expect("key cache poisoned");
        if let Some(key) = cache.get(&row.kid) {
            if key.retired == row.retired_at.is_some() {
                return Ok(key.clone());
            }
        }
        let der = open(secret, row)?;
        let private = <PrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(&der)
            .map_err(|e| anyhow::anyhow!("signing key {} does not parse: {e}", row.kid))?;
        let public = private.to_public_key();
        let key = Arc::new(SigningKey {
            kid: row.kid.clone(),
            encoding: EncodingKey::from_rsa_der(&der),
            decoding: DecodingKey::from_rsa_raw_components(&public.n_bytes(), &public.e_bytes()),
            n: URL_SAFE_NO_PAD.encode(public.n_bytes()),
            e: URL_SAFE_NO_PAD.encode(public.e_bytes()),
            retired: row.retired_at.is_some(),
        });
        cache.insert(row.kid.clone(), key.clone());
        Ok(key)
    }
}

/// A new RSA key: its id (the RFC 7638 thumbprint) and PKCS#1 DER.
fn generate() -> Result<(String, Vec<u8>), ServiceError> {
    let private = PrivateKey::new(&mut getrandom::SysRng, 2048)
        .map_err(|e| anyhow::anyhow!("RSA key generation failed: {e}"))?;
    let der = private
        .to_pkcs1_der()
        .map_err(|e| anyhow::anyhow!("RSA key encoding failed: {e}"))?
        .as_bytes()
        .to_vec();
    let public = private.to_public_key();
    let thumbprint_input = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public.e_bytes()),
        URL_SAFE_NO_PAD.encode(public.n_bytes())
    );
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    Ok((kid, der))
}

async fn insert_new(state: &AppState, conn: &mut db::Conn) -> Result<String, ServiceError> {
    let (kid, der) = tokio::task::spawn_blocking(generate)
        .await
        .map_err(anyhow::Error::new)??;
    db::oidc::insert_key(
        conn,
        &kid,
        &seal(&state.secret, &kid, &der),
        state.clock.now(),
    )
    .await?;
    Ok(kid)
}

/// Makes the first key if there is none, and seals keys stored before
/// keys were sealed (on start).
pub async fn ensure(state: &AppState) -> Result<(), ServiceError> {
    let mut conn = state.db.conn().await?;
    for row in db::oidc::list_keys(&mut conn).await? {
        if !row.private_der.starts_with(SEALED) {
            let der = open(&state.secret, &row)?;
            db::oidc::reseal_key(&mut conn, &row.kid, &seal(&state.secret, &row.kid, &der)).await?;
            tracing::info!(kid = %row.kid, "sealed an OpenID Connect signing key with the server's key");
        }
    }
    drop(conn);
    published(state).await.map(|_| ())
}

/// Every published key, the signing one (newest unretired) first.
pub async fn published(state: &AppState) -> Result<Vec<Arc<SigningKey>>, ServiceError> {
    let mut conn = state.db.conn().await?;
    let mut rows = db::oidc::list_keys(&mut conn).await?;
    if rows.is_empty() {
        let kid = insert_new(state, &mut conn).await?;
        tracing::info!(%kid, "made the OpenID Connect signing key");
        rows = db::oidc::list_keys(&mut conn).await?;
    }
    drop(conn);
    rows.sort_by_key(|r| r.retired_at.is_some());
    rows.iter()
        .map(|row| state.signing_keys.load(&state.secret, row))
        .collect()
}

/// The key that signs new ID tokens.
pub async fn active(state: &AppState) -> Result<Arc<SigningKey>, ServiceError> {
    published(state)
        .await?
        .into_iter()
        .find(|k| !k.retired)
        .ok_or_else(|| anyhow::anyhow!("no signing key is active").into())
}

/// A new signing key; the old ones stop signing and stay published until
/// their tokens have expired (housekeeping then drops them).
pub async fn rotate(state: &AppState, meta: &RequestMeta) -> Result<String, ServiceError> {
    // A key this process cannot open was sealed with another server key:
    // run from the wrong directory or settings, a rotation would leave the
    // server with a key it cannot use.
    {
        let mut conn = state.db.conn().await?;
        for row in db::oidc::list_keys(&mut conn).await? {
            open(&state.secret, &row)?;
        }
    }
    let (kid, der) = tokio::task::spawn_blocking(generate)
        .await
        .map_err(anyhow::Error::new)??;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::oidc::insert_key(&mut tx, &kid, &seal(&state.secret, &kid, &der), now).await?;
    let retired = db::oidc::retire_keys_except(&mut tx, &kid, now).await?;
    let detail = format!("new key {kid}; {retired} retired");
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::SigningKeyRotated).detail(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(kid)
}

/// Housekeeping: retired keys whose last ID token has expired.
pub async fn drop_expired(conn: &mut db::Conn, now: i64) -> sqlx::Result<u64> {
    db::oidc::delete_keys_retired_before(conn, now - ID_TOKEN_SECS - 60).await
}
