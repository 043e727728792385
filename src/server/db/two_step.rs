//! Two-step verification's tables: authenticator apps' keys (encrypted),
//! recovery codes (hashed), passkeys, logins waiting for their second step,
//! and WebAuthn ceremonies under way.

use super::Conn;
use sqlx::{FromRow, Row};

// --- Authenticator apps ---------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct TotpRow {
    /// Sealed with the server's secret key.
    pub secret: String,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

pub async fn totp(conn: &mut Conn, user_id: i64) -> sqlx::Result<Option<TotpRow>> {
    sqlx::query_as("SELECT secret, confirmed_at, last_step FROM totp_keys WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// A new, unconfirmed key for a person who has none; `false` when they
/// have one already (confirmed or being set up), which stays.
pub async fn start_totp(
    conn: &mut Conn,
    user_id: i64,
    secret: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO totp_keys (user_id, secret, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Accepts a code for `step`, once: only a step after the last accepted
/// one moves `last_step` (so a replayed code, or an older one, does not).
/// Confirms the key if it was not yet. `false`: the step was used.
pub async fn accept_step(conn: &mut Conn, user_id: i64, step: i64, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE totp_keys SET last_step = $1, confirmed_at = COALESCE(confirmed_at, $2)
         WHERE user_id = $3 AND last_step < $1",
    )
    .bind(step)
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn delete_totp(conn: &mut Conn, user_id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM totp_keys WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

// --- Recovery codes -------------------------------------------------------

/// Voids every recovery code of the person, used or not.
pub async fn delete_recovery_codes(conn: &mut Conn, user_id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn insert_recovery_code(
    conn: &mut Conn,
    user_id: i64,
    code_hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO recovery_codes (code_hash, user_id, created_at) VALUES ($1, $2, $3)")
        .bind(code_hash)
        .bind(user_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Uses up the person's unused code with this hash; `false` when there is
/// none (unknown, someone else's, or used).
pub async fn use_recovery_code(
    conn: &mut Conn,
    user_id: i64,
    code_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(code_hash)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn unused_recovery_codes(conn: &mut Conn, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

// --- Passkeys -------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct PasskeyRow {
    pub credential_id: String,
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON.
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn passkeys(conn: &mut Conn, user_id: i64) -> sqlx::Result<Vec<PasskeyRow>> {
    sqlx::query_as(
        "SELECT credential_id, name, passkey, created_at, last_used_at FROM passkeys
         WHERE user_id = $1 ORDER BY created_at, credential_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A passkey and its person, by credential id (a discoverable sign-in).
pub async fn passkey_by_credential(
    conn: &mut Conn,
    credential_id: &str,
) -> sqlx::Result<Option<(i64, PasskeyRow)>> {
    let row = sqlx::query(
        "SELECT user_id, credential_id, name, passkey, created_at, last_used_at FROM passkeys
         WHERE credential_id = $1",
    )
    .bind(credential_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("user_id")?, PasskeyRow::from_row(&r)?)))
        .transpose()
}

pub struct NewPasskey<'a> {
    pub credential_id: &'a str,
    pub user_id: i64,
    pub name: &'a str,
    pub passkey: &'a str,
    pub now: i64,
}

pub async fn insert_passkey(conn: &mut Conn, p: NewPasskey<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(p.credential_id)
    .bind(p.user_id)
    .bind(p.name)
    .bind(p.passkey)
    .bind(p.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a sign-in with a passkey (and its updated counter).
pub async fn passkey_used(
    conn: &mut Conn,
    credential_id: &str,
    passkey: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE credential_id = $3")
        .bind(passkey)
        .bind(now)
        .bind(credential_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_passkey(
    conn: &mut Conn,
    user_id: i64,
    credential_id: &str,
) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
            .bind(user_id)
            .bind(credential_id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

pub async fn delete_passkeys(conn: &mut Conn, user_id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// The person's WebAuthn user handle, made now (from `fresh`) if they had
/// none.
pub async fn webauthn_handle(conn: &mut Conn, user_id: i64, fresh: &str) -> sqlx::Result<String> {
    sqlx::query("UPDATE users SET webauthn_handle = $1 WHERE id = $2 AND webauthn_handle IS NULL")
        .bind(fresh)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT webauthn_handle FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

pub async fn user_by_webauthn_handle(conn: &mut Conn, handle: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM users WHERE webauthn_handle = $1 AND active = 1")
        .bind(handle)
        .fetch_optional(conn)
        .await
}

// --- What a person has ----------------------------------------------------

/// Which second factors a person has: a confirmed authenticator app, and
/// how many passkeys and unused recovery codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Factors {
    pub totp: bool,
    pub passkeys: i64,
    pub recovery_codes: i64,
}

impl Factors {
    pub fn any(&self) -> bool {
        self.totp || self.passkeys > 0
    }
}

/// How many second factors a person has (a confirmed authenticator app
/// and each passkey): what a login asks before it starts a session.
const COUNT_FACTORS: &str = "SELECT
       (SELECT COUNT(*) FROM totp_keys WHERE user_id = $1 AND confirmed_at IS NOT NULL)
     + (SELECT COUNT(*) FROM passkeys WHERE user_id = $1) AS n";

pub async fn count_factors(conn: &mut Conn, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query(COUNT_FACTORS)
        .bind(user_id)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

/// [`count_factors`] on the SQLite writer thread's connection.
pub fn count_factors_blocking(conn: &rusqlite::Connection, user_id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(COUNT_FACTORS)?
        .query_row(rusqlite::named_params! { "$1": user_id }, |row| row.get(0))
}

pub async fn factors(conn: &mut Conn, user_id: i64) -> sqlx::Result<Factors> {
    let row = sqlx::query(
        "SELECT
           (SELECT COUNT(*) FROM totp_keys WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS totp,
           (SELECT COUNT(*) FROM passkeys WHERE user_id = $1) AS passkeys,
           (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS codes",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(Factors {
        totp: row.try_get::<i64, _>("totp")? > 0,
        passkeys: row.try_get("passkeys")?,
        recovery_codes: row.try_get("codes")?,
    })
}

// --- Logins waiting for their second step --------------------------------

pub struct NewPending<'a> {
    pub id_hash: &'a str,
    pub user_id: i64,
    pub next: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

const INSERT_PENDING: &str =
    "INSERT INTO pending_logins (id_hash, user_id, next, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5)";

pub async fn insert_pending(conn: &mut Conn, p: NewPending<'_>) -> sqlx::Result<()> {
    sqlx::query(INSERT_PENDING)
        .bind(p.id_hash)
        .bind(p.user_id)
        .bind(p.next)
        .bind(p.now)
        .bind(p.expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`insert_pending`] on the SQLite writer thread's connection.
pub fn insert_pending_blocking(
    conn: &rusqlite::Connection,
    p: NewPending<'_>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT_PENDING)?
        .execute(rusqlite::named_params! {
            "$1": p.id_hash,
            "$2": p.user_id,
            "$3": p.next,
            "$4": p.now,
            "$5": p.expires_at,
        })?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct PendingRow {
    pub user_id: i64,
    pub next: Option<String>,
}

/// A login waiting for its second step, unexpired.
pub async fn pending(conn: &mut Conn, id_hash: &str, now: i64) -> sqlx::Result<Option<PendingRow>> {
    sqlx::query_as(
        "SELECT user_id, next FROM pending_logins WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Ends a pending login (its second step done, or given up); `false` when
/// it had ended already (a second request lost the race).
pub async fn end_pending(conn: &mut Conn, id_hash: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM pending_logins WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

// --- WebAuthn ceremonies --------------------------------------------------

pub async fn insert_ceremony(
    conn: &mut Conn,
    id_hash: &str,
    user_id: Option<i64>,
    state: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webauthn_ceremonies (id_hash, user_id, state, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(state)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a ceremony's state, once: it is gone after this, used or not.
pub async fn take_ceremony(
    conn: &mut Conn,
    id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<(Option<i64>, String)>> {
    let row = sqlx::query(
        "DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND expires_at > $2 RETURNING user_id, state",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("user_id")?, r.try_get("state")?)))
        .transpose()
}

/// Housekeeping: pending logins and ceremonies past their time.
pub async fn delete_expired(conn: &mut Conn, now: i64) -> sqlx::Result<u64> {
    let logins = sqlx::query("DELETE FROM pending_logins WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let ceremonies = sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(logins + ceremonies)
}

/// The second factors of each of these people, for the admin's list:
/// `(user_id, authenticator app confirmed, passkeys)`, for those who have
/// any.
pub async fn factors_of(conn: &mut Conn, user_ids: &[i64]) -> sqlx::Result<Vec<(i64, bool, i64)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT u.id,
           (SELECT COUNT(*) FROM totp_keys t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS totp,
           (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys
         FROM users u WHERE u.id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql));
    for id in user_ids {
        query = query.bind(id);
    }
    Ok(query
        .fetch_all(conn)
        .await?
        .into_iter()
        .filter(|(_, totp, passkeys)| *totp > 0 || *passkeys > 0)
        .map(|(id, totp, passkeys)| (id, totp > 0, passkeys))
        .collect())
}

/// Removes every second factor of a person (their app, passkeys and
/// recovery codes) and any login or ceremony of theirs under way.
pub async fn delete_all(conn: &mut Conn, user_id: i64) -> sqlx::Result<u64> {
    let mut removed = delete_totp(&mut *conn, user_id).await?;
    removed += delete_passkeys(&mut *conn, user_id).await?;
    delete_recovery_codes(&mut *conn, user_id).await?;
    for table in ["pending_logins", "webauthn_ceremonies"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE user_id = $1"
        )))
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(removed)
}
