//! The `users` table.

use super::{Conn, Engine};
use crate::domain::Role;
use sqlx::{any::AnyRow, FromRow, Row};

macro_rules! user_columns {
    () => {
        "id, email, name, role, password_hash, active, created_at, updated_at, last_login_at, password_changed_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "super::IntFlag")]
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    pub password_changed_at: Option<i64>,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

pub async fn count(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(conn)
        .await?
        .try_get("n")
}

pub async fn any_exists(conn: &mut Conn) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT id FROM users LIMIT 1")
        .fetch_optional(conn)
        .await?
        .is_some())
}

pub async fn insert(conn: &mut Conn, user: NewUser<'_>) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO users (email, email_normalized, name, name_normalized, role, password_hash, active, created_at, updated_at, password_changed_at, subject)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9) RETURNING id",
    )
    .bind(user.email)
    .bind(user.email_normalized)
    .bind(user.name)
    .bind(user.name.to_lowercase())
    .bind(user.role)
    .bind(user.password_hash)
    .bind(user.now)
    .bind(user.password_hash.map(|_| user.now))
    .bind(crate::server::tokens::subject())
    .fetch_one(conn)
    .await?
    .try_get("id")
}

pub async fn find_by_email(
    conn: &mut Conn,
    email_normalized: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE email_normalized = $1"
    ))
    .bind(email_normalized)
    .fetch_optional(conn)
    .await?
    .map(|r| UserRow::from_row(&r))
    .transpose()
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(|r| UserRow::from_row(&r))
    .transpose()
}

pub async fn set_password_hash(conn: &mut Conn, id: i64, hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a hash made with old parameters, unless the password changed meanwhile.
pub async fn upgrade_password_hash(
    conn: &mut Conn,
    id: i64,
    old: &str,
    new: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(conn)
        .await?;
    Ok(())
}

/// The person has shown they read their mailbox (a reset or invitation
/// link was used).
pub async fn mark_email_verified(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET email_verified = 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_login(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Which slice of the list to fetch. The list is newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    First,
    /// Rows older than this id (the "next" page).
    Before(i64),
    /// Rows newer than this id (the "previous" page).
    After(i64),
}

/// How many of the newest rows PostgreSQL scans for a search term before it
/// turns to the trigram indexes: a term on at least one row in a hundred
/// fills a page of 50 there.
const SEARCH_WINDOW: i64 = 5_000;
/// How far a search for one or two characters walks before it stops and
/// lets the admin ask for more: trigram indexes cannot serve such terms.
const SHORT_TERM_WINDOW: i64 = 50_000;

/// One statement, newest first or, walking back, oldest first.
macro_rules! ordered {
    ($ascending:expr, $head:expr, $tail_desc:expr, $tail_asc:expr) => {
        if $ascending {
            concat!($head, $tail_asc)
        } else {
            concat!($head, $tail_desc)
        }
    };
}

/// A page of the users for which `$filter` (on the term, `$1`) holds, in
/// keyset order on `$key` ($2 before, $3 after, $4 limit).
macro_rules! filtered_page {
    ($ascending:expr, $filter:literal, $key:literal) => {
        ordered!(
            $ascending,
            concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE ",
                $filter,
                " AND id < $2 AND id > $3"
            ),
            concat!(" ORDER BY ", $key, " DESC LIMIT $4"),
            concat!(" ORDER BY ", $key, " ASC LIMIT $4")
        )
    };
}

/// A page of the user list.
pub struct Found {
    pub users: Vec<UserRow>,
    /// A bounded search stopped at this id without filling the page: the
    /// next page goes on from there.
    pub scanned_to: Option<i64>,
}

/// One page of users, newest first, optionally only those whose email or
/// name contains `term` (already lower case). Keyset paging on the primary
/// key; the search uses the trigram indexes of each engine.
pub async fn list(
    conn: &mut Conn,
    engine: Engine,
    term: Option<&str>,
    page: Page,
    limit: i64,
) -> sqlx::Result<Found> {
    let keys = Keyset::new(page, limit);
    let term = term.map(str::trim).filter(|t| !t.is_empty());
    let (rows, scanned_to) = match (term, engine) {
        (None, _) => (list_all(conn, keys).await?, None),
        (Some(t), Engine::Sqlite) if t.chars().count() >= 3 => {
            (search_sqlite_trigrams(conn, t, keys).await?, None)
        }
        (Some(t), Engine::Sqlite) => (search_sqlite_short(conn, t, keys).await?, None),
        (Some(t), Engine::Postgres) => search_postgres(conn, t, keys).await?,
    };
    let mut users = rows
        .iter()
        .map(UserRow::from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    if keys.ascending {
        users.reverse();
    }
    Ok(Found { users, scanned_to })
}

/// Where a page lies on the primary key: ids below `before` and above
/// `after`, read newest first or (walking back) oldest first.
#[derive(Clone, Copy)]
struct Keyset {
    before: i64,
    after: i64,
    ascending: bool,
    limit: i64,
}

impl Keyset {
    fn new(page: Page, limit: i64) -> Self {
        let (before, after) = match page {
            Page::First => (i64::MAX, 0),
            Page::Before(id) => (id, 0),
            Page::After(id) => (i64::MAX, id),
        };
        let ascending = matches!(page, Page::After(_));
        Self {
            before,
            after,
            ascending,
            limit,
        }
    }
}

async fn list_all(conn: &mut Conn, keys: Keyset) -> sqlx::Result<Vec<AnyRow>> {
    let sql = ordered!(
        keys.ascending,
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id < $1 AND id > $2"
        ),
        " ORDER BY id DESC LIMIT $3",
        " ORDER BY id ASC LIMIT $3"
    );
    sqlx::query(sql)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .fetch_all(conn)
        .await
}

/// SQLite, terms of three characters or more: the trigram index
/// (`users_fts`), matched as a phrase.
async fn search_sqlite_trigrams(
    conn: &mut Conn,
    term: &str,
    keys: Keyset,
) -> sqlx::Result<Vec<AnyRow>> {
    let sql =
        ordered!(
            keys.ascending,
            concat!(
            "SELECT ", user_columns!(), " FROM users WHERE id IN (",
            "SELECT rowid FROM users_fts WHERE users_fts MATCH $1 AND rowid < $2 AND rowid > $3"
        ),
            " ORDER BY rowid DESC LIMIT $4) ORDER BY id DESC",
            " ORDER BY rowid ASC LIMIT $4) ORDER BY id ASC"
        );
    let phrase = format!("\"{}\"", term.replace('"', "\"\""));
    search_page(conn, sql, phrase, keys, Plan::Cached).await
}

/// SQLite, terms of one or two characters: trigrams need three, so these
/// walk the primary key, which finds short (hence common) strings fast.
async fn search_sqlite_short(
    conn: &mut Conn,
    term: &str,
    keys: Keyset,
) -> sqlx::Result<Vec<AnyRow>> {
    let sql = filtered_page!(
        keys.ascending,
        "(instr(email_normalized, $1) > 0 OR instr(name_normalized, $1) > 0)",
        "id"
    );
    search_page(conn, sql, term.to_owned(), keys, Plan::Cached).await
}

/// A page of a search on PostgreSQL, in two plans, because the planner
/// cannot tell a common term from a rare one. First the newest rows, a
/// bounded window walked along the primary key: a common term fills the
/// page there at once. When it does not, the term is rare: terms of three
/// characters or more go to the trigram index, which finds every match;
/// shorter ones, which trigrams cannot serve, walk a larger but still
/// bounded window, and the page says where that walk stopped.
async fn search_postgres(
    conn: &mut Conn,
    term: &str,
    keys: Keyset,
) -> sqlx::Result<(Vec<AnyRow>, Option<i64>)> {
    let pattern = format!("%{}%", escape_like(term));
    let found = postgres_window(conn, &pattern, keys, SEARCH_WINDOW).await?;
    if found.len() as i64 >= keys.limit {
        return Ok((found, None));
    }
    if term.chars().count() >= 3 {
        return Ok((postgres_trigrams(conn, &pattern, keys).await?, None));
    }
    let found = postgres_window(conn, &pattern, keys, SHORT_TERM_WINDOW).await?;
    if found.len() as i64 >= keys.limit {
        return Ok((found, None));
    }
    let edge = postgres_window_edge(conn, keys, SHORT_TERM_WINDOW).await?;
    Ok((found, edge))
}

/// The matches among the `size` rows nearest the page's start.
async fn postgres_window(
    conn: &mut Conn,
    pattern: &str,
    keys: Keyset,
    size: i64,
) -> sqlx::Result<Vec<AnyRow>> {
    let sql = ordered!(
        keys.ascending,
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM (",
            "SELECT ",
            user_columns!(),
            ", email_normalized, name_normalized FROM users ",
            "WHERE id < $2 AND id > $3"
        ),
        concat!(
            " ORDER BY id DESC LIMIT $5) recent ",
            "WHERE email_normalized LIKE $1 ESCAPE '\\' OR name_normalized LIKE $1 ESCAPE '\\' ",
            "ORDER BY id DESC LIMIT $4"
        ),
        concat!(
            " ORDER BY id ASC LIMIT $5) recent ",
            "WHERE email_normalized LIKE $1 ESCAPE '\\' OR name_normalized LIKE $1 ESCAPE '\\' ",
            "ORDER BY id ASC LIMIT $4"
        )
    );
    sqlx::query(sql)
        .bind(pattern)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .bind(size)
        .fetch_all(conn)
        .await
}

/// Where a walk of `size` rows stopped, if rows remain beyond it.
async fn postgres_window_edge(
    conn: &mut Conn,
    keys: Keyset,
    size: i64,
) -> sqlx::Result<Option<i64>> {
    let sql = ordered!(
        keys.ascending,
        "SELECT id FROM users WHERE id < $1 AND id > $2",
        " ORDER BY id DESC LIMIT 1 OFFSET $3",
        " ORDER BY id ASC LIMIT 1 OFFSET $3"
    );
    sqlx::query(sql)
        .bind(keys.before)
        .bind(keys.after)
        .bind(size - 1)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get::<i64, _>("id"))
        .transpose()
}

/// Every match, through the trigram index of email and name together
/// (`id + 0` keeps the planner from walking the whole primary key instead).
async fn postgres_trigrams(
    conn: &mut Conn,
    pattern: &str,
    keys: Keyset,
) -> sqlx::Result<Vec<AnyRow>> {
    let sql = filtered_page!(
        keys.ascending,
        "(email_normalized || chr(31) || name_normalized) LIKE $1 ESCAPE '\\'",
        "id + 0"
    );
    // Planned afresh with the term itself: a cached generic plan cannot
    // see that the term is rare, nor use the trigram index for
    // `LIKE $1 ESCAPE …`.
    search_page(conn, sql, pattern.to_owned(), keys, Plan::ForThisTerm).await
}

/// Whether a statement's prepared plan is kept for the next search.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    Cached,
    ForThisTerm,
}

/// Runs a search statement whose parameters are the term ($1) and the page
/// ($2 before, $3 after, $4 limit).
async fn search_page(
    conn: &mut Conn,
    sql: &'static str,
    term: String,
    keys: Keyset,
    plan: Plan,
) -> sqlx::Result<Vec<AnyRow>> {
    sqlx::query(sql)
        .persistent(plan == Plan::Cached)
        .bind(term)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .fetch_all(conn)
        .await
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub async fn update_profile(
    conn: &mut Conn,
    id: i64,
    email: &str,
    email_normalized: &str,
    name: &str,
    role: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        // A new address is unproven until a link sent to it is used.
        "UPDATE users SET email = $1, email_normalized = $2, name = $3, name_normalized = $4, role = $5, updated_at = $6,
             email_verified = CASE WHEN email_normalized = $2 THEN email_verified ELSE 0 END
         WHERE id = $7",
    )
    .bind(email)
    .bind(email_normalized)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(role)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_active(conn: &mut Conn, id: i64, active: bool, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(active))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Active site admins other than `except`.
/// The ids of the active site admins, locked until the transaction ends
/// (on PostgreSQL; SQLite's write transactions are serial already), so
/// that two admins demoting or disabling each other at once cannot both
/// see the other as the one who remains.
pub async fn lock_active_admins(conn: &mut Conn, engine: Engine) -> sqlx::Result<Vec<i64>> {
    let sql = match engine {
        Engine::Postgres => {
            "SELECT id FROM users WHERE role = 'site_admin' AND active = 1 ORDER BY id FOR UPDATE"
        }
        Engine::Sqlite => {
            "SELECT id FROM users WHERE role = 'site_admin' AND active = 1 ORDER BY id"
        }
    };
    sqlx::query(sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect()
}
