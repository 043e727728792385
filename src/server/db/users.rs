//! The `users` table.

use super::Conn;
use sqlx::{any::AnyRow, Row};

macro_rules! user_columns {
    () => {
        "id, email, name, role, password_hash, active, created_at, updated_at, last_login_at, password_changed_at"
    };
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    pub password_changed_at: Option<i64>,
}

fn from_row(row: &AnyRow) -> sqlx::Result<UserRow> {
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        active: row.try_get::<i64, _>("active")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_login_at: row.try_get("last_login_at")?,
        password_changed_at: row.try_get("password_changed_at")?,
    })
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
    Ok(sqlx::query("SELECT id FROM users LIMIT 1").fetch_optional(conn).await?.is_some())
}

pub async fn insert(conn: &mut Conn, user: NewUser<'_>) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO users (email, email_normalized, name, name_normalized, role, password_hash, active, created_at, updated_at, password_changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING id",
    )
    .bind(user.email)
    .bind(user.email_normalized)
    .bind(user.name)
    .bind(user.name.to_lowercase())
    .bind(user.role)
    .bind(user.password_hash)
    .bind(user.now)
    .bind(user.password_hash.map(|_| user.now))
    .fetch_one(conn)
    .await?
    .try_get("id")
}

pub async fn find_by_email(conn: &mut Conn, email_normalized: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE email_normalized = $1"))
        .bind(email_normalized)
        .fetch_optional(conn)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(|r| from_row(&r))
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
pub async fn upgrade_password_hash(conn: &mut Conn, id: i64, old: &str, new: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(id)
        .bind(old)
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
