//! Groups: site admins (and the operator's command line) make and remove
//! them and put people in and out. Apps learn a person's groups from the
//! `groups` claim, forward-auth from `Remote-Groups`. Everything is
//! audited, with who did it.

use super::actor;
use crate::{
    domain::{CurrentUser, Email, GroupMember, GroupName, GroupSummary, MembersPage},
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

/// Every group with its member count, by name.
pub async fn list(state: &AppState) -> Result<Vec<GroupSummary>, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(db::groups::list(&mut conn)
        .await?
        .into_iter()
        .map(|(name, members)| GroupSummary { name, members })
        .collect())
}

/// How many members a page of `/admin/groups` shows.
const MEMBERS_PAGE: i64 = 50;

/// A page of a group's members, newest account first, below `before`;
/// only those whose email or name holds `term`, if one is given.
pub async fn members(
    state: &AppState,
    name: &GroupName,
    term: Option<&str>,
    before: Option<i64>,
) -> Result<MembersPage, ServiceError> {
    let term = term
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    if term.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(AppError::field(Field::Email, Problem::TooLong { max: 100 }).into());
    }
    let mut conn = state.db.conn().await?;
    let group = db::groups::find_id(&mut conn, name.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let (rows, older) = db::groups::members_page(
        &mut conn,
        state.db.engine,
        group,
        term.as_deref(),
        before.unwrap_or(i64::MAX),
        MEMBERS_PAGE,
    )
    .await?;
    Ok(MembersPage {
        group: name.as_str().to_owned(),
        count: match before {
            None => Some(db::groups::count_members(&mut conn, group).await?),
            Some(_) => None,
        },
        members: rows
            .into_iter()
            .map(|(id, email, name)| GroupMember { id, email, name })
            .collect(),
        older,
    })
}

/// Gives a person exactly these groups (each must exist): every one added
/// or left is audited, and leaving one ends the sign-ins to apps that no
/// longer admit them.
pub async fn set_of_person(
    state: &AppState,
    by: &CurrentUser,
    user_id: i64,
    names: &[GroupName],
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let person = db::users::find_by_id(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ids = db::groups::ids_by_name(&mut tx).await?;
    let mut wanted = Vec::with_capacity(names.len());
    for name in names {
        let id = ids.get(name.as_str()).ok_or_else(|| {
            let name = name.as_str().to_owned();
            AppError::field(Field::Groups, Problem::NoSuchGroup { name })
        })?;
        wanted.push((name.as_str(), *id));
    }
    let now_in = db::groups::names_of_user(&mut tx, user_id).await?;
    let who = Who::user(person.id, person.email.as_str());
    let record = MembershipRecord {
        now,
        meta,
        by: Some(by),
        who,
    };
    for (name, id) in &wanted {
        if db::groups::add_member(&mut tx, *id, user_id, now).await? {
            record.write(&mut tx, Membership::Add, name, 0).await?;
        }
    }
    let mut left = Vec::new();
    for name in &now_in {
        if !wanted.iter().any(|(n, _)| n == name) {
            db::groups::remove_member(&mut tx, ids[name.as_str()], user_id).await?;
            left.push(name.as_str());
        }
    }
    if !left.is_empty() {
        let ended = db::oidc::revoke_unadmitted_of_user(&mut tx, user_id, now).await?;
        for name in left {
            record
                .write(&mut tx, Membership::Remove, name, ended)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The audit entry of a membership change, with who made it and on whom.
struct MembershipRecord<'a> {
    now: i64,
    meta: &'a RequestMeta,
    by: Option<&'a CurrentUser>,
    who: Who<'a>,
}

impl MembershipRecord<'_> {
    /// Records `change` to `group`; `ended`: the app sign-ins it ended.
    async fn write(
        &self,
        tx: &mut db::Tx,
        change: Membership,
        group: &str,
        ended: u64,
    ) -> Result<(), ServiceError> {
        let event = match change {
            Membership::Add => Event::GroupMemberAdded,
            Membership::Remove => Event::GroupMemberRemoved,
        };
        let mut detail = group.to_owned();
        if ended > 0 {
            detail.push_str(&format!(" ({ended} sign-ins no longer admitted ended)"));
        }
        let entry = Entry::new(event)
            .by(actor(self.by))
            .on(self.who)
            .detail(&detail);
        audit::record(tx, self.now, self.meta, entry).await?;
        Ok(())
    }
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
    let changed = match change {
        Membership::Add => db::groups::add_member(&mut tx, group, person.id, now).await?,
        Membership::Remove => db::groups::remove_member(&mut tx, group, person.id).await?,
    };
    if changed {
        // Out of a group an app admits by: their sign-ins to it end now.
        let ended = match change {
            Membership::Add => 0,
            Membership::Remove => {
                db::oidc::revoke_unadmitted_of_user(&mut tx, person.id, now).await?
            }
        };
        let who = Who::user(person.id, person.email.as_str());
        let record = MembershipRecord { now, meta, by, who };
        record.write(&mut tx, change, name.as_str(), ended).await?;
    }
    tx.commit().await?;
    Ok(changed)
}
