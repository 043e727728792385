//! The `rate_limits` table: one "theoretical arrival time" per key (GCRA).

use super::Conn;
use sqlx::Row;

const SPEND: &str = "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2 + $3)
     ON CONFLICT (key) DO UPDATE
     SET tat_ms = CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END + $3
     WHERE CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END + $3 - $4 <= $2
     RETURNING tat_ms";

/// Spends one request of `key` if its allowance has room, in one statement:
/// GCRA's decision (`rate_limit::decide`) made by the database on the
/// locked row. Returns the new arrival time, or `None` when over the limit
/// (nothing is changed then). A missing key starts with a full allowance.
pub async fn spend(
    conn: &mut Conn,
    (key, interval_ms, burst_ms): (&str, i64, i64),
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query(SPEND)
        .bind(key)
        .bind(now_ms)
        .bind(interval_ms)
        .bind(burst_ms)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("tat_ms"))
        .transpose()
}

/// [`spend`] on the SQLite writer thread's connection.
pub fn spend_blocking(
    conn: &rusqlite::Connection,
    (key, interval_ms, burst_ms): (&str, i64, i64),
    now_ms: i64,
) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(SPEND)?
        .query_row(
            rusqlite::named_params! { "$1": key, "$2": now_ms, "$3": interval_ms, "$4": burst_ms },
            |row| row.get(0),
        )
        .optional()
}

// The proposed row carries the key's interval (`excluded.tat_ms` is now
// plus the interval).
const SPEND_PAIR: &str = "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $3 + $4), ($2, $3 + $6)
     ON CONFLICT (key) DO UPDATE
     SET tat_ms = CASE WHEN rate_limits.tat_ms > $3 THEN rate_limits.tat_ms ELSE $3 END
                  + excluded.tat_ms - $3
     WHERE CASE WHEN rate_limits.tat_ms > $3 THEN rate_limits.tat_ms ELSE $3 END
           + excluded.tat_ms - $3
           - CASE WHEN rate_limits.key = $1 THEN $5 ELSE $7 END <= $3
     RETURNING key";

/// Spends one request of each of two different keys in one statement,
/// each decided as in [`spend`]: one round trip less inside the write
/// transaction, where every writer waits for the one before it. Returns
/// the keys spent; one missing was over its limit (nothing is changed for
/// it, and the caller must not commit).
pub async fn spend_pair(
    conn: &mut Conn,
    now_ms: i64,
    (first, first_interval_ms, first_burst_ms): (&str, i64, i64),
    (second, second_interval_ms, second_burst_ms): (&str, i64, i64),
) -> sqlx::Result<Vec<String>> {
    sqlx::query(SPEND_PAIR)
        .bind(first)
        .bind(second)
        .bind(now_ms)
        .bind(first_interval_ms)
        .bind(first_burst_ms)
        .bind(second_interval_ms)
        .bind(second_burst_ms)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| row.try_get("key"))
        .collect()
}

/// [`spend_pair`] on the SQLite writer thread's connection.
pub fn spend_pair_blocking(
    conn: &rusqlite::Connection,
    now_ms: i64,
    (first, first_interval_ms, first_burst_ms): (&str, i64, i64),
    (second, second_interval_ms, second_burst_ms): (&str, i64, i64),
) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(SPEND_PAIR)?
        .query_map(
            rusqlite::named_params! {
                "$1": first,
                "$2": second,
                "$3": now_ms,
                "$4": first_interval_ms,
                "$5": first_burst_ms,
                "$6": second_interval_ms,
                "$7": second_burst_ms,
            },
            |row| row.get("key"),
        )?
        .collect()
}

const LOAD: &str = "SELECT tat_ms FROM rate_limits WHERE key = $1";

/// A key's arrival time, without creating or locking anything.
pub async fn load(conn: &mut Conn, key: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query(LOAD)
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("tat_ms"))
        .transpose()
}

/// [`load`] on the SQLite writer thread's connection.
pub fn load_blocking(conn: &rusqlite::Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(LOAD)?
        .query_row(rusqlite::named_params! { "$1": key }, |row| row.get(0))
        .optional()
}

/// The arrival times of up to two keys, in one query (missing keys are
/// left out).
pub async fn load_pair(
    conn: &mut Conn,
    first: &str,
    second: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query("SELECT key, tat_ms FROM rate_limits WHERE key IN ($1, $2)")
        .bind(first)
        .bind(second)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("key")?, row.try_get("tat_ms")?)))
        .collect()
}

const GIVE_BACK: &str = "UPDATE rate_limits SET tat_ms = tat_ms - $1 WHERE key = $2";

/// Moves a key's arrival time back by one interval (one request's worth).
pub async fn give_back(conn: &mut Conn, key: &str, interval_ms: i64) -> sqlx::Result<()> {
    sqlx::query(GIVE_BACK)
        .bind(interval_ms)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`give_back`] on the SQLite writer thread's connection.
pub fn give_back_blocking(
    conn: &rusqlite::Connection,
    key: &str,
    interval_ms: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(GIVE_BACK)?
        .execute(rusqlite::named_params! { "$1": interval_ms, "$2": key })?;
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
