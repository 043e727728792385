//! A browser that has logged in to an account before: a long-lived cookie
//! naming the account (by a keyed hash of its address) and a random id,
//! sealed with the server's key. Such a browser has a login allowance of
//! its own, so that someone elsewhere who keeps guessing an address's
//! password cannot keep its owner out (OWASP's authentication cheat sheet,
//! "account lockout": a device cookie). It proves nothing else: the password
//! is asked for as always.

use crate::server::{
    platform::{
        rate_limit::{self, Limit, Limits},
        secret_key::SecretKey,
        tokens,
    },
    AppState,
};
use cookie::{Cookie, SameSite};

/// How long a browser stays known after its last login.
pub const DAYS: i64 = 180;

/// The cookie's name: `__Host-` on https (this exact origin only, never a
/// sibling host's), without on plain http.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse_device"
    } else {
        "gatehouse_device"
    }
}

/// The seal of the device `id` for the account `email_normalized`.
fn seal(key: &SecretKey, email_normalized: &str, id: &str) -> String {
    key.keyed_hash(
        "known device",
        format!("{email_normalized}\n{id}").as_bytes(),
    )[..32]
        .to_owned()
}

/// A new cookie value for the account: `<id>.<seal>`.
pub fn issue(key: &SecretKey, email_normalized: &str) -> String {
    let id = tokens::generate();
    format!("{id}.{}", seal(key, email_normalized, &id))
}

/// The device's id, if `value` is a cookie Gatehouse made for this account.
pub fn recognise(key: &SecretKey, value: &str, email_normalized: &str) -> Option<String> {
    let (id, mac) = value.split_once('.')?;
    if !tokens::well_formed(id) {
        return None;
    }
    let expected = seal(key, email_normalized, id);
    let same: bool = subtle::ConstantTimeEq::ct_eq(mac.as_bytes(), expected.as_bytes()).into();
    same.then(|| id.to_owned())
}

/// The `Set-Cookie` value for the device cookie: HttpOnly, SameSite=Lax,
/// Secure on https, host-only, for [`DAYS`].
pub fn set_cookie(secure: bool, value: &str) -> String {
    Cookie::build((cookie_name(secure), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::days(DAYS))
        .build()
        .to_string()
}

/// The allowance of a login for the account: a known browser's own, or
/// the one of the account from the client's network (IPv4 /24, IPv6 /64)
/// and, looser, the account's across all networks (ten times the first).
/// The first key is the one a right password gives back.
pub fn login_keys(
    state: &AppState,
    email_normalized: &str,
    device: Option<&str>,
    network: &str,
) -> Vec<(String, Limit)> {
    let limit = Limits::login_account(state);
    if let Some(id) = device.and_then(|d| recognise(&state.secret, d, email_normalized)) {
        let subject = format!("{email_normalized}\n{id}");
        return vec![(rate_limit::key("login:device", &subject), limit)];
    }
    let subject = format!("{email_normalized}\n{network}");
    vec![
        (rate_limit::key("login:acct-net", &subject), limit),
        (
            all_networks_key(email_normalized),
            Limit {
                per_hour: limit.per_hour.saturating_mul(10),
                burst: limit.burst.saturating_mul(10),
            },
        ),
    ]
}

/// The account's allowance across all networks (lifted by a reset).
pub fn all_networks_key(email_normalized: &str) -> String {
    rate_limit::key("login:acct-all", email_normalized)
}

/// The allowance of the account from the network of the client
/// (lifted by a reset made from there).
pub fn network_key(email_normalized: &str, network: &str) -> String {
    rate_limit::key("login:acct-net", &format!("{email_normalized}\n{network}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_recognised_for_its_own_account_only() {
        let key = SecretKey::from_bytes(&[3; 32]);
        let value = issue(&key, "jane@example.test");
        let id = recognise(&key, &value, "jane@example.test").expect("recognised");
        assert!(value.starts_with(&id));
        assert_eq!(recognise(&key, &value, "john@example.test"), None);
        assert_eq!(
            recognise(
                &SecretKey::from_bytes(&[4; 32]),
                &value,
                "jane@example.test"
            ),
            None
        );
        let (id, _) = value.split_once('.').unwrap();
        assert_eq!(
            recognise(
                &key,
                &format!("{id}.{}", "0".repeat(32)),
                "jane@example.test"
            ),
            None
        );
        assert_eq!(recognise(&key, "nonsense", "jane@example.test"), None);
    }
}
