//! The `outbox` table: mail written with the change that caused it, claimed
//! by one worker at a time through a lease.

use super::{Conn, Engine};
use sqlx::{FromRow, Row};

pub struct NewMail<'a> {
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: i64,
    pub kind: String,
    #[sqlx(rename = "to_addr")]
    pub to: String,
    pub subject: String,
    #[sqlx(rename = "body_text")]
    pub text: String,
    #[sqlx(rename = "body_html")]
    pub html: String,
    pub attempts: i64,
}

const ENQUEUE: &str = "INSERT INTO outbox (kind, to_addr, subject, body_text, body_html, created_at, next_attempt_at, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $6, 0) RETURNING id";

pub async fn enqueue(conn: &mut Conn, mail: NewMail<'_>, now: i64) -> sqlx::Result<i64> {
    sqlx::query(ENQUEUE)
        .bind(mail.kind)
        .bind(mail.to)
        .bind(mail.subject)
        .bind(mail.text)
        .bind(mail.html)
        .bind(now)
        .fetch_one(conn)
        .await?
        .try_get("id")
}

/// [`enqueue`] on the SQLite writer thread's connection.
pub fn enqueue_blocking(
    conn: &rusqlite::Connection,
    mail: NewMail<'_>,
    now: i64,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(ENQUEUE)?.query_row(
        rusqlite::named_params! {
            "$1": mail.kind,
            "$2": mail.to,
            "$3": mail.subject,
            "$4": mail.text,
            "$5": mail.html,
            "$6": now,
        },
        |row| row.get(0),
    )
}

/// Takes up to `limit` due messages, oldest due first, and leases them
/// until `lease_until`, so that no other worker (in this or another
/// instance) sends them meanwhile.
pub async fn claim_due(
    conn: &mut Conn,
    engine: Engine,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> sqlx::Result<Vec<MailRow>> {
    let sql = match engine {
        Engine::Postgres => {
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1
             WHERE id = ANY(ARRAY(SELECT id FROM outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
                           AND (locked_until IS NULL OR locked_until <= $2)
                         ORDER BY next_attempt_at, id LIMIT $3
                         FOR UPDATE SKIP LOCKED))
             RETURNING id, kind, to_addr, subject, body_text, body_html, attempts"
        }
        // SQLite runs one writer at a time, so the sub-select and the update
        // cannot interleave with another claim.
        Engine::Sqlite => {
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox
                          WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
                            AND (locked_until IS NULL OR locked_until <= $2)
                          ORDER BY next_attempt_at, id LIMIT $3)
               AND (locked_until IS NULL OR locked_until <= $2)
             RETURNING id, kind, to_addr, subject, body_text, body_html, attempts"
        }
    };
    let rows = sqlx::query(sql)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(MailRow::from_row).collect()
}

/// Gives a claimed message back untried: the mail server could not be
/// reached, which is no fault of the message, so the attempt is not counted
/// and it is due again as soon as delivery resumes.
pub async fn release(conn: &mut Conn, id: i64, error: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET locked_until = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                           last_error = $1, next_attempt_at = $2
         WHERE id = $3",
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records delivery and wipes the body: it may hold a live link, and only
/// hashes of tokens are to stay at rest.
pub async fn mark_sent(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, locked_until = NULL, last_error = NULL, body_text = '', body_html = '' WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_retry(
    conn: &mut Conn,
    id: i64,
    error: &str,
    next_attempt_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET locked_until = NULL, last_error = $1, next_attempt_at = $2 WHERE id = $3")
        .bind(error)
        .bind(next_attempt_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_failed(conn: &mut Conn, id: i64, error: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET locked_until = NULL, last_error = $1, failed_at = $2, body_text = '', body_html = '' WHERE id = $3",
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// When the oldest message still waiting to be sent was queued.
pub async fn oldest_queued_at(conn: &mut Conn) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MIN(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(conn)
    .await
}

pub async fn counts(conn: &mut Conn) -> sqlx::Result<OutboxCounts> {
    let row = sqlx::query(
        "SELECT
            COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending,
            COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent,
            COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed
         FROM outbox",
    )
    .fetch_one(conn)
    .await?;
    OutboxCounts::from_row(&row)
}

/// Delivered rows are kept a while for the record, then dropped.
pub async fn delete_old(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < $1) OR (failed_at IS NOT NULL AND failed_at < $1)")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}

/// One message as the admin's mail page lists it (never its body: it may
/// hold a live link).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedMail {
    pub id: i64,
    pub kind: String,
    #[sqlx(rename = "to_addr")]
    pub to: String,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub attempts: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
}

/// Newest first, `limit` messages older than `before` (an id).
pub async fn list_recent(
    conn: &mut Conn,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<ListedMail>> {
    sqlx::query_as(
        "SELECT id, kind, to_addr, created_at, next_attempt_at, attempts, locked_until, last_error, sent_at, failed_at
         FROM outbox WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The newest message of `kind` to `address` (any case).
pub async fn newest_to(
    conn: &mut Conn,
    address: &str,
    kind: &str,
) -> sqlx::Result<Option<ListedMail>> {
    sqlx::query_as(
        "SELECT id, kind, to_addr, created_at, next_attempt_at, attempts, locked_until, last_error, sent_at, failed_at
         FROM outbox WHERE lower(to_addr) = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(address.to_lowercase())
    .bind(kind)
    .fetch_optional(conn)
    .await
}

pub async fn find(conn: &mut Conn, id: i64) -> sqlx::Result<Option<ListedMail>> {
    sqlx::query_as(
        "SELECT id, kind, to_addr, created_at, next_attempt_at, attempts, locked_until, last_error, sent_at, failed_at
         FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A message given up on goes back in the queue, due now, with its full
/// number of attempts; `false` if it had not failed.
pub async fn retry_failed(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $1, locked_until = NULL
         WHERE id = $2 AND failed_at IS NOT NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// For each of `addresses` whose newest message failed for good: the
/// address (lower case) and when it failed. One query for a page of users.
pub async fn last_failures(
    conn: &mut Conn,
    addresses: &[String],
) -> sqlx::Result<Vec<(String, i64)>> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=addresses.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT lower(o.to_addr) AS addr, o.failed_at FROM outbox o
         WHERE o.failed_at IS NOT NULL AND o.id IN (
             SELECT MAX(id) FROM outbox WHERE lower(to_addr) IN ({}) GROUP BY lower(to_addr))",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
    for address in addresses {
        query = query.bind(address.to_lowercase());
    }
    query.fetch_all(conn).await
}
