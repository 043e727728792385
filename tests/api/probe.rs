//! Looks into the database behind the product's back, for what no page or
//! answer shows (what is stored, and how), and the few changes no action
//! makes (a hash made with old parameters, thousands of users at once).
//! Through the library's own `db` functions where it has one; the rest is
//! the tests' only SQL, at the end of this file.

use crate::helpers::{Engine, TestApp};
use gatehouse::{
    domain::{Role, UserSummary},
    server::{
        admin::users::list_users,
        db::{self, audit::EntryRow, outbox::ListedMail, user_search::Page, users::UserRow},
        platform::{client::throttle_subject, rate_limit},
    },
};
use sqlx::pool::PoolConnection;

async fn conn(app: &TestApp) -> PoolConnection<sqlx::Any> {
    app.state.db.conn().await.unwrap()
}

/// The client ids of the registered apps.
pub async fn app_client_ids(app: &TestApp) -> Vec<String> {
    let mut conn = app.state.db.conn().await.unwrap();
    db::apps::list(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.client_id)
        .collect()
}

pub async fn user(app: &TestApp, id: i64) -> UserRow {
    db::users::find_by_id(&mut *conn(app).await, id)
        .await
        .unwrap()
        .expect("the user exists")
}

pub async fn user_by_email(app: &TestApp, email_normalized: &str) -> Option<UserRow> {
    db::users::find_by_email(&mut *conn(app).await, email_normalized)
        .await
        .unwrap()
}

pub async fn user_count(app: &TestApp) -> i64 {
    db::users::count(&mut *conn(app).await).await.unwrap()
}

/// Every user, as the admin's user list has them.
async fn users(app: &TestApp) -> Vec<UserSummary> {
    let (mut all, mut page) = (Vec::new(), Page::First);
    loop {
        let found = list_users(&app.state, None, page).await.unwrap();
        all.extend(found.users);
        match found.older {
            Some(older) => page = Page::Before(older),
            None => return all,
        }
    }
}

pub async fn active_users(app: &TestApp) -> usize {
    users(app).await.iter().filter(|u| u.active).count()
}

pub async fn active_admins(app: &TestApp) -> usize {
    users(app)
        .await
        .iter()
        .filter(|u| u.active && u.role == Role::SiteAdmin)
        .count()
}

/// Disables or enables an account, and nothing else (no session ends).
pub async fn set_active(app: &TestApp, id: i64, active: bool) {
    let mut tx = app.state.db.begin().await.unwrap();
    db::users::set_active(&mut tx, id, active, app.state.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub async fn set_password_hash(app: &TestApp, id: i64, hash: &str) {
    let mut tx = app.state.db.begin().await.unwrap();
    db::users::set_password_hash(&mut tx, id, hash, app.state.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Makes the user an active site admin again, whatever was done to them.
pub async fn make_active_admin(app: &TestApp, id: i64) {
    let (row, now) = (user(app, id).await, app.state.clock.now());
    let mut tx = app.state.db.begin().await.unwrap();
    let (email, normalized) = (row.email.as_str(), row.email.normalized());
    db::users::update_profile(
        &mut tx,
        id,
        email,
        &normalized,
        &row.name,
        "site_admin",
        now,
    )
    .await
    .unwrap();
    db::users::set_active(&mut tx, id, true, now).await.unwrap();
    tx.commit().await.unwrap();
}

/// Stores a user as it is, without the checks of the forms (an account
/// made under older rules, or many at once).
pub async fn insert_user(
    app: &TestApp,
    email: &str,
    name: &str,
    password_hash: Option<&str>,
) -> i64 {
    let subject = gatehouse::server::platform::tokens::generate();
    let user = db::users::NewUser {
        email,
        email_normalized: email,
        name,
        role: "user",
        password_hash,
        subject: &subject,
        language: None,
        now: 0,
    };
    let mut tx = app.state.db.begin().await.unwrap();
    let id = db::users::insert(&mut tx, user).await.unwrap();
    tx.commit().await.unwrap();
    id
}

pub async fn session_count(app: &TestApp, user_id: i64) -> i64 {
    db::sessions::count_for_user(&mut *conn(app).await, user_id)
        .await
        .unwrap()
}

/// The audit log's entries of `event` (or all), oldest first.
pub async fn audit(app: &TestApp, event: Option<&str>) -> Vec<EntryRow> {
    let mut entries = db::audit::list(&mut *conn(app).await, event, None, None, i64::MAX)
        .await
        .unwrap();
    entries.reverse();
    entries
}

/// Whether a reset, invitation or set-password token is stored as it is
/// (rather than as its hash).
pub async fn password_token_stored_as_is(app: &TestApp, token: &str) -> bool {
    db::tokens::find_by_hash(&mut *conn(app).await, token)
        .await
        .unwrap()
        .is_some()
}

/// Whether an app's code or token is stored as it is (rather than as its
/// hash), of any kind.
pub async fn oidc_token_stored_as_is(app: &TestApp, token: &str) -> bool {
    use db::oidc::Kind;
    let mut conn = conn(app).await;
    for kind in [Kind::Code, Kind::Access, Kind::Refresh] {
        if db::oidc::find_token(&mut conn, token, kind)
            .await
            .unwrap()
            .is_some()
        {
            return true;
        }
    }
    false
}

/// How many messages are queued, sent and failed.
pub async fn outbox_counts(app: &TestApp) -> db::outbox::OutboxCounts {
    db::outbox::counts(&mut *conn(app).await).await.unwrap()
}

/// The test message to `to`.
pub async fn test_message_to(app: &TestApp, to: &str) -> ListedMail {
    db::outbox::newest_to(&mut *conn(app).await, to, "test")
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no test message to {to}"))
}

/// How many messages have a failed attempt on record.
pub async fn messages_with_an_error(app: &TestApp) -> usize {
    db::outbox::list_recent(&mut *conn(app).await, None, i64::MAX)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.last_error.is_some())
        .count()
}

/// Until when (ms) the reset requests of `ip` are spent: the throttle's
/// theoretical arrival time.
pub async fn reset_allowance_of(app: &TestApp, ip: &str) -> i64 {
    let key = rate_limit::key("reset:ip", &throttle_subject(ip.parse().unwrap()));
    db::rate_limits::load(&mut *conn(app).await, &key)
        .await
        .unwrap()
        .expect("the address was counted")
}

// What the library has no function for: the tests' SQL.

/// `n` users `u1@x.test` … named `P 1` …, in one statement.
pub async fn insert_numbered_users(app: &TestApp, engine: Engine, n: i64) {
    let sql = match engine {
        Engine::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
             INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'u' || i || '@x.test', 'u' || i || '@x.test', 'P ' || i, 'p ' || i, 'user', 1, 0, 0 FROM n"
        }
        Engine::Postgres => {
            "INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'u' || i || '@x.test', 'u' || i || '@x.test', 'P ' || i, 'p ' || i, 'user', 1, 0, 0
             FROM generate_series(1, $1) AS i"
        }
    };
    sqlx::query(sql)
        .bind(n)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

/// `n` users `p1@x.test` … whose names share `Person Surname0` to
/// `Person Surname49`, in one statement.
pub async fn insert_people_sharing_surnames(app: &TestApp, engine: Engine, n: i64) {
    let sql = match engine {
        Engine::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
             INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'p' || i || '@x.test', 'p' || i || '@x.test', 'Person Surname' || (i % 50),
                    'person surname' || (i % 50), 'user', 1, 0, 0 FROM n"
        }
        Engine::Postgres => {
            "INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'p' || i || '@x.test', 'p' || i || '@x.test', 'Person Surname' || (i % 50),
                    'person surname' || (i % 50), 'user', 1, 0, 0
             FROM generate_series(1, $1) AS i"
        }
    };
    sqlx::query(sql)
        .bind(n)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &'static str, bind: Option<i64>) -> i64 {
    let mut query = sqlx::query_scalar::<_, i64>(sql);
    if let Some(value) = bind {
        query = query.bind(value);
    }
    query.fetch_one(&app.state.db.pool).await.unwrap()
}

/// The user's reset and invitation tokens not used yet.
pub async fn unused_password_tokens(app: &TestApp, user_id: i64) -> i64 {
    let sql = "SELECT COUNT(*) FROM password_tokens WHERE user_id = $1 AND used_at IS NULL";
    count(app, sql, Some(user_id)).await
}

/// Whether the user's address is marked verified.
pub async fn email_verified(app: &TestApp, user_id: i64) -> bool {
    let sql = "SELECT email_verified FROM users WHERE id = $1";
    count(app, sql, Some(user_id)).await == 1
}

/// Every reset and invitation token stored, used or not.
pub async fn password_tokens(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM password_tokens", None).await
}

/// Messages that still hold their body (and so any link in it) at rest.
pub async fn messages_holding_a_body(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM outbox WHERE body_text <> ''",
        None,
    )
    .await
}

/// Migrations recorded as applied, and how many distinct ones.
pub async fn applied_migrations(app: &TestApp) -> (i64, i64) {
    (
        count(app, "SELECT COUNT(*) FROM _sqlx_migrations", None).await,
        count(
            app,
            "SELECT COUNT(DISTINCT version) FROM _sqlx_migrations",
            None,
        )
        .await,
    )
}

/// Forgets the newest migration, as if this build knew one the database lacks.
pub async fn forget_newest_migration(app: &TestApp) {
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
}

/// Records a migration this build does not know, as a newer build would.
pub async fn record_migration_from_the_future(app: &TestApp) {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         SELECT 99999999, 'from the future', installed_on, success, checksum, execution_time
         FROM _sqlx_migrations WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
}
