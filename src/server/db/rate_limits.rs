//! The `rate_limits` table: one "theoretical arrival time" per key (GCRA).

use super::{Conn, Engine};
use sqlx::Row;

/// Reads a key's arrival time, locking the row on PostgreSQL so that two
/// instances cannot both spend the same allowance. Creates the row first
/// when missing so there is something to lock.
pub async fn load_for_update(
    conn: &mut Conn,
    engine: Engine,
    key: &str,
    now_ms: i64,
) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    let sql = match engine {
        Engine::Postgres => "SELECT tat_ms FROM rate_limits WHERE key = $1 FOR UPDATE",
        Engine::Sqlite => "SELECT tat_ms FROM rate_limits WHERE key = $1",
    };
    sqlx::query(sql)
        .bind(key)
        .fetch_one(conn)
        .await?
        .try_get("tat_ms")
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
