//! Registering the apps that sign people in through Gatehouse: used by the
//! admin panel and by `gatehouse app …`. Every change is audited.

use super::actor;
use crate::{
    domain::{
        group::parse_group_names, AppCredentials, AppSummary, CurrentUser, GroupName, Name, Role,
    },
    error::{AppError, Field, Problem, Problems},
    server::{
        db::{self, apps::AppFields},
        mail::templates::format_time,
        platform::audit::{self, Entry, Event},
        platform::client::RequestMeta,
        platform::tokens,
        AppState, ServiceError,
    },
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

/// At most this many redirect URIs of each kind per app.
const MAX_URIS: usize = 20;

/// An app's settings, parsed from a form or the command line.
#[derive(Debug, Clone)]
pub struct AppInput {
    pub name: Name,
    pub redirect_uris: Vec<Url>,
    pub post_logout_redirect_uris: Vec<Url>,
    pub allowed_role: Role,
    /// Only people who logged in with a second step may sign in.
    pub two_factor: bool,
    /// Only members of these groups may sign in (none: no group rule).
    pub groups: Vec<GroupName>,
}

/// An app's settings as typed, before [`AppInput::parse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AppForm<'a> {
    pub name: &'a str,
    pub redirect_uris: &'a str,
    pub post_logout_redirect_uris: &'a str,
    pub allowed_role: &'a str,
    pub two_factor: bool,
    /// Group names separated by spaces or commas.
    pub groups: &'a str,
}

impl AppInput {
    /// URIs come one per line (or separated by spaces); at least one
    /// redirect URI is needed.
    pub fn parse(form: AppForm<'_>) -> Result<Self, AppError> {
        let AppForm {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            allowed_role,
            two_factor,
            groups,
        } = form;
        let mut problems = Problems::default();
        let name = problems.check(Field::Name, Name::parse(name));
        let redirect = problems.check(Field::RedirectUris, parse_uris(redirect_uris, true));
        let post_logout = problems.check(
            Field::PostLogoutUris,
            parse_uris(post_logout_redirect_uris, false),
        );
        let role = problems.check(Field::Role, Role::parse(allowed_role));
        let groups = problems.check(Field::Groups, parse_group_names(groups));
        let parsed = match (name, redirect, post_logout, role, groups) {
            (
                Some(name),
                Some(redirect_uris),
                Some(post_logout_redirect_uris),
                Some(allowed_role),
                Some(groups),
            ) => Some(Self {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                allowed_role,
                two_factor,
                groups,
            }),
            _ => None,
        };
        problems.finish(parsed)
    }
}

/// Absolute URLs without a fragment: https, or http to this machine only
/// (RFC 9700 §2.1); compared later character for character.
fn parse_uris(text: &str, required: bool) -> Result<Vec<Url>, Problem> {
    let mut uris = Vec::new();
    for item in text.split_whitespace() {
        let url = Url::parse(item).map_err(|_| Problem::InvalidRedirectUri)?;
        let loopback = matches!(url.host(), Some(url::Host::Domain("localhost")))
            || matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Problem::InvalidRedirectUri);
        }
        if !uris.contains(&url) {
            uris.push(url);
        }
    }
    if required && uris.is_empty() {
        return Err(Problem::Required);
    }
    if uris.len() > MAX_URIS {
        return Err(Problem::TooLong { max: MAX_URIS });
    }
    Ok(uris)
}

fn lines(uris: &[Url]) -> String {
    uris.iter().map(Url::as_str).collect::<Vec<_>>().join("\n")
}

impl AppInput {
    /// The redirect URIs as stored: one per line.
    fn stored_uris(&self) -> (String, String) {
        (
            lines(&self.redirect_uris),
            lines(&self.post_logout_redirect_uris),
        )
    }

    fn fields<'a>(&'a self, redirect_uris: &'a str, post_logout: &'a str) -> AppFields<'a> {
        AppFields {
            name: self.name.as_str(),
            redirect_uris,
            post_logout_redirect_uris: post_logout,
            allowed_role: self.allowed_role,
            two_factor: self.two_factor,
        }
    }
}

/// Client secrets are 256 random bits, so a fast hash is right (nothing to
/// guess); it is keyed by the client id, so equal secrets never share a
/// hash.
pub fn secret_hash(client_id: &str, secret: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"gatehouse client secret\0");
    digest.update(client_id.as_bytes());
    digest.update(b"\0");
    digest.update(secret.as_bytes());
    format!("{:x}", digest.finalize())
}

/// Whether `secret` is the app's (in constant time).
pub fn secret_matches(app: &db::apps::AppRow, secret: &str) -> bool {
    match &app.secret_hash {
        Some(stored) => bool::from(
            secret_hash(&app.client_id, secret)
                .as_bytes()
                .ct_eq(stored.as_bytes()),
        ),
        None => false,
    }
}

/// A client id: 128 random bits in hex. Never base64url: an id that began
/// with `-` would read as an option on the command line
/// (`gatehouse app remove -Dx…`).
fn new_client_id() -> String {
    tokens::subject()
}

fn detail(name: &str, client_id: &str) -> String {
    format!("{name} ({client_id})")
}

/// The ids of the named groups; one that does not exist is a problem on
/// the field `groups`.
async fn group_ids(conn: &mut db::Conn, names: &[GroupName]) -> Result<Vec<i64>, ServiceError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = db::groups::find_id(conn, name.as_str())
            .await?
            .ok_or_else(|| {
                AppError::field(
                    Field::Groups,
                    Problem::NoSuchGroup {
                        name: name.as_str().to_owned(),
                    },
                )
            })?;
        ids.push(id);
    }
    Ok(ids)
}

pub async fn add(
    state: &AppState,
    by: Option<&CurrentUser>,
    input: AppInput,
    public: bool,
    meta: &RequestMeta,
) -> Result<AppCredentials, ServiceError> {
    let now = state.clock.now();
    let client_id = new_client_id();
    let secret = (!public).then(tokens::generate);
    let hash = secret.as_deref().map(|s| secret_hash(&client_id, s));
    let (redirect_uris, post_logout) = input.stored_uris();
    let fields = input.fields(&redirect_uris, &post_logout);
    let mut tx = state.db.begin().await?;
    let groups = group_ids(&mut tx, &input.groups).await?;
    db::apps::insert(&mut tx, &client_id, hash.as_deref(), &fields, now).await?;
    db::apps::set_groups(&mut tx, &client_id, &groups).await?;
    let what = detail(input.name.as_str(), &client_id);
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::AppAdded).by(actor(by)).detail(&what),
    )
    .await?;
    tx.commit().await?;
    Ok(AppCredentials {
        client_id,
        name: input.name.as_str().to_owned(),
        client_secret: secret,
    })
}

pub async fn update(
    state: &AppState,
    by: &CurrentUser,
    client_id: &str,
    input: AppInput,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let (redirect_uris, post_logout) = input.stored_uris();
    let fields = input.fields(&redirect_uris, &post_logout);
    let mut tx = state.db.begin().await?;
    let groups = group_ids(&mut tx, &input.groups).await?;
    if !db::apps::update(&mut tx, client_id, &fields, now).await? {
        return Err(AppError::NotFound.into());
    }
    db::apps::set_groups(&mut tx, client_id, &groups).await?;
    // Made admins-only, limited to groups or to logins with two steps:
    // the sign-ins that no longer qualify end now.
    let ended = db::oidc::revoke_unadmitted_of_app(&mut tx, client_id, now).await?;
    let mut what = detail(input.name.as_str(), client_id);
    if ended > 0 {
        what.push_str(&format!(" ({ended} sign-ins no longer admitted ended)"));
    }
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::AppChanged)
            .by(actor(Some(by)))
            .detail(&what),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret for a confidential app; the old one stops working at once.
pub async fn rotate_secret(
    state: &AppState,
    by: &CurrentUser,
    client_id: &str,
    meta: &RequestMeta,
) -> Result<AppCredentials, ServiceError> {
    let now = state.clock.now();
    let secret = tokens::generate();
    let mut tx = state.db.begin().await?;
    let app = db::apps::find(&mut tx, client_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if app.is_public()
        || !db::apps::set_secret_hash(&mut tx, client_id, &secret_hash(client_id, &secret), now)
            .await?
    {
        return Err(AppError::BadRequest.into());
    }
    let what = detail(&app.name, client_id);
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::AppSecretRotated)
            .by(actor(Some(by)))
            .detail(&what),
    )
    .await?;
    tx.commit().await?;
    Ok(AppCredentials {
        client_id: client_id.to_owned(),
        name: app.name,
        client_secret: Some(secret),
    })
}

/// Removes the app; every sign-in to it (codes and tokens) ends with it.
pub async fn remove(
    state: &AppState,
    by: Option<&CurrentUser>,
    client_id: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = db::apps::find(&mut tx, client_id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::apps::delete(&mut tx, client_id).await?;
    let what = detail(&app.name, client_id);
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::AppRemoved).by(actor(by)).detail(&what),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The name of the app with this client id, if it is registered.
pub async fn name_of(state: &AppState, client_id: &str) -> Result<Option<String>, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(db::apps::find(&mut conn, client_id)
        .await?
        .map(|app| app.name))
}

pub async fn list(state: &AppState) -> Result<Vec<AppSummary>, ServiceError> {
    let mut conn = state.db.conn().await?;
    let tz = state.settings.time_zone;
    let mut groups = db::apps::all_group_names(&mut conn).await?;
    Ok(db::apps::list(&mut conn)
        .await?
        .into_iter()
        .map(|app| AppSummary {
            groups: groups
                .extract_if(.., |(client, _)| *client == app.client_id)
                .map(|(_, group)| group)
                .collect(),
            public: app.is_public(),
            redirect_uris: app.redirect_uris().map(str::to_owned).collect(),
            post_logout_redirect_uris: app.post_logout_redirect_uris().map(str::to_owned).collect(),
            allowed_role: app.allowed_role,
            two_factor: app.two_factor,
            created: format_time(app.created_at, tz),
            name: app.name,
            client_id: app.client_id,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_absolute_https_or_loopback_http_without_fragments() {
        let ok = parse_uris(
            "https://app.example.com/cb\n http://127.0.0.1:8080/cb http://localhost/cb",
            true,
        )
        .unwrap();
        assert_eq!(ok.len(), 3);
        for bad in [
            "http://app.example.com/cb",
            "https://a.test/cb#x",
            "/cb",
            "javascript:alert(1)",
            "https://u:p@a.test/",
        ] {
            assert_eq!(
                parse_uris(bad, true),
                Err(Problem::InvalidRedirectUri),
                "{bad}"
            );
        }
        assert_eq!(parse_uris("  ", true), Err(Problem::Required));
        assert_eq!(parse_uris("", false), Ok(vec![]));
    }

    #[test]
    fn client_ids_are_hex_so_the_command_line_takes_them_as_they_are() {
        for _ in 0..64 {
            let id = new_client_id();
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }

    #[test]
    fn secrets_are_hashed_per_client_and_compared_exactly() {
        assert_ne!(secret_hash("a", "s"), secret_hash("b", "s"));
        let app = db::apps::AppRow {
            client_id: "a".into(),
            name: "A".into(),
            secret_hash: Some(secret_hash("a", "s")),
            redirect_uris: String::new(),
            post_logout_redirect_uris: String::new(),
            allowed_role: Role::User,
            two_factor: false,
            created_at: 0,
            updated_at: 0,
        };
        assert!(secret_matches(&app, "s"));
        assert!(!secret_matches(&app, "t"));
    }
}
