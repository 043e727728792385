//! The command line: `gatehouse serve | migrate | create-admin | setup-link | group |
//! import | export | send-test-email | app add|list|remove | keys rotate`.

use crate::{
    domain::{password::Secret, GroupName},
    error::{AppError, Field},
    server::{
        accounts::new_account::{self, InitialPassword, NewAccount},
        admin::{
            apps,
            transfer::{self, ImportOptions, Imported},
        },
        db::Db,
        http,
        mail::{
            outbox::{self, Delivery},
            templates,
            transport::{build_message, Transport},
        },
        platform::client::RequestMeta,
        platform::clock::SystemClock,
        platform::config::{Config, Settings},
        sign_in::oidc,
        ServiceError,
    },
};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    sync::Arc,
};

#[derive(Parser, Debug)]
#[command(
    name = "gatehouse",
    version,
    about = "Gatehouse: self-hosted user accounts with safe password resets."
)]
pub struct Cli {
    /// Settings file; every key can also be set by environment variables.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_CONFIG",
        default_value = "Leptos.toml"
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (the default). Migrations run first.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create a site admin (or, with --role user, a user) from the command line.
    CreateAdmin {
        /// Email address of the new account.
        #[arg(long)]
        email: String,
        /// Display name of the new account.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (for scripts). Without it
        /// and without --invite, the password is asked for on the terminal.
        #[arg(long, conflicts_with = "invite")]
        password_stdin: bool,
        /// Send a "set your password" email instead of setting a password.
        #[arg(long)]
        invite: bool,
        /// Role of the new account: site_admin or user.
        #[arg(long, default_value = "site_admin")]
        role: String,
    },
    /// Print a fresh one-time link to /setup, where the first site admin is
    /// created (only while no account exists).
    SetupLink,
    /// Send one test message through the configured mail transport.
    SendTestEmail {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
    /// Copy a live SQLite database into a new file, consistently (PostgreSQL:
    /// use pg_dump).
    Backup {
        /// The new file.
        #[arg(long)]
        to: PathBuf,
    },
    /// Apps that sign people in through Gatehouse (OpenID Connect clients).
    #[command(subcommand)]
    App(AppCommand),
    /// The keys that sign ID tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Groups of people, which apps learn from the `groups` claim and
    /// forward-auth from `Remote-Groups`.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Bring people in from a CSV file (header
    /// email,name,role,groups,password_hash), all or nothing; password
    /// hashes from other systems are kept until each person's next login.
    Import {
        /// The CSV file.
        #[arg(long)]
        from: PathBuf,
        /// Check every line and say how many would be imported; write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        /// Mail an invitation to each person without a password hash.
        #[arg(long)]
        invite: bool,
    },
    /// Write every active account (password hashes and groups included) to
    /// a new CSV file that only its owner can read.
    Export {
        /// The new file (an existing one is never overwritten).
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Make a group (lower-case letters, digits, - and _, at most 64).
    Add { name: String },
    /// List the groups, one a line: name, tab, member count.
    List,
    /// Remove a group; its members leave it.
    Remove { name: String },
    /// Put the person with this email in the group.
    AddMember { name: String, email: String },
    /// Take the person with this email out of the group.
    RemoveMember { name: String, email: String },
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Register an app; prints `client_id=…` and, for a confidential app,
    /// `client_secret=…` (shown only now), one per line.
    Add {
        /// The app's name, as people and the audit log see it.
        #[arg(long)]
        name: String,
        /// Where the app receives sign-ins (exact match); repeat for more.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the app may send people after logging out; repeat for more.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public app (in a browser or on a device): no secret, PKCE only.
        #[arg(long)]
        public: bool,
        /// Who may sign in: user (everyone) or site_admin.
        #[arg(long, default_value = "user")]
        role: String,
        /// Only people who logged in with two-step verification may sign in.
        #[arg(long)]
        two_factor: bool,
        /// Only members of this group may sign in; repeat for more (members
        /// of any of them may).
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// List the apps, one per line: client id, type, role, name, redirect
    /// URIs (tab-separated).
    List,
    /// Remove an app; every sign-in to it ends.
    Remove {
        /// The app's client id.
        client_id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Make a new signing key; the old one stays published until the ID
    /// tokens it signed have expired.
    Rotate,
}

pub fn load_settings(cli: &Cli) -> Result<Settings, String> {
    Settings::from_config(Config::load(&cli.config)?)
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => http::serve(settings).await,
        Command::Migrate => {
            let db = open_database(&settings).await?;
            db.migrate().await.context("migrations failed")?;
            println!(
                "Migrations applied to {}.",
                settings.database_url.redacted()
            );
            Ok(())
        }
        Command::CreateAdmin {
            email,
            name,
            password_stdin,
            invite,
            role,
        } => create_admin(settings, &email, &name, password_stdin, invite, &role).await,
        Command::SetupLink => {
            let state = http::build_state(settings, Arc::new(SystemClock)).await?;
            match crate::server::accounts::setup::issue_link(&state)
                .await
                .map_err(|e| anyhow::anyhow!("{}", AppError::from(e).message()))?
            {
                Some(link) => {
                    println!("{link}");
                    Ok(())
                }
                None => bail!("setup is complete: an account exists already"),
            }
        }
        Command::SendTestEmail { to } => send_test_email(settings, &to).await,
        Command::App(command) => app_command(settings, command).await,
        Command::Group(command) => group_command(settings, command).await,
        Command::Import {
            from,
            dry_run,
            invite,
        } => import(settings, &from, ImportOptions { dry_run, invite }).await,
        Command::Export { to } => export(settings, &to).await,
        Command::Backup { to } => {
            let db = open_database(&settings).await?;
            db.backup_sqlite(&to).await.map_err(anyhow::Error::msg)?;
            println!("Backed up to {}.", to.display());
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate) => {
            let state = http::build_state(settings, Arc::new(SystemClock)).await?;
            let kid = oidc::keys::rotate(&state, &cli_meta("gatehouse keys rotate"))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("kid={kid}");
            Ok(())
        }
    }
}

async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(settings.database_url.as_str(), 1)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                settings.database_url.redacted()
            )
        })
}

async fn import(settings: Settings, from: &Path, options: ImportOptions) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let state = http::build_state(settings, Arc::new(SystemClock)).await?;
    let meta = cli_meta("gatehouse import");
    let input = std::io::BufReader::new(file);
    match transfer::import(&state, input, options, &meta)
        .await
        .map_err(user_message)?
    {
        Imported::People(n) if options.dry_run => println!("would import {n}"),
        Imported::People(n) => println!("imported {n}"),
        Imported::Refused(bad) => {
            for line in &bad {
                eprintln!("line {}: {}", line.line, line.reason);
            }
            bail!("nothing imported: {} bad lines", bad.len());
        }
    }
    Ok(())
}

async fn export(settings: Settings, to: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .with_context(|| {
            format!(
                "cannot make {} (an existing file is never overwritten)",
                to.display()
            )
        })?;
    let state = http::build_state(settings, Arc::new(SystemClock)).await?;
    let mut output = std::io::BufWriter::new(file);
    let done = transfer::export(&state, &mut output, &cli_meta("gatehouse export")).await;
    let done = match done {
        Ok(done) => done,
        Err(e) => {
            // Half a file is worse than none.
            drop(output);
            let _ = std::fs::remove_file(to);
            return Err(user_message(e));
        }
    };
    output
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot write {}", to.display()))?;
    if done.disabled_left_out > 0 {
        eprintln!(
            "left out {} disabled accounts (the CSV cannot say an account is disabled)",
            done.disabled_left_out
        );
    }
    println!("exported {}", done.people);
    Ok(())
}

fn cli_meta(what: &str) -> RequestMeta {
    RequestMeta {
        user_agent: Some(what.into()),
        ..RequestMeta::default()
    }
}

fn user_message(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::User(AppError::Validation(problems)) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|(f, p)| format!("{f:?}: {}", p.message()))
                .collect();
            anyhow::anyhow!("{}", lines.join(" "))
        }
        e => anyhow::anyhow!("{}", AppError::from(e).message()),
    }
}

async fn app_command(settings: Settings, command: AppCommand) -> anyhow::Result<()> {
    let state = http::build_state(settings, Arc::new(SystemClock)).await?;
    match command {
        AppCommand::Add {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            role,
            two_factor,
            groups,
        } => {
            let input = apps::AppInput::parse(apps::AppForm {
                name: &name,
                redirect_uris: &redirect_uris.join("\n"),
                post_logout_redirect_uris: &post_logout_redirect_uris.join("\n"),
                allowed_role: &role,
                two_factor,
                groups: &groups.join(" "),
            })
            .map_err(|e| user_message(e.into()))?;
            let made = apps::add(&state, None, input, public, &cli_meta("gatehouse app add"))
                .await
                .map_err(user_message)?;
            println!("client_id={}", made.client_id);
            if let Some(secret) = made.client_secret {
                println!("client_secret={secret}");
            }
        }
        AppCommand::List => {
            for app in apps::list(&state).await.map_err(user_message)? {
                let kind = if app.public { "public" } else { "confidential" };
                println!(
                    "{}\t{kind}\t{}\t{}\t{}",
                    app.client_id,
                    app.allowed_role.as_str(),
                    app.name,
                    app.redirect_uris.join(" ")
                );
            }
        }
        AppCommand::Remove { client_id } => {
            apps::remove(&state, None, &client_id, &cli_meta("gatehouse app remove"))
                .await
                .map_err(user_message)?;
            println!("Removed {client_id}.");
        }
    }
    Ok(())
}

async fn group_command(settings: Settings, command: GroupCommand) -> anyhow::Result<()> {
    use crate::server::admin::groups::{self, Membership};
    let state = http::build_state(settings, Arc::new(SystemClock)).await?;
    let parse = |name: &str| {
        GroupName::parse(name).map_err(|p| user_message(AppError::field(Field::Name, p).into()))
    };
    match command {
        GroupCommand::Add { name } => {
            let name = parse(&name)?;
            groups::create(&state, None, &name, &cli_meta("gatehouse group add"))
                .await
                .map_err(user_message)?;
            println!("Added group {}.", name.as_str());
        }
        GroupCommand::List => {
            for group in groups::list(&state).await.map_err(user_message)? {
                println!("{}\t{}", group.name, group.members);
            }
        }
        GroupCommand::Remove { name } => {
            let name = parse(&name)?;
            groups::remove(&state, None, &name, &cli_meta("gatehouse group remove"))
                .await
                .map_err(user_message)?;
            println!("Removed group {}.", name.as_str());
        }
        GroupCommand::AddMember { name, email } => {
            let what = "gatehouse group add-member";
            member(&state, &parse(&name)?, &email, Membership::Add, what).await?;
        }
        GroupCommand::RemoveMember { name, email } => {
            let what = "gatehouse group remove-member";
            member(&state, &parse(&name)?, &email, Membership::Remove, what).await?;
        }
    }
    Ok(())
}

/// `group add-member` and `group remove-member`.
async fn member(
    state: &crate::server::AppState,
    name: &GroupName,
    email: &str,
    change: crate::server::admin::groups::Membership,
    what: &str,
) -> anyhow::Result<()> {
    use crate::server::admin::groups::{self, Membership};
    let changed = groups::change_member(state, None, name, email, change, &cli_meta(what))
        .await
        .map_err(user_message)?;
    let done = match (change, changed) {
        (Membership::Add, true) => "Added",
        (Membership::Add, false) => "Already in",
        (Membership::Remove, true) => "Removed",
        (Membership::Remove, false) => "Not in",
    };
    println!("{done}: {email} in {}.", name.as_str());
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<(Secret, Secret)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((Secret::new(password.clone()), Secret::new(password)));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for a password: use --password-stdin or --invite");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat the password: ")?;
    Ok((Secret::new(first), Secret::new(second)))
}

async fn create_admin(
    settings: Settings,
    email: &str,
    name: &str,
    password_stdin: bool,
    invite: bool,
    role: &str,
) -> anyhow::Result<()> {
    let password = if invite {
        InitialPassword::Invite
    } else {
        let (password, confirm) = read_password(password_stdin)?;
        InitialPassword::Typed { password, confirm }
    };
    let state = http::build_state(settings, Arc::new(SystemClock)).await?;
    let meta = cli_meta("gatehouse create-admin");
    let created = match NewAccount::parse(&state.settings, email, name, role, password) {
        Ok(account) => new_account::create_account(&state, None, account, &meta).await,
        Err(invalid) => Err(invalid.into()),
    };
    match created {
        Ok(id) => {
            println!("Created {role} #{id} <{}>.", email.trim());
        }
        Err(ServiceError::User(AppError::Validation(problems))) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|(f, p)| format!("{f:?}: {}", p.message()))
                .collect();
            bail!("{}", lines.join(" "));
        }
        Err(e) => bail!("{}", AppError::from(e).message()),
    }
    if invite {
        let transport = Transport::from_settings(&state.settings).map_err(anyhow::Error::msg)?;
        loop {
            match outbox::deliver_one(&state, &transport).await? {
                Delivery::Sent => println!("Invitation sent through {}.", transport.describe()),
                Delivery::Retry(e) | Delivery::ServerDown(e) => {
                    println!("The invitation is queued; delivery failed for now ({e}). The server will retry.");
                    break;
                }
                Delivery::GaveUp(e) => {
                    println!("The mail server refused the invitation for good: {e}. Make a set-password link for them on /admin/users instead.");
                    break;
                }
                Delivery::Idle => break,
            }
        }
    }
    Ok(())
}

async fn send_test_email(settings: Settings, to: &str) -> anyhow::Result<()> {
    let transport = Transport::from_settings(&settings).map_err(anyhow::Error::msg)?;
    let mail = templates::Mails(settings.default_language()).test(&settings.site_name);
    let message = build_message(
        &settings.admin_email,
        &settings.site_name,
        to,
        &mail.subject,
        &mail.text,
        &mail.html,
    )
    .map_err(anyhow::Error::msg)?;
    transport
        .send(message)
        .await
        .map_err(|e| anyhow::anyhow!("sending through {} failed: {e}", transport.describe()))?;
    println!(
        "Test message sent to {to} through {}.",
        transport.describe()
    );
    Ok(())
}
