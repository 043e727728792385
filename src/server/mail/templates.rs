//! The fixed texts of every mail, in the recipient's language. Admins
//! cannot edit them: their words are the catalogue's (`src/i18n`).

use crate::i18n::{fill, Lang, Msg, Plural};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub kind: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A time in the site's zone, always naming it, in the language of the
/// page or server function being served ([`format_time_in`]).
pub fn format_time(unix_secs: i64, tz: Tz) -> String {
    format_time_in(unix_secs, tz, crate::server::http::language::of_request())
}

/// A time in the site's zone, always naming it, the local way of `lang`:
/// English `Feb 26, 2014 05:37 PM UTC` (the original help article's), Welsh
/// `26 Chwefror 2014 am 17:37 UTC`, French `26 févr. 2014 à 17:37 UTC`
/// (CLDR's month names, through ICU4X; the glue word is the catalogue's).
pub fn format_time_in(unix_secs: i64, tz: Tz, lang: Lang) -> String {
    let Some(t) = Utc.timestamp_opt(unix_secs, 0).single() else {
        return String::from("(unknown time)");
    };
    let local = t.with_timezone(&tz);
    if lang.tag().starts_with("en") {
        return local.format("%b %d, %Y %I:%M %p %Z").to_string();
    }
    use chrono::{Datelike, Timelike};
    let date = local_date(local.year(), local.month(), local.day(), lang)
        .unwrap_or_else(|| local.format("%Y-%m-%d").to_string());
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    let zone = local.format("%Z").to_string();
    fill(
        lang.text(Msg::CommonDateTime),
        &[("date", &date), ("time", &time), ("zone", &zone)],
    )
}

/// A day the local way of `lang`, with CLDR's month names: the full name
/// in Welsh (`26 Chwefror 2014`), the abbreviated one elsewhere
/// (`26 févr. 2014`). Each language's formatter is made once per thread.
fn local_date(year: i32, month: u32, day: u32, lang: Lang) -> Option<String> {
    use icu_calendar::{cal::Gregorian, Date};
    use icu_datetime::{fieldsets::YMD, FixedCalendarDateTimeFormatter};
    use std::{cell::RefCell, collections::HashMap};
    type Formatter = FixedCalendarDateTimeFormatter<Gregorian, YMD>;
    thread_local! {
        static FORMATTERS: RefCell<HashMap<&'static str, Option<Formatter>>> = RefCell::default();
    }
    let date =
        Date::try_new_gregorian(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?).ok()?;
    FORMATTERS.with_borrow_mut(|formatters| {
        let formatter = formatters.entry(lang.tag()).or_insert_with(|| {
            let locale: icu_locale_core::Locale = lang.tag().parse().ok()?;
            let fieldset = if lang.tag() == "cy" {
                YMD::long()
            } else {
                YMD::medium()
            };
            Formatter::try_new(locale.into(), fieldset).ok()
        });
        formatter.as_ref().map(|f| f.format(&date).to_string())
    })
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

/// What a [`Mails::two_step`] notice says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoStepNotice<'a> {
    On,
    Off,
    OffByAdmin,
    CodeUsed { left: i64 },
    CodesRenewed,
    PasskeyAdded { name: &'a str },
}

/// The account a notice is about: its site, when, and the ways back.
pub struct NoticeAbout<'a> {
    pub site_name: &'a str,
    pub when: &'a str,
    pub admin_email: &'a str,
    pub forgot_link: &'a str,
    pub security_link: &'a str,
}

/// One paragraph of a mail.
enum Paragraph<'a> {
    /// A message of the catalogue and the values of its `{placeholders}`.
    Message(&'static str, &'a [(&'a str, &'a str)]),
    /// The same, with values made for the mail.
    Owned(&'static str, &'a [(&'a str, String)]),
    /// A link on its own.
    Link(&'a str),
}

/// The plain text (paragraphs apart by a blank line) and the same words as
/// simple HTML, every word and value escaped there.
fn write(paragraphs: &[Paragraph<'_>]) -> (String, String) {
    let mut text = Vec::with_capacity(paragraphs.len());
    let mut html = Vec::with_capacity(paragraphs.len());
    for paragraph in paragraphs {
        match paragraph {
            Paragraph::Message(message, args) => {
                text.push(fill(message, args));
                let escaped: Vec<(&str, String)> =
                    args.iter().map(|(k, v)| (*k, escape_html(v))).collect();
                let escaped: Vec<(&str, &str)> =
                    escaped.iter().map(|(k, v)| (*k, v.as_str())).collect();
                html.push(fill(&escape_html(message), &escaped));
            }
            Paragraph::Owned(message, args) => {
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                text.push(fill(message, &args));
                let escaped: Vec<(&str, String)> =
                    args.iter().map(|(k, v)| (*k, escape_html(v))).collect();
                let escaped: Vec<(&str, &str)> =
                    escaped.iter().map(|(k, v)| (*k, v.as_str())).collect();
                html.push(fill(&escape_html(message), &escaped));
            }
            Paragraph::Link(link) => {
                text.push((*link).to_owned());
                let l = escape_html(link);
                html.push(format!("<a href=\"{l}\">{l}</a>"));
            }
        }
    }
    (text.join("\n\n") + "\n", html_page(&html))
}

/// Every mail, written in one language: the recipient's.
#[derive(Debug, Clone, Copy)]
pub struct Mails(pub Lang);

impl Mails {
    fn mail(self, kind: &'static str, subject: String, paragraphs: &[Paragraph<'_>]) -> Rendered {
        let (text, html) = write(paragraphs);
        Rendered {
            kind,
            subject,
            text,
            html,
        }
    }

    fn text(self, msg: Msg) -> &'static str {
        self.0.text(msg)
    }

    /// The password reset request, in the words of the original help article.
    pub fn reset(self, site_name: &str, link: &str, hours: u32, expires: &str) -> Rendered {
        let hours_text = hours.to_string();
        let expiry = [("hours", hours_text.as_str()), ("date", expires)];
        self.mail(
            "reset",
            self.text(Msg::MailResetSubject).to_owned(),
            &[
                Paragraph::Message(self.text(Msg::MailResetRequested), &[("site", site_name)]),
                Paragraph::Message(self.text(Msg::MailResetProceed), &[]),
                Paragraph::Link(link),
                Paragraph::Message(
                    self.0
                        .plural_form(Plural::MailResetExpiry, i64::from(hours)),
                    &expiry,
                ),
            ],
        )
    }

    /// The invitation sent when an admin adds a user without a password.
    pub fn invite(self, site_name: &str, link: &str, hours: u32, expires: &str) -> Rendered {
        let hours_text = hours.to_string();
        let expiry = [("hours", hours_text.as_str()), ("date", expires)];
        self.mail(
            "invite",
            self.text(Msg::MailInviteSubject).to_owned(),
            &[
                Paragraph::Message(self.text(Msg::MailInviteCreated), &[("site", site_name)]),
                Paragraph::Message(self.text(Msg::MailInviteProceed), &[]),
                Paragraph::Link(link),
                Paragraph::Message(
                    self.0
                        .plural_form(Plural::MailInviteExpiry, i64::from(hours)),
                    &expiry,
                ),
            ],
        )
    }

    /// Sent after every password change, so the owner learns of one they
    /// did not make.
    pub fn password_changed(
        self,
        site_name: &str,
        when: &str,
        forgot_link: &str,
        admin_email: &str,
    ) -> Rendered {
        self.mail(
            "password_changed",
            self.text(Msg::MailPasswordChangedSubject).to_owned(),
            &[
                Paragraph::Message(
                    self.text(Msg::MailPasswordChangedChanged),
                    &[("site", site_name), ("date", when)],
                ),
                Paragraph::Message(self.text(Msg::MailPasswordChangedIfYou), &[]),
                Paragraph::Message(self.text(Msg::MailPasswordChangedIfNot), &[]),
                Paragraph::Link(forgot_link),
                Paragraph::Message(
                    self.text(Msg::MailPasswordChangedTellAdmin),
                    &[("admin", admin_email)],
                ),
            ],
        )
    }

    /// Tells the owner of an account that its two-step verification
    /// changed (on, off, a recovery code used or renewed, a passkey added),
    /// and what to do if it was not them.
    pub fn two_step(self, notice: TwoStepNotice<'_>, about: &NoticeAbout<'_>) -> Rendered {
        let site = [("site", about.site_name), ("date", about.when)];
        let if_not = [("admin", about.admin_email)];
        let (kind, subject, what) = match notice {
            TwoStepNotice::On => ("two_step_on", Msg::MailTwoStepOnSubject, Msg::MailTwoStepOn),
            TwoStepNotice::Off => (
                "two_step_off",
                Msg::MailTwoStepOffSubject,
                Msg::MailTwoStepOff,
            ),
            TwoStepNotice::OffByAdmin => (
                "two_step_off",
                Msg::MailTwoStepOffSubject,
                Msg::MailTwoStepOffByAdmin,
            ),
            TwoStepNotice::CodeUsed { .. } => (
                "recovery_code_used",
                Msg::MailTwoStepCodeUsedSubject,
                Msg::MailTwoStepCodeUsed,
            ),
            TwoStepNotice::CodesRenewed => (
                "recovery_codes_renewed",
                Msg::MailTwoStepRenewedSubject,
                Msg::MailTwoStepRenewed,
            ),
            TwoStepNotice::PasskeyAdded { .. } => (
                "passkey_added",
                Msg::MailTwoStepPasskeySubject,
                Msg::MailTwoStepPasskey,
            ),
        };
        let name;
        let what_args: &[(&str, &str)] = match notice {
            TwoStepNotice::PasskeyAdded { name: n } => {
                name = [("name", n), site[0], site[1]];
                &name
            }
            _ => &site,
        };
        let left;
        let mut paragraphs = vec![Paragraph::Message(self.text(what), what_args)];
        if let TwoStepNotice::CodeUsed { left: count } = notice {
            left = [("count", count.to_string())];
            paragraphs.push(Paragraph::Owned(
                self.0.plural_form(Plural::MailTwoStepCodesLeft, count),
                &left,
            ));
        }
        if notice == TwoStepNotice::OffByAdmin {
            paragraphs.push(Paragraph::Link(about.security_link));
        } else {
            paragraphs.push(Paragraph::Message(
                self.text(Msg::MailTwoStepIfNot),
                &if_not,
            ));
            paragraphs.push(Paragraph::Link(about.forgot_link));
        }
        self.mail(kind, self.text(subject).to_owned(), &paragraphs)
    }

    /// Sent to the old address when a site admin changes an account's
    /// email: whoever controls the new address could otherwise take the
    /// account over with a reset link, and the owner would never know.
    pub fn email_changed(
        self,
        site_name: &str,
        new_email: &str,
        when: &str,
        admin_email: &str,
    ) -> Rendered {
        self.mail(
            "email_changed",
            self.text(Msg::MailEmailChangedSubject).to_owned(),
            &[
                Paragraph::Message(
                    self.text(Msg::MailEmailChangedChanged),
                    &[("site", site_name), ("email", new_email), ("date", when)],
                ),
                Paragraph::Message(self.text(Msg::MailEmailChangedFromNowOn), &[]),
                Paragraph::Message(
                    self.text(Msg::MailEmailChangedIfWrong),
                    &[("admin", admin_email)],
                ),
            ],
        )
    }

    /// Tells the owner of an account that a site admin made a link that
    /// sets its password (to pass on by hand, when mail does not reach
    /// them): if they did not ask for one, someone may be taking it over.
    pub fn link_made(
        self,
        site_name: &str,
        admin: &str,
        when: &str,
        admin_email: &str,
    ) -> Rendered {
        self.mail(
            "link_made",
            self.text(Msg::MailLinkMadeSubject).to_owned(),
            &[
                Paragraph::Message(
                    self.text(Msg::MailLinkMadeMade),
                    &[("site", site_name), ("by", admin), ("date", when)],
                ),
                Paragraph::Message(self.text(Msg::MailLinkMadeIfYou), &[]),
                Paragraph::Message(self.text(Msg::MailLinkMadeIfNot), &[("admin", admin_email)]),
            ],
        )
    }

    pub fn test(self, site_name: &str) -> Rendered {
        let site = [("site", site_name)];
        self.mail(
            "test",
            fill(self.text(Msg::MailTestSubject), &site),
            &[Paragraph::Message(self.text(Msg::MailTestText), &site)],
        )
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
    fn times_read_the_local_way_of_each_language_with_cldrs_month_names() {
        let at = |tag: &str, tz| format_time_in(1_393_436_220, tz, Lang::from_tag(tag).unwrap());
        assert_eq!(at("cy", chrono_tz::UTC), "26 Chwefror 2014 am 17:37 UTC");
        assert_eq!(at("fr", chrono_tz::UTC), "26 févr. 2014 à 17:37 UTC");
        assert_eq!(
            at("fr", chrono_tz::Europe::Paris),
            "26 févr. 2014 à 18:37 CET"
        );
        assert_eq!(at("en", chrono_tz::UTC), "Feb 26, 2014 05:37 PM UTC");
    }

    /// The reset and invitation mails' expiry lines in Welsh, for counts of
    /// hours in each of its six plural categories: each takes the form CLDR
    /// gives its count (ICU4X's data), not English's two.
    #[test]
    fn welsh_expiry_lines_take_the_form_of_each_count() {
        use icu_plurals::{PluralCategory, PluralRuleType, PluralRules, PluralRulesOptions};
        let cy = Lang::from_tag("cy").unwrap();
        let rules = PluralRules::try_new(
            "cy".parse::<icu_locale_core::Locale>().unwrap().into(),
            PluralRulesOptions::default().with_type(PluralRuleType::Cardinal),
        )
        .unwrap();
        let catalogue = cy.catalogue();
        let expiry = |plural: Plural, category: PluralCategory| {
            let name = match category {
                PluralCategory::Zero => crate::i18n::Category::Zero,
                PluralCategory::One => crate::i18n::Category::One,
                PluralCategory::Two => crate::i18n::Category::Two,
                PluralCategory::Few => crate::i18n::Category::Few,
                PluralCategory::Many => crate::i18n::Category::Many,
                PluralCategory::Other => crate::i18n::Category::Other,
            };
            catalogue.plurals[plural as usize]
                .iter()
                .find(|(c, _)| *c == name)
                .map(|(_, text)| *text)
                .unwrap()
        };
        let mut categories = Vec::new();
        for hours in [0u32, 1, 2, 3, 6, 11] {
            let category = rules.category_for(hours);
            categories.push(category);
            let hours_text = hours.to_string();
            let args = [("hours", hours_text.as_str()), ("date", "now")];
            let reset = Mails(cy).reset("Acme", "https://acme.test/x", hours, "now");
            let line = fill(expiry(Plural::MailResetExpiry, category), &args);
            assert!(reset.text.contains(&line), "{hours} h: {}", reset.text);
            let invite = Mails(cy).invite("Acme", "https://acme.test/x", hours, "now");
            let line = fill(expiry(Plural::MailInviteExpiry, category), &args);
            assert!(invite.text.contains(&line), "{hours} h: {}", invite.text);
        }
        use PluralCategory::*;
        assert_eq!(categories, [Zero, One, Two, Few, Many, Other]);
        // Where Welsh words change with the count, they do.
        let minutes = |n: i64| {
            cy.plural(
                Plural::ErrorTooManyRequests,
                n,
                &[("minutes", &n.to_string())],
            )
        };
        assert_ne!(minutes(1).replace('1', ""), minutes(2).replace('2', ""));
    }

    #[test]
    fn the_reset_mail_has_the_fixed_wording() {
        let m = Mails(Lang::EN).reset(
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
        let m = Mails(Lang::EN).reset("<b>Acme</b> & Co", "https://acme.test/r/x", 1, "now");
        assert!(m.html.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; Co"));
        assert!(!m.html.contains("<b>Acme"));
        assert!(m.text.contains("expire in 1 hour on"));
    }

    #[test]
    fn a_notice_reads_as_before() {
        let m = Mails(Lang::EN).email_changed("Acme", "new@acme.test", "now", "admin@acme.test");
        assert_eq!(
            m.text,
            "The email of your account at 'Acme' was changed to new@acme.test by a site admin on now.\n\n\
             From now on, mail about your account goes to that address, and this address no longer logs in.\n\n\
             If this is wrong, contact the site administrator at admin@acme.test.\n"
        );
        assert!(m.html.contains(
            "<p>If this is wrong, contact the site administrator at admin@acme.test.</p>"
        ));
    }

    #[test]
    fn every_mail_takes_its_words_from_the_catalogue() {
        let pseudo = Mails(Lang::from_tag("en-XA").unwrap());
        let data = [
            "Acme",
            "https://acme.test/x",
            "now",
            "new@acme.test",
            "admin@acme.test",
            "Phone",
        ];
        let about = NoticeAbout {
            site_name: "Acme",
            when: "now",
            admin_email: "admin@acme.test",
            forgot_link: "https://acme.test/x",
            security_link: "https://acme.test/x",
        };
        for mail in [
            pseudo.reset("Acme", "https://acme.test/x", 3, "now"),
            pseudo.invite("Acme", "https://acme.test/x", 1, "now"),
            pseudo.password_changed("Acme", "now", "https://acme.test/x", "admin@acme.test"),
            pseudo.email_changed("Acme", "new@acme.test", "now", "admin@acme.test"),
            pseudo.link_made("Acme", "new@acme.test", "now", "admin@acme.test"),
            pseudo.test("Acme"),
        ]
        .into_iter()
        .chain(
            [
                TwoStepNotice::On,
                TwoStepNotice::Off,
                TwoStepNotice::OffByAdmin,
                TwoStepNotice::CodeUsed { left: 9 },
                TwoStepNotice::CodesRenewed,
                TwoStepNotice::PasskeyAdded { name: "Phone" },
            ]
            .map(|notice| pseudo.two_step(notice, &about)),
        ) {
            for text in [&mail.subject, &mail.text] {
                let mut left = text.clone();
                for value in data {
                    left = left.replace(value, "");
                }
                assert!(
                    !left.chars().any(|c| c.is_ascii_alphabetic()),
                    "{}: {text}",
                    mail.kind
                );
            }
        }
    }
}
