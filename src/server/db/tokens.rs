//! The `password_tokens` table: reset and invitation tokens, hashed.

use super::Conn;
use sqlx::FromRow;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub purpose: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Made by a site admin and passed on by hand, not mailed.
    #[sqlx(try_from = "super::IntFlag")]
    pub made_by_admin: bool,
}

/// A token to store: only its hash.
pub struct NewToken<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub purpose: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

const INSERT: &str =
    "INSERT INTO password_tokens (user_id, token_hash, purpose, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5)";

pub async fn insert(conn: &mut Conn, t: NewToken<'_>) -> sqlx::Result<()> {
    sqlx::query(INSERT)
        .bind(t.user_id)
        .bind(t.token_hash)
        .bind(t.purpose)
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`insert`] on the SQLite writer thread's connection.
pub fn insert_blocking(conn: &rusqlite::Connection, t: NewToken<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT)?
        .execute(rusqlite::named_params! {
            "$1": t.user_id,
            "$2": t.token_hash,
            "$3": t.purpose,
            "$4": t.created_at,
            "$5": t.expires_at,
        })?;
    Ok(())
}

pub async fn find_by_hash(conn: &mut Conn, token_hash: &str) -> sqlx::Result<Option<TokenRow>> {
    let row = sqlx::query(
        "SELECT id, user_id, token_hash, purpose, expires_at, used_at, made_by_admin FROM password_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|r| TokenRow::from_row(&r)).transpose()
}

/// Marks the token as one a site admin made (see [`TokenRow::made_by_admin`]).
pub async fn mark_made_by_admin(conn: &mut Conn, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE password_tokens SET made_by_admin = 1 WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Uses up every outstanding token of the user; returns how many there were.
pub async fn use_up_all(conn: &mut Conn, user_id: i64, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE password_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Marks one token used; false if somebody else used it first.
pub async fn use_up(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("UPDATE password_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// One invitation, with whether its person has a password now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    #[sqlx(try_from = "super::IntFlag")]
    pub has_password: bool,
}

/// The newest invitations, newest first.
pub async fn recent_invitations(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<InvitationRow>> {
    sqlx::query_as(
        "SELECT t.user_id, u.email, u.name, t.created_at, t.expires_at, t.used_at,
                CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS has_password
         FROM password_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.purpose = 'invite'
         ORDER BY t.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn delete_stale(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM password_tokens WHERE expires_at < $1")
            .bind(before)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
