//! What apps are told about a person: the ID token's claims (signed) and
//! userinfo's, as the grant's scopes allow.

use super::{keys, ACCESS_TOKEN_SECS};
use crate::server::{db, ServiceError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    /// How the person logged in (RFC 8176): `pwd`, `otp`, `hwk`, `mfa`, …
    #[serde(default)]
    pub amr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(flatten)]
    pub person: PersonClaims,
}

/// `/oauth2/userinfo`'s answer.
#[derive(Debug, Serialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(flatten)]
    pub person: PersonClaims,
}

/// The claims the scopes allow: `email email_verified` with `email`,
/// `name` with `profile`, `roles` always.
#[derive(Debug, Serialize, Deserialize)]
pub struct PersonClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The names of the person's groups, with the scope `groups`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl PersonClaims {
    /// What the grant's scopes allow of its person (their groups read now,
    /// when the scope `groups` asks for them).
    pub async fn of(conn: &mut db::Conn, row: &db::oidc::TokenRow) -> sqlx::Result<Self> {
        let scopes: Vec<&str> = row.scope.split_whitespace().collect();
        let email = scopes.contains(&"email");
        let groups = if scopes.contains(&"groups") {
            Some(db::groups::names_of_user(conn, row.user_id).await?)
        } else {
            None
        };
        Ok(Self {
            email: email.then(|| row.email.clone()),
            email_verified: email.then_some(row.email_verified),
            name: scopes.contains(&"profile").then(|| row.name.clone()),
            roles: vec![row.role.as_str().to_owned()],
            groups,
        })
    }
}

/// A successful token answer (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Clone, Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// Tokens stored under a grant, with the ID token's claims still to sign.
pub struct Issued {
    pub access: String,
    pub refresh: Option<String>,
    pub scope: String,
    pub claims: IdTokenClaims,
}

impl Issued {
    /// Signing takes a few milliseconds of CPU: after the commit (on SQLite
    /// the transaction holds the one writer's turn) and off the async
    /// workers.
    pub async fn sign(self, key: Arc<keys::SigningKey>) -> Result<TokenAnswer, ServiceError> {
        let Issued {
            access,
            refresh,
            scope,
            claims,
        } = self;
        let id_token = tokio::task::spawn_blocking(move || {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            header.kid = Some(key.kid.clone());
            jsonwebtoken::encode(&header, &claims, &key.encoding)
        })
        .await
        .map_err(anyhow::Error::new)?
        .map_err(|e| anyhow::anyhow!("signing an ID token failed: {e}"))?;
        Ok(TokenAnswer {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECS,
            id_token,
            refresh_token: refresh,
            scope,
        })
    }
}
