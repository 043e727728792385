//! What a site admin does in the admin panel, as a browser does it. Any
//! browser may try: a visitor's or a user's is refused.

use super::browser::Browser;
use gatehouse::{domain::Role, server::db::user_search::Page};
use reqwest::Response;

/// The admin panel's forms are on the user list, unless a test says where.
const USERS_PAGE: &str = "/admin/users";

/// An account as the admin's "add user" form makes it.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub setup: Setup<'a>,
    /// The language of their mail, as the form's field `language` says.
    pub language: Option<&'a str>,
}

/// How a new user gets a password.
pub enum Setup<'a> {
    /// A "set your password" mail.
    Invite,
    /// They are present and type it themselves.
    Here { password: &'a str, confirm: &'a str },
}

impl<'a> NewUser<'a> {
    /// A user invited by mail to choose a password.
    pub fn invite(email: &'a str, name: &'a str) -> NewUser<'a> {
        NewUser {
            email,
            name,
            role: Role::User,
            setup: Setup::Invite,
            language: None,
        }
    }

    /// The same, in a language chosen for them.
    pub fn in_language(self, language: &'a str) -> NewUser<'a> {
        NewUser {
            language: Some(language),
            ..self
        }
    }

    /// A user present in person, typing their own password.
    pub fn in_person(email: &'a str, name: &'a str, password: &'a str) -> NewUser<'a> {
        NewUser {
            email,
            name,
            role: Role::User,
            setup: Setup::Here {
                password,
                confirm: password,
            },
            language: None,
        }
    }
}

/// What the admin's "edit user" form sets.
pub struct Profile<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
}

/// An app as the admin's "add app" form registers it.
pub struct NewApp<'a> {
    pub name: &'a str,
    pub redirect_uri: &'a str,
    pub public: bool,
    pub role: Role,
}

impl Browser {
    /// A page of the user list (JSON: a `UserPage`), for a search term or all.
    pub async fn list_users(&self, search: Option<&str>, page: Page) -> Response {
        let cursor = match page {
            Page::First => None,
            Page::Before(id) => Some(("before", id.to_string())),
            Page::After(id) => Some(("after", id.to_string())),
        };
        let mut form: Vec<(&str, &str)> = search.map(|q| ("q", q)).into_iter().collect();
        form.extend(cursor.as_ref().map(|(k, id)| (*k, id.as_str())));
        self.submit("admin/list_users", USERS_PAGE, &form).await
    }

    /// A page of the audit log (JSON), for one event or all.
    pub async fn list_audit(&self, event: Option<&str>) -> Response {
        let form: Vec<(&str, &str)> = event.map(|e| ("event", e)).into_iter().collect();
        self.submit("admin/list_audit", "/admin/audit", &form).await
    }

    pub async fn add_user(&self, user: NewUser<'_>) -> Response {
        let mut form = vec![
            ("email", user.email),
            ("name", user.name),
            ("role", user.role.as_str()),
        ];
        match user.setup {
            Setup::Invite => form.push(("setup", "invite")),
            Setup::Here { password, confirm } => {
                crate::log_audit::note(password);
                form.extend([
                    ("setup", "here"),
                    ("password", password),
                    ("confirm_password", confirm),
                ]);
            }
        }
        if let Some(language) = user.language {
            form.push(("language", language));
        }
        self.submit("admin/add_user", USERS_PAGE, &form).await
    }

    pub async fn update_user(&self, id: i64, profile: Profile<'_>) -> Response {
        let id = id.to_string();
        self.submit(
            "admin/update_user",
            USERS_PAGE,
            &[
                ("id", id.as_str()),
                ("email", profile.email),
                ("name", profile.name),
                ("role", profile.role.as_str()),
            ],
        )
        .await
    }

    /// The "edit app" form: its name, redirect URIs and who it admits.
    pub async fn edit_app(
        &self,
        client_id: &str,
        name: &str,
        redirect_uris: &str,
        role: Role,
    ) -> Response {
        self.submit(
            "admin/edit_app",
            "/admin/apps",
            &[
                ("client_id", client_id),
                ("name", name),
                ("redirect_uris", redirect_uris),
                ("allowed_role", role.as_str()),
            ],
        )
        .await
    }

    /// Saves an app's settings as the edit form sends them (`fields` beside
    /// its client id).
    pub async fn edit_app_with(&self, client_id: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("client_id", client_id)];
        form.extend_from_slice(fields);
        self.submit("admin/edit_app", "/admin/apps", &form).await
    }

    /// Sets a person's groups as their row on `/admin/users` does.
    pub async fn set_user_groups(&self, id: i64, groups: &str) -> Response {
        let id = id.to_string();
        let fields = [("id", id.as_str()), ("groups", groups)];
        self.submit("admin/set_user_groups", USERS_PAGE, &fields)
            .await
    }

    /// Posts one of `/admin/groups`' forms (`admin/<endpoint>`).
    pub async fn group_action(&self, endpoint: &str, fields: &[(&str, &str)]) -> Response {
        self.submit(&format!("admin/{endpoint}"), "/admin/groups", fields)
            .await
    }

    pub async fn disable_user(&self, id: i64) -> Response {
        self.submit("admin/disable_user", USERS_PAGE, &[("id", &id.to_string())])
            .await
    }

    pub async fn enable_user(&self, id: i64) -> Response {
        self.submit("admin/enable_user", USERS_PAGE, &[("id", &id.to_string())])
            .await
    }

    /// Deletes a user, ticking the box that confirms it.
    pub async fn delete_user(&self, id: i64) -> Response {
        self.submit(
            "admin/delete_user",
            USERS_PAGE,
            &[("id", &id.to_string()), ("confirm", "yes")],
        )
        .await
    }

    /// Deletes a user without ticking the box that confirms it.
    pub async fn delete_user_unconfirmed(&self, id: i64) -> Response {
        self.submit("admin/delete_user", USERS_PAGE, &[("id", &id.to_string())])
            .await
    }

    pub async fn send_reset_email(&self, id: i64) -> Response {
        self.submit(
            "admin/send_reset_email",
            USERS_PAGE,
            &[("id", &id.to_string())],
        )
        .await
    }

    /// A set-password link for the user, shown once on the admin's page.
    pub async fn make_set_password_link(&self, id: i64) -> Response {
        self.submit(
            "admin/make_set_password_link",
            USERS_PAGE,
            &[("id", &id.to_string())],
        )
        .await
    }

    /// The invitations (JSON), newest first.
    pub async fn list_invitations(&self) -> Response {
        self.submit("admin/list_invitations", USERS_PAGE, &[]).await
    }

    /// The outbox (JSON), newest first.
    pub async fn list_mail(&self) -> Response {
        self.submit("admin/list_mail", "/admin/mail", &[]).await
    }

    /// Sends a message given up on again.
    pub async fn retry_mail(&self, id: i64) -> Response {
        self.submit(
            "admin/retry_mail",
            "/admin/mail",
            &[("id", &id.to_string())],
        )
        .await
    }

    pub async fn send_test_mail(&self, to: &str) -> Response {
        self.submit("admin/send_test_mail", "/admin/mail", &[("to", to)])
            .await
    }

    pub async fn add_app(&self, app: NewApp<'_>) -> Response {
        let client_type = if app.public { "public" } else { "confidential" };
        self.submit(
            "admin/add_app",
            "/admin/apps",
            &[
                ("name", app.name),
                ("redirect_uris", app.redirect_uri),
                ("client_type", client_type),
                ("allowed_role", app.role.as_str()),
            ],
        )
        .await
    }

    /// "Replace secret" on `/admin/apps`.
    pub async fn rotate_app_secret(&self, client_id: &str) -> Response {
        self.submit(
            "admin/rotate_app_secret",
            "/admin/apps",
            &[("client_id", client_id)],
        )
        .await
    }

    /// "Confirm it's you": the admin's password again, then back to `next`.
    pub async fn confirm_password(&self, password: &str, next: &str) -> Response {
        crate::log_audit::note(password);
        self.submit(
            "admin/confirm_password",
            "/admin/confirm",
            &[("current_password", password), ("next", next)],
        )
        .await
    }
}
