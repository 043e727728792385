//! The `rate_limits` table: one "theoretical arrival time" per key (GCRA).

use super::Conn;
use sqlx::Row;

/// Reads a key's arrival time, creating the row when missing, in one
/// statement: the upsert locks the row for the rest of the transaction on
/// PostgreSQL, so two instances cannot both spend the same allowance, and
/// housekeeping deleting the key meanwhile cannot make it vanish between a
/// check and a read.
pub async fn load_for_update(conn: &mut Conn, key: &str, now_ms: i64) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET tat_ms = rate_limits.tat_ms
         RETURNING tat_ms",
    )
    .bind(key)
    .bind(now_ms)
    .fetch_one(conn)
    .await?
    .try_get("tat_ms")
}

/// A key's arrival time, without creating or locking anything.
pub async fn load(conn: &mut Conn, key: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT tat_ms FROM rate_limits WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("tat_ms"))
        .transpose()
}

/// Moves a key's arrival time back by one interval (one request's worth).
pub async fn give_back(conn: &mut Conn, key: &str, interval_ms: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE rate_limits SET tat_ms = tat_ms - $1 WHERE key = $2")
        .bind(interval_ms)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn store(conn: &mut Conn, key: &str, tat_ms: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE rate_limits SET tat_ms = $1 WHERE key = $2")
        .bind(tat_ms)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn clear(conn: &mut Conn, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Keys whose allowance has fully come back carry no information.
pub async fn delete_idle(conn: &mut Conn, now_ms: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM rate_limits WHERE tat_ms < $1")
        .bind(now_ms)
        .execute(conn)
        .await?
        .rows_affected())
}
