//! `spawn_app()`: the real router on port 0 with a fresh database (SQLite
//! file or a new PostgreSQL database), a real SMTP sink, and a client.

use crate::smtp_sink::SmtpSink;
use gatehouse::server::{
    http,
    platform::clock::ShiftedClock,
    platform::config::{Config, Settings, TransportKind},
    AppState,
};
use reqwest::{header, redirect::Policy, Client, Response};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Writes each test twice: once on SQLite, once on PostgreSQL. The
/// PostgreSQL variants are named `…::postgres`, so `cargo test -- --skip
/// ::postgres` leaves them out (`scripts/test.sh --quick` does); otherwise
/// they need a server and fail when there is none.
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
                    $crate::helpers::runtime().block_on(super::$name($crate::helpers::Engine::Postgres))
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

/// The PostgreSQL server the tests make their databases on: TEST_DATABASE_URL,
/// or else the local one that `scripts/test.sh` starts and sets up.
fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "postgres://gatehouse:gatehouse@127.0.0.1:5432/postgres".into())
}

async fn postgres_admin() -> sqlx_postgres::PgConnection {
    use sqlx::Connection;
    let url = postgres_url();
    sqlx_postgres::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "The PostgreSQL variants of the tests need a server, and {url} answers: {error}.\n\
             Start one and set TEST_DATABASE_URL (scripts/test.sh starts the local one), or leave\n\
             them out: cargo test -- --skip ::postgres (as scripts/test.sh --quick does)."
            )
        })
}

/// A database migrated once per run of the test binary, which each
/// PostgreSQL test's database copies (`CREATE DATABASE … TEMPLATE`): a copy
/// takes a fraction of running every migration again.
async fn postgres_template() -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = unique_database_name("template");
            create_database(&name, None).await;
            let db = gatehouse::server::db::Db::connect(&database_url(&name), 1)
                .await
                .expect("connect to the template database");
            db.migrate().await.expect("migrate the template database");
            // A template may have no connections while it is copied.
            db.pool.close().await;
            name
        })
        .await
}

fn unique_database_name(kind: &str) -> String {
    let random =
        gatehouse::server::platform::tokens::hash(&gatehouse::server::platform::tokens::generate());
    format!("gh_test_{kind}_{}", &random[..16])
}

async fn create_database(name: &str, template: Option<&str>) {
    let template = template
        .map(|t| format!(" TEMPLATE {t}"))
        .unwrap_or_default();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name}{template}"
    )))
    .execute(&mut postgres_admin().await)
    .await
    .expect("create a test database");
}

fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&postgres_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}

/// Cheap password hashing, for the tests that are not about its parameters:
/// a 19th of the defaults' work. Not cheaper: a server refuses to verify
/// stored hashes that ask for more than 16 times its own memory, and the
/// CLI tests' accounts are hashed by the binary with the defaults.
pub fn cheap_hashing(config: &mut Config) {
    config.auth.argon2_memory_kib = 2048;
    config.auth.argon2_iterations = 1;
}

/// The default hashing parameters, for the tests that are about them.
pub fn production_hashing(config: &mut Config) {
    let defaults = gatehouse::server::platform::config::AuthConfig::default();
    config.auth.argon2_memory_kib = defaults.argon2_memory_kib;
    config.auth.argon2_iterations = defaults.argon2_iterations;
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub state: AppState,
    pub clock: Arc<ShiftedClock>,
    pub sink: SmtpSink,
    running: Option<http::Running>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

/// A new database with the schema in place (PostgreSQL: a copy of the
/// migrated template; SQLite: a new file, which the app migrates at start).
pub async fn fresh_database_url(engine: Engine, dir: &std::path::Path) -> String {
    match engine {
        Engine::Sqlite => format!("sqlite://{}/test.db?mode=rwc", dir.display()),
        Engine::Postgres => {
            let template = postgres_template().await;
            let name = unique_database_name("db");
            create_database(&name, Some(template)).await;
            database_url(&name)
        }
    }
}

/// A new database without any tables, for the tests of migrating.
pub async fn empty_database_url(engine: Engine, dir: &std::path::Path) -> String {
    match engine {
        Engine::Sqlite => fresh_database_url(engine, dir).await,
        Engine::Postgres => {
            let name = unique_database_name("db");
            create_database(&name, None).await;
            database_url(&name)
        }
    }
}

pub async fn spawn_app_with(engine: Engine, configure: impl FnOnce(&mut Config)) -> TestApp {
    crate::log_audit::init();
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");

    let mut config = Config::default();
    config.site.name = "Acme Consultations".into();
    config.site.admin_email = "site-admin@acme.test".into();
    config.site.public_url = Some(base.parse().unwrap());
    config.site.addr = addr;
    config.site.data_dir = dir.path().to_owned();
    config.database.url = Some(
        fresh_database_url(engine, dir.path())
            .await
            .parse()
            .unwrap(),
    );
    config.database.max_connections = 8;
    config.mail.transport = TransportKind::Smtp;
    config.mail.smtp_url = Some(sink.url().parse().unwrap());
    cheap_hashing(&mut config);
    configure(&mut config);
    let settings = Settings::from_config(config).expect("valid test settings");

    let clock = Arc::new(ShiftedClock::default());
    let mut state = http::build_state(settings, clock.clone())
        .await
        .expect("app state");
    state.mail_retry_base_secs = 1;
    state.mail_poll_ms = 50;
    let running = http::start(state.clone(), listener)
        .await
        .expect("server starts");
    let client = crate::log_audit::client_builder()
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
        crate::log_audit::client_builder()
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
                accounts::new_account::{create_account, InitialPassword, NewAccount},
                http::request::RequestMeta,
            },
        };
        crate::log_audit::note(password);
        let password = InitialPassword::Typed {
            password: Secret::new(password),
            confirm: Secret::new(password),
        };
        let account = NewAccount::parse(&self.state.settings, email, name, role, password)
            .expect("valid test account");
        create_account(&self.state, None, account, &RequestMeta::default())
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
        let token = link.rsplit('/').next().unwrap().to_owned();
        crate::log_audit::note(&token);
        token
    }

    pub async fn stop(mut self) {
        self.stop_server().await;
    }

    /// Stops the server and its mail worker (after the message in hand),
    /// keeping the database and the sink to look at.
    pub async fn stop_server(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// A test that fails before `stop()` still stops its server (the runtime
/// is shared by every test of the binary).
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }
}

/// Another browser, logged in as `email` (through the JSON login).
/// Polls `check` every 50 ms for up to fifteen seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 15 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

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

/// A page as the admin's browser (without JavaScript) gets it.
pub async fn admin_page(app: &TestApp, admin: &reqwest::Client, path: &str) -> String {
    let res = admin
        .get(app.url(path))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK, "{path}");
    res.text().await.unwrap()
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

/// After a plain form post that leaves the site's pages (an app's sign-in,
/// a forward-auth return), the browser stops at `/continue?to=…`, which
/// moves on without a form: checks that page and returns where it goes.
pub async fn through_continue(client: &Client, app: &TestApp, location: &str) -> String {
    assert!(location.starts_with("/continue?to="), "{location}");
    let res = client.get(app.url(location)).send().await.unwrap();
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

pub fn location(res: &Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
