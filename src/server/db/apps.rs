//! The `apps` table: the apps that sign people in through Gatehouse.
//! Redirect URIs are kept one per line.

use super::Conn;
use crate::domain::Role;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRow {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    #[sqlx(try_from = "String")]
    pub allowed_role: Role,
    /// Only people who logged in with a second step may sign in.
    #[sqlx(try_from = "super::IntFlag")]
    pub two_factor: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl AppRow {
    pub fn redirect_uris(&self) -> impl Iterator<Item = &str> {
        self.redirect_uris.lines().filter(|l| !l.is_empty())
    }

    pub fn post_logout_redirect_uris(&self) -> impl Iterator<Item = &str> {
        self.post_logout_redirect_uris
            .lines()
            .filter(|l| !l.is_empty())
    }

    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

macro_rules! app_columns {
    () => {
        "client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, allowed_role, two_factor, created_at, updated_at"
    };
}

pub struct AppFields<'a> {
    pub name: &'a str,
    pub redirect_uris: &'a str,
    pub post_logout_redirect_uris: &'a str,
    pub allowed_role: Role,
    pub two_factor: bool,
}

pub async fn insert(
    conn: &mut Conn,
    client_id: &str,
    secret_hash: Option<&str>,
    fields: &AppFields<'_>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO apps (client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, allowed_role, two_factor, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(client_id)
    .bind(fields.name)
    .bind(secret_hash)
    .bind(fields.redirect_uris)
    .bind(fields.post_logout_redirect_uris)
    .bind(fields.allowed_role.as_str())
    .bind(i64::from(fields.two_factor))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut Conn,
    client_id: &str,
    fields: &AppFields<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE apps SET name = $1, redirect_uris = $2, post_logout_redirect_uris = $3, allowed_role = $4,
             two_factor = $5, updated_at = $6
         WHERE client_id = $7",
    )
    .bind(fields.name)
    .bind(fields.redirect_uris)
    .bind(fields.post_logout_redirect_uris)
    .bind(fields.allowed_role.as_str())
    .bind(i64::from(fields.two_factor))
    .bind(now)
    .bind(client_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_secret_hash(
    conn: &mut Conn,
    client_id: &str,
    secret_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE apps SET secret_hash = $1, updated_at = $2 WHERE client_id = $3 AND secret_hash IS NOT NULL",
    )
    .bind(secret_hash)
    .bind(now)
    .bind(client_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn find(conn: &mut Conn, client_id: &str) -> sqlx::Result<Option<AppRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        app_columns!(),
        " FROM apps WHERE client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(conn)
    .await
}

pub async fn list(conn: &mut Conn) -> sqlx::Result<Vec<AppRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        app_columns!(),
        " FROM apps ORDER BY name, client_id"
    ))
    .fetch_all(conn)
    .await
}

/// Removes the app; its grants and tokens go with it (cascade).
pub async fn delete(conn: &mut Conn, client_id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM apps WHERE client_id = $1")
        .bind(client_id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}
