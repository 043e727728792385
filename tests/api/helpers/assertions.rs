//! Checks on an answer, failing at the test's line with the request named.

use reqwest::{header, Response, StatusCode};

/// Where an answer redirects to (empty when it has no `Location`).
pub fn location(res: &Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[track_caller]
pub fn assert_status(res: &Response, expected: StatusCode) {
    assert_eq!(
        res.status(),
        expected,
        "{} {} answered {}",
        res.url(),
        location(res),
        res.status()
    );
}

/// A `302 Found` to `to`, as the site's pages and forms redirect.
#[track_caller]
pub fn assert_redirects_to(res: &Response, to: &str) {
    assert_eq!(
        (res.status(), location(res).as_str()),
        (StatusCode::FOUND, to),
        "{} redirects elsewhere",
        res.url()
    );
}
