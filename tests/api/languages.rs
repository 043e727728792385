//! Languages: which one a page comes in (`?lang=`, the `lang` cookie, the
//! person's saved language, `Accept-Language`, the default), the page
//! cache keeping each language its own page, and mail in the recipient's
//! language (never the admin's by accident).

use crate::{both_engines, helpers::*};
use gatehouse::i18n::{Lang, Msg};
use reqwest::{header, StatusCode};

both_engines!(
    a_page_comes_in_the_language_asked_for_and_remembers_a_choice,
    a_saved_language_wins_over_the_browsers,
    the_page_cache_keeps_each_language_its_own_page,
    mail_goes_out_in_the_recipients_language,
);

/// The `lang` of a page's `<html>`.
fn html_lang(html: &str) -> String {
    let start = html.find("<html lang=\"").expect("an html element") + "<html lang=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn welsh() -> Lang {
    Lang::from_tag("cy").unwrap()
}

fn french() -> Lang {
    Lang::from_tag("fr").unwrap()
}

async fn a_page_comes_in_the_language_asked_for_and_remembers_a_choice(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;

    // Nothing asked: the default.
    let page = app.browser().open("/login").await;
    assert_eq!(html_lang(&page), "en");

    // The browser's languages, by quality, a region matched by its language.
    let french_browser = app
        .browser()
        .with_header("accept-language", "de;q=0.9, fr-CA;q=0.8, en;q=0.5");
    let page = french_browser.open("/login").await;
    assert_eq!(html_lang(&page), "fr");
    assert!(page.contains(french().text(Msg::LoginTitle)), "{page}");

    // `?lang=` wins over the browser and is remembered in a cookie; every
    // page links to the others, each named in itself.
    let browser = app.browser().with_header("accept-language", "fr");
    let res = browser.get("/login?lang=cy").await;
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("lang=cy;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let page = res.text().await.unwrap();
    assert_eq!(html_lang(&page), "cy");
    assert!(page.contains(welsh().text(Msg::LoginTitle)), "{page}");
    assert!(
        page.contains("hreflang=\"fr\"") && page.contains(">Français<"),
        "{page}"
    );
    assert!(page.contains("href=\"/login?lang=en\""), "{page}");
    let page = browser.open("/forgot-password").await;
    assert_eq!(html_lang(&page), "cy", "the choice is remembered");

    // A language the site does not offer changes nothing.
    let res = app.browser().get("/login?lang=xx").await;
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(html_lang(&res.text().await.unwrap()), "en");
    let res = app
        .browser()
        .with_header("accept-language", "xx, zz;q=0.5")
        .get("/login")
        .await;
    assert_eq!(html_lang(&res.text().await.unwrap()), "en");
}

async fn a_saved_language_wins_over_the_browsers(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    let jane = app
        .as_user(USER_EMAIL, USER_PASSWORD)
        .await
        .with_header("accept-language", "fr");
    assert_eq!(html_lang(&jane.open("/account").await), "fr");

    let res = jane.set_language("de").await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let res = jane.without_js().set_language("cy").await;
    assert_redirects_to(&res, "/account?language=saved&lang=cy");

    // Saved: in another browser too, whatever it asks for.
    let elsewhere = app
        .as_user(USER_EMAIL, USER_PASSWORD)
        .await
        .with_header("accept-language", "fr");
    let page = elsewhere.open("/account").await;
    assert_eq!(html_lang(&page), "cy");
    assert!(
        page.contains("value=\"cy\" lang=\"cy\" selected"),
        "the form shows the saved one: {page}"
    );
    // A choice made with `?lang=` in a browser holds there.
    assert_eq!(html_lang(&elsewhere.open("/account?lang=fr").await), "fr");
    assert_eq!(html_lang(&elsewhere.open("/account").await), "fr");
    // None saved: the browser decides again.
    let res = jane.set_language("").await;
    assert_eq!(res.status(), StatusCode::OK);
    let third = app
        .as_user(USER_EMAIL, USER_PASSWORD)
        .await
        .with_header("accept-language", "fr");
    assert_eq!(html_lang(&third.open("/account").await), "fr");
}

async fn the_page_cache_keeps_each_language_its_own_page(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let welsh_visitor = app.browser().with_header("accept-language", "cy");
    let english_visitor = app.browser().with_header("accept-language", "en-GB");
    for _ in 0..2 {
        assert_eq!(html_lang(&welsh_visitor.open("/login").await), "cy");
        assert_eq!(html_lang(&english_visitor.open("/login").await), "en");
        assert_eq!(html_lang(&app.browser().open("/login?lang=fr").await), "fr");
    }
    assert_eq!(html_lang(&welsh_visitor.open("/login").await), "cy");
}

async fn mail_goes_out_in_the_recipients_language(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, admin) = app.with_admin_and_user().await;
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    assert_eq!(jane.set_language("cy").await.status(), StatusCode::OK);

    // Asked for from an English browser: in her Welsh.
    let res = app
        .browser()
        .with_header("accept-language", "en")
        .request_password_reset(USER_EMAIL)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mails = app.sink.wait_for(USER_EMAIL, 1).await;
    assert_eq!(mails[0].subject(), welsh().text(Msg::MailResetSubject));
    let text = mails[0].text_part();
    assert!(text.contains(welsh().text(Msg::MailResetProceed)), "{text}");
    assert!(
        text.contains(" am ") && text.contains(" UTC"),
        "the date the Welsh way: {text}"
    );

    // An invitation in the language the admin chose, whatever the admin's
    // own; and one with no choice in the site's default.
    let admin = admin.with_header("accept-language", "cy");
    admin
        .add_user(NewUser::invite("marie@example.test", "Marie Curie").in_language("fr"))
        .await;
    let mails = app.sink.wait_for("marie@example.test", 1).await;
    assert_eq!(mails[0].subject(), french().text(Msg::MailInviteSubject));
    admin
        .add_user(NewUser::invite("sam@example.test", "Sam Smith"))
        .await;
    let mails = app.sink.wait_for("sam@example.test", 1).await;
    assert_eq!(mails[0].subject(), Lang::EN.text(Msg::MailInviteSubject));
    let res = admin
        .add_user(NewUser::invite("x@example.test", "X").in_language("de"))
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
}
