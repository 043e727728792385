//! Server-side sessions: a random id in an HttpOnly cookie, its SHA-256 in
//! the database, idle and absolute timeouts.

use crate::{
    domain::CurrentUser,
    server::{
        db::{self, write::WriteConn},
        platform::{client::RequestMeta, config::Settings, secret_key::SecretKey, tokens},
        AppState,
    },
};
use cookie::{Cookie, SameSite};
use http::HeaderMap;

/// On https the `__Host-` prefix pins the cookie to this exact origin: the
/// session cookie is never shared with other hosts (forward-auth apps on
/// sibling hosts get a credential of their own, [`forward_auth_cookie`]).
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.cookie_secure() {
        "__Host-gatehouse_session"
    } else {
        "gatehouse_session"
    }
}

/// The forward-auth cookie's name: shared with the parent domain
/// (`site.cookie_domain`), so `__Secure-` at most on https.
pub fn forward_auth_cookie_name(settings: &Settings) -> &'static str {
    if settings.cookie_secure() {
        "__Secure-gatehouse_forward_auth"
    } else {
        "gatehouse_forward_auth"
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure on https, host-only,
/// for the session's absolute lifetime.
pub fn set_cookie(settings: &Settings, id: &str) -> String {
    let max_age = i64::from(settings.auth.session_absolute_hours) * 3600;
    session_cookie(settings, id)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}

/// The cookies a new session sets: the session's, and with
/// `site.cookie_domain` the forward-auth credential for the sibling hosts.
pub fn set_cookies(state: &AppState, id: &str) -> Vec<String> {
    let mut cookies = vec![set_cookie(&state.settings, id)];
    if let Some(domain) = &state.settings.cookie_domain {
        let max_age = i64::from(state.settings.auth.session_absolute_hours) * 3600;
        let value = forward_auth_credential(&state.secret, &tokens::hash(id));
        cookies.push(
            forward_auth_cookie(&state.settings, &value, domain)
                .max_age(cookie::time::Duration::seconds(max_age))
                .build()
                .to_string(),
        );
    }
    cookies
}

/// Tells the browser to forget the session cookie.
pub fn clear_cookie(settings: &Settings) -> String {
    session_cookie(settings, "")
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

/// Tells the browser to forget the session's cookies (the forward-auth
/// credential too).
pub fn clear_cookies(settings: &Settings) -> Vec<String> {
    let mut cookies = vec![clear_cookie(settings)];
    if let Some(domain) = &settings.cookie_domain {
        cookies.push(
            forward_auth_cookie(settings, "", domain)
                .max_age(cookie::time::Duration::ZERO)
                .build()
                .to_string(),
        );
    }
    cookies
}

fn session_cookie<'c>(settings: &Settings, value: &'c str) -> cookie::CookieBuilder<'c> {
    Cookie::build((cookie_name(settings), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.cookie_secure())
}

fn forward_auth_cookie<'c>(
    settings: &Settings,
    value: &'c str,
    domain: &str,
) -> cookie::CookieBuilder<'c> {
    Cookie::build((forward_auth_cookie_name(settings), value))
        .path("/")
        .domain(domain.to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.cookie_secure())
}

/// The forward-auth credential of the session stored under `id_hash`:
/// the stored hash and a keyed hash of it. `/auth/verify` finds the
/// session by it; everywhere else it is no session at all (a session
/// cookie is looked up by its hash, and this is not an id whose hash is
/// stored), and it gives no way to the session's id.
fn forward_auth_credential(key: &SecretKey, id_hash: &str) -> String {
    format!(
        "{id_hash}.{}",
        &key.keyed_hash("forward-auth", id_hash.as_bytes())[..32]
    )
}

/// The session hash a forward-auth credential names, if the server made it.
fn open_forward_auth(key: &SecretKey, value: &str) -> Option<String> {
    let (id_hash, mac) = value.split_once('.')?;
    let expected = forward_auth_credential(key, id_hash);
    let same: bool = subtle::ConstantTimeEq::ct_eq(value.as_bytes(), expected.as_bytes()).into();
    (same && !mac.is_empty()).then(|| id_hash.to_owned())
}

/// The values of the cookies named `name` in the request: a request that
/// carries two (one planted by a sibling host ahead of the real one, say)
/// is refused by the callers.
fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .collect()
}

/// The session id from the Cookie header, if it has the right shape and
/// is the only one: two session cookies are no session.
pub fn read_cookie(settings: &Settings, headers: &HeaderMap) -> Option<String> {
    match cookie_values(headers, cookie_name(settings)).as_slice() {
        [one] => Some(one.clone()).filter(|v| tokens::well_formed(v)),
        _ => None,
    }
}

/// How a session began, as RFC 8176 names the methods (`amr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// The password alone.
    Password,
    /// The password, then an authenticator app's code or a recovery code.
    PasswordAndCode,
    /// The password, then a passkey.
    PasswordAndPasskey,
    /// A passkey alone, which verified its user: two factors in one.
    Passkey,
}

impl SignIn {
    /// The `amr` values, space-separated, as stored.
    pub fn amr(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::PasswordAndCode => "pwd otp mfa",
            Self::PasswordAndPasskey => "pwd hwk mfa",
            Self::Passkey => "hwk user mfa",
        }
    }

    /// From the stored `amr`; anything unknown counts as the password alone.
    pub fn of_amr(amr: &str) -> Self {
        [
            Self::PasswordAndCode,
            Self::PasswordAndPasskey,
            Self::Passkey,
        ]
        .into_iter()
        .find(|s| s.amr() == amr)
        .unwrap_or(Self::Password)
    }

    /// Whether two factors were shown.
    pub fn two_factor(self) -> bool {
        self != Self::Password
    }
}

/// A session made ready before its write transaction: the id for the
/// cookie, and what is stored of it (the id's hash).
pub struct Fresh {
    pub id: String,
    id_hash: String,
    user_id: i64,
    now: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    sign_in: SignIn,
}

impl Fresh {
    pub fn new(
        settings: &Settings,
        now: i64,
        user_id: i64,
        meta: &RequestMeta,
        sign_in: SignIn,
    ) -> Self {
        let id = tokens::generate();
        Self {
            id_hash: tokens::hash(&id),
            id,
            user_id,
            now,
            expires_at: now + i64::from(settings.auth.session_absolute_hours) * 3600,
            ip: meta.ip(),
            user_agent: meta
                .user_agent
                .as_deref()
                .map(|ua| ua.chars().take(200).collect()),
            sign_in,
        }
    }

    fn row(&self) -> db::sessions::NewSession<'_> {
        db::sessions::NewSession {
            id_hash: &self.id_hash,
            user_id: self.user_id,
            now: self.now,
            expires_at: self.expires_at,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            amr: self.sign_in.amr(),
        }
    }

    pub async fn insert<C: WriteConn>(&self, conn: &mut C) -> Result<(), db::Error> {
        conn.insert_session(self.row()).await
    }
}

/// The user behind a session id, if the session is live. Refreshes the idle
/// timer at most once a minute to spare the database a write per request.
pub async fn resolve(state: &AppState, id: &str) -> sqlx::Result<Option<CurrentUser>> {
    Ok(resolve_session(state, id).await?.map(|s| s.user))
}

/// A live session: its person, and what apps are told about them.
pub struct LiveSession {
    pub user: CurrentUser,
    /// When they entered their password (OpenID Connect `auth_time`).
    pub auth_time: i64,
    /// Their stable identifier for apps (OpenID Connect `sub`).
    pub subject: String,
    pub email_verified: bool,
    /// How the session began.
    pub sign_in: SignIn,
    /// Whether the person has a second factor.
    pub has_factor: bool,
    /// The names of the person's groups, in order: read only for
    /// forward-auth ([`for_forward_auth`]), empty elsewhere.
    pub groups: Vec<String>,
}

/// The live session whose id the request's cookie carries, if any: for
/// handlers that answer outside Leptos (OpenID Connect, forward-auth).
pub async fn from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> sqlx::Result<Option<LiveSession>> {
    match read_cookie(&state.settings, headers) {
        Some(id) => resolve_session(state, &id).await,
        None => Ok(None),
    }
}

/// The live session a forward-auth sub-request carries: the forward-auth
/// credential (apps on sibling hosts), or on Gatehouse's own host the
/// session cookie. Two of either are refused.
pub async fn for_forward_auth(
    state: &AppState,
    headers: &HeaderMap,
) -> sqlx::Result<Option<LiveSession>> {
    let credentials = cookie_values(headers, forward_auth_cookie_name(&state.settings));
    match credentials.as_slice() {
        [] => match read_cookie(&state.settings, headers) {
            Some(id) => resolve_hash(state, &tokens::hash(&id), WithGroups::Yes).await,
            None => Ok(None),
        },
        [one] => match open_forward_auth(&state.secret, one) {
            Some(hash) => resolve_hash(state, &hash, WithGroups::Yes).await,
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// Whether a session's lookup reads the person's groups too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WithGroups {
    No,
    Yes,
}

/// The session behind an id, if it is live; see [`resolve`].
pub async fn resolve_session(state: &AppState, id: &str) -> sqlx::Result<Option<LiveSession>> {
    resolve_hash(state, &tokens::hash(id), WithGroups::No).await
}

/// The session stored under `hash`, if it is live.
async fn resolve_hash(
    state: &AppState,
    hash: &str,
    with_groups: WithGroups,
) -> sqlx::Result<Option<LiveSession>> {
    let hash = hash.to_owned();
    let now = state.clock.now();
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let mut conn = state.db.conn().await?;
    let found = match with_groups {
        WithGroups::No => db::sessions::find_live(&mut conn, &hash, now, idle)
            .await?
            .map(|row| (row, Vec::new())),
        WithGroups::Yes => {
            let engine = state.db.engine;
            db::sessions::find_live_with_groups(&mut conn, engine, &hash, now, idle).await?
        }
    };
    let Some((row, groups)) = found else {
        return Ok(None);
    };
    if now - row.last_seen_at >= 60 {
        db::sessions::touch(&mut conn, &hash, now).await?;
    }
    let must_set_up = state.settings.two_factor_required(row.role) && !row.has_factor;
    Ok(Some(LiveSession {
        groups,
        auth_time: row.created_at,
        subject: row.subject,
        email_verified: row.email_verified,
        sign_in: SignIn::of_amr(&row.amr),
        has_factor: row.has_factor,
        user: CurrentUser {
            id: row.user_id,
            email: row.email,
            name: row.name,
            role: row.role,
            must_set_up_two_step: must_set_up,
            language: row.language,
        },
    }))
}

/// Ends every session of the user but the one with `keep_hash`, and every
/// app sign-in made from the account: their OpenID Connect tokens stop
/// working at once. For a password reset or change, "log out everywhere",
/// and an account disabled or given a new address.
pub async fn end_everywhere(
    conn: &mut db::Conn,
    user_id: i64,
    keep_hash: Option<&str>,
    now: i64,
) -> sqlx::Result<u64> {
    let ended = match keep_hash {
        Some(keep) => db::sessions::delete_for_user_except(conn, user_id, keep).await?,
        None => db::sessions::delete_for_user(conn, user_id).await?,
    };
    db::oidc::revoke_user_grants(conn, user_id, now).await?;
    Ok(ended)
}

pub async fn end(state: &AppState, id: &str) -> sqlx::Result<()> {
    let mut conn = state.db.conn().await?;
    db::sessions::delete(&mut conn, &tokens::hash(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::platform::config::{Config, Settings};

    fn settings(public_url: &str) -> Settings {
        let mut c = Config::default();
        c.site.public_url = Some(public_url.parse().unwrap());
        Settings::from_config(c).unwrap()
    }

    #[test]
    fn the_cookie_is_httponly_lax_and_secure_on_https() {
        let plain = set_cookie(&settings("http://127.0.0.1:3000"), "abc");
        assert!(plain.starts_with("gatehouse_session=abc;"));
        assert!(
            plain.contains("HttpOnly")
                && plain.contains("SameSite=Lax")
                && !plain.contains("Secure")
        );
        let secure = set_cookie(&settings("https://id.example.com"), "abc");
        assert!(secure.starts_with("__Host-gatehouse_session=abc;") && secure.contains("; Secure"));
        let cleared = clear_cookie(&settings("http://127.0.0.1:3000"));
        assert!(cleared.starts_with("gatehouse_session=;") && cleared.contains("Max-Age=0"));
    }

    #[test]
    fn the_session_cookie_stays_on_this_host_and_forward_auth_gets_its_own() {
        let mut c = Config::default();
        c.site.public_url = Some("https://id.example.com".parse().unwrap());
        c.site.cookie_domain = Some(".Example.com".parse().unwrap());
        let s = Settings::from_config(c).unwrap();
        let session = set_cookie(&s, "abc");
        assert!(
            session.starts_with("__Host-gatehouse_session=abc;"),
            "{session}"
        );
        assert!(!session.contains("Domain="), "{session}");
        let key = SecretKey::from_bytes(&[5; 32]);
        let credential = forward_auth_credential(&key, "h4sh");
        assert_eq!(
            open_forward_auth(&key, &credential).as_deref(),
            Some("h4sh")
        );
        assert_eq!(open_forward_auth(&key, "h4sh."), None);
        assert_eq!(
            open_forward_auth(&key, &credential.replace("h4sh", "h4sx")),
            None
        );
        assert_eq!(
            open_forward_auth(&SecretKey::from_bytes(&[6; 32]), &credential),
            None
        );
        let mut c = Config::default();
        c.site.public_url = Some("https://id.example.com".parse().unwrap());
        c.site.cookie_domain = Some("other.test".parse().unwrap());
        assert!(Settings::from_config(c)
            .unwrap_err()
            .contains("site.cookie_domain"));
    }

    #[test]
    fn only_well_formed_ids_are_read_from_the_cookie_header() {
        let s = settings("http://127.0.0.1:3000");
        let id = tokens::generate();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            format!("other=1; gatehouse_session={id}").parse().unwrap(),
        );
        assert_eq!(read_cookie(&s, &headers), Some(id));
        headers.insert(
            http::header::COOKIE,
            "gatehouse_session=../../etc".parse().unwrap(),
        );
        assert_eq!(read_cookie(&s, &headers), None);
        // Two session cookies (one planted by a sibling host): none.
        let other = tokens::generate();
        headers.insert(
            http::header::COOKIE,
            format!(
                "gatehouse_session={other}; gatehouse_session={}",
                tokens::generate()
            )
            .parse()
            .unwrap(),
        );
        assert_eq!(read_cookie(&s, &headers), None);
    }
}
