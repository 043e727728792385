//! The pages everyone without a cookie sees alike, `/login` and
//! `/forgot-password`, are rendered once per address and then sent from
//! memory with a fresh CSP nonce each time: Leptos' render was most of the
//! cost of a login page view (BENCHMARKS.md). Plone and Django cache pages
//! for anonymous visitors the same way; here the rules keep one person's
//! page from ever reaching another:
//!
//! - only GET requests without a `Cookie` header: no session, nothing
//!   handed over, so the render depends on the address and the language
//!   alone (and on the settings, which a process never changes), and the
//!   key holds both;
//! - only once an account exists: the login page's setup notice is then
//!   gone for good (`Shared::has_accounts`);
//! - only a 200 answer without `Set-Cookie` whose policy names the nonce
//!   that Leptos put on the page's scripts.
//!
//! The nonce stays unguessable: a stored page is split where its render's
//! nonce stood, which no one but this process saw, and every answer joins
//! the parts with a new one.

use super::middleware::{content_security_policy, with_page_policy};
use crate::{i18n::Lang, server::AppState};
use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use std::{
    collections::HashMap,
    sync::{atomic::Ordering, Arc, Mutex},
};

/// The pages that render alike for every visitor without a session.
const PAGES: [&str; 2] = ["/login", "/forgot-password"];
/// Addresses kept (`/login?next=…` differs by `next`); when full, one
/// goes. At most `MAX_PAGES × MAX_BODY` bytes, whoever asks for what.
const MAX_PAGES: usize = 64;
const MAX_URI: usize = 512;
const MAX_BODY: usize = 64 * 1024;

/// Rendered pages by language and address.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, Arc<Page>>>,
}

struct Page {
    /// What the render set, but the policy (it names the nonce).
    headers: HeaderMap,
    /// The body, split where the render's nonce stood.
    parts: Vec<Bytes>,
}

impl PageCache {
    fn get(&self, uri: &str) -> Option<Arc<Page>> {
        self.pages.lock().ok()?.get(uri).cloned()
    }

    fn put(&self, uri: String, page: Page) {
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        if pages.len() >= MAX_PAGES && !pages.contains_key(&uri) {
            if let Some(any) = pages.keys().next().cloned() {
                pages.remove(&any);
            }
        }
        pages.insert(uri, Arc::new(page));
    }

    /// How many addresses are kept (for tests).
    pub fn len(&self) -> usize {
        self.pages.lock().map_or(0, |pages| pages.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Page {
    /// The stored render, with `nonce` where the render's stood.
    fn answer(&self, nonce: &str) -> Response {
        let len =
            self.parts.iter().map(Bytes::len).sum::<usize>() + nonce.len() * (self.parts.len() - 1);
        let mut body = Vec::with_capacity(len);
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(part);
        }
        let mut response = (StatusCode::OK, body).into_response();
        *response.headers_mut() = self.headers.clone();
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(Some(nonce))) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

/// A cached page, or the render (kept when it may be).
pub(super) async fn answer(state: &AppState, req: Request, next: Next) -> Response {
    let cacheable = req.method() == Method::GET
        && PAGES.contains(&req.uri().path())
        && !req.headers().contains_key(header::COOKIE)
        && state.has_accounts.load(Ordering::Relaxed);
    // A page per language and address.
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let uri = match req.uri().path_and_query() {
        Some(uri) if cacheable && uri.as_str().len() <= MAX_URI => {
            format!("{} {}", lang.tag(), uri.as_str())
        }
        _ => return with_page_policy(next.run(req).await).await,
    };
    if let Some(page) = state.pages.get(&uri) {
        return page.answer(&new_nonce());
    }
    let response = next.run(req).await;
    let headers = response.headers();
    let nonce = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(policy_nonce)
        .map(str::to_owned);
    let Some(nonce) = nonce.filter(|_| {
        response.status() == StatusCode::OK && !headers.contains_key(header::SET_COOKIE)
    }) else {
        return with_page_policy(response).await;
    };
    let (parts, body) = response.into_parts();
    // Our own render, small and finite; kept only when small.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = std::str::from_utf8(&bytes)
        .ok()
        .filter(|html| html.len() <= MAX_BODY);
    if let Some(html) = html {
        let mut headers = parts.headers.clone();
        headers.remove(header::CONTENT_SECURITY_POLICY);
        let pieces = html
            .split(nonce.as_str())
            .map(|s| bytes.slice_ref(s.as_bytes()))
            .collect();
        state.pages.put(
            uri,
            Page {
                headers,
                parts: pieces,
            },
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The nonce a Content-Security-Policy names, if any.
fn policy_nonce(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    Some(&policy[start..start + len]).filter(|n| !n.is_empty())
}

/// 128 random bits, as Leptos makes its nonces.
fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        let policy = content_security_policy(Some("abc-DEF_123"));
        assert_eq!(policy_nonce(&policy), Some("abc-DEF_123"));
        assert_eq!(policy_nonce(&content_security_policy(None)), None);
        assert_eq!(policy_nonce("script-src 'nonce-'"), None);
    }

    #[tokio::test]
    async fn a_stored_page_gets_the_new_nonce_wherever_the_old_one_stood() {
        let html = Bytes::from_static(b"<script nonce=\"N\">a</script><p>N</p>");
        let parts = std::str::from_utf8(&html)
            .unwrap()
            .split('N')
            .map(|s| html.slice_ref(s.as_bytes()))
            .collect();
        let page = Page {
            headers: HeaderMap::new(),
            parts,
        };
        let response = page.answer("fresh");
        let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("'nonce-fresh'"), "{policy}");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], b"<script nonce=\"fresh\">a</script><p>fresh</p>");
    }

    #[test]
    fn nonces_are_new_each_time() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
    }
}
