//! Two-step verification as a person and a site admin do it: the security
//! page's forms, the login's second step, and an authenticator app whose
//! codes come from an implementation independent of the server's
//! (totp-lite).

use super::Browser;
use reqwest::Response;

/// Where the security page's forms are.
const SECURITY_PAGE: &str = "/account/security";

impl Browser {
    /// Turns on the authenticator app being set up with one of its codes.
    pub async fn set_up_app(&self, code: &str, password: &str) -> Response {
        crate::log_audit::note(password);
        self.submit(
            "set_up_app",
            SECURITY_PAGE,
            &[("code", code), ("current_password", password)],
        )
        .await
    }

    /// The same, on the way to `next`.
    pub async fn set_up_app_then(&self, code: &str, password: &str, next: &str) -> Response {
        crate::log_audit::note(password);
        self.submit(
            "set_up_app",
            SECURITY_PAGE,
            &[
                ("code", code),
                ("current_password", password),
                ("next", next),
            ],
        )
        .await
    }

    pub async fn remove_app(&self, password: &str) -> Response {
        self.submit(
            "remove_app",
            SECURITY_PAGE,
            &[("current_password", password)],
        )
        .await
    }

    pub async fn renew_recovery_codes(&self, password: &str) -> Response {
        self.submit(
            "renew_recovery_codes",
            SECURITY_PAGE,
            &[("current_password", password)],
        )
        .await
    }

    /// The login's second step with a code (an app's, or a recovery code).
    pub async fn verify_login(&self, code: &str) -> Response {
        // (Six digits valid for a minute are not looked for in the logs: a
        // log line's timestamps hold six-digit runs by chance.)
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            crate::log_audit::note(code);
        }
        self.submit("verify_login", "/login/verify", &[("code", code)])
            .await
    }

    /// A site admin turns off someone's two-step verification (`confirm`:
    /// the box ticked).
    pub async fn turn_off_two_step(&self, user_id: i64, confirm: bool) -> Response {
        let id = user_id.to_string();
        let mut form = vec![("id", id.as_str())];
        if confirm {
            form.push(("confirm", "yes"));
        }
        self.submit("admin/turn_off_two_step", "/admin/users", &form)
            .await
    }
}

/// The text of the element with `id` in `html` (its markup stripped).
fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open_end = start + html[start..].find('>')? + 1;
    let tag_start = html[..start].rfind('<')? + 1;
    let tag: String = html[tag_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let close = open_end + html[open_end..].find(&format!("</{tag}>"))?;
    Some(html[open_end..close].to_owned())
}

/// Markup stripped: the text a person reads.
fn text_of(fragment: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The recovery codes a security page shows once (`#recovery-codes`, one
/// per `<li>`); none when it shows none.
pub fn recovery_codes(html: &str) -> Vec<String> {
    let Some(list) = element_text(html, "recovery-codes") else {
        return Vec::new();
    };
    let codes: Vec<String> = list
        .split("<li>")
        .skip(1)
        .map(|item| text_of(item.split("</li>").next().unwrap_or_default()))
        .collect();
    for code in &codes {
        crate::log_audit::note(code);
    }
    codes
}

/// An authenticator app, as a person's phone runs it: the key read off the
/// security page (`#totp-secret`, base32), codes made by totp-lite.
pub struct Authenticator {
    key: Vec<u8>,
}

impl Authenticator {
    /// The app set up from the key the security page shows.
    pub fn from_page(html: &str) -> Authenticator {
        let shown = element_text(html, "totp-secret").expect("the page shows the key");
        let base32 = text_of(&shown);
        crate::log_audit::note(&base32);
        let key = data_encoding::BASE32_NOPAD
            .decode(base32.as_bytes())
            .expect("the key is base32");
        Authenticator { key }
    }

    /// The 6-digit code for the 30-second step of `unix_secs`.
    pub fn code_at(&self, unix_secs: i64) -> String {
        totp_lite::totp_custom::<totp_lite::Sha1>(
            30,
            6,
            &self.key,
            u64::try_from(unix_secs).unwrap(),
        )
    }
}
