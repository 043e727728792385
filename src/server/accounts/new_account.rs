//! Creating accounts: by a site admin, by the CLI, and (through
//! `setup`) the first site admin.

use crate::{
    domain::{password::Secret, CurrentUser, Email, Name, Role},
    error::{AppError, Field, Problem, Problems},
    server::{
        accounts::{account_mail::queue_link, passwords::NewPassword},
        db,
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            config::Settings,
            tokens::{self, Purpose},
        },
        AppState, ServiceError,
    },
};

/// How a new account gets its password, as the form says it.
pub enum InitialPassword {
    /// Typed by its owner on the spot (password and confirmation).
    Typed { password: Secret, confirm: Secret },
    /// Sent a "set your password" link.
    Invite,
}

/// How a new account gets its password, checked.
pub enum FirstPassword {
    Typed(NewPassword),
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
    pub password: FirstPassword,
    /// The language of their mail, when someone chose one for them (the
    /// admin adding them); theirs to change later.
    pub language: Option<crate::i18n::Lang>,
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
        let password = match password {
            InitialPassword::Typed { password, confirm } => {
                let local = email.as_ref().map(Email::local_part);
                NewPassword::parse(
                    &mut problems,
                    &settings.password_policy(),
                    Field::Password,
                    password,
                    &confirm,
                    local.as_deref(),
                )
                .map(FirstPassword::Typed)
            }
            InitialPassword::Invite => Some(FirstPassword::Invite),
        };
        let parsed = problems.finish(email.zip(name).zip(role).zip(password))?;
        let (((email, name), role), password) = parsed;
        Ok(Self {
            email,
            name,
            role,
            password,
            language: None,
        })
    }

    /// The language of their mail, chosen for them: a tag the site offers
    /// (the add-user form's field `language`); empty chooses none.
    pub fn in_language(mut self, settings: &Settings, tag: &str) -> Result<Self, AppError> {
        if tag.trim().is_empty() {
            return Ok(self);
        }
        let lang = crate::i18n::Lang::from_tag(tag.trim())
            .filter(|lang| settings.languages.contains(lang))
            .ok_or_else(|| AppError::field(Field::Language, Problem::InvalidChoice))?;
        self.language = Some(lang);
        Ok(self)
    }

    /// Its password's hash, made before any transaction: no lock is held
    /// while argon2 runs.
    pub async fn hash(&self, state: &AppState) -> Result<Option<String>, ServiceError> {
        Ok(match &self.password {
            FirstPassword::Typed(password) => Some(state.hasher.hash(password).await?),
            FirstPassword::Invite => None,
        })
    }
}

/// Creates an account for a site admin (`actor`) or the CLI, and sends an
/// invitation when it has no password. Returns the new user's id.
pub async fn create_account(
    state: &AppState,
    actor: Option<&CurrentUser>,
    account: NewAccount,
    meta: &RequestMeta,
) -> Result<i64, ServiceError> {
    let hash = account.hash(state).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let actor = actor.map(|a| Who::user(a.id, &a.email)).unwrap_or_default();
    let id = store(&mut tx, &account, hash.as_deref(), now).await?;
    let created = Who::user(id, account.email.as_str());
    let detail = format!("role {}", account.role.as_str());
    let entry = Entry::new(Event::UserCreated)
        .by(actor)
        .on(created)
        .detail(&detail);
    audit::record(&mut tx, now, meta, entry).await?;
    if let FirstPassword::Invite = account.password {
        // The language chosen for them, or the site's: never the admin's
        // own by accident.
        let lang = account
            .language
            .unwrap_or_else(|| state.settings.default_language());
        queue_link(
            &mut tx,
            state,
            (Purpose::Invite, lang),
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

/// Stores a new account inside the caller's transaction; an address
/// already in use is the email field's problem.
pub async fn store(
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
            subject: &tokens::subject(),
            language: account.language.map(crate::i18n::Lang::tag),
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
