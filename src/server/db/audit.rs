//! The `audit_log` table.

use super::Conn;
use sqlx::Row;

pub struct NewEntry<'a> {
    pub event: &'a str,
    pub actor_id: Option<i64>,
    pub actor_email: Option<&'a str>,
    pub target_id: Option<i64>,
    pub target_email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub actor_email: Option<String>,
    pub target_email: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

pub async fn insert(conn: &mut Conn, e: NewEntry<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, event, actor_id, actor_email, target_id, target_email, ip, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now)
    .bind(e.event)
    .bind(e.actor_id)
    .bind(e.actor_email)
    .bind(e.target_id)
    .bind(e.target_email)
    .bind(e.ip)
    .bind(e.detail)
    .execute(conn)
    .await?;
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
        "SELECT id, at, event, actor_email, target_email, ip, detail FROM audit_log
         WHERE ($1 = '' OR event = $1) AND ($2 = 0 OR actor_id = $2 OR target_id = $2) AND id < $3
         ORDER BY id DESC LIMIT $4",
    )
    .bind(event.unwrap_or(""))
    .bind(user_id.unwrap_or(0))
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EntryRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                event: r.try_get("event")?,
                actor_email: r.try_get("actor_email")?,
                target_email: r.try_get("target_email")?,
                ip: r.try_get("ip")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

pub async fn count_event(conn: &mut Conn, event: &str) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE event = $1")
        .bind(event)
        .fetch_one(conn)
        .await?
        .try_get("n")
}
