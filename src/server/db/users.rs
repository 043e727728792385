//! The `users` table.

use super::{Conn, Engine};
use crate::domain::{Email, Role};
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub email: Email,
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
    /// The language they chose (a catalogue's tag), if any.
    pub language: Option<String>,
}

impl From<UserRow> for crate::domain::CurrentUser {
    fn from(user: UserRow) -> Self {
        Self {
            id: user.id,
            email: user.email.as_str().to_owned(),
            name: user.name,
            role: user.role,
            must_set_up_two_step: false,
            language: user.language,
        }
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: Option<&'a str>,
    /// The stable, opaque identifier apps know the person by (OIDC `sub`).
    pub subject: &'a str,
    /// The language of their mail, when someone chose one for them.
    pub language: Option<&'a str>,
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
        "INSERT INTO users (email, email_normalized, name, name_normalized, role, password_hash, active, created_at, updated_at, password_changed_at, subject, language)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9, $10) RETURNING id",
    )
    .bind(user.email)
    .bind(user.email_normalized)
    .bind(user.name)
    .bind(user.name.to_lowercase())
    .bind(user.role)
    .bind(user.password_hash)
    .bind(user.now)
    .bind(user.password_hash.map(|_| user.now))
    .bind(user.subject)
    .bind(user.language)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

const FIND_BY_EMAIL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE email_normalized = $1"
);

pub async fn find_by_email(
    conn: &mut Conn,
    email_normalized: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(FIND_BY_EMAIL)
        .bind(email_normalized)
        .fetch_optional(conn)
        .await?
        .map(|r| UserRow::from_row(&r))
        .transpose()
}

/// [`find_by_email`] on the SQLite writer thread's connection.
pub fn find_by_email_blocking(
    conn: &rusqlite::Connection,
    email_normalized: &str,
) -> rusqlite::Result<Option<UserRow>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(FIND_BY_EMAIL)?
        .query_row(rusqlite::named_params! { "$1": email_normalized }, |row| {
            // Stored values that do not parse are errors, never a silent
            // demotion to a plain user.
            let parsed = |column: usize, problem: crate::error::Problem| {
                rusqlite::Error::FromSqlConversionFailure(
                    column,
                    rusqlite::types::Type::Text,
                    format!("{problem:?}").into(),
                )
            };
            Ok(UserRow {
                id: row.get("id")?,
                email: Email::try_from(row.get::<_, String>("email")?).map_err(|p| parsed(1, p))?,
                name: row.get("name")?,
                role: Role::try_from(row.get::<_, String>("role")?).map_err(|p| parsed(3, p))?,
                password_hash: row.get("password_hash")?,
                active: row.get::<_, i64>("active")? != 0,
                created_at: row.get("created_at")?,
                updated_at: row.get("updated_at")?,
                last_login_at: row.get("last_login_at")?,
                password_changed_at: row.get("password_changed_at")?,
                language: row.get("language")?,
            })
        })
        .optional()
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

const RECORD_LOGIN: &str = "UPDATE users SET last_login_at = $1 WHERE id = $2";

pub async fn record_login(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(RECORD_LOGIN)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`record_login`] on the SQLite writer thread's connection.
pub fn record_login_blocking(
    conn: &rusqlite::Connection,
    id: i64,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(RECORD_LOGIN)?
        .execute(rusqlite::named_params! { "$1": now, "$2": id })?;
    Ok(())
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

/// Saves the language a person chose (`None`: as their browser asks).
pub async fn set_language(
    conn: &mut Conn,
    id: i64,
    language: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("UPDATE users SET language = $1, updated_at = $2 WHERE id = $3")
            .bind(language)
            .bind(now)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The newest `limit` stored password hashes.
pub async fn newest_password_hashes(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE password_hash IS NOT NULL ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Every account's address as compared (lower case), for an import to
/// tell which of its people are here already.
pub async fn all_normalized_emails(
    conn: &mut Conn,
) -> sqlx::Result<std::collections::HashSet<String>> {
    let emails: Vec<String> = sqlx::query_scalar("SELECT email_normalized FROM users")
        .fetch_all(conn)
        .await?;
    Ok(emails.into_iter().collect())
}

/// How many accounts one statement of [`insert_many`] adds: 8 values
/// each, well within both engines' limits on bound values.
const ROWS_PER_INSERT: usize = 500;

/// Adds many accounts (an import), a few hundred to a statement; their
/// ids by normalized address.
pub async fn insert_many(
    conn: &mut Conn,
    users: &[NewUser<'_>],
    now: i64,
) -> sqlx::Result<std::collections::HashMap<String, i64>> {
    let mut ids = std::collections::HashMap::with_capacity(users.len());
    for chunk in users.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO users (email, email_normalized, name, name_normalized, role, password_hash, active, created_at, updated_at, password_changed_at, subject, language) VALUES ",
        );
        for i in 0..chunk.len() {
            let p = |k: usize| format!("${}", 2 + i * 8 + k);
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "({}, {}, {}, {}, {}, {}, 1, $1, $1, {}, {}, NULL)",
                p(0),
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7)
            ));
        }
        sql.push_str(" RETURNING id, email_normalized");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for user in chunk {
            query = query
                .bind(user.email)
                .bind(user.email_normalized)
                .bind(user.name)
                .bind(user.name.to_lowercase())
                .bind(user.role)
                .bind(user.password_hash)
                .bind(user.password_hash.map(|_| now))
                .bind(user.subject);
        }
        for row in query.fetch_all(&mut *conn).await? {
            ids.insert(row.try_get("email_normalized")?, row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// An active account as `gatehouse export` writes it.
#[derive(Debug, sqlx::FromRow)]
pub struct ExportRow {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    /// Group names, `;`-separated, by name.
    pub groups: Option<String>,
}

/// Every active account with its groups, oldest first.
pub async fn export_rows(conn: &mut Conn, engine: Engine) -> sqlx::Result<Vec<ExportRow>> {
    let aggregate = match engine {
        Engine::Sqlite => "group_concat",
        Engine::Postgres => "string_agg",
    };
    let sql = format!(
        "SELECT u.email, u.name, u.role, u.password_hash,
                (SELECT {aggregate}(g.name, ';' ORDER BY g.name) FROM group_members m
                 JOIN user_groups g ON g.id = m.group_id WHERE m.user_id = u.id) AS groups
         FROM users u WHERE u.active = 1 ORDER BY u.id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await
}

/// How many accounts are disabled (an export leaves them out).
pub async fn count_disabled(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE active = 0")
        .fetch_one(conn)
        .await
}
