//! Which language a request is answered in, and the browser's word lists.
//!
//! In order: `?lang=xx` on any page (remembered in a `lang` cookie), the
//! `lang` cookie, the browser's `Accept-Language`, then the site's default
//! (`site.languages`, `site.default_language`). Only a language the site
//! offers is ever taken; anything else is passed over.

use crate::{i18n::Lang, server::AppState};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The cookie that remembers a language chosen with `?lang=`.
const COOKIE: &str = "lang";

/// Middleware: puts the request's [`Lang`] in its extensions (pages and
/// server functions read it from there), and remembers a `?lang=` choice.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let offered = &state.settings.languages;
    let chosen = query_lang(req.uri().query().unwrap_or_default(), offered);
    let lang = chosen
        .or_else(|| cookie_lang(req.headers(), offered))
        .or_else(|| accepted(req.headers(), offered))
        .unwrap_or(offered[0]);
    req.extensions_mut().insert(lang);
    let mut response = next.run(req).await;
    if let Some(lang) = chosen {
        let cookie = cookie::Cookie::build((COOKIE, lang.tag()))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(state.settings.cookie_secure())
            .max_age(cookie::time::Duration::days(365))
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
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

/// `/i18n/<tag>.<hash>.json`: a language's word list for the browser. Its
/// name changes with its content, so browsers keep it for a year.
pub async fn words(uri: axum::http::Uri) -> Response {
    match Lang::of_words_path(uri.path()) {
        Some(lang) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            lang.catalogue().browser_words,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
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
