//! OpenID Connect state: grants (one sign-in of a person to an app), the
//! codes and tokens issued under them (only their SHA-256 is stored), and
//! the ID-token signing keys.

use super::{apps::in_app_groups, Conn};
use crate::domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Code,
    Access,
    Refresh,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Code => "code",
            Kind::Access => "access",
            Kind::Refresh => "refresh",
        }
    }
}

pub struct NewGrant<'a> {
    pub client_id: &'a str,
    pub user_id: i64,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub auth_time: i64,
    /// How the person's session began (RFC 8176 `amr`, space-separated).
    pub amr: &'a str,
    pub now: i64,
}

pub async fn insert_grant(conn: &mut Conn, g: NewGrant<'_>) -> sqlx::Result<i64> {
    use sqlx::Row;
    sqlx::query(
        "INSERT INTO oidc_grants (client_id, user_id, scope, nonce, auth_time, amr, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(g.client_id)
    .bind(g.user_id)
    .bind(g.scope)
    .bind(g.nonce)
    .bind(g.auth_time)
    .bind(g.amr)
    .bind(g.now)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

pub struct NewToken<'a> {
    pub hash: &'a str,
    pub grant_id: i64,
    pub kind: Kind,
    /// Codes only: where the code was sent, and the PKCE challenge.
    pub redirect_uri: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_token(conn: &mut Conn, t: NewToken<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oidc_tokens (token_hash, grant_id, kind, redirect_uri, code_challenge, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.hash)
    .bind(t.grant_id)
    .bind(t.kind.as_str())
    .bind(t.redirect_uri)
    .bind(t.code_challenge)
    .bind(t.now)
    .bind(t.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A code or token with its grant and the person it speaks for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub grant_id: i64,
    pub client_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub user_id: i64,
    pub subject: String,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "super::IntFlag")]
    pub email_verified: bool,
    #[sqlx(try_from = "super::IntFlag")]
    pub active: bool,
    /// Who the app admits today (`apps.allowed_role`).
    #[sqlx(try_from = "String")]
    pub app_role: Role,
    /// Whether the app's groups admit the person today.
    #[sqlx(try_from = "super::IntFlag")]
    pub in_app_groups: bool,
    /// Whether the app asks for a login with two steps today.
    #[sqlx(try_from = "super::IntFlag")]
    pub app_two_factor: bool,
}

impl TokenRow {
    /// Whether the app still admits the person, by role, groups and the
    /// way they logged in: checked at every refresh and userinfo call, not
    /// only at sign-in.
    pub fn still_admitted(&self) -> bool {
        (self.app_role != Role::SiteAdmin || self.role == Role::SiteAdmin)
            && self.in_app_groups
            && (!self.app_two_factor || self.amr.split_whitespace().any(|m| m == "mfa"))
    }
}

/// The code or token with this hash and kind, spent, expired or revoked
/// alike: the caller tells these apart (a spent code is a replay).
pub async fn find_token(conn: &mut Conn, hash: &str, kind: Kind) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(concat!(
        r#"SELECT t.grant_id, g.client_id, g.scope, g.nonce, g.auth_time, g.amr, t.redirect_uri, t.code_challenge,
                t.expires_at, t.used_at, g.revoked_at, u.id AS user_id, u.subject, u.email, u.name,
                u.role, u.email_verified, u.active, a.allowed_role AS app_role, a.two_factor AS app_two_factor,
                CAST(CASE WHEN "#,
        in_app_groups!("a.client_id", "u.id"),
        r#" THEN 1 ELSE 0 END AS BIGINT) AS in_app_groups
         FROM oidc_tokens t
         JOIN oidc_grants g ON g.id = t.grant_id
         JOIN users u ON u.id = g.user_id
         JOIN apps a ON a.client_id = g.client_id
         WHERE t.token_hash = $1 AND t.kind = $2"#
    ))
    .bind(hash)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await
}

/// Spends a code or refresh token; `false` when it was spent already.
pub async fn spend(conn: &mut Conn, hash: &str, now: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query(
            "UPDATE oidc_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(hash)
        .execute(conn)
        .await?
        .rows_affected()
            == 1,
    )
}

/// Ends one token now (an access token revoked on its own).
pub async fn expire_token(conn: &mut Conn, hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE oidc_tokens SET expires_at = $1 WHERE token_hash = $2 AND expires_at > $1")
        .bind(now)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes a grant: every code and token issued under it stops working.
pub async fn revoke_grant(conn: &mut Conn, grant_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes every grant of a person (disabled, reset, logged out everywhere).
pub async fn revoke_user_grants(conn: &mut Conn, user_id: i64, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// A grant qualifies while its app admits its person (see
/// [`TokenRow::still_admitted`]).
const NOT_ADMITTED: &str = concat!(
    "NOT EXISTS (SELECT 1 FROM apps a, users u
     WHERE a.client_id = oidc_grants.client_id AND u.id = oidc_grants.user_id
       AND (a.allowed_role <> 'site_admin' OR u.role = 'site_admin')
       AND (a.two_factor = 0 OR (' ' || oidc_grants.amr || ' ') LIKE '% mfa %')
       AND ",
    in_app_groups!("a.client_id", "u.id"),
    ")"
);

/// Revokes the person's grants that their role or groups no longer
/// qualify for (after a change of role or a group left); how many.
pub async fn revoke_unadmitted_of_user(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
) -> sqlx::Result<u64> {
    let sql = format!(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND {NOT_ADMITTED}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Revokes the app's grants whose people it no longer admits (after its
/// rules changed: role, groups, two steps); how many.
pub async fn revoke_unadmitted_of_app(
    conn: &mut Conn,
    client_id: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let sql = format!(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL AND {NOT_ADMITTED}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(client_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Housekeeping: expired codes and tokens, then grants with nothing left
/// (older than a minute, so a grant being filled is never caught).
pub async fn delete_expired(conn: &mut Conn, now: i64) -> sqlx::Result<u64> {
    let tokens = sqlx::query("DELETE FROM oidc_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let grants = sqlx::query(
        "DELETE FROM oidc_grants WHERE created_at < $1
           AND NOT EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id)",
    )
    .bind(now - 60)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(tokens + grants)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub private_der: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// Stores a key's DER anew (sealed, for a key stored before keys were).
pub async fn reseal_key(conn: &mut Conn, kid: &str, private_der: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE signing_keys SET private_der = $1 WHERE kid = $2")
        .bind(private_der)
        .bind(kid)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_key(
    conn: &mut Conn,
    kid: &str,
    private_der: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO signing_keys (kid, private_der, created_at) VALUES ($1, $2, $3)")
        .bind(kid)
        .bind(private_der)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every key still published, newest first.
pub async fn list_keys(conn: &mut Conn) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_der, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid",
    )
    .fetch_all(conn)
    .await
}

/// Retires every key but `kid`: they stop signing and stay published.
pub async fn retire_keys_except(conn: &mut Conn, kid: &str, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE signing_keys SET retired_at = $1 WHERE kid <> $2 AND retired_at IS NULL",
    )
    .bind(now)
    .bind(kid)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Drops retired keys once no token they signed can still be valid.
pub async fn delete_keys_retired_before(conn: &mut Conn, cutoff: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1")
            .bind(cutoff)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// An app that holds a live sign-in of the person.
#[derive(sqlx::FromRow)]
pub struct LiveGrantRow {
    pub client_id: String,
    pub name: String,
    pub since: i64,
}

/// The apps that hold a live sign-in of the person: a grant not revoked
/// with an access or refresh token that still works.
pub async fn live_grants_of_user(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
) -> sqlx::Result<Vec<LiveGrantRow>> {
    sqlx::query_as(
        "SELECT a.client_id, a.name, MIN(g.created_at) AS since
         FROM oidc_grants g JOIN apps a ON a.client_id = g.client_id
         WHERE g.user_id = $1 AND g.revoked_at IS NULL
           AND EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = g.id
                       AND t.kind IN ('access', 'refresh') AND t.used_at IS NULL AND t.expires_at > $2)
         GROUP BY a.client_id, a.name ORDER BY a.name",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Revokes every grant the person gave one app; how many.
pub async fn revoke_user_app_grants(
    conn: &mut Conn,
    user_id: i64,
    client_id: &str,
    now: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(client_id)
    .execute(conn)
    .await?
    .rows_affected())
}
