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

/// The SQL condition "the app `$client` admits `$user` by their groups":
/// it names no groups, or the person is in one of them. `{client}` and
/// `{user}` are column expressions of the surrounding statement.
macro_rules! in_app_groups {
    ($client:literal, $user:literal) => {
        concat!(
            "(NOT EXISTS (SELECT 1 FROM app_groups ag WHERE ag.client_id = ",
            $client,
            ") OR EXISTS (SELECT 1 FROM app_groups ag JOIN group_members gm ON gm.group_id = ag.group_id
                 WHERE ag.client_id = ",
            $client,
            " AND gm.user_id = ",
            $user,
            "))"
        )
    };
}
pub(crate) use in_app_groups;

/// Whether the app's group rule admits the person.
pub async fn groups_admit(conn: &mut Conn, client_id: &str, user_id: i64) -> sqlx::Result<bool> {
    let admitted: i64 = sqlx::query_scalar(concat!(
        "SELECT CAST(CASE WHEN ",
        in_app_groups!("$1", "$2"),
        " THEN 1 ELSE 0 END AS BIGINT)"
    ))
    .bind(client_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(admitted != 0)
}

/// The names of the groups the app admits (none: no group rule), by name.
pub async fn group_names(conn: &mut Conn, client_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT g.name FROM app_groups ag JOIN user_groups g ON g.id = ag.group_id
         WHERE ag.client_id = $1 ORDER BY g.name",
    )
    .bind(client_id)
    .fetch_all(conn)
    .await
}

/// Every app's groups as (client id, group name), for the list of apps.
pub async fn all_group_names(conn: &mut Conn) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT ag.client_id, g.name FROM app_groups ag JOIN user_groups g ON g.id = ag.group_id
         ORDER BY ag.client_id, g.name",
    )
    .fetch_all(conn)
    .await
}

/// Replaces the app's groups with these (ids).
pub async fn set_groups(conn: &mut Conn, client_id: &str, group_ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM app_groups WHERE client_id = $1")
        .bind(client_id)
        .execute(&mut *conn)
        .await?;
    for id in group_ids {
        sqlx::query(
            "INSERT INTO app_groups (client_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(client_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The names of the apps that admit only this group and others.
pub async fn names_admitting_group(conn: &mut Conn, group_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT a.name FROM app_groups ag JOIN apps a ON a.client_id = ag.client_id
         WHERE ag.group_id = $1 ORDER BY a.name",
    )
    .bind(group_id)
    .fetch_all(conn)
    .await
}
