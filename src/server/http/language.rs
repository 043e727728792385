//! Which language a request is answered in, and the browser's word lists.
//!
//! In order: `?lang=xx` on any page (remembered in a `lang` cookie), the
//! `lang` cookie, the language a logged-in person saved on their account
//! page, the browser's `Accept-Language`, then the site's default
//! (`site.languages`, `site.default_language`). Only a language the site
//! offers is ever taken; anything else is passed over.

use crate::{i18n::Lang, server::AppState};
use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

/// The cookie that remembers a language chosen with `?lang=`.
const COOKIE: &str = "lang";

/// Works out the request's language and puts it in its extensions (pages
/// and server functions read it from there; `http::router`'s page layer
/// calls it); the language a `?lang=` chose, if one did, which
/// [`remember`] keeps in a cookie.
pub(super) async fn choose(state: &AppState, req: &mut Request) -> Option<Lang> {
    let offered = &state.settings.languages;
    let chosen = query_lang(req.uri().query().unwrap_or_default(), offered);
    let lang = match chosen.or_else(|| cookie_lang(req.headers(), offered)) {
        Some(lang) => lang,
        None => saved(state, req.headers())
            .await
            .or_else(|| accepted(req.headers(), offered))
            .unwrap_or_else(|| state.settings.default_language()),
    };
    req.extensions_mut().insert(lang);
    chosen
}

/// Remembers a `?lang=` choice in the language cookie.
pub(super) fn remember(state: &AppState, chosen: Option<Lang>, response: &mut Response) {
    if let Some(lang) = chosen {
        if let Ok(value) = HeaderValue::from_str(&cookie(&state.settings, Some(lang))) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// The request's language, for code that runs inside a page or a server
/// function (English outside a request).
pub fn of_request() -> Lang {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Lang>().copied())
        .unwrap_or_default()
}

/// Puts the request's language in the context of the page or server
/// function being run: [`crate::i18n::t`] reads it there.
pub fn provide() {
    leptos::prelude::provide_context(of_request());
}

/// The language the person logged in with this request's session saved,
/// if they saved one the site offers (one read, only with a session cookie).
async fn saved(state: &AppState, headers: &HeaderMap) -> Option<Lang> {
    let id = crate::server::accounts::sessions::read_cookie(&state.settings, headers)?;
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let mut conn = state.db.conn().await.ok()?;
    let hash = crate::server::platform::tokens::hash(&id);
    let saved =
        crate::server::db::sessions::saved_language(&mut conn, &hash, state.clock.now(), idle)
            .await
            .ok()??;
    offered_tag(&saved, &state.settings.languages)
}

/// The cookie that remembers `lang` (or forgets the choice, with `None`),
/// as the answer to a request that chose it.
pub fn cookie(settings: &crate::server::platform::config::Settings, lang: Option<Lang>) -> String {
    let age = if lang.is_some() { 365 } else { 0 };
    cookie::Cookie::build((COOKIE, lang.map_or("", Lang::tag)))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(settings.cookie_secure())
        .max_age(cookie::time::Duration::days(age))
        .build()
        .to_string()
}

fn offered_tag(tag: &str, offered: &[Lang]) -> Option<Lang> {
    Lang::from_tag(tag.trim()).filter(|lang| offered.contains(lang))
}

/// `?lang=xx`.
fn query_lang(query: &str, offered: &[Lang]) -> Option<Lang> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == COOKIE)
        .and_then(|(_, v)| offered_tag(&v, offered))
}

fn cookie_lang(headers: &HeaderMap, offered: &[Lang]) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .and_then(|c| offered_tag(c.value(), offered))
}

/// The best offered language the browser accepts (RFC 9110 §12.5.4): by
/// quality, then in the order given; `cy-GB` is matched by `cy`.
fn accepted(headers: &HeaderMap, offered: &[Lang]) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut ranges: Vec<(u16, usize, &str)> = value
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality =
                parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1000), |q| {
                        q.trim()
                            .parse::<f32>()
                            .ok()
                            .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                    })?;
            (quality > 0 && !tag.is_empty() && tag != "*").then_some((quality, i, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().find_map(|(_, _, tag)| {
        offered_tag(tag, offered).or_else(|| {
            let primary = tag.split('-').next()?;
            offered_tag(primary, offered)
        })
    })
}

/// `/i18n/<tag>.<list>.<hash>.json`: one of a language's word lists for
/// the browser. Its name changes with its content, so browsers keep it for
/// a year; with brotli (compressed once, at the best quality, as the
/// bundle's files are) to browsers that take it.
pub async fn words(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let Some((lang, list)) = Lang::of_words_path(uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let text = lang.catalogue().browser_words[list];
    let kept = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::VARY, "accept-encoding"),
    ];
    let brotli_taken = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|c| c.trim() == "br"));
    if brotli_taken {
        let mut response = (kept, compressed(lang.tag(), list, text)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        return response;
    }
    (kept, text).into_response()
}

/// A word list with brotli at quality 11, made once per process.
fn compressed(tag: &'static str, list: usize, text: &'static str) -> &'static [u8] {
    use std::{collections::HashMap, io::Write, sync::Mutex};
    type Made = HashMap<(&'static str, usize), &'static [u8]>;
    static MADE: Mutex<Option<Made>> = Mutex::new(None);
    let mut made = MADE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    made.get_or_insert_with(HashMap::new)
        .entry((tag, list))
        .or_insert_with(|| {
            let mut out = Vec::new();
            {
                let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
                writer
                    .write_all(text.as_bytes())
                    .expect("compressing in memory does not fail");
            }
            Box::leak(out.into_boxed_slice())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo() -> Lang {
        Lang::from_tag("en-XA").unwrap()
    }

    fn accept(value: &str, offered: &[Lang]) -> Option<Lang> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
        accepted(&headers, offered)
    }

    #[test]
    fn the_browsers_best_offered_language_wins() {
        let both = [Lang::EN, pseudo()];
        assert_eq!(accept("en-XA, en;q=0.8", &both), Some(pseudo()));
        assert_eq!(accept("en;q=0.5, en-XA;q=0.9", &both), Some(pseudo()));
        assert_eq!(accept("de, en-GB;q=0.7", &both), Some(Lang::EN));
        assert_eq!(accept("de, *;q=0.5", &both), None);
        assert_eq!(accept("en-XA;q=0", &both), None);
        assert_eq!(
            accept("en-XA", &[Lang::EN]),
            Some(Lang::EN),
            "by its primary tag"
        );
        assert_eq!(accept("en", &[pseudo()]), None, "not offered");
    }

    #[test]
    fn only_offered_languages_are_taken_from_the_query() {
        let both = [Lang::EN, pseudo()];
        assert_eq!(query_lang("lang=en-XA", &both), Some(pseudo()));
        assert_eq!(query_lang("x=1&lang=EN", &both), Some(Lang::EN));
        assert_eq!(query_lang("lang=xx", &both), None);
        assert_eq!(query_lang("lang=en-XA", &[Lang::EN]), None);
    }
}
