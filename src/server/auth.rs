//! Logging in and out, changing one's password, and creating accounts.

use crate::{
    domain::{password::Secret, CurrentUser, Email, Name, Role},
    error::{AppError, Field, Problem, Problems},
    server::{
        account_mail::{queue_link, queue_password_changed},
        audit::{self, Entry, Event, Who},
        config::Settings,
        db::{
            self,
            sqlite_writer::{SqliteWriter, Write, WriteError},
        },
        passwords,
        rate_limit::{self, Limit, Limits, Throttled},
        request::RequestMeta,
        sessions,
        tokens::{self, Purpose},
        AppState, ServiceError,
    },
};
use std::{sync::Arc, time::Duration};
use tokio::sync::oneshot;

fn login_account_key(email_normalized: &str) -> String {
    rate_limit::key("login:acct", email_normalized)
}

/// What the login form sends, parsed: an address (as typed, matched
/// without regard to case) and a password of a length worth verifying.
pub struct Credentials {
    pub email: Email,
    pub password: Secret,
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
        Ok(Self { email, password })
    }
}

/// Checks the credentials and starts a session; returns the user and the
/// new session id. Unknown email, wrong password and disabled account all
/// give the same answer, in the same time.
///
/// Both login allowances (the address's and the account's) are spent
/// before the password is verified, so that guesses sent at once cannot
/// all be verified; the account's comes back when the password is right.
pub async fn log_in(
    state: &AppState,
    credentials: &Credentials,
    meta: &RequestMeta,
) -> Result<(CurrentUser, String), ServiceError> {
    let Credentials { email, password } = credentials;
    let normalized = email.normalized();
    let keys = [
        (
            rate_limit::key("login:ip", &meta.throttle_subject()),
            Limits::login_ip(state),
        ),
        (login_account_key(&normalized), Limits::login_account(state)),
    ];
    let attempt = match state.db.sqlite_writer() {
        Some(writer) => {
            let writer = writer.clone();
            attempt_on_writer(state, writer, &normalized, password, keys.clone(), meta).await?
        }
        None => attempt_on_task(state, &normalized, password, keys.clone(), meta).await?,
    };
    match attempt {
        Attempt::Started(user, session_id) => Ok((current_user(*user), session_id)),
        Attempt::Throttled(refused, key) => {
            Err(login_throttled(state, email, meta, &keys, (refused, &key)).await)
        }
        Attempt::Failed => Err(record_failed_login(state, email, meta).await),
        Attempt::Rehash(user, stored) => {
            upgrade_hash(state, &user, stored.as_deref(), password).await?;
            let [_, account] = keys;
            let session_id = SessionStart::new(state, &user, account, meta)
                .commit(state)
                .await?;
            Ok((current_user(*user), session_id))
        }
    }
}

/// How a login attempt ended.
enum Attempt {
    /// The session is stored; its id is for the cookie.
    Started(Box<db::users::UserRow>, String),
    /// A key was over its limit: nothing was spent.
    Throttled(Throttled, String),
    /// Unknown address, wrong password or disabled account.
    Failed,
    /// The right password, in a hash made with older parameters: it is
    /// re-hashed before the session starts.
    Rehash(Box<db::users::UserRow>, Option<String>),
}

/// The hash to verify the password against: none for an unknown or
/// disabled account (a dummy hash is verified instead, in the same time).
fn stored_hash(user: &Option<db::users::UserRow>) -> Option<String> {
    user.as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone())
}

/// The account whose session is to start, once its password is verified,
/// or how the attempt ends.
fn verified(
    user: Option<db::users::UserRow>,
    stored: Option<String>,
    verification: passwords::Verification,
) -> Result<db::users::UserRow, Attempt> {
    match user.filter(|_| verification.ok) {
        None => Err(Attempt::Failed),
        Some(user) if verification.needs_rehash => Err(Attempt::Rehash(Box::new(user), stored)),
        Some(user) => Ok(user),
    }
}

/// A login on an SQLite file, passed from thread to thread: the writer
/// thread spends the allowances and reads the account (one job: the spend
/// is a statement of a shared transaction there, so no read comes before
/// it), a hashing worker verifies the password, and the writer thread
/// starts the session. The request's task is woken once, with the outcome,
/// instead of after every step (BENCHMARKS.md: each wake cost about as
/// much as the step itself). Both writes may wait for others to join their
/// transaction while the workers have a backlog ([`write_patience`]).
async fn attempt_on_writer(
    state: &AppState,
    writer: Arc<SqliteWriter>,
    normalized: &str,
    password: &Secret,
    keys: [(String, Limit); 2],
    meta: &RequestMeta,
) -> Result<Attempt, ServiceError> {
    let (answer, answered) = oneshot::channel::<Result<Attempt, ServiceError>>();
    let now_ms = state.clock.now_ms();
    let normalized = normalized.to_owned();
    let [ip, account] = keys;
    let spend_keys = [ip, account.clone()];
    let spend = move |conn: &rusqlite::Connection| {
        Ok(
            match rate_limit::spend_pair_blocking(conn, now_ms, &spend_keys)? {
                Ok(()) => Write::Commit(Ok(db::users::find_by_email_blocking(conn, &normalized)?)),
                Err((refused, key)) => Write::Discard(Err((refused, key.to_owned()))),
            },
        )
    };
    let (state, password, meta) = (state.clone(), password.clone(), meta.clone());
    let patience = write_patience(&state);
    writer.clone().submit_within(spend, patience, move |spent| {
        let user = match spent {
            Ok(Ok(user)) => user,
            Ok(Err((refused, key))) => {
                let _ = answer.send(Ok(Attempt::Throttled(refused, key)));
                return;
            }
            Err(e) => {
                let _ = answer.send(Err(e.into()));
                return;
            }
        };
        let stored = stored_hash(&user);
        let hasher = state.hasher.clone();
        hasher.verify_then(&password, stored.clone().as_deref(), move |verification| {
            let user = match verification.map(|v| verified(user, stored, v)) {
                Ok(Ok(user)) => user,
                Ok(Err(attempt)) => {
                    let _ = answer.send(Ok(attempt));
                    return;
                }
                Err(e) => {
                    let _ = answer.send(Err(e.into()));
                    return;
                }
            };
            let login = SessionStart::new(&state, &user, account, &meta);
            let session_id = login.session.id.clone();
            let start =
                move |conn: &rusqlite::Connection| login.write_blocking(conn).map(Write::Commit);
            writer.submit_within(start, write_patience(&state), move |written| {
                let started = written.map(|()| Attempt::Started(Box::new(user), session_id));
                let _ = answer.send(started.map_err(ServiceError::from));
            });
        });
    });
    answered
        .await
        .unwrap_or_else(|_| Err(WriteError::Stopped.into()))
}

/// The longest a login's write waits for others to share its transaction.
const MOST_WRITE_PATIENCE: Duration = Duration::from_millis(50);

/// How long a login's write may wait for others to share its transaction:
/// a quarter of the hashing workers' backlog, at most
/// [`MOST_WRITE_PATIENCE`]. Under a flood every login already waits the
/// backlog for its hash, and the workers still have work when the spend
/// that feeds them comes late; the writer then commits several logins at
/// once instead of waking for each (BENCHMARKS.md: half the CPU a login
/// takes outside hashing). Without a backlog nothing waits.
fn write_patience(state: &AppState) -> Duration {
    (state.hasher.backlog() / 4).min(MOST_WRITE_PATIENCE)
}

/// A login anywhere else (PostgreSQL, an in-memory SQLite database): each
/// step on the request's task.
async fn attempt_on_task(
    state: &AppState,
    normalized: &str,
    password: &Secret,
    [ip, account]: [(String, Limit); 2],
    meta: &RequestMeta,
) -> Result<Attempt, ServiceError> {
    let keys = [(ip.0.as_str(), ip.1), (account.0.as_str(), account.1)];
    let user = match rate_limit::hit_each(state, &keys).await? {
        Ok(()) => {
            let mut conn = state.db.conn().await?;
            db::users::find_by_email(&mut conn, normalized).await?
        }
        Err((refused, key)) => return Ok(Attempt::Throttled(refused, key.to_owned())),
    };
    let stored = stored_hash(&user);
    let verification = state.hasher.verify(password, stored.as_deref()).await?;
    let user = match verified(user, stored, verification) {
        Ok(user) => user,
        Err(attempt) => return Ok(attempt),
    };
    let session_id = SessionStart::new(state, &user, account, meta)
        .commit(state)
        .await?;
    Ok(Attempt::Started(Box::new(user), session_id))
}

/// Audits a refused login (which of `keys` refused it, by name) and
/// returns the answer.
async fn login_throttled(
    state: &AppState,
    email: &Email,
    meta: &RequestMeta,
    [(ip_key, _), _]: &[(String, Limit); 2],
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
async fn record_failed_login(state: &AppState, email: &Email, meta: &RequestMeta) -> ServiceError {
    let recorded = async {
        let mut conn = state.db.conn().await?;
        let entry = Entry::new(Event::LoginFailed).on(Who::email(email.as_str()));
        audit::record(&mut conn, state.clock.now(), meta, entry).await
    };
    audit::answer_once_recorded(recorded.await, AppError::InvalidCredentials)
}

/// Re-hashes a right password made with older parameters (only if the
/// stored hash is still the one verified).
async fn upgrade_hash(
    state: &AppState,
    user: &db::users::UserRow,
    verified: Option<&str>,
    password: &Secret,
) -> Result<(), ServiceError> {
    let new_hash = state.hasher.hash(password).await?;
    let mut conn = state.db.conn().await?;
    db::users::upgrade_password_hash(&mut conn, user.id, verified.unwrap_or_default(), &new_hash)
        .await?;
    Ok(())
}

fn current_user(user: db::users::UserRow) -> CurrentUser {
    CurrentUser {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
    }
}

/// A login's writes, in one transaction: the session, the login time, the
/// account's allowance given back, and the audit entry.
struct SessionStart {
    now: i64,
    session: sessions::Fresh,
    user_id: i64,
    email: String,
    /// The account's login allowance, to give back.
    account: (String, Limit),
    meta: RequestMeta,
}

impl SessionStart {
    fn new(
        state: &AppState,
        user: &db::users::UserRow,
        account: (String, Limit),
        meta: &RequestMeta,
    ) -> Self {
        let now = state.clock.now();
        let ip = meta.ip();
        Self {
            now,
            session: sessions::Fresh::new(
                &state.settings,
                now,
                user.id,
                ip.as_deref(),
                meta.user_agent.as_deref(),
            ),
            user_id: user.id,
            email: user.email.clone(),
            account,
            meta: meta.clone(),
        }
    }

    fn entry(&self) -> Entry<'_> {
        Entry::new(Event::Login).about(Who::user(self.user_id, &self.email))
    }

    /// On the SQLite writer thread: its statements one after the other.
    fn write_blocking(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        self.session.insert_blocking(conn)?;
        db::users::record_login_blocking(conn, self.user_id, self.now)?;
        rate_limit::refund_blocking(conn, &self.account.0, self.account.1)?;
        audit::record_blocking(conn, self.now, &self.meta, self.entry())
    }

    /// On the writer thread when there is one, else on the request's task.
    /// Returns the session id, for the cookie.
    async fn commit(self, state: &AppState) -> Result<String, ServiceError> {
        let session_id = self.session.id.clone();
        if let Some(writer) = state.db.sqlite_writer() {
            let job =
                move |conn: &rusqlite::Connection| self.write_blocking(conn).map(Write::Commit);
            writer.run(job).await?;
            return Ok(session_id);
        }
        let mut tx = state.db.begin().await?;
        self.session.insert(&mut tx).await?;
        db::users::record_login(&mut tx, self.user_id, self.now).await?;
        rate_limit::refund(&mut tx, &self.account.0, self.account.1).await?;
        audit::record(&mut tx, self.now, &self.meta, self.entry()).await?;
        tx.commit().await?;
        Ok(session_id)
    }
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

/// Changes the caller's own password; other sessions of theirs end.
pub async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    current_session: Option<&str>,
    current: &Secret,
    new: &Secret,
    confirm: &Secret,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let email = Email::parse(&user.email).map_err(|_| AppError::Internal)?;
    let mut problems = Problems::default();
    if current.expose().is_empty() {
        problems.add(Field::CurrentPassword, Problem::Required);
    }
    passwords::check_new_password_pair(
        &mut problems,
        &state.settings.password_policy(),
        Field::NewPassword,
        new.expose(),
        confirm.expose(),
        Some(&email.local_part()),
    );
    problems.into_result()?;

    // Spent before verifying, as at login (the same allowance).
    let account_key = login_account_key(&email.normalized());
    let limit = Limits::login_account(state);
    rate_limit::hit(state, &account_key, limit).await?;
    let row = {
        let mut conn = state.db.conn().await?;
        db::users::find_by_id(&mut conn, user.id)
            .await?
            .ok_or(AppError::Unauthorized)?
    };
    if current.expose().chars().count() > crate::domain::password::MAX_PASSWORD_LEN
        || !state
            .hasher
            .verify(current, row.password_hash.as_deref())
            .await?
            .ok
    {
        let mut conn = state.db.conn().await?;
        audit::record(
            &mut conn,
            state.clock.now(),
            meta,
            Entry::new(Event::PasswordChangeFailed)
                .about(Who::user(user.id, &user.email))
                .detail("wrong current password"),
        )
        .await?;
        return Err(AppError::field(Field::CurrentPassword, Problem::WrongCurrentPassword).into());
    }
    let hash = state.hasher.hash(new).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    rate_limit::refund(&mut tx, &account_key, limit).await?;
    db::users::set_password_hash(&mut tx, user.id, &hash, now).await?;
    db::tokens::use_up_all(&mut tx, user.id, now).await?;
    let keep = current_session.map(tokens::hash);
    sessions::end_everywhere(&mut tx, user.id, Some(keep.as_deref().unwrap_or("")), now).await?;
    queue_password_changed(&mut tx, state, &row.email, now).await?;
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::PasswordChanged).about(Who::user(user.id, &user.email)),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}

/// How a new account gets its password.
pub enum InitialPassword {
    /// Typed by its owner on the spot (password and confirmation).
    Typed { password: Secret, confirm: Secret },
    /// Sent a "set your password" link.
    Invite,
}

/// An account to create, parsed: an address mail can reach, a name, a role,
/// and a password that meets the policy (or an invitation). Only
/// [`NewAccount::parse`] makes one, so [`create_account`] never sees a raw
/// form.
pub struct NewAccount {
    pub email: Email,
    pub name: Name,
    pub role: Role,
    pub password: InitialPassword,
}

impl NewAccount {
    /// Parses a form's fields, with every problem at once, each on its field.
    pub fn parse(
        settings: &Settings,
        email: &str,
        name: &str,
        role: &str,
        password: InitialPassword,
    ) -> Result<Self, AppError> {
        let mut problems = Problems::default();
        let email = problems.check(Field::Email, Email::parse_deliverable(email));
        let name = problems.check(Field::Name, Name::parse(name));
        let role = problems.check(Field::Role, Role::parse(role));
        if let InitialPassword::Typed { password, confirm } = &password {
            let local = email.as_ref().map(Email::local_part);
            passwords::check_new_password_pair(
                &mut problems,
                &settings.password_policy(),
                Field::Password,
                password.expose(),
                confirm.expose(),
                local.as_deref(),
            );
        }
        let parsed = problems.finish(email.zip(name).zip(role))?;
        let ((email, name), role) = parsed;
        Ok(Self {
            email,
            name,
            role,
            password,
        })
    }
}

/// Creates an account. With a `setup_token` it is the first-run setup: it
/// fails once any account exists or when the token is not a valid setup
/// link, and uses up every setup link. Returns the new user's id.
pub async fn create_account(
    state: &AppState,
    actor: Option<&CurrentUser>,
    account: NewAccount,
    setup_token: Option<&str>,
    meta: &RequestMeta,
) -> Result<i64, ServiceError> {
    // Hashed before the transaction: no lock is held while argon2 runs.
    let hash = match &account.password {
        InitialPassword::Typed { password, .. } => Some(state.hasher.hash(password).await?),
        InitialPassword::Invite => None,
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if let Some(token) = setup_token {
        state.db.lock_users_for_first_account(&mut tx).await?;
        crate::server::setup::check_open(&mut tx, token, now).await?;
    }
    let id = insert_account(&mut tx, &account, hash.as_deref(), now).await?;
    let actor = actor.map(|a| Who::user(a.id, &a.email)).unwrap_or_default();
    let created = Who::user(id, account.email.as_str());
    let setup_note = if setup_token.is_some() {
        ", first-run setup"
    } else {
        ""
    };
    let detail = format!("role {}{setup_note}", account.role.as_str());
    let entry = Entry::new(Event::UserCreated)
        .by(actor)
        .on(created)
        .detail(&detail);
    audit::record(&mut tx, now, meta, entry).await?;
    if setup_token.is_some() {
        db::setup_tokens::delete_all_or_expired(&mut tx, now, true).await?;
    }
    if let InitialPassword::Invite = account.password {
        queue_link(
            &mut tx,
            state,
            Purpose::Invite,
            id,
            account.email.as_str(),
            now,
        )
        .await?;
        let entry = Entry::new(Event::InvitationSent).by(actor).on(created);
        audit::record(&mut tx, now, meta, entry).await?;
    }
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(id)
}

/// Stores the new account; an address already in use is the email field's
/// problem.
async fn insert_account(
    tx: &mut db::Tx,
    account: &NewAccount,
    password_hash: Option<&str>,
    now: i64,
) -> Result<i64, ServiceError> {
    let inserted = db::users::insert(
        tx,
        db::users::NewUser {
            email: account.email.as_str(),
            email_normalized: &account.email.normalized(),
            name: account.name.as_str(),
            role: account.role.as_str(),
            password_hash,
            now,
        },
    )
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(e) if db::is_unique_violation(&e) => {
            Err(AppError::field(Field::Email, Problem::AlreadyTaken).into())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn needs_setup(state: &AppState) -> Result<bool, ServiceError> {
    use std::sync::atomic::Ordering;
    if state.has_accounts.load(Ordering::Relaxed) {
        return Ok(false);
    }
    let mut conn = state.db.conn().await?;
    let exists = db::users::any_exists(&mut conn).await?;
    if exists {
        state.has_accounts.store(true, Ordering::Relaxed);
    }
    Ok(!exists)
}
