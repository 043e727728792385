//! The `setup_tokens` table: one-time links to `/setup`, hashed.

use super::Conn;

pub async fn insert(
    conn: &mut Conn,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn is_valid(conn: &mut Conn, token_hash: &str, now: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query(
            "SELECT token_hash FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(conn)
        .await?
        .is_some(),
    )
}

/// Ends every setup link, once the first account exists (and any that expired).
pub async fn delete_all_or_expired(conn: &mut Conn, now: i64, all: bool) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM setup_tokens WHERE $1 = 1 OR expires_at <= $2")
            .bind(i64::from(all))
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
