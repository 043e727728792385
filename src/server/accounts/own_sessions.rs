//! The account page's "where you are logged in": the person's own live
//! sessions (browser and system read from the User-Agent, address, when it
//! began and was last used) and the apps that can still act for them, each
//! of which they can end.

use crate::{
    domain::{AppGrantEntry, CurrentUser, SessionEntry, SessionsOverview},
    error::AppError,
    server::{
        db,
        mail::templates::format_time,
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            tokens,
        },
        AppState, ServiceError,
    },
};

/// A session's name on the page: a hash of its stored hash, so the page
/// never shows what looks a session up.
fn handle(id_hash: &str) -> String {
    tokens::hash(id_hash)[..24].to_owned()
}

/// Browser and system from a User-Agent, as Project Woothee's data names
/// them; empty where it does not know.
fn browser_and_os(user_agent: Option<&str>) -> (String, String) {
    let known =
        |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned());
    user_agent
        .and_then(|ua| woothee::parser::Parser::new().parse(ua))
        .map(|r| {
            (
                known(r.name).unwrap_or_default(),
                known(r.os).unwrap_or_default(),
            )
        })
        .unwrap_or_default()
}

/// The person's live sessions, this one marked, and their apps.
pub async fn overview(
    state: &AppState,
    user: &CurrentUser,
    current_session: Option<&str>,
) -> Result<SessionsOverview, ServiceError> {
    let now = state.clock.now();
    let tz = state.settings.time_zone;
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let current = current_session.map(tokens::hash);
    let mut conn = state.db.conn().await?;
    let sessions = db::sessions::list_live_for_user(&mut conn, user.id, now, idle)
        .await?
        .into_iter()
        .map(|s| {
            let (browser, os) = browser_and_os(s.user_agent.as_deref());
            SessionEntry {
                handle: handle(&s.id_hash),
                current: current.as_deref() == Some(s.id_hash.as_str()),
                browser,
                os,
                address: s.ip.unwrap_or_default(),
                started: format_time(s.created_at, tz),
                last_seen: format_time(s.last_seen_at, tz),
            }
        })
        .collect();
    let apps = db::oidc::live_grants_of_user(&mut conn, user.id, now)
        .await?
        .into_iter()
        .map(|g| AppGrantEntry {
            client_id: g.client_id,
            name: g.name,
            since: format_time(g.since, tz),
        })
        .collect();
    Ok(SessionsOverview { sessions, apps })
}

/// Ends the person's session named `handle` (404 when it is not theirs or
/// has ended already).
pub async fn end_session(
    state: &AppState,
    user: &CurrentUser,
    handle_given: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let mut tx = state.db.begin().await?;
    let target = db::sessions::list_live_for_user(&mut tx, user.id, now, idle)
        .await?
        .into_iter()
        .find(|s| handle(&s.id_hash) == handle_given)
        .ok_or(AppError::NotFound)?;
    db::sessions::delete_of_user(&mut tx, user.id, &target.id_hash).await?;
    let (browser, os) = browser_and_os(target.user_agent.as_deref());
    let detail = format!(
        "{browser} {os} from {}",
        target.ip.as_deref().unwrap_or("?")
    );
    let entry = Entry::new(Event::SessionEnded)
        .about(Who::user(user.id, &user.email))
        .detail(detail.trim());
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every sign-in the person gave app `client_id`: its tokens stop
/// working at once (404 when it holds none).
pub async fn end_app(
    state: &AppState,
    user: &CurrentUser,
    client_id: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if db::oidc::revoke_user_app_grants(&mut tx, user.id, client_id, now).await? == 0 {
        return Err(AppError::NotFound.into());
    }
    let entry = Entry::new(Event::AppAccessEnded)
        .about(Who::user(user.id, &user.email))
        .detail(client_id);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::browser_and_os;

    #[test]
    fn user_agents_read_as_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(
            browser_and_os(Some(chrome)),
            ("Chrome".to_owned(), "Linux".to_owned())
        );
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_and_os(Some(firefox)).0, "Firefox");
        assert_eq!(browser_and_os(Some("curl/8.5.0")).0, "HTTP Library");
        assert_eq!(browser_and_os(Some("x")), (String::new(), String::new()));
        assert_eq!(browser_and_os(None), (String::new(), String::new()));
    }
}
