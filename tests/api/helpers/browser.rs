//! A browser on the site, and what a person does with it: open pages, log
//! in and out, change or reset a password, set up the first admin. The
//! server functions' endpoints and field names are written here and in
//! `admin.rs`, nowhere else.
//!
//! A browser runs the pages' JavaScript unless told otherwise: its actions
//! are then the server-function calls the hydrated pages make, answered
//! with JSON. `browser.without_js()` posts the same actions as plain HTML
//! forms, from the page the form is on, and is answered with redirects.

use reqwest::{header, Client, Response};

/// The server functions the tests call by name: those of the helpers, and
/// the ones the hardening tests post malformed bodies to.
pub mod endpoint {
    pub const LOG_IN: &str = "login";
    pub const LOG_OUT: &str = "logout";
    pub const LOG_OUT_EVERYWHERE: &str = "logout_everywhere";
    pub const CURRENT_USER: &str = "current_user";
    pub const CHANGE_PASSWORD: &str = "change_password";
    pub const REQUEST_PASSWORD_RESET: &str = "request_password_reset";
    pub const RESET_PASSWORD: &str = "reset_password";
    pub const RESEND_RESET_LINK: &str = "resend_reset_link";
    pub const SET_UP: &str = "setup";
}

/// A browser with its own cookie jar, on the site at `base` (or a proxy in
/// front of it). Clones share the cookie jar: they are the same browser.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    /// Where its requests go: the app, or a proxy in front of it.
    base: String,
    /// The `Origin` its posts carry: the site's own, another's, or none.
    origin: Option<String>,
    js: bool,
    /// Without JavaScript: the page a form is posted from, instead of the
    /// action's own page.
    page: Option<String>,
    headers: Vec<(String, String)>,
    extra_fields: Vec<(String, String)>,
}

/// The first site admin, as the setup form takes them.
pub struct FirstAdmin<'a> {
    pub token: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub confirm: &'a str,
}

impl Browser {
    /// A browser using `client` on the site at `base`, whose pages it runs
    /// (posts carry `base` as their `Origin`).
    pub fn new(client: Client, base: &str) -> Browser {
        Browser {
            client,
            base: base.to_owned(),
            origin: Some(base.to_owned()),
            js: true,
            page: None,
            headers: Vec::new(),
            extra_fields: Vec::new(),
        }
    }

    /// The same browser with JavaScript off: actions are plain form posts.
    pub fn without_js(&self) -> Browser {
        Browser {
            js: false,
            ..self.clone()
        }
    }

    /// Without JavaScript: the same browser posting its forms from `page`
    /// (a path, or a link to this site).
    pub fn on(&self, page: &str) -> Browser {
        Browser {
            page: Some(self.path_of(page)),
            ..self.clone()
        }
    }

    /// The same browser reaching the site through a proxy at `base`; its
    /// posts still carry the site's own `Origin`.
    pub fn through(&self, base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    /// The same browser posting as if from a page of `origin`.
    pub fn as_if_from(&self, origin: &str) -> Browser {
        Browser {
            origin: Some(origin.to_owned()),
            ..self.clone()
        }
    }

    /// The same browser posting without an `Origin` header.
    pub fn without_origin(&self) -> Browser {
        Browser {
            origin: None,
            ..self.clone()
        }
    }

    /// The same browser adding a header to every request.
    pub fn with_header(&self, name: &str, value: &str) -> Browser {
        let mut browser = self.clone();
        browser.headers.push((name.to_owned(), value.to_owned()));
        browser
    }

    /// The same browser slipping `fields` into every form it posts.
    pub fn with_extra_fields(&self, fields: &[(&str, &str)]) -> Browser {
        let mut browser = self.clone();
        browser
            .extra_fields
            .extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        browser
    }

    /// A link to this site for a path; absolute links stay as they are.
    pub fn url(&self, link: &str) -> String {
        if link.starts_with("http://") || link.starts_with("https://") {
            link.to_owned()
        } else {
            format!("{}{link}", self.base)
        }
    }

    fn path_of(&self, link: &str) -> String {
        link.strip_prefix(&self.base).unwrap_or(link).to_owned()
    }

    /// Opens a path or a link as a browser navigates to it.
    pub async fn get(&self, link: &str) -> Response {
        let mut req = self
            .client
            .get(self.url(link))
            .header(header::ACCEPT, "text/html");
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        req.send().await.unwrap()
    }

    /// The HTML of a page (a path, or a link to this site as mails and
    /// redirects give them), whatever its status.
    pub async fn page(&self, link: &str) -> String {
        self.get(link).await.text().await.unwrap()
    }

    /// The HTML of a page that must open (200).
    pub async fn open(&self, link: &str) -> String {
        let res = self.get(link).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{link}");
        res.text().await.unwrap()
    }

    /// Whether the account page opens, rather than sending to the login page.
    pub async fn is_logged_in(&self) -> bool {
        let res = self.get("/account").await;
        match res.status() {
            reqwest::StatusCode::OK => true,
            reqwest::StatusCode::FOUND => false,
            other => panic!("/account answered {other}"),
        }
    }

    /// After a plain form post that leaves the site's pages (an app's
    /// sign-in, a forward-auth return), the browser stops at
    /// `/continue?to=…`, which moves on without a form: checks that page
    /// and returns where it goes.
    pub async fn through_continue(&self, location: &str) -> String {
        assert!(location.starts_with("/continue?to="), "{location}");
        let res = self.client.get(self.url(location)).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let html = res.text().await.unwrap();
        let refresh = html
            .split("content=\"0; url=")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a meta refresh")
            .replace("&amp;", "&");
        assert!(
            html.contains(&format!("href=\"{}\"", refresh.replace('&', "&amp;"))),
            "{html}"
        );
        refresh
    }

    /// Posts `fields` to the server function `endpoint`: as the hydrated
    /// page calls it, or without JavaScript as a form on `form_page` (or
    /// the page set with [`Browser::on`]).
    pub(super) async fn submit(
        &self,
        endpoint: &str,
        form_page: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form = fields.to_vec();
        form.extend(
            self.extra_fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let mut req = self.client.post(format!("{}/api/{endpoint}", self.base));
        if let Some(origin) = &self.origin {
            req = req.header(header::ORIGIN, origin);
        }
        if !self.js {
            let page = self.page.as_deref().unwrap_or(form_page);
            req = req
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .header(header::REFERER, format!("{}{page}", self.base));
        }
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        req.form(&form).send().await.unwrap()
    }

    /// Posts a body as it is, said to be a form, to the server function
    /// `endpoint`.
    pub async fn post_raw(&self, endpoint: &str, body: Vec<u8>) -> Response {
        let mut req = self.client.post(format!("{}/api/{endpoint}", self.base));
        if let Some(origin) = &self.origin {
            req = req.header(header::ORIGIN, origin);
        }
        req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// "Log out" on the "Log out of <site>?" page an app sent the person
    /// to, with the app's fields.
    pub async fn log_out_to(&self, client_id: &str, back: &str, state: &str) -> Response {
        self.submit(
            "logout",
            "/log-out",
            &[
                ("client_id", client_id),
                ("post_logout_redirect_uri", back),
                ("state", state),
            ],
        )
        .await
    }

    /// The account page's sessions and apps (JSON: a `SessionsOverview`).
    pub async fn list_sessions(&self) -> Response {
        self.submit("list_sessions", "/account", &[]).await
    }

    /// "Log out there" for one of the sessions the account page lists.
    pub async fn end_session(&self, handle: &str) -> Response {
        self.submit("end_session", "/account", &[("handle", handle)])
            .await
    }

    /// "Remove access" for an app the account page lists.
    pub async fn end_app_access(&self, client_id: &str) -> Response {
        self.submit("end_app_access", "/account", &[("client_id", client_id)])
            .await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Response {
        crate::log_audit::note(password);
        self.submit(
            endpoint::LOG_IN,
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Logs in from a login page that was told where to go next.
    pub async fn log_in_then(&self, email: &str, password: &str, next: &str) -> Response {
        crate::log_audit::note(password);
        self.submit(
            endpoint::LOG_IN,
            "/login",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
    }

    /// Saves the language of the person's pages and mail (a tag; empty:
    /// none), from the account page.
    pub async fn set_language(&self, language: &str) -> Response {
        self.submit("set_language", "/account", &[("language", language)])
            .await
    }

    pub async fn log_out(&self) -> Response {
        self.submit(endpoint::LOG_OUT, "/account", &[]).await
    }

    pub async fn log_out_everywhere(&self) -> Response {
        self.submit(endpoint::LOG_OUT_EVERYWHERE, "/account", &[])
            .await
    }

    /// Who the site takes this browser for (JSON: the user, or `null`).
    pub async fn current_user(&self) -> Response {
        self.submit(endpoint::CURRENT_USER, "/account", &[]).await
    }

    pub async fn change_password(&self, current: &str, new: &str, confirm: &str) -> Response {
        for password in [current, new, confirm] {
            crate::log_audit::note(password);
        }
        self.submit(
            endpoint::CHANGE_PASSWORD,
            "/account",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await
    }

    pub async fn request_password_reset(&self, email: &str) -> Response {
        self.submit(
            endpoint::REQUEST_PASSWORD_RESET,
            "/forgot-password",
            &[("email", email)],
        )
        .await
    }

    /// Chooses a new password on the page of a reset (or invitation, or
    /// set-password) link.
    pub async fn reset_password(&self, token: &str, new: &str, confirm: &str) -> Response {
        for password in [new, confirm] {
            crate::log_audit::note(password);
        }
        self.submit(
            endpoint::RESET_PASSWORD,
            &format!("/reset-password/{token}"),
            &[
                ("token", token),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await
    }

    /// Asks, on the page of an expired link, for a fresh one.
    pub async fn resend_reset_link(&self, token: &str) -> Response {
        self.submit(
            endpoint::RESEND_RESET_LINK,
            &format!("/reset-password/{token}"),
            &[("token", token)],
        )
        .await
    }

    /// Creates the first site admin on the setup page.
    pub async fn set_up(&self, admin: &FirstAdmin<'_>) -> Response {
        for password in [admin.password, admin.confirm] {
            crate::log_audit::note(password);
        }
        self.submit(
            endpoint::SET_UP,
            "/setup",
            &[
                ("token", admin.token),
                ("email", admin.email),
                ("name", admin.name),
                ("password", admin.password),
                ("confirm_password", admin.confirm),
            ],
        )
        .await
    }
}
