//! `spawn_app()`: the real router on port 0 with a fresh database (SQLite
//! file or a new PostgreSQL database), a real SMTP sink, and a client.

use crate::smtp_sink::SmtpSink;
use gatehouse::server::{
    app,
    clock::ShiftedClock,
    config::{Config, Settings},
    AppState,
};
use reqwest::{header, redirect::Policy, Client, Response};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Writes each test twice: once on SQLite, once on PostgreSQL.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    $crate::helpers::runtime().block_on(super::$name($crate::helpers::Engine::Sqlite))
                }
                #[test]
                fn postgres() {
                    if $crate::helpers::postgres_available() {
                        $crate::helpers::runtime().block_on(super::$name($crate::helpers::Engine::Postgres))
                    }
                }
            }
        )*
    };
}

/// One runtime for the whole test binary. Leptos keeps process-wide state
/// (its task spawner among it); with a runtime per test, work of one test
/// could end up on the runtime of another that has already shut down.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// PostgreSQL tests need TEST_DATABASE_URL. Under CI they must run, so a
/// missing URL fails them loudly instead of skipping.
pub fn postgres_available() -> bool {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests cannot be skipped");
    }
    eprintln!("SKIPPED: set TEST_DATABASE_URL to run the PostgreSQL variant");
    false
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub state: AppState,
    pub clock: Arc<ShiftedClock>,
    pub sink: SmtpSink,
    running: Option<app::Running>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

pub async fn fresh_database_url(engine: Engine, dir: &std::path::Path) -> String {
    match engine {
        Engine::Sqlite => format!("sqlite://{}/test.db?mode=rwc", dir.display()),
        Engine::Postgres => {
            use sqlx::Connection;
            let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!(
                "gh_test_{}",
                &gatehouse::server::tokens::hash(&gatehouse::server::tokens::generate())[..16]
            );
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&name);
            url.to_string()
        }
    }
}

pub async fn spawn_app_with(engine: Engine, configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");

    let mut config = Config::default();
    config.site.name = "Acme Consultations".into();
    config.site.admin_email = "site-admin@acme.test".into();
    config.site.public_url = base.clone();
    config.site.addr = addr.to_string();
    config.site.data_dir = dir.path().to_owned();
    config.database.url = fresh_database_url(engine, dir.path()).await;
    config.database.max_connections = 8;
    config.mail.transport = "smtp".into();
    config.mail.smtp_url = sink.url();
    configure(&mut config);
    let settings = Settings::from_config(config).expect("valid test settings");

    let clock = Arc::new(ShiftedClock::default());
    let mut state = app::build_state(settings, clock.clone())
        .await
        .expect("app state");
    state.mail_retry_base_secs = 1;
    state.mail_poll_ms = 50;
    let running = app::start(state.clone(), listener)
        .await
        .expect("server starts");
    let client = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(8))
        .build()
        .unwrap();
    TestApp {
        base,
        client,
        state,
        clock,
        sink,
        running: Some(running),
        _dir: dir,
    }
}

pub const ADMIN_EMAIL: &str = "Admin@Acme.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const USER_EMAIL: &str = "Jane.Doe@Example.test";
pub const USER_PASSWORD: &str = "velvet thunder orchard 42";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with its own cookie jar: another browser.
    pub fn new_client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(8))
            .build()
            .unwrap()
    }

    /// The HTML of a page, from a path or an absolute link to this site
    /// (as mails and redirects give them).
    pub async fn page(&self, link: &str) -> String {
        self.get(&link.replace(&self.base, ""))
            .await
            .text()
            .await
            .unwrap()
    }

    /// A site with its admin and Jane, a user: Jane's id and the admin's
    /// logged-in client.
    pub async fn with_admin_and_user(&self) -> (String, Client) {
        self.create_admin().await;
        let id = self
            .create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
            .await;
        let admin = logged_in(self, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        (id.to_string(), admin)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap()
    }

    /// A server function called like the hydrated page does (JSON answers).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        call_with(&self.client, &self.base, endpoint, form).await
    }

    /// A plain HTML form post, as a browser without JavaScript sends it.
    pub async fn form_post(
        &self,
        endpoint: &str,
        referer: &str,
        form: &[(&str, &str)],
    ) -> Response {
        form_post_with(&self.client, &self.base, endpoint, referer, form).await
    }

    pub async fn create_user(&self, email: &str, name: &str, password: &str, role: &str) -> i64 {
        use gatehouse::{
            domain::password::Secret,
            server::{
                auth::{create_account, InitialPassword, NewAccount},
                request::RequestMeta,
            },
        };
        let account = NewAccount {
            email,
            name,
            role,
            password: InitialPassword::Typed {
                password: Secret::new(password),
                confirm: Secret::new(password),
            },
        };
        create_account(&self.state, None, account, None, &RequestMeta::default())
            .await
            .expect("user created")
    }

    pub async fn create_admin(&self) -> i64 {
        self.create_user(ADMIN_EMAIL, "Site Admin", ADMIN_PASSWORD, "site_admin")
            .await
    }

    /// Logs in through a plain HTML form post, as a browser without
    /// JavaScript does, and checks that it lands on the account page.
    pub async fn form_log_in(&self, email: &str, password: &str) -> Response {
        let res = self
            .form_post(
                "login",
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), reqwest::StatusCode::FOUND);
        assert_eq!(location(&res), "/account", "logging in as {email}");
        res
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Response {
        self.call("login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn request_reset(&self, email: &str) -> Response {
        self.call("request_password_reset", &[("email", email)])
            .await
    }

    /// The reset link of the newest mail to `to`, waiting for it to arrive.
    pub async fn last_email_link(&self, to: &str, n: usize) -> String {
        let mails = self.sink.wait_for(to, n).await;
        mails.last().unwrap().link().expect("a link in the mail")
    }

    pub fn token_of(link: &str) -> String {
        link.rsplit('/').next().unwrap().to_owned()
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Another browser, logged in as `email` (through the JSON login).
pub async fn logged_in(app: &TestApp, email: &str, password: &str) -> Client {
    let client = app.new_client();
    let res = call_with(
        &client,
        &app.base,
        "login",
        &[("email", email), ("password", password)],
    )
    .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK, "login as {email}");
    client
}

pub async fn call_with(
    client: &Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Response {
    client
        .post(format!("{base}/api/{endpoint}"))
        .header(header::ORIGIN, base)
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn form_post_with(
    client: &Client,
    base: &str,
    endpoint: &str,
    referer: &str,
    form: &[(&str, &str)],
) -> Response {
    client
        .post(format!("{base}/api/{endpoint}"))
        .header(header::ORIGIN, base)
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, format!("{base}{referer}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
