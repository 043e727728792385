//! The `audit_log` table.

use super::Conn;
use sqlx::{FromRow, Row};

pub struct NewEntry<'a> {
    pub event: &'a str,
    pub actor_id: Option<i64>,
    pub actor_email: Option<&'a str>,
    pub target_id: Option<i64>,
    pub target_email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
    /// Entries with the same key are one entry whose count goes up.
    pub window_key: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub actor_email: Option<String>,
    pub target_email: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
    /// How many times it happened (more than once for repeated events).
    pub count: i64,
}

const INSERT: &str = "INSERT INTO audit_log (at, event, actor_id, actor_email, target_id, target_email, ip, detail, window_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (window_key) WHERE window_key IS NOT NULL DO UPDATE SET count = audit_log.count + 1";

pub async fn insert(conn: &mut Conn, e: NewEntry<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(INSERT)
        .bind(now)
        .bind(e.event)
        .bind(e.actor_id)
        .bind(e.actor_email)
        .bind(e.target_id)
        .bind(e.target_email)
        .bind(e.ip)
        .bind(e.detail)
        .bind(e.window_key)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`insert`] on the SQLite writer thread's connection.
pub fn insert_blocking(
    conn: &rusqlite::Connection,
    e: NewEntry<'_>,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT)?
        .execute(rusqlite::named_params! {
            "$1": now,
            "$2": e.event,
            "$3": e.actor_id,
            "$4": e.actor_email,
            "$5": e.target_id,
            "$6": e.target_email,
            "$7": e.ip,
            "$8": e.detail,
            "$9": e.window_key,
        })?;
    Ok(())
}

/// Newest first, `limit` rows older than `before_id`, optionally for one
/// event and one user (as actor or target).
pub async fn list(
    conn: &mut Conn,
    event: Option<&str>,
    user_id: Option<i64>,
    before_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    let rows = sqlx::query(
        "SELECT id, at, event, actor_email, target_email, ip, detail, count FROM audit_log
         WHERE ($1 = '' OR event = $1) AND ($2 = 0 OR actor_id = $2 OR target_id = $2) AND id < $3
         ORDER BY id DESC LIMIT $4",
    )
    .bind(event.unwrap_or(""))
    .bind(user_id.unwrap_or(0))
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(EntryRow::from_row).collect()
}

/// Deletes entries older than `before` (retention).
pub async fn delete_before(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM audit_log WHERE at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn count_event(conn: &mut Conn, event: &str) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE event = $1")
        .bind(event)
        .fetch_one(conn)
        .await?
        .try_get("n")
}
