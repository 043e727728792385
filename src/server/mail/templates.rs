//! The fixed texts of every mail. Admins cannot edit them.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub kind: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `Feb 26, 2014 05:37 PM UTC`: in the site's zone, always naming it.
pub fn format_time(unix_secs: i64, tz: Tz) -> String {
    match Utc.timestamp_opt(unix_secs, 0).single() {
        Some(t) => t
            .with_timezone(&tz)
            .format("%b %d, %Y %I:%M %p %Z")
            .to_string(),
        None => String::from("(unknown time)"),
    }
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_page(paragraphs: &[String]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n",
    );
    for p in paragraphs {
        html.push_str("<p>");
        html.push_str(p);
        html.push_str("</p>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn link_html(link: &str) -> String {
    let l = escape_html(link);
    format!("<a href=\"{l}\">{l}</a>")
}

fn hours_phrase(hours: u32) -> String {
    if hours == 1 {
        "1 hour".into()
    } else {
        format!("{hours} hours")
    }
}

/// The password reset request, in the words of the original help article.
pub fn reset_email(site_name: &str, link: &str, hours: u32, expires: &str) -> Rendered {
    let text = format!(
        "Someone requested that the password to your account at '{site_name}' be reset.\n\n\
         If this was not you, you may safely ignore this mail. If you wish to proceed and reset your password, please visit this address:\n\n\
         {link}\n\n\
         This password reset request will expire in {} on {expires}.\n",
        hours_phrase(hours)
    );
    let site = escape_html(site_name);
    let html = html_page(&[
        format!("Someone requested that the password to your account at '{site}' be reset."),
        "If this was not you, you may safely ignore this mail. If you wish to proceed and reset your password, please visit this address:".into(),
        link_html(link),
        format!("This password reset request will expire in {} on {}.", hours_phrase(hours), escape_html(expires)),
    ]);
    Rendered {
        kind: "reset",
        subject: "Password reset request".into(),
        text,
        html,
    }
}

/// The invitation sent when an admin adds a user without a password.
pub fn invite_email(site_name: &str, link: &str, hours: u32, expires: &str) -> Rendered {
    let text = format!(
        "An account has been created for you at '{site_name}'.\n\n\
         To choose your password and log in, please visit this address:\n\n\
         {link}\n\n\
         This link will expire in {} on {expires}.\n",
        hours_phrase(hours)
    );
    let site = escape_html(site_name);
    let html = html_page(&[
        format!("An account has been created for you at '{site}'."),
        "To choose your password and log in, please visit this address:".into(),
        link_html(link),
        format!(
            "This link will expire in {} on {}.",
            hours_phrase(hours),
            escape_html(expires)
        ),
    ]);
    Rendered {
        kind: "invite",
        subject: "Set your password".into(),
        text,
        html,
    }
}

/// Sent after every password change, so the owner learns of one they did not make.
pub fn password_changed_email(
    site_name: &str,
    when: &str,
    forgot_link: &str,
    admin_email: &str,
) -> Rendered {
    let text = format!(
        "The password to your account at '{site_name}' was changed on {when}.\n\n\
         If you made this change, you need not do anything.\n\n\
         If you did not, please reset your password at once at:\n\n\
         {forgot_link}\n\n\
         and tell the site administrator at {admin_email}.\n"
    );
    let html = html_page(&[
        format!(
            "The password to your account at '{}' was changed on {}.",
            escape_html(site_name),
            escape_html(when)
        ),
        "If you made this change, you need not do anything.".into(),
        "If you did not, please reset your password at once at:".into(),
        link_html(forgot_link),
        format!(
            "and tell the site administrator at {}.",
            escape_html(admin_email)
        ),
    ]);
    Rendered {
        kind: "password_changed",
        subject: "Your password was changed".into(),
        text,
        html,
    }
}

/// Sent to the old address when a site admin changes an account's email:
/// whoever controls the new address could otherwise take the account over
/// with a reset link, and the owner would never know.
pub fn email_changed_email(
    site_name: &str,
    new_email: &str,
    when: &str,
    admin_email: &str,
) -> Rendered {
    let text = format!(
        "The email of your account at '{site_name}' was changed to {new_email} by a site admin on {when}.\n\n         From now on, mail about your account goes to that address, and this address no longer logs in.\n\n         If this is wrong, contact the site administrator at {admin_email}.\n"
    );
    let html = html_page(&[
        format!(
            "The email of your account at '{}' was changed to {} by a site admin on {}.",
            escape_html(site_name),
            escape_html(new_email),
            escape_html(when)
        ),
        "From now on, mail about your account goes to that address, and this address no longer logs in.".into(),
        format!(
            "If this is wrong, contact the site administrator at {}.",
            escape_html(admin_email)
        ),
    ]);
    Rendered {
        kind: "email_changed",
        subject: "The email of your account was changed".into(),
        text,
        html,
    }
}

pub fn test_email(site_name: &str) -> Rendered {
    let text = format!("This is a test message from '{site_name}'. Mail delivery works.\n");
    let html = html_page(&[format!(
        "This is a test message from '{}'. Mail delivery works.",
        escape_html(site_name)
    )]);
    Rendered {
        kind: "test",
        subject: format!("Test message from {site_name}"),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_like_the_article_and_name_the_zone() {
        // 2014-02-26 17:37:00 UTC
        assert_eq!(
            format_time(1_393_436_220, chrono_tz::UTC),
            "Feb 26, 2014 05:37 PM UTC"
        );
        assert_eq!(
            format_time(1_393_436_220, chrono_tz::America::New_York),
            "Feb 26, 2014 12:37 PM EST"
        );
    }

    #[test]
    fn the_reset_mail_has_the_fixed_wording() {
        let m = reset_email(
            "Acme",
            "https://acme.test/reset-password/abc",
            24,
            "Feb 26, 2014 05:37 PM UTC",
        );
        assert_eq!(m.subject, "Password reset request");
        assert_eq!(
            m.text,
            "Someone requested that the password to your account at 'Acme' be reset.\n\n\
             If this was not you, you may safely ignore this mail. If you wish to proceed and reset your password, please visit this address:\n\n\
             https://acme.test/reset-password/abc\n\n\
             This password reset request will expire in 24 hours on Feb 26, 2014 05:37 PM UTC.\n"
        );
    }

    #[test]
    fn the_html_part_escapes_the_site_name() {
        let m = reset_email("<b>Acme</b> & Co", "https://acme.test/r/x", 1, "now");
        assert!(m.html.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; Co"));
        assert!(!m.html.contains("<b>Acme"));
        assert!(m.text.contains("expire in 1 hour on"));
    }
}
