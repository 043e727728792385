//! The `user_groups` and `group_members` tables.

use super::Conn;

/// A group and how many people are in it.
#[derive(Debug, sqlx::FromRow)]
pub struct GroupRow {
    pub name: String,
    pub members: i64,
}

/// Makes a group; its id. A name taken already is a unique violation.
pub async fn insert(conn: &mut Conn, name: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO user_groups (name, created_at) VALUES ($1, $2) RETURNING id")
        .bind(name)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// Removes a group (its memberships go with it); whether it was there.
pub async fn delete(conn: &mut Conn, name: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM user_groups WHERE name = $1")
        .bind(name)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

pub async fn find_id(conn: &mut Conn, name: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM user_groups WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await
}

/// Every group with its member count, by name.
pub async fn list(conn: &mut Conn) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as(
        "SELECT g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members
         FROM user_groups g ORDER BY g.name",
    )
    .fetch_all(conn)
    .await
}

/// Puts a person in a group; false when they were in it already.
pub async fn add_member(
    conn: &mut Conn,
    group_id: i64,
    user_id: i64,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3)
         ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// Takes a person out of a group; false when they were not in it.
pub async fn remove_member(conn: &mut Conn, group_id: i64, user_id: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}

/// The names of the person's groups, in order.
pub async fn names_of_user(conn: &mut Conn, user_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id
         WHERE m.user_id = $1 ORDER BY g.name",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Every group's id by name.
pub async fn ids_by_name(conn: &mut Conn) -> sqlx::Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM user_groups")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, name)| (name, id)).collect())
}

/// How many memberships one statement of [`add_members`] adds.
const MEMBERS_PER_INSERT: usize = 1000;

/// Adds many memberships (group id, user id) at once (an import).
pub async fn add_members(conn: &mut Conn, members: &[(i64, i64)], now: i64) -> sqlx::Result<()> {
    for chunk in members.chunks(MEMBERS_PER_INSERT) {
        let mut sql =
            String::from("INSERT INTO group_members (group_id, user_id, added_at) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${}, $1)", 2 + 2 * i, 3 + 2 * i));
        }
        sql.push_str(" ON CONFLICT (group_id, user_id) DO NOTHING");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for (group, user) in chunk {
            query = query.bind(group).bind(user);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
