//! Logging in and out.
//!
//! A login checks its allowances and reads the account, verifies the
//! password, and starts the session: [`log_in`] says what each step does,
//! and `login_pipeline` carries it through the threads.

use crate::{
    domain::{password::Secret, CurrentUser, Email},
    error::{AppError, Field, Problem, Problems},
    server::{
        accounts::{
            known_device,
            login_pipeline::{self, Found, Outcome, Step},
            passwords::Verification,
            sessions::{self, SignIn},
            two_step::{self, PendingLogin},
        },
        db::{
            self,
            users::UserRow,
            write::{Job, Write, WriteConn},
        },
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            rate_limit::{self, Limit, Limits, Throttled},
        },
        AppState, ServiceError,
    },
};

/// The per-account allowance of guesses at the current password (a
/// password change); logins have theirs in [`known_device::login_keys`].
pub fn account_key(email_normalized: &str) -> String {
    rate_limit::key("login:acct", email_normalized)
}

/// What the login form sends, parsed: an address (as typed, matched
/// without regard to case) and a password of a length worth verifying;
/// and the browser's known-device cookie, if it has one.
pub struct Credentials {
    pub email: Email,
    pub password: Secret,
    pub device: Option<String>,
}

impl Credentials {
    pub fn parse(email: &str, password: Secret) -> Result<Self, AppError> {
        use crate::domain::password::MAX_PASSWORD_LEN;
        let mut problems = Problems::default();
        let email = problems.check(Field::Email, Email::parse(email));
        if password.expose().is_empty() {
            problems.add(Field::Password, Problem::Required);
        } else if password.expose().chars().count() > MAX_PASSWORD_LEN {
            // Never hash megabytes; no valid password is this long anyway.
            problems.add(
                Field::Password,
                Problem::TooLong {
                    max: MAX_PASSWORD_LEN,
                },
            );
        }
        let email = problems.finish(email)?;
        Ok(Self {
            email,
            password,
            device: None,
        })
    }

    /// The same, from a browser with this known-device cookie.
    pub fn from_device(self, device: Option<String>) -> Self {
        Self { device, ..self }
    }
}

/// Where a right password leads.
pub enum LoggedIn {
    /// A session began: the person, and the session's id for the cookie.
    Session(CurrentUser, String),
    /// The account has a second factor: no session yet, but a login that
    /// waits for its second step; its id for the browser's cookie.
    SecondStep(String),
}

/// Checks the credentials and starts a session, or, for an account with a
/// second factor, a login waiting for its second step (which goes to
/// `next` once done). Unknown email, wrong password and disabled account
/// all give the same answer, in the same time.
///
/// Both login allowances (the address's and the account's) are spent
/// before the password is verified, so that guesses sent at once cannot
/// all be verified; the account's comes back when the password is right.
pub async fn log_in(
    state: &AppState,
    credentials: &Credentials,
    next: &str,
    meta: &RequestMeta,
) -> Result<LoggedIn, ServiceError> {
    let arrived = tokio::time::Instant::now();
    let Credentials {
        email,
        password,
        device,
    } = credentials;
    let normalized = email.normalized();
    let ip = (
        rate_limit::key("login:ip", &meta.throttle_subject()),
        Limits::login_ip(state),
    );
    // The account's allowance: a known browser's own, or the one from this
    // network and the looser one across all; someone guessing elsewhere
    // uses up neither of the owner's.
    let account_keys =
        known_device::login_keys(state, &normalized, device.as_deref(), &meta.network());
    let account = account_keys[0].clone();
    // 1. Spend the allowances and read the account.
    let mut keys = vec![ip.clone()];
    keys.extend(account_keys);
    let check = SpendAndFind {
        now_ms: state.clock.now_ms(),
        keys,
        email_normalized: normalized,
    };
    // 2. With the password verified: what to write.
    let after = {
        let (state, account, meta) = (state.clone(), account.clone(), meta.clone());
        let next = next.to_owned();
        move |user: Option<UserRow>, verification: Verification| match verified(user, verification)
        {
            Ok(user) => Step::Write(SessionStart::new(&state, user, account, &meta, &next)),
            Err(attempt) => Step::Done(attempt),
        }
    };
    let attempt = match login_pipeline::run(state, check, password, after).await? {
        Outcome::Done(attempt) => attempt,
        Outcome::Refused(refused, key) => {
            return Err(login_throttled(state, email, meta, &ip.0, (refused, &key)).await)
        }
    };
    // 3. The session started (or the second step is to come), or why not.
    let attempt = match attempt {
        Attempt::Rehash(user) => {
            upgrade_hash(state, &user, password).await?;
            let start = SessionStart::new(state, *user, account, meta, next);
            state.db.write(start).await?
        }
        attempt => attempt,
    };
    match attempt {
        Attempt::Started(user, session_id) => {
            let must_set_up = two_step::must_set_up(&state.settings, user.role, false);
            let user = CurrentUser {
                must_set_up_two_step: must_set_up,
                ..CurrentUser::from(*user)
            };
            Ok(LoggedIn::Session(user, session_id))
        }
        Attempt::SecondStep(pending_id) => Ok(LoggedIn::SecondStep(pending_id)),
        Attempt::Failed => {
            let failed = record_failed_login(state, email, meta).await;
            tokio::time::sleep_until(arrived + failure_floor(state)).await;
            Err(failed)
        }
        Attempt::Rehash(_) => Err(AppError::Internal.into()),
    }
}

/// How a login attempt ended.
enum Attempt {
    /// The session is stored; its id is for the cookie.
    Started(Box<UserRow>, String),
    /// The password is right and the account has a second factor: the
    /// login waits for it; its id is for the cookie.
    SecondStep(String),
    /// Unknown address, wrong password or disabled account.
    Failed,
    /// The right password, in a hash made with older parameters: it is
    /// re-hashed before the session starts.
    Rehash(Box<UserRow>),
}

/// The account whose session is to start, once its password is verified,
/// or how the attempt ends.
fn verified(user: Option<UserRow>, verification: Verification) -> Result<UserRow, Attempt> {
    match user.filter(|_| verification.ok) {
        None => Err(Attempt::Failed),
        Some(user) if verification.needs_rehash => Err(Attempt::Rehash(Box::new(user))),
        Some(user) => Ok(user),
    }
}

/// A login's first write: its allowances spent, and the account read in
/// the same transaction, so no read comes before the spend. When a key is
/// over its limit nothing is written and it is named.
struct SpendAndFind {
    now_ms: i64,
    keys: Vec<(String, Limit)>,
    email_normalized: String,
}

impl Job for SpendAndFind {
    type Output = Found<Option<UserRow>>;

    async fn run<C: WriteConn>(self, conn: &mut C) -> Result<Write<Self::Output>, db::Error> {
        let keys: Vec<(&str, Limit)> = self
            .keys
            .iter()
            .map(|(key, limit)| (key.as_str(), *limit))
            .collect();
        if let Err((refused, key)) = rate_limit::spend(conn, self.now_ms, &keys).await? {
            return Ok(Write::Discard(Err((refused, key.to_owned()))));
        }
        let user = conn.find_user_by_email(&self.email_normalized).await?;
        // The hash to verify the password against: none for an unknown or
        // disabled account (a dummy hash is verified instead, in the same
        // time).
        let stored = user
            .as_ref()
            .filter(|u| u.active)
            .and_then(|u| u.password_hash.clone());
        Ok(Write::Commit(Ok((user, stored))))
    }
}

/// A login's writes, in one transaction: the session, the login time, the
/// account's allowance given back, and the audit entry; or, for an account
/// with a second factor, the login waiting for it (and the allowance given
/// back: the second step has allowances of its own).
struct SessionStart {
    now: i64,
    session: sessions::Fresh,
    pending: PendingLogin,
    user: Box<UserRow>,
    /// The account's login allowance, to give back.
    account: (String, Limit),
    meta: RequestMeta,
}

impl SessionStart {
    fn new(
        state: &AppState,
        user: UserRow,
        account: (String, Limit),
        meta: &RequestMeta,
        next: &str,
    ) -> Self {
        let now = state.clock.now();
        Self {
            now,
            session: sessions::Fresh::new(&state.settings, now, user.id, meta, SignIn::Password),
            pending: PendingLogin::new(now, next),
            user: Box::new(user),
            account,
            meta: meta.clone(),
        }
    }
}

impl Job for SessionStart {
    type Output = Attempt;

    async fn run<C: WriteConn>(self, conn: &mut C) -> Result<Write<Attempt>, db::Error> {
        let Self {
            now,
            session,
            pending,
            user,
            account: (key, limit),
            meta,
        } = self;
        if conn.count_factors(user.id).await? > 0 {
            pending.insert(conn, user.id).await?;
            rate_limit::refund(conn, &key, limit).await?;
            return Ok(Write::Commit(Attempt::SecondStep(pending.id)));
        }
        session.insert(conn).await?;
        conn.record_login(user.id, now).await?;
        rate_limit::refund(conn, &key, limit).await?;
        let entry = Entry::new(Event::Login).about(Who::user(user.id, &user.email));
        audit::record(conn, now, &meta, entry).await?;
        Ok(Write::Commit(Attempt::Started(user, session.id)))
    }
}

/// Audits a refused login (by the address's allowance or the account's)
/// and returns the answer.
async fn login_throttled(
    state: &AppState,
    email: &Email,
    meta: &RequestMeta,
    ip_key: &str,
    (refused, key): (Throttled, &str),
) -> ServiceError {
    let detail = if key == ip_key {
        "too many attempts from this address"
    } else {
        "too many attempts for this account"
    };
    let entry = Entry::new(Event::LoginThrottled)
        .on(Who::email(email.as_str()))
        .detail(detail);
    audit::record_throttled(state, meta, entry, (refused, key)).await
}

/// Audits a failed login and returns the one answer for every cause
/// (unknown address, wrong password, disabled account).
/// The entry names the account when it exists (the log is for admins; the
/// answer stays the same).
/// How long after it arrived a failed login is answered, at the soonest:
/// the configured floor, or the slowest password check seen since start,
/// whichever is longer. An unknown address, a wrong password for one of
/// our hashes and one for a hash brought from another system (which may
/// take several times as long to check) then look the same from outside.
fn failure_floor(state: &AppState) -> std::time::Duration {
    let floor = std::time::Duration::from_millis(state.settings.auth.failed_login_floor_ms);
    floor.max(state.hasher.longest())
}

async fn record_failed_login(state: &AppState, email: &Email, meta: &RequestMeta) -> ServiceError {
    let recorded = async {
        let mut conn = state.db.conn().await?;
        let account = db::users::find_by_email(&mut conn, &email.normalized()).await?;
        let who = match &account {
            Some(user) => Who::user(user.id, user.email.as_str()),
            None => Who::email(email.as_str()),
        };
        let entry = Entry::new(Event::LoginFailed).on(who);
        audit::record(&mut conn, state.clock.now(), meta, entry).await
    };
    audit::answer_once_recorded(recorded.await, AppError::InvalidCredentials)
}

/// Re-hashes a right password made with older parameters (only if the
/// stored hash is still the one verified).
async fn upgrade_hash(
    state: &AppState,
    user: &UserRow,
    password: &Secret,
) -> Result<(), ServiceError> {
    let new_hash = state.hasher.hash_again(password).await?;
    let verified = user.password_hash.as_deref().unwrap_or_default();
    let mut conn = state.db.conn().await?;
    db::users::upgrade_password_hash(&mut conn, user.id, verified, &new_hash).await?;
    Ok(())
}

pub async fn log_out(
    state: &AppState,
    session_id: Option<&str>,
    user: Option<&CurrentUser>,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    if let Some(id) = session_id {
        sessions::end(state, id).await?;
    }
    if let Some(u) = user {
        let mut conn = state.db.conn().await?;
        audit::record(
            &mut conn,
            state.clock.now(),
            meta,
            Entry::new(Event::Logout).about(Who::user(u.id, &u.email)),
        )
        .await?;
    }
    Ok(())
}

pub async fn log_out_everywhere(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
) -> Result<u64, ServiceError> {
    let mut tx = state.db.begin().await?;
    let ended = sessions::end_everywhere(&mut tx, user.id, None, state.clock.now()).await?;
    let detail = format!("{ended} sessions ended");
    audit::record(
        &mut tx,
        state.clock.now(),
        meta,
        Entry::new(Event::LogoutEverywhere)
            .about(Who::user(user.id, &user.email))
            .detail(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}
