//! The `sessions` table: only a hash of each session id is stored.

use super::Conn;
use crate::domain::Role;
use sqlx::{FromRow, Row};

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: i64,
    pub now: i64,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// How it began (RFC 8176 `amr` values, space-separated).
    pub amr: &'a str,
}

const INSERT: &str =
    "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, amr)
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7)";

pub async fn insert(conn: &mut Conn, s: NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query(INSERT)
        .bind(s.id_hash)
        .bind(s.user_id)
        .bind(s.now)
        .bind(s.expires_at)
        .bind(s.ip)
        .bind(s.user_agent)
        .bind(s.amr)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`insert`] on the SQLite writer thread's connection.
pub fn insert_blocking(conn: &rusqlite::Connection, s: NewSession<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT)?
        .execute(rusqlite::named_params! {
            "$1": s.id_hash,
            "$2": s.user_id,
            "$3": s.now,
            "$4": s.expires_at,
            "$5": s.ip,
            "$6": s.user_agent,
            "$7": s.amr,
        })?;
    Ok(())
}

/// A live session and its user.
#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    /// When the person logged in (OpenID Connect `auth_time`).
    pub created_at: i64,
    pub last_seen_at: i64,
    pub subject: String,
    #[sqlx(try_from = "super::IntFlag")]
    pub email_verified: bool,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub amr: String,
    /// Whether the person has a second factor (a confirmed authenticator
    /// app or a passkey).
    #[sqlx(try_from = "super::IntFlag")]
    pub has_factor: bool,
    pub language: Option<String>,
}

/// The session with this hash, if it has neither idled out nor passed its
/// absolute expiry, and its user is active.
pub async fn find_live(
    conn: &mut Conn,
    id_hash: &str,
    now: i64,
    idle_secs: i64,
) -> sqlx::Result<Option<SessionRow>> {
    Ok(find(conn, None, id_hash, now, idle_secs)
        .await?
        .map(|(row, _)| row))
}

/// [`find_live`] and the names of the person's groups, in order, in the
/// same statement: for forward-auth, which names them on every request.
pub async fn find_live_with_groups(
    conn: &mut Conn,
    engine: super::Engine,
    id_hash: &str,
    now: i64,
    idle_secs: i64,
) -> sqlx::Result<Option<(SessionRow, Vec<String>)>> {
    find(conn, Some(engine), id_hash, now, idle_secs).await
}

/// The statements of [`find`]: without the groups, and with them on each
/// engine (their aggregates are spelled differently), made once.
static FIND: std::sync::LazyLock<[String; 3]> = std::sync::LazyLock::new(|| {
    let with = |aggregate: &str| {
        format!(
            "(SELECT {aggregate}(g.name, ',' ORDER BY g.name) FROM group_members m
              JOIN user_groups g ON g.id = m.group_id WHERE m.user_id = s.user_id)"
        )
    };
    [
        "NULL".to_owned(),
        with("group_concat"),
        with("string_agg"),
    ]
    .map(|groups| {
        format!(
            "SELECT s.user_id, s.created_at, s.last_seen_at, u.subject, u.email_verified, u.email, u.name, u.role,
                    s.amr, u.language,
                    CASE WHEN EXISTS (SELECT 1 FROM totp_keys t WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL)
                           OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = s.user_id)
                         THEN 1 ELSE 0 END AS has_factor,
                    {groups} AS group_names
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active = 1"
        )
    })
});

async fn find(
    conn: &mut Conn,
    groups_in: Option<super::Engine>,
    id_hash: &str,
    now: i64,
    idle_secs: i64,
) -> sqlx::Result<Option<(SessionRow, Vec<String>)>> {
    let sql = match groups_in {
        None => &FIND[0],
        Some(super::Engine::Sqlite) => &FIND[1],
        Some(super::Engine::Postgres) => &FIND[2],
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id_hash)
        .bind(now)
        .bind(now - idle_secs)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let names: Option<String> = r.try_get("group_names")?;
        let names = names
            .map(|n| n.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        Ok((SessionRow::from_row(&r)?, names))
    })
    .transpose()
}

pub async fn touch(conn: &mut Conn, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_for_user(conn: &mut Conn, user_id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Sessions neither expired nor idle.
pub async fn count_live(conn: &mut Conn, now: i64, idle_secs: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE expires_at > $1 AND last_seen_at > $2")
        .bind(now)
        .bind(now - idle_secs)
        .fetch_one(conn)
        .await
}

pub async fn count_for_user(conn: &mut Conn, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

pub async fn delete_expired(conn: &mut Conn, now: i64, idle_secs: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now - idle_secs)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Ends every session of the user but the one with `keep_hash`.
pub async fn delete_for_user_except(
    conn: &mut Conn,
    user_id: i64,
    keep_hash: &str,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_hash)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Records that a session has shown a second factor since it began (the
/// person set one up in it): `amr` as RFC 8176 names the methods.
pub async fn set_amr(conn: &mut Conn, id_hash: &str, amr: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET amr = $1 WHERE id_hash = $2 AND amr = 'pwd'")
        .bind(amr)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// The language chosen by the person whose live session has this hash, if
/// they chose one: for the language of the pages they are sent.
pub async fn saved_language(
    conn: &mut Conn,
    id_hash: &str,
    now: i64,
    idle_secs: i64,
) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT u.language FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active = 1",
    )
    .bind(id_hash)
    .bind(now)
    .bind(now - idle_secs)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// When the person behind this session last gave their password: at
/// login, or since on the admin's "confirm it's you" page.
pub async fn password_given_at(conn: &mut Conn, id_hash: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT COALESCE(confirmed_at, created_at) FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .fetch_optional(conn)
        .await
}

/// Records that the person gave their password again in this session.
pub async fn mark_confirmed(conn: &mut Conn, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// One of a person's live sessions, as their account page lists it.
#[derive(sqlx::FromRow)]
pub struct SessionListing {
    pub id_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The person's live sessions, the most recently used first (at most 50:
/// older ones still end with "log out everywhere").
pub async fn list_live_for_user(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
    idle_secs: i64,
) -> sqlx::Result<Vec<SessionListing>> {
    sqlx::query_as(
        "SELECT id_hash, created_at, last_seen_at, ip, user_agent FROM sessions
         WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3
         ORDER BY last_seen_at DESC LIMIT 50",
    )
    .bind(user_id)
    .bind(now)
    .bind(now - idle_secs)
    .fetch_all(conn)
    .await
}

/// Ends one session of the user; false when it was not theirs or is gone.
pub async fn delete_of_user(conn: &mut Conn, user_id: i64, id_hash: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
            .bind(user_id)
            .bind(id_hash)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}
