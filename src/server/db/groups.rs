//! The `user_groups` and `group_members` tables.

use super::Conn;

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
pub async fn list(conn: &mut Conn) -> sqlx::Result<Vec<(String, i64)>> {
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

/// How many of a group's members one page of a search reads at most: a
/// rare term stops there, and the page says where to go on from (so a
/// search stays quick in a group of 100,000; BENCHMARKS.md, "Groups").
const MEMBER_WALK: i64 = 10_000;

/// A member as listed: account id, email, name.
pub type MemberRow = (i64, String, String);

/// One page of a group's members, by account id from newest, below
/// `before`: those whose email or name holds `term` (lower case) if one is
/// given. With the rows, where the next page starts, if anywhere.
pub async fn members_page(
    conn: &mut Conn,
    engine: super::Engine,
    group_id: i64,
    term: Option<&str>,
    before: i64,
    limit: i64,
) -> sqlx::Result<(Vec<MemberRow>, Option<i64>)> {
    let Some(term) = term else {
        let mut rows: Vec<MemberRow> = sqlx::query_as(
            "SELECT u.id, u.email, u.name FROM group_members m JOIN users u ON u.id = m.user_id
             WHERE m.group_id = $1 AND m.user_id < $2 ORDER BY m.user_id DESC LIMIT $3",
        )
        .bind(group_id)
        .bind(before)
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
        let older = (rows.len() as i64 > limit).then(|| {
            rows.truncate(limit as usize);
            rows.last().map_or(0, |r| r.0)
        });
        return Ok((rows, older));
    };
    // The walk's far end: the lowest id among the next MEMBER_WALK members.
    let edge: Option<i64> = sqlx::query_scalar(
        "SELECT user_id FROM group_members WHERE group_id = $1 AND user_id < $2
         ORDER BY user_id DESC LIMIT 1 OFFSET $3",
    )
    .bind(group_id)
    .bind(before)
    .bind(MEMBER_WALK - 1)
    .fetch_optional(&mut *conn)
    .await?;
    let holds = match engine {
        super::Engine::Sqlite => {
            "(instr(u.email_normalized, $4) > 0 OR instr(u.name_normalized, $4) > 0)"
        }
        super::Engine::Postgres => {
            "(strpos(u.email_normalized, $4) > 0 OR strpos(u.name_normalized, $4) > 0)"
        }
    };
    let sql = format!(
        "SELECT u.id, u.email, u.name FROM group_members m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = $1 AND m.user_id < $2 AND m.user_id >= $5 AND {holds}
         ORDER BY m.user_id DESC LIMIT $3"
    );
    let mut rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(group_id)
        .bind(before)
        .bind(limit + 1)
        .bind(term)
        .bind(edge.unwrap_or(0))
        .fetch_all(conn)
        .await?;
    let older = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.0)
    } else {
        // The walk ended before the members did: go on below its end.
        edge.filter(|&e| e > 0)
    };
    Ok((rows, older))
}

/// How many people are in a group.
pub async fn count_members(conn: &mut Conn, group_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .fetch_one(conn)
        .await
}

/// The groups of each of these people (a page of the user list), as
/// (user id, group name), by name.
pub async fn names_of_users(conn: &mut Conn, user_ids: &[i64]) -> sqlx::Result<Vec<(i64, String)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT m.user_id, g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id
         WHERE m.user_id IN ({}) ORDER BY g.name",
        marks.join(", ")
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in user_ids {
        query = query.bind(id);
    }
    query.fetch_all(conn).await
}
