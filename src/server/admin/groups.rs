//! Groups: site admins (and the operator's command line) make and remove
//! them and put people in and out. Apps learn a person's groups from the
//! `groups` claim, forward-auth from `Remote-Groups`. Everything is
//! audited, with who did it.

use super::actor;
use crate::{
    domain::{CurrentUser, Email, GroupName},
    error::{AppError, Field, Problem},
    server::{
        db,
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
        },
        AppState, ServiceError,
    },
};

/// A group and how many people are in it.
pub use db::groups::GroupRow as GroupSummary;

/// Every group with its member count, by name.
pub async fn list(state: &AppState) -> Result<Vec<GroupSummary>, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(db::groups::list(&mut conn).await?)
}

/// Makes a group (a name taken already is refused on the field `name`).
pub async fn create(
    state: &AppState,
    by: Option<&CurrentUser>,
    name: &GroupName,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    match db::groups::insert(&mut tx, name.as_str(), now).await {
        Err(e) if db::is_unique_violation(&e) => {
            return Err(AppError::field(Field::Name, Problem::AlreadyTaken).into())
        }
        other => other?,
    };
    let entry = Entry::new(Event::GroupCreated)
        .by(actor(by))
        .detail(name.as_str());
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a group; its members leave it. A group that apps admit by is
/// refused (on the field `name`): taken away, it would leave such an app
/// admitting everyone.
pub async fn remove(
    state: &AppState,
    by: Option<&CurrentUser>,
    name: &GroupName,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = db::groups::find_id(&mut tx, name.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let apps = db::apps::names_admitting_group(&mut tx, group).await?;
    if !apps.is_empty() {
        let apps = apps.join(", ");
        return Err(AppError::field(Field::Name, Problem::GroupInUse { apps }).into());
    }
    db::groups::delete(&mut tx, name.as_str()).await?;
    let entry = Entry::new(Event::GroupDeleted)
        .by(actor(by))
        .detail(name.as_str());
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a membership change added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Add,
    Remove,
}

/// Puts the person with `email` in group `name`, or takes them out. True
/// when that changed anything (adding a member twice changes nothing).
pub async fn change_member(
    state: &AppState,
    by: Option<&CurrentUser>,
    name: &GroupName,
    email: &str,
    change: Membership,
    meta: &RequestMeta,
) -> Result<bool, ServiceError> {
    let email = Email::parse(email).map_err(|p| AppError::field(Field::Email, p))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = db::groups::find_id(&mut tx, name.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let person = db::users::find_by_email(&mut tx, &email.normalized())
        .await?
        .ok_or(AppError::field(Field::Email, Problem::NoSuchAccount))?;
    let (changed, event) = match change {
        Membership::Add => (
            db::groups::add_member(&mut tx, group, person.id, now).await?,
            Event::GroupMemberAdded,
        ),
        Membership::Remove => (
            db::groups::remove_member(&mut tx, group, person.id).await?,
            Event::GroupMemberRemoved,
        ),
    };
    if changed {
        let mut detail = name.as_str().to_owned();
        // Out of a group an app admits by: their sign-ins to it end now.
        if change == Membership::Remove {
            let ended = db::oidc::revoke_unadmitted_of_user(&mut tx, person.id, now).await?;
            if ended > 0 {
                detail.push_str(&format!(" ({ended} sign-ins no longer admitted ended)"));
            }
        }
        let entry = Entry::new(event)
            .by(actor(by))
            .on(Who::user(person.id, person.email.as_str()))
            .detail(&detail);
        audit::record(&mut tx, now, meta, entry).await?;
    }
    tx.commit().await?;
    Ok(changed)
}
