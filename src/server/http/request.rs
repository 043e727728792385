//! What a server function knows about the request it serves.

pub use crate::server::platform::client::RequestMeta;
use crate::{
    domain::CurrentUser,
    error::AppError,
    server::{accounts::sessions, platform::audit, AppState},
};
use http::{header, request::Parts, HeaderValue};
use leptos::prelude::{expect_context, use_context};

/// The shared state. It is missing only when the request has already
/// ended, as when a client goes away while its page is rendering: an
/// ordinary event, not an error of ours.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::debug!("request ended before it was served (client went away?)");
        AppError::Internal
    })
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

pub fn meta() -> RequestMeta {
    match parts() {
        Some(parts) => RequestMeta::of(&parts.headers, &parts.extensions),
        None => RequestMeta::default(),
    }
}

/// The raw session id from the request's cookie.
pub fn session_id(state: &AppState) -> Option<String> {
    parts().and_then(|p| sessions::read_cookie(&state.settings, &p.headers))
}

/// The logged-in user, if any.
pub async fn current_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(id) = session_id(state) else {
        return Ok(None);
    };
    sessions::resolve(state, &id).await.map_err(|e| {
        tracing::error!(error = %e, "session lookup failed");
        AppError::Internal
    })
}

/// The logged-in user; refused while the site requires them to set up
/// two-step verification first (they may do nothing else until then).
pub async fn require_user(state: &AppState) -> Result<CurrentUser, AppError> {
    let user = require_user_setting_up(state).await?;
    if user.must_set_up_two_step {
        return Err(AppError::TwoStepRequired);
    }
    Ok(user)
}

/// The logged-in user, even one who must set up two-step verification
/// first: for the security page, where they do.
pub async fn require_user_setting_up(state: &AppState) -> Result<CurrentUser, AppError> {
    current_user(state).await?.ok_or(AppError::Unauthorized)
}

/// A cookie of this request, by name.
pub fn cookie(name: &str) -> Option<String> {
    parts()?
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The request's headers (empty outside a request).
pub fn headers() -> http::HeaderMap {
    parts().map(|p| p.headers).unwrap_or_default()
}

/// The caller, if they are an active site admin; otherwise 401 or 403.
/// A refusal is an audit event (one entry per user and hour, counted).
pub async fn require_admin(state: &AppState) -> Result<CurrentUser, AppError> {
    let user = require_user(state).await?;
    if user.is_admin() {
        return Ok(user);
    }
    let path = parts().map(|p| p.uri.path().to_owned());
    let key = format!("user:{}", user.id);
    let recorded = async {
        let mut conn = state.db.conn().await?;
        audit::record_repeated(
            &mut conn,
            state.clock.now(),
            &meta(),
            audit::Repeated {
                entry: audit::Entry {
                    detail: path.as_deref(),
                    ..audit::Entry::new(audit::Event::AccessDenied)
                        .by(audit::Who::user(user.id, &user.email))
                },
                key: &key,
            },
        )
        .await
    }
    .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record a refused access");
    }
    Err(AppError::Forbidden)
}

/// Whether the admin gave their password in the last five minutes (see
/// `admin::password_again`).
pub async fn recent_password(
    state: &AppState,
) -> Result<crate::server::admin::password_again::Recent, AppError> {
    Ok(crate::server::admin::password_again::check(state, session_id(state).as_deref()).await?)
}

/// Refuses unless the admin gave their password in the last five minutes.
pub async fn require_recent_password(state: &AppState) -> Result<(), AppError> {
    recent_password(state).await?.require()
}

/// Sends a plain form post back to the page it came from (same origin
/// only), with `done=<what>` so the page can say what happened.
pub fn redirect_back_with(done: &str, fallback: &str) {
    let from = parts()
        .and_then(|p| {
            p.headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .and_then(|r| url::Url::parse(&r).ok());
    let expected = use_context::<AppState>().map(|s| s.settings.public_origin());
    let mut target = match from {
        Some(url) if Some(url.origin().ascii_serialization()) == expected => url,
        _ => url::Url::parse(&format!("http://x{fallback}")).expect("a local path"),
    };
    let kept: Vec<(String, String)> = target
        .query_pairs()
        .filter(|(k, _)| !matches!(k.as_ref(), "done" | "__err" | "__path"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    target.set_query(None);
    target
        .query_pairs_mut()
        .extend_pairs(kept)
        .append_pair("done", done);
    let path = match target.query() {
        Some(q) => format!("{}?{q}", target.path()),
        None => target.path().to_owned(),
    };
    leptos_axum::redirect(&path);
}

/// Something made once and shown once (an app's new secret, a
/// set-password link) travels to the admin's page in a short-lived cookie
/// of the admin's own browser (HttpOnly, SameSite=Strict, five minutes):
/// the server never stores it, and the page takes it and clears it.
#[derive(Debug, Clone, Copy)]
pub enum HandOver {
    AppCredentials,
    SetPasswordLink,
    /// New recovery codes, sealed with the server's key.
    RecoveryCodes,
}

impl HandOver {
    fn cookie(self, state: &AppState) -> &'static str {
        match (self, state.settings.cookie_secure()) {
            (HandOver::AppCredentials, true) => "__Host-gatehouse_new_app",
            (HandOver::AppCredentials, false) => "gatehouse_new_app",
            (HandOver::SetPasswordLink, true) => "__Host-gatehouse_new_link",
            (HandOver::SetPasswordLink, false) => "gatehouse_new_link",
            (HandOver::RecoveryCodes, true) => "__Host-gatehouse_new_codes",
            (HandOver::RecoveryCodes, false) => "gatehouse_new_codes",
        }
    }

    fn build(self, state: &AppState, value: String, minutes: i64) -> String {
        cookie::Cookie::build((self.cookie(state), value))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Strict)
            .secure(state.settings.cookie_secure())
            .max_age(cookie::time::Duration::minutes(minutes))
            .build()
            .to_string()
    }

    /// Hands `value` (cookie-safe characters only) to the admin's browser.
    pub fn give(self, state: &AppState, value: String) {
        set_cookie(self.build(state, value, 5));
    }

    /// Takes what was handed over, and clears the cookie.
    pub fn take(self, state: &AppState) -> Option<String> {
        let value = cookie(self.cookie(state))?;
        set_cookie(self.build(state, String::new(), 0));
        Some(value)
    }
}

/// What sealed recovery codes are sealed for.
const CODES_PURPOSE: &str = "recovery codes shown once";

/// The `Set-Cookie` value that hands new recovery codes to the person's
/// security page ([`HandOver`]), sealed: the browser keeps them for five
/// minutes at most, unreadable.
pub fn recovery_codes_cookie(state: &AppState, codes: &[String]) -> String {
    let sealed = state.secret.seal(CODES_PURPOSE, codes.join(" ").as_bytes());
    HandOver::RecoveryCodes.build(state, sealed, 5)
}

/// Takes the recovery codes handed over by [`recovery_codes_cookie`].
pub fn take_recovery_codes(state: &AppState) -> Option<Vec<String>> {
    let sealed = HandOver::RecoveryCodes.take(state)?;
    let codes = state.secret.open(CODES_PURPOSE, &sealed)?;
    let codes = String::from_utf8(codes).ok()?;
    Some(codes.split(' ').map(str::to_owned).collect())
}

/// Hands freshly made app credentials to the admin's page ([`HandOver`]).
pub fn hand_over_credentials(state: &AppState, made: &crate::domain::AppCredentials) {
    let value = format!(
        "{}.{}",
        made.client_id,
        made.client_secret.as_deref().unwrap_or_default()
    );
    HandOver::AppCredentials.give(state, value);
}

/// Takes the credentials handed over by [`hand_over_credentials`].
pub fn take_credentials(state: &AppState) -> Option<crate::domain::AppCredentials> {
    let value = HandOver::AppCredentials.take(state)?;
    let (client_id, secret) = value.split_once('.')?;
    Some(crate::domain::AppCredentials {
        client_id: client_id.to_owned(),
        name: String::new(),
        client_secret: (!secret.is_empty()).then(|| secret.to_owned()),
    })
}

pub fn set_cookie(value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        expect_context::<leptos_axum::ResponseOptions>().append_header(header::SET_COOKIE, v);
    }
}

/// Whether the request is a plain HTML form post (a browser without
/// JavaScript), not a call from our own client code.
pub fn is_plain_form_post() -> bool {
    parts().is_some_and(|p| {
        p.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Where a plain form post may redirect: the browser applies the page's
/// `form-action 'self'` to every hop of the redirects that follow a form
/// post, so a way out of the site (an app's sign-in, a forward-auth
/// return) first stops at `/continue`, which moves on without a form.
pub fn after_form_post(target: String) -> String {
    let leaves = target.starts_with("/oauth2/") || !target.starts_with('/');
    if leaves && is_plain_form_post() {
        let to: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        format!("/continue?to={to}")
    } else {
        target
    }
}

/// Where to continue after login: a local path, or a page on a host the
/// site lists in `site.allowed_return_hosts` (forward-auth apps); anything
/// else becomes `/account`.
pub fn safe_next(
    settings: &crate::server::platform::config::Settings,
    next: Option<&str>,
) -> String {
    match next.map(str::trim) {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        Some(p) if !p.chars().any(char::is_control) && !p.contains('\\') => {
            match url::Url::parse(p) {
                Ok(url) if settings.may_return_to(&url) => url.to_string(),
                _ => "/account".to_owned(),
            }
        }
        _ => "/account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;
    use crate::server::platform::config::{Config, Settings};

    #[test]
    fn only_local_paths_and_listed_hosts_are_followed_after_login() {
        let mut c = Config::default();
        c.site.public_url = Some("https://id.example.com".parse().unwrap());
        c.site.allowed_return_hosts = vec![
            "wiki.example.com".parse().unwrap(),
            "files.example.com:8443".parse().unwrap(),
        ];
        let s = Settings::from_config(c).unwrap();
        let safe_next = |next| safe_next(&s, next);
        assert_eq!(safe_next(Some("/admin/users?q=a")), "/admin/users?q=a");
        assert_eq!(
            safe_next(Some("https://wiki.example.com/p?x=1")),
            "https://wiki.example.com/p?x=1"
        );
        assert_eq!(
            safe_next(Some("https://files.example.com:8443/")),
            "https://files.example.com:8443/"
        );
        for evil in [
            "https://evil.test",
            "https://wiki.example.com.evil.test/",
            "https://files.example.com/",
            "https://user@wiki.example.com/",
            "javascript:alert(1)",
            "//evil.test",
            "/\\evil.test",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/account", "{evil}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
