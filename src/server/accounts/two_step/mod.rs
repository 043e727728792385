//! Two-step verification: an authenticator app (TOTP), recovery codes and
//! passkeys; the login's second step; and the site's policy of who must
//! have one.
//!
//! A login whose password is right, for an account with a second factor,
//! starts no session: it leaves a pending login on the server (the hash of
//! a random id, bound to the browser by a cookie, single use, five
//! minutes), and `/login/verify` finishes it ([`verify`]). The security
//! page manages a person's factors ([`manage`]); WebAuthn's ceremonies
//! answer the browser's small script ([`routes`]).

pub mod manage;
pub mod passkeys;
pub mod recovery;
pub mod routes;
pub mod totp;
pub mod verify;

use crate::server::{
    db::{self, write::WriteConn},
    platform::{config::Settings, tokens},
};
use cookie::{Cookie, SameSite};
use http::HeaderMap;

/// What an authenticator app's key is sealed for (`SecretKey::seal`).
pub const TOTP_PURPOSE: &str = "totp key";

/// How long a login waits for its second step.
pub const PENDING_SECS: i64 = 300;

/// The cookies that bind something under way to one browser: a login
/// waiting for its second step, and a WebAuthn ceremony. HttpOnly,
/// SameSite=Strict, for this host only, five minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    PendingLogin,
    Ceremony,
}

impl Bound {
    pub fn name(self, settings: &Settings) -> &'static str {
        match (self, settings.cookie_secure()) {
            (Bound::PendingLogin, true) => "__Host-gatehouse_pending",
            (Bound::PendingLogin, false) => "gatehouse_pending",
            (Bound::Ceremony, true) => "__Host-gatehouse_webauthn",
            (Bound::Ceremony, false) => "gatehouse_webauthn",
        }
    }

    /// The `Set-Cookie` value that gives the browser `id`.
    pub fn set(self, settings: &Settings, id: &str) -> String {
        self.build(settings, id, PENDING_SECS)
    }

    /// The `Set-Cookie` value that makes the browser forget it.
    pub fn clear(self, settings: &Settings) -> String {
        self.build(settings, "", 0)
    }

    fn build(self, settings: &Settings, value: &str, secs: i64) -> String {
        Cookie::build((self.name(settings), value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(settings.cookie_secure())
            .max_age(cookie::time::Duration::seconds(secs))
            .build()
            .to_string()
    }

    /// The id the browser holds, if it has the right shape.
    pub fn read(self, settings: &Settings, headers: &HeaderMap) -> Option<String> {
        let name = self.name(settings);
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned())
            .filter(|v| tokens::well_formed(v))
    }
}

/// A login waiting for its second step, made ready before the write that
/// stores it: the id for the browser's cookie, and what is stored of it.
pub struct PendingLogin {
    pub id: String,
    id_hash: String,
    next: String,
    now: i64,
}

impl PendingLogin {
    /// `next`: where the login goes once verified (already made safe).
    pub fn new(now: i64, next: &str) -> Self {
        let id = tokens::generate();
        Self {
            id_hash: tokens::hash(&id),
            id,
            next: next.to_owned(),
            now,
        }
    }

    pub async fn insert<C: WriteConn>(&self, conn: &mut C, user_id: i64) -> Result<(), db::Error> {
        conn.insert_pending_login(db::two_step::NewPending {
            id_hash: &self.id_hash,
            user_id,
            next: Some(&self.next),
            now: self.now,
            expires_at: self.now + PENDING_SECS,
        })
        .await
    }
}

/// Whether the site requires this person to have a second factor, which
/// they have not: until they set one up they may do nothing else.
pub fn must_set_up(settings: &Settings, role: crate::domain::Role, has_factor: bool) -> bool {
    settings.two_factor_required(role) && !has_factor
}

/// The security page, and back to `next` once a factor is set up.
pub fn set_up_first(next: &str) -> String {
    if next == "/account" || next.is_empty() {
        return "/account/security".to_owned();
    }
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/account/security?next={next}")
}
