//! The `gatehouse` binary as an operator runs it: `--help`, `migrate`,
//! `create-admin`, and a bad setting at start-up.

use crate::{both_engines, helpers::*, probe};
use std::{
    io::{Read, Write},
    path::Path,
    process::{Command, Output, Stdio},
};

/// Runs the built binary in `dir` (which has no Leptos.toml, so only the
/// defaults and `env` apply), feeding it `stdin`.
fn gatehouse(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command.current_dir(dir).args(args);
    // The test script exports settings for the browser journeys; none of
    // them may leak in here.
    for (key, _) in std::env::vars() {
        if key.starts_with("GATEHOUSE_") || key.starts_with("LEPTOS_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied()).env("RUST_LOG", "warn");
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the gatehouse binary starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `gatehouse <args> --help` and checks that it mentions each of `wanted`.
fn expect_help(args: &[&str], wanted: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = gatehouse(dir.path(), &[args, &["--help"]].concat(), &[], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for item in wanted {
        assert!(
            help.contains(item),
            "`gatehouse {args:?} --help` lacks {item:?}:\n{help}"
        );
    }
}

#[test]
fn help_explains_every_command() {
    expect_help(
        &[],
        &[
            "serve            Run the web server (the default)",
            "migrate          Apply database migrations and exit",
            "create-admin     Create a site admin",
            "setup-link       Print a fresh one-time link to /setup",
            "send-test-email  Send one test message",
            "backup           Copy a live SQLite database into a new file",
            "app              Apps that sign people in through Gatehouse",
            "keys             The keys that sign ID tokens",
            "group            Groups of people",
            "import           Bring people in from a CSV file",
            "export           Write every active account",
        ],
    );
    expect_help(&["import"], &["--from", "--dry-run", "--invite"]);
    expect_help(&["export"], &["--to"]);
    expect_help(
        &["app", "add"],
        &[
            "--name",
            "--redirect-uri",
            "--post-logout-redirect-uri",
            "--public",
            "--role",
            "--group",
        ],
    );
    expect_help(
        &["create-admin"],
        &[
            "--email",
            "--name",
            "--password-stdin",
            "--invite",
            "--role",
        ],
    );
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (variable, value, key) in [
        ("GATEHOUSE_TIME_ZONE", "Mars/Olympus", "site.time_zone"),
        (
            "GATEHOUSE_DATABASE__MAX_CONNECTIONS",
            "lots",
            "database.max_connections",
        ),
        (
            "GATEHOUSE_PUBLIC_URL",
            "ftp://example.com",
            "site.public_url",
        ),
    ] {
        let out = gatehouse(dir.path(), &["serve"], &[(variable, value)], None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{variable}={value}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "{variable}={value} should give one line:\n{stderr}"
        );
        assert!(
            lines[0].starts_with("error: configuration key `") && lines[0].contains(key),
            "{variable}={value}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

async fn migrate_and_create_admin_prepare_a_site_to_log_in_to(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let url = empty_database_url(engine, dir.path()).await;
    let env = [("GATEHOUSE_DATABASE_URL", url.as_str())];

    let out = gatehouse(dir.path(), &["migrate"], &env, None);
    assert!(out.status.success(), "migrate: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Migrations applied"),
        "{}",
        text(&out.stdout)
    );
    // Running it again changes nothing and still succeeds.
    let again = gatehouse(dir.path(), &["migrate"], &env, None);
    assert!(
        again.status.success(),
        "second migrate: {}",
        text(&again.stderr)
    );

    // Without --password-stdin and without a terminal it refuses to guess.
    let admin = [
        "create-admin",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Site Admin",
    ];
    let out = gatehouse(dir.path(), &admin, &env, None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--password-stdin"),
        "{}",
        text(&out.stderr)
    );

    let with_stdin = [&admin[..], &["--password-stdin"]].concat();
    let input = format!("{ADMIN_PASSWORD}\n");
    let out = gatehouse(dir.path(), &with_stdin, &env, Some(&input));
    assert!(out.status.success(), "create-admin: {}", text(&out.stderr));

    // The server on that database lets them in through a plain form post,
    // with the address in any letter case.
    let app = spawn_app_with(engine, |config| {
        config.database.url = Some(url.parse().unwrap())
    })
    .await;
    let res = app
        .without_js()
        .log_in("admin@acme.test", ADMIN_PASSWORD)
        .await;
    assert_redirects_to(&res, "/account");
    let html = app.page("/account").await;
    assert!(
        html.contains("Site Admin") && html.contains(ADMIN_EMAIL),
        "the account page should name the admin created by the CLI"
    );
}

/// Reads from `from` into `seen` until `seen` ends with `wanted`.
fn read_until(from: &mut impl Read, seen: &mut Vec<u8>, wanted: &str) {
    let mut byte = [0u8; 1];
    while !seen.ends_with(wanted.as_bytes()) {
        let n = from.read(&mut byte).unwrap();
        assert!(n > 0, "no {wanted:?} before the end:\n{}", text(seen));
        seen.push(byte[0]);
    }
}

/// Waits until the terminal of the `gatehouse` process working in `dir`
/// no longer echoes what is typed. A prompt is printed just before echo is
/// switched off, so typing right after it would race a fast typist's echo.
fn wait_until_echo_is_off(dir: &Path) {
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_gatehouse")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let terminal = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .map(|entry| entry.path())
            .find(|proc| {
                std::fs::read_link(proc.join("exe")).is_ok_and(|exe| exe == binary)
                    && std::fs::read_link(proc.join("cwd")).is_ok_and(|cwd| cwd == dir)
            })
            .and_then(|proc| std::fs::read_link(proc.join("fd/0")).ok());
        if let Some(terminal) = terminal {
            let settings = Command::new("stty")
                .arg("-F")
                .arg(&terminal)
                .arg("-a")
                .output()
                .unwrap();
            if text(&settings.stdout)
                .split_whitespace()
                .any(|flag| flag == "-echo")
            {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "echo never went off");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

async fn on_a_terminal_create_admin_asks_for_the_password_without_echoing_it(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = std::fs::canonicalize(dir.path()).unwrap();
    let url = fresh_database_url(engine, dir.path()).await;
    let password = "quiet harbour lanterns at dusk";
    // `script` (util-linux) gives the command a pseudo-terminal and copies
    // everything the terminal shows to its standard output.
    let command = format!(
        "{} create-admin --email {ADMIN_EMAIL} --name 'Site Admin'",
        env!("CARGO_BIN_EXE_gatehouse")
    );
    let mut child = Command::new("timeout")
        .args(["60", "script", "-qec", &command, "/dev/null"])
        .current_dir(&dir_path)
        .env("GATEHOUSE_DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = Vec::new();
    for prompt in ["Password: ", "Repeat the password: "] {
        read_until(&mut stdout, &mut shown, prompt);
        wait_until_echo_is_off(&dir_path);
        writeln!(stdin, "{password}").unwrap();
    }
    stdout.read_to_end(&mut shown).unwrap();
    let status = child.wait().unwrap();
    let shown = text(&shown);
    assert!(status.success(), "create-admin on a terminal:\n{shown}");
    assert!(
        !shown.contains(password),
        "the terminal showed the password:\n{shown}"
    );

    let app = spawn_app_with(engine, |config| {
        config.database.url = Some(url.parse().unwrap())
    })
    .await;
    // The typed password logs in.
    let res = app.without_js().log_in(ADMIN_EMAIL, password).await;
    assert_redirects_to(&res, "/account");
}

/// `gatehouse setup-link` prints a link that opens `/setup` on a new site,
/// and refuses once an account exists.
async fn setup_link_prints_a_link_that_creates_the_first_admin(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(engine, dir.path()).await;
    let env = [
        ("GATEHOUSE_DATABASE_URL", url.as_str()),
        ("GATEHOUSE_PUBLIC_URL", "https://accounts.acme.test"),
    ];
    let out = gatehouse(dir.path(), &["setup-link"], &env, None);
    assert!(out.status.success(), "setup-link: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let link = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let token = link
        .strip_prefix("https://accounts.acme.test/setup?token=")
        .unwrap_or_else(|| panic!("not a setup link: {link}"));

    let app = spawn_app_with(engine, |config| {
        config.database.url = Some(url.parse().unwrap())
    })
    .await;
    let res = app
        .set_up(&FirstAdmin {
            token,
            email: ADMIN_EMAIL,
            name: "Site Admin",
            password: ADMIN_PASSWORD,
            confirm: ADMIN_PASSWORD,
        })
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let res = app.without_js().log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_redirects_to(&res, "/account");
    // The server stops before the command works on its database.
    drop(app);

    let out = gatehouse(dir.path(), &["setup-link"], &env, None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("setup is complete"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty());
}

/// `gatehouse app add|list|remove` and `keys rotate`, as automation runs
/// them: the printed credentials work at the running server's token
/// endpoint (a wrong secret does not), and a removed app is gone.
async fn app_commands_register_list_and_remove_apps(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(engine, dir.path()).await;
    let env = [("GATEHOUSE_DATABASE_URL", url.as_str())];
    let add = [
        "app",
        "add",
        "--name",
        "Team Wiki",
        "--redirect-uri",
        "https://wiki.acme.test/cb",
        "--redirect-uri",
        "http://localhost:8080/cb",
        "--role",
        "site_admin",
    ];
    let out = gatehouse(dir.path(), &add, &env, None);
    assert!(out.status.success(), "app add: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let client_id = lines[0].strip_prefix("client_id=").expect("client_id=…");
    let secret = lines[1]
        .strip_prefix("client_secret=")
        .expect("client_secret=…");
    assert_eq!(secret.len(), 43);

    let out = gatehouse(
        dir.path(),
        &[
            "app",
            "add",
            "--name",
            "Phone",
            "--redirect-uri",
            "http://127.0.0.1:7/cb",
            "--public",
        ],
        &env,
        None,
    );
    assert!(out.status.success());
    assert!(
        !text(&out.stdout).contains("client_secret"),
        "public apps have no secret"
    );

    let bad = gatehouse(
        dir.path(),
        &[
            "app",
            "add",
            "--name",
            "X",
            "--redirect-uri",
            "http://wiki.acme.test/cb",
        ],
        &env,
        None,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("https://"),
        "{}",
        text(&bad.stderr)
    );

    let out = gatehouse(dir.path(), &["app", "list"], &env, None);
    let list = text(&out.stdout);
    let wiki = list
        .lines()
        .find(|l| l.starts_with(client_id))
        .expect("the wiki is listed");
    assert_eq!(
        wiki,
        format!("{client_id}\tconfidential\tsite_admin\tTeam Wiki\thttps://wiki.acme.test/cb http://localhost:8080/cb")
    );
    assert_eq!(list.lines().count(), 2);

    // The secret is stored hashed and checked by the server, which shares
    // the commands' data directory (and so the server's secret key).
    let app = spawn_app_with(engine, |config| {
        config.database.url = Some(url.parse().unwrap());
        config.site.data_dir = dir.path().join("data");
    })
    .await;
    let token = |secret: &str| {
        app.client
            .post(app.url("/oauth2/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
            .send()
    };
    assert_eq!(
        token(secret).await.unwrap().status(),
        reqwest::StatusCode::BAD_REQUEST,
        "known client, bad grant"
    );
    assert_eq!(
        token("wrong").await.unwrap().status(),
        reqwest::StatusCode::UNAUTHORIZED
    );

    let out = gatehouse(dir.path(), &["keys", "rotate"], &env, None);
    assert!(out.status.success(), "keys rotate: {}", text(&out.stderr));
    let kid = text(&out.stdout)
        .trim()
        .strip_prefix("kid=")
        .expect("kid=…")
        .to_owned();
    let jwks: serde_json::Value = app
        .client
        .get(app.url("/oauth2/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"][0]["kid"],
        kid.as_str(),
        "the server signs with the rotated key"
    );
    // Run with another data directory (another secret key), a rotation
    // would leave keys the server cannot open: it is refused.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = gatehouse(elsewhere.path(), &["keys", "rotate"], &env, None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("another server key"),
        "{}",
        text(&out.stderr)
    );
    // The server stops before the commands work on its database.
    drop(app);

    let out = gatehouse(dir.path(), &["app", "remove", client_id], &env, None);
    assert!(out.status.success(), "app remove: {}", text(&out.stderr));
    let out = gatehouse(dir.path(), &["app", "list"], &env, None);
    assert!(!text(&out.stdout).contains(client_id));
    let again = gatehouse(dir.path(), &["app", "remove", client_id], &env, None);
    assert!(!again.status.success(), "removing an unknown app fails");
}

/// Instances started at once on one new database each run the migrations
/// (start-up does): one applies them, the others wait and find them done.
/// An instance older than the database refuses to run.
async fn instances_starting_at_once_migrate_one_database_safely(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let url = empty_database_url(engine, dir.path()).await;
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
            for (key, _) in std::env::vars() {
                if key.starts_with("GATEHOUSE_") || key.starts_with("LEPTOS_") {
                    command.env_remove(key);
                }
            }
            command
                .current_dir(dir.path())
                .arg("migrate")
                .env("GATEHOUSE_DATABASE_URL", &url)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent migrate failed: {}",
            text(&out.stderr)
        );
    }
    let app = spawn_app_with(engine, |c| c.database.url = Some(url.parse().unwrap())).await;
    let (applied, distinct) = probe::applied_migrations(&app).await;
    assert_eq!(applied, distinct);
    // A migration from a newer version: this build stops rather than run on.
    probe::record_migration_from_the_future(&app).await;
    drop(app);
    let out = gatehouse(
        dir.path(),
        &["migrate"],
        &[("GATEHOUSE_DATABASE_URL", url.as_str())],
        None,
    );
    assert!(
        !out.status.success(),
        "an older build must not run on a newer database"
    );
}

/// `gatehouse group add|list|remove|add-member|remove-member`, with the
/// lines the contract gives (`list`: name, tab, member count), refusals
/// that name the problem (exit 1), and every change audited.
async fn group_commands_make_fill_list_and_remove_groups(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(engine, dir.path()).await;
    let env = [("GATEHOUSE_DATABASE_URL", url.as_str())];
    let run = |args: &[&str]| gatehouse(dir.path(), args, &env, None);
    for (email, name) in [("jane@acme.test", "Jane Doe"), ("sam@acme.test", "Sam Roe")] {
        let out = gatehouse(
            dir.path(),
            &[
                "create-admin",
                "--email",
                email,
                "--name",
                name,
                "--role",
                "user",
                "--password-stdin",
            ],
            &env,
            Some("a long enough passphrase\n"),
        );
        assert!(out.status.success(), "create-admin: {}", text(&out.stderr));
    }
    for args in [
        &["group", "add", "wiki-editors"][..],
        &["group", "add", "ops"],
        &["group", "add-member", "wiki-editors", "jane@acme.test"],
        &["group", "add-member", "wiki-editors", "SAM@acme.test"],
        &["group", "add-member", "ops", "sam@acme.test"],
    ] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let out = run(&["group", "list"]);
    assert_eq!(text(&out.stdout), "ops\t1\nwiki-editors\t2\n");

    // Refusals say why, and change nothing.
    for (args, why) in [
        (&["group", "add", "Wiki Editors"][..], "Name:"),
        (&["group", "add", "ops"], "Name:"),
        (
            &["group", "add-member", "nope", "jane@acme.test"],
            "not found",
        ),
        (
            &["group", "add-member", "ops", "nobody@acme.test"],
            "No account has this address",
        ),
        (&["group", "remove", "nope"], "not found"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).contains(why),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(&["group", "add-member", "ops", "sam@acme.test"]);
    assert!(
        text(&out.stdout).starts_with("Already in"),
        "{}",
        text(&out.stdout)
    );

    // An app for the members of named groups: each must exist, and a group
    // an app admits by stays until it is taken off the app.
    let app_add = |groups: &[&str]| {
        let mut args = vec![
            "app",
            "add",
            "--name",
            "Wiki",
            "--redirect-uri",
            "https://wiki.acme.test/cb",
        ];
        for group in groups {
            args.extend(["--group", group]);
        }
        run(&args)
    };
    let out = app_add(&["wiki-editors", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("There is no group called nope"),
        "{}",
        text(&out.stderr)
    );
    let out = app_add(&["wiki-editors", "ops"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["group", "remove", "ops"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Wiki"), "{}", text(&out.stderr));

    let out = run(&["group", "remove-member", "wiki-editors", "jane@acme.test"]);
    assert!(out.status.success());
    let out = run(&["group", "add", "unused"]);
    assert!(out.status.success());
    let out = run(&["group", "remove", "unused"]);
    assert!(out.status.success());
    let out = run(&["group", "list"]);
    assert_eq!(text(&out.stdout), "ops\t1\nwiki-editors\t1\n");

    let db = gatehouse::server::db::Db::connect(&url, 1).await.unwrap();
    let mut conn = db.conn().await.unwrap();
    let entries = gatehouse::server::db::audit::list(&mut conn, None, None, None, i64::MAX)
        .await
        .unwrap();
    let events: Vec<&str> = entries
        .iter()
        .rev()
        .map(|e| e.event.as_str())
        .filter(|e| e.starts_with("group"))
        .collect();
    assert_eq!(
        events,
        [
            "group_created",
            "group_created",
            "group_member_added",
            "group_member_added",
            "group_member_added",
            "group_member_removed",
            "group_created",
            "group_deleted",
        ]
    );
}

/// `gatehouse import` and `export` as an operator runs them: the lines it
/// prints, exit 1 with every bad line named (and nothing written), a dry
/// run, and an export only its owner can read, never over a file.
async fn import_and_export_commands_say_what_they_did(engine: Engine) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(engine, dir.path()).await;
    let env = [("GATEHOUSE_DATABASE_URL", url.as_str())];
    let run = |args: &[&str]| gatehouse(dir.path(), args, &env, None);
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "email,name,role,groups,password_hash\n\
         ann@acme.test,Ann,user,staff,\n\
         bob@acme.test,,user,,\n\
         cy@acme.test,Cy,user,,{SSHA}x\n",
    )
    .unwrap();
    let out = run(&["import", "--from", "people.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let errors = text(&out.stderr);
    assert!(errors.contains("line 3: name:"), "{errors}");
    assert!(
        errors.contains("line 4: password_hash: malformed {SSHA} hash"),
        "{errors}"
    );
    assert!(errors.contains("nothing imported: 2 bad lines"), "{errors}");

    std::fs::write(
        &file,
        "email,name,role,groups,password_hash\n\
         ann@acme.test,Ann,user,staff,\n\
         bob@acme.test,\"Roe, Bob\",site_admin,staff;ops,\n",
    )
    .unwrap();
    let out = run(&["import", "--from", "people.csv", "--dry-run"]);
    assert_eq!(
        text(&out.stdout),
        "would import 2\n",
        "{}",
        text(&out.stderr)
    );
    let out = run(&["group", "list"]);
    assert_eq!(text(&out.stdout), "", "a dry run writes nothing");
    let out = run(&["import", "--from", "people.csv"]);
    assert_eq!(text(&out.stdout), "imported 2\n", "{}", text(&out.stderr));
    let out = run(&["group", "list"]);
    assert_eq!(text(&out.stdout), "ops\t1\nstaff\t2\n");

    let out = run(&["export", "--to", "out.csv"]);
    assert_eq!(text(&out.stdout), "exported 2\n", "{}", text(&out.stderr));
    let exported = dir.path().join("out.csv");
    let mode = std::fs::metadata(&exported).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap(),
        "email,name,role,groups,password_hash\n\
         ann@acme.test,Ann,user,staff,\n\
         bob@acme.test,\"Roe, Bob\",site_admin,ops;staff,\n"
    );
    let out = run(&["export", "--to", "out.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("never overwritten"),
        "{}",
        text(&out.stderr)
    );
}

both_engines!(
    import_and_export_commands_say_what_they_did,
    group_commands_make_fill_list_and_remove_groups,
    instances_starting_at_once_migrate_one_database_safely,
    app_commands_register_list_and_remove_apps,
    setup_link_prints_a_link_that_creates_the_first_admin,
    migrate_and_create_admin_prepare_a_site_to_log_in_to,
    on_a_terminal_create_admin_asks_for_the_password_without_echoing_it,
);
