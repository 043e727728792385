//! Every word a page shows comes from the catalogue: rendered in the
//! pseudo-language (every letter of every message accented), a page may
//! show no plain English word but the data on it (names, addresses, dates,
//! the audit log's recorded details, a mail server's answers).

use crate::{both_engines, helpers::*, probe};
use gatehouse::domain::Role;
use reqwest::StatusCode;

const PSEUDO: &str = "en-XA";

/// The visible text of a page: its text nodes and the attributes people
/// read (title, placeholder, aria-label, alt), without scripts, styles,
/// comments, the cells that hold recorded data, and a key being set up.
fn visible_text(html: &str) -> String {
    let mut html = html.to_owned();
    for (open, close) in [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
        ("<td class=\"audit-detail\"", "</td>"),
        ("<td class=\"mail-error\"", "</td>"),
        // An authenticator app's key being set up (base32 letters).
        ("<code id=\"totp-secret\"", "</code>"),
    ] {
        while let Some(start) = html.find(open) {
            let end = html[start..]
                .find(close)
                .map_or(html.len(), |e| start + e + close.len());
            html.replace_range(start..end, " ");
        }
    }
    let mut text = String::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..end];
        for attribute in ["title", "placeholder", "aria-label", "alt"] {
            let marker = format!(" {attribute}=\"");
            if let Some(at) = tag.find(&marker) {
                let value = &tag[at + marker.len()..];
                text.push_str(&value[..value.find('"').unwrap_or(value.len())]);
                text.push(' ');
            }
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    text.replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}

/// Words of plain English letters left once the data is taken out.
fn english_words(text: &str, data: &[&str]) -> Vec<String> {
    let mut text = text.to_owned();
    for value in data {
        text = text.replace(value, " ");
    }
    // Times, as the site writes them (`Feb 26, 2014 05:37 PM UTC`).
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .filter(|w| !months.contains(w) && !["AM", "PM", "UTC"].contains(w))
        .map(str::to_owned)
        .collect()
}

async fn every_page_shows_only_the_catalogues_words(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.site.languages = vec!["en".parse().unwrap(), PSEUDO.parse().unwrap()];
    })
    .await;
    let (jane, admin) = app.with_admin_and_user().await;
    let admin = admin.with_header("accept-language", PSEUDO);
    admin
        .add_user(NewUser::invite("new.person@acme.test", "New Person"))
        .await;
    admin
        .add_app(NewApp {
            name: "Wiki",
            redirect_uri: "https://wiki.acme.test/callback",
            public: false,
            role: Role::SiteAdmin,
        })
        .await;
    admin.send_test_mail("someone@acme.test").await;
    admin.send_reset_email(jane).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let token = TestApp::token_of(&link);
    let client_id = probe::app_client_ids(&app).await.remove(0);
    let data = [
        "Acme Consultations",
        ADMIN_EMAIL,
        USER_EMAIL,
        "Site Admin",
        "Jane Doe",
        "new.person@acme.test",
        "New Person",
        "someone@acme.test",
        "Wiki",
        "https://wiki.acme.test/callback",
        client_id.as_str(),
        "gatehouse setup-link",
        "/.well-known/openid-configuration",
        "127.0.0.1",
        // The links to the page in the other languages name each in itself.
        "English",
    ];

    let visitor = app.browser().with_header("accept-language", PSEUDO);
    let user = app
        .as_user(USER_EMAIL, USER_PASSWORD)
        .await
        .with_header("accept-language", PSEUDO);
    let pages: Vec<(&Browser, String)> = vec![
        (&visitor, "/login".into()),
        (&visitor, "/login?setup=done".into()),
        (&visitor, "/login/verify".into()),
        (&visitor, "/forgot-password?sent=1".into()),
        (&visitor, format!("/reset-password/{token}")),
        (&visitor, "/reset-password/not-a-real-token".into()),
        (&visitor, "/setup".into()),
        (&visitor, "/no-such-page".into()),
        (
            &visitor,
            format!("/sign-in-problem?reason=bad_redirect_uri&client_id={client_id}"),
        ),
        (&user, "/account?changed=1".into()),
        (&user, "/account/security".into()),
        (&user, "/admin/users".into()),
        (
            &user,
            format!("/sign-in-problem?reason=no_access&client_id={client_id}"),
        ),
        (&admin, "/admin/users?done=invite_queued".into()),
        (&admin, "/admin/apps?done=added".into()),
        (&admin, "/admin/mail?done=test_queued".into()),
        (&admin, "/admin/audit".into()),
    ];
    for (browser, path) in pages {
        let res = browser.get(&path).await;
        assert_ne!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"en-XA\""), "{path}: {html}");
        let left = english_words(&visible_text(&html), &data);
        assert!(
            left.is_empty(),
            "{path} shows English that is not in the catalogue: {left:?}"
        );
    }
    // A spent link's page too.
    visitor
        .reset_password(
            &token,
            "a brand new passphrase 7",
            "a brand new passphrase 7",
        )
        .await;
    let html = visitor.page(&format!("/reset-password/{token}")).await;
    let left = english_words(&visible_text(&html), &data);
    assert!(left.is_empty(), "spent link page: {left:?}");
}

#[test]
fn the_test_finds_english_that_is_not_in_the_catalogue() {
    let html = "<h1>[Ĺóĝ íñ]</h1><p title=\"Hello\">Jane Doe</p><script>var x;</script>";
    assert_eq!(
        english_words(&visible_text(html), &["Jane Doe"]),
        vec!["Hello".to_owned()]
    );
}

both_engines!(every_page_shows_only_the_catalogues_words);
