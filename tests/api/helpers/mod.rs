//! `spawn_app()`: the real router on port 0 with a fresh database (SQLite
//! file or a new PostgreSQL database), a real SMTP sink, and a browser;
//! the browsers' actions (`browser.rs`, `admin.rs`) and the checks on
//! their answers (`assertions.rs`).

mod admin;
mod assertions;
mod browser;
mod two_step;

pub use admin::{NewApp, NewUser, Profile};
pub use assertions::{assert_redirects_to, assert_status, location};
pub use browser::{endpoint, Browser, FirstAdmin};
pub use two_step::{recovery_codes, Authenticator};

use crate::smtp_sink::SmtpSink;
use gatehouse::{
    domain::Role,
    server::{
        http,
        platform::clock::ShiftedClock,
        platform::config::{Config, Settings, TransportKind},
        AppState,
    },
};
use reqwest::{redirect::Policy, Client};
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
    // Failed logins answered as soon as checked (the test about their
    // floor sets it).
    config.auth.failed_login_floor_ms = 0;
}

/// The default hashing parameters, for the tests that are about them.
pub fn production_hashing(config: &mut Config) {
    let defaults = gatehouse::server::platform::config::AuthConfig::default();
    config.auth.argon2_memory_kib = defaults.argon2_memory_kib;
    config.auth.argon2_iterations = defaults.argon2_iterations;
}

/// A running site, and the test's own browser on it: `app.log_in(..)`,
/// `app.page(..)` are that browser's (`TestApp` derefs to it). Other
/// browsers: `app.browser()`, `app.as_user(..)`.
pub struct TestApp {
    pub base: String,
    browser: Browser,
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
    TestApp {
        browser: Browser::new(new_client(), &base),
        base,
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

/// A client as a browser is: its own cookie jar (which notes every cookie
/// for the log audit), redirects not followed, so that tests see them.
pub fn new_client() -> Client {
    crate::log_audit::client_builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(8))
        .build()
        .unwrap()
}

impl std::ops::Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl TestApp {
    /// Another browser, nobody logged in.
    pub fn browser(&self) -> Browser {
        Browser::new(new_client(), &self.base)
    }

    /// Another browser, `client` (bound to an address, say), on this site.
    pub fn browser_using(&self, client: Client) -> Browser {
        Browser::new(client, &self.base)
    }

    /// Another browser, logged in as `email` (through the JSON login).
    pub async fn as_user(&self, email: &str, password: &str) -> Browser {
        let browser = self.browser();
        let res = browser.log_in(email, password).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "login as {email}");
        browser
    }

    /// Another browser, logged in as the site admin.
    pub async fn as_admin(&self) -> Browser {
        self.as_user(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A site with its admin and Jane, a user: Jane's id and the admin's
    /// logged-in browser.
    pub async fn with_admin_and_user(&self) -> (i64, Browser) {
        self.create_admin().await;
        let id = self.create_jane().await;
        (id, self.as_admin().await)
    }

    pub async fn create_user(&self, email: &str, name: &str, password: &str, role: Role) -> i64 {
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
        let account = NewAccount::parse(&self.state.settings, email, name, role.as_str(), password)
            .expect("valid test account");
        create_account(&self.state, None, account, &RequestMeta::default())
            .await
            .expect("user created")
    }

    pub async fn create_admin(&self) -> i64 {
        self.create_user(ADMIN_EMAIL, "Site Admin", ADMIN_PASSWORD, Role::SiteAdmin)
            .await
    }

    /// Jane Doe, a user.
    pub async fn create_jane(&self) -> i64 {
        self.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, Role::User)
            .await
    }

    /// Puts the person with `email` in group `group`, making the group
    /// first if need be (as `gatehouse group add` and `add-member` do).
    pub async fn put_in_group(&self, email: &str, group: &str) {
        use gatehouse::{
            domain::GroupName,
            server::{admin::groups, http::request::RequestMeta},
        };
        let name = GroupName::parse(group).unwrap();
        let meta = RequestMeta::default();
        let _ = groups::create(&self.state, None, &name, &meta).await;
        groups::change_member(
            &self.state,
            None,
            &name,
            email,
            groups::Membership::Add,
            &meta,
        )
        .await
        .unwrap();
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

    /// Stops the server and its mail worker (after the message in hand),
    /// keeping the database and the sink to look at.
    pub async fn stop_server(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// A test that fails before its end still stops its server (the runtime
/// is shared by every test of the binary).
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }
}

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
