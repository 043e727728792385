//! Bringing a site's people in from another system, and writing them out:
//! `gatehouse import` and `gatehouse export`, with the CSV header
//! `email,name,role,groups,password_hash` (groups `;`-separated).
//!
//! An import is all or nothing: every line is read and checked before
//! anything is written, each bad line is reported with its number and
//! reason, and the people, their groups and their invitations go in in one
//! transaction. Password hashes from other systems are kept as they came
//! (see [`imported`]) until their owner's first login replaces them with
//! ours.

use crate::{
    domain::{Email, GroupName, Name, Role},
    server::{
        accounts::{account_mail::queue_link, passwords::imported::Kept},
        db,
        platform::{
            audit::{self, Entry, Event},
            client::RequestMeta,
            tokens::{self, Purpose},
        },
        AppState, ServiceError,
    },
};
use std::collections::{HashMap, HashSet};

/// The columns of the CSV, in the order an export writes them.
pub const HEADER: [&str; 5] = ["email", "name", "role", "groups", "password_hash"];

/// What an import is asked to do besides reading the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check every line and count, but write nothing.
    pub dry_run: bool,
    /// Mail an invitation to each person imported without a password hash.
    pub invite: bool,
}

/// A line that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its line number in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

/// How an import ended.
#[derive(Debug)]
pub enum Imported {
    /// This many people were imported (or would be, in a dry run).
    People(usize),
    /// Nothing was imported because of these lines.
    Refused(Vec<BadLine>),
}

/// One person as read from a line.
struct Person {
    line: u64,
    email: Email,
    name: Name,
    role: Role,
    groups: Vec<GroupName>,
    password_hash: Option<String>,
}

/// Where each column is (by the header, which may put them in any order).
struct Columns {
    email: usize,
    name: usize,
    role: Option<usize>,
    groups: Option<usize>,
    password_hash: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Self, String> {
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        if let Some(unknown) = header.iter().find(|h| !HEADER.contains(&h.trim())) {
            return Err(format!(
                "unknown column {unknown:?}: the header is {}",
                HEADER.join(",")
            ));
        }
        let (Some(email), Some(name)) = (find("email"), find("name")) else {
            return Err(format!(
                "the header needs the columns email and name (of {})",
                HEADER.join(",")
            ));
        };
        Ok(Self {
            email,
            name,
            role: find("role"),
            groups: find("groups"),
            password_hash: find("password_hash"),
        })
    }
}

/// Reads every line: the people on the good ones, and the bad ones.
fn read(input: impl std::io::Read) -> (Vec<Person>, Vec<BadLine>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(input);
    let columns = match reader.headers() {
        Ok(header) => Columns::of(header),
        Err(e) => Err(format!("unreadable header: {e}")),
    };
    let columns = match columns {
        Ok(columns) => columns,
        Err(reason) => return (Vec::new(), vec![BadLine { line: 1, reason }]),
    };
    let mut people = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push(BadLine {
                    line,
                    reason: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        match person(&record, &columns, line) {
            Ok(person) => {
                let normalized = person.email.normalized();
                if let Some(first) = seen.get(&normalized) {
                    bad.push(BadLine {
                        line,
                        reason: format!("email: the same address as line {first}"),
                    });
                } else {
                    seen.insert(normalized, line);
                    people.push(person);
                }
            }
            Err(reasons) => bad.push(BadLine {
                line,
                reason: reasons.join("; "),
            }),
        }
    }
    (people, bad)
}

/// One line's person, or what is wrong with it (each field's problem).
fn person(record: &csv::StringRecord, columns: &Columns, line: u64) -> Result<Person, Vec<String>> {
    let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").trim();
    let mut reasons = Vec::new();
    let mut check = |field: &str, problem: crate::error::Problem| {
        reasons.push(format!("{field}: {}", problem.message()));
    };
    let email = Email::parse(cell(Some(columns.email)))
        .map_err(|p| check("email", p))
        .ok();
    let name = Name::parse(cell(Some(columns.name)))
        .map_err(|p| check("name", p))
        .ok();
    let role = match cell(columns.role) {
        "" => Some(Role::User),
        role => Role::parse(role).map_err(|p| check("role", p)).ok(),
    };
    let mut groups = Vec::new();
    for group in cell(columns.groups)
        .split(';')
        .filter(|g| !g.trim().is_empty())
    {
        match GroupName::parse(group) {
            Ok(group) if !groups.contains(&group) => groups.push(group),
            Ok(_) => {}
            Err(p) => check("groups", p),
        }
    }
    let password_hash = match cell(columns.password_hash) {
        "" => None,
        hash => match Kept::read(hash) {
            Ok(_) => Some(hash.to_owned()),
            Err(why) => {
                reasons.push(format!("password_hash: {why}"));
                None
            }
        },
    };
    match (email, name, role) {
        (Some(email), Some(name), Some(role)) if reasons.is_empty() => Ok(Person {
            line,
            email,
            name,
            role,
            groups,
            password_hash,
        }),
        _ => Err(reasons),
    }
}

/// Imports the people of a CSV file (see the module's notes).
pub async fn import(
    state: &AppState,
    input: impl std::io::Read,
    options: ImportOptions,
    meta: &RequestMeta,
) -> Result<Imported, ServiceError> {
    let (people, mut bad) = read(input);
    // Who is here already: read before the write transaction (the
    // database's unique address holds inside it too).
    let existing = {
        let mut conn = state.db.conn().await?;
        db::users::all_normalized_emails(&mut conn).await?
    };
    bad.extend(
        people
            .iter()
            .filter(|p| existing.contains(&p.email.normalized()))
            .map(|p| BadLine {
                line: p.line,
                reason: "email: an account with this address exists already".into(),
            }),
    );
    if !bad.is_empty() {
        bad.sort_by_key(|b| b.line);
        return Ok(Imported::Refused(bad));
    }
    if options.dry_run {
        return Ok(Imported::People(people.len()));
    }
    let count = people.len();
    let invited = write(state, &people, options, meta).await?;
    if invited > 0 {
        state.mail_notify.notify_one();
    }
    Ok(Imported::People(count))
}

/// The import's one transaction; how many invitations it queued.
async fn write(
    state: &AppState,
    people: &[Person],
    options: ImportOptions,
    meta: &RequestMeta,
) -> Result<usize, ServiceError> {
    let now = state.clock.now();
    let normalized: Vec<String> = people.iter().map(|p| p.email.normalized()).collect();
    let subjects: Vec<String> = people.iter().map(|_| tokens::subject()).collect();
    let rows: Vec<db::users::NewUser<'_>> = people
        .iter()
        .zip(&normalized)
        .zip(&subjects)
        .map(|((p, normalized), subject)| db::users::NewUser {
            email: p.email.as_str(),
            email_normalized: normalized,
            name: p.name.as_str(),
            role: p.role.as_str(),
            password_hash: p.password_hash.as_deref(),
            subject,
            language: None,
            now,
        })
        .collect();
    let mut tx = state.db.begin().await?;
    let ids = match db::users::insert_many(&mut tx, &rows, now).await {
        Err(e) if db::is_unique_violation(&e) => {
            // Someone made one of these accounts since the check.
            let taken = crate::error::Problem::AlreadyTaken;
            return Err(crate::error::AppError::field(crate::error::Field::Email, taken).into());
        }
        other => other?,
    };
    // The groups named, made when missing.
    let mut groups = db::groups::ids_by_name(&mut tx).await?;
    let named: HashSet<&str> = people
        .iter()
        .flat_map(|p| p.groups.iter().map(GroupName::as_str))
        .collect();
    let mut made = Vec::new();
    for name in named {
        if !groups.contains_key(name) {
            let id = db::groups::insert(&mut tx, name, now).await?;
            groups.insert(name.to_owned(), id);
            made.push(name);
        }
    }
    let members: Vec<(i64, i64)> = people
        .iter()
        .zip(&normalized)
        .flat_map(|(p, normalized)| {
            let user = ids[normalized];
            p.groups
                .iter()
                .map(move |g| (g.as_str(), user))
                .collect::<Vec<_>>()
        })
        .map(|(group, user)| (groups[group], user))
        .collect();
    db::groups::add_members(&mut tx, &members, now).await?;
    let mut invited = 0;
    if options.invite {
        let lang = state.settings.default_language();
        for (person, normalized) in people.iter().zip(&normalized) {
            if person.password_hash.is_none() {
                let id = ids[normalized];
                let purpose = (Purpose::Invite, lang);
                queue_link(&mut tx, state, purpose, id, person.email.as_str(), now).await?;
                invited += 1;
            }
        }
    }
    made.sort_unstable();
    let mut detail = format!(
        "{} people, {} memberships, {invited} invitations",
        people.len(),
        members.len()
    );
    if !made.is_empty() {
        detail.push_str(&format!("; groups made: {}", made.join(", ")));
    }
    let entry = Entry::new(Event::UsersImported).detail(&detail);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(invited)
}

/// How an export went.
#[derive(Debug)]
pub struct Exported {
    pub people: usize,
    /// Disabled accounts, left out: the CSV cannot say an account is
    /// disabled, and importing it would enable it.
    pub disabled_left_out: i64,
}

/// Writes every active account (hashes and groups included) as CSV.
pub async fn export(
    state: &AppState,
    output: impl std::io::Write,
    meta: &RequestMeta,
) -> Result<Exported, ServiceError> {
    let (rows, disabled) = {
        let mut conn = state.db.conn().await?;
        (
            db::users::export_rows(&mut conn, state.db.engine).await?,
            db::users::count_disabled(&mut conn).await?,
        )
    };
    let mut writer = csv::Writer::from_writer(output);
    let failed = |e: csv::Error| anyhow::anyhow!("writing the CSV: {e}");
    writer.write_record(HEADER).map_err(failed)?;
    for row in &rows {
        writer
            .write_record([
                row.email.as_str(),
                row.name.as_str(),
                row.role.as_str(),
                row.groups.as_deref().unwrap_or(""),
                row.password_hash.as_deref().unwrap_or(""),
            ])
            .map_err(failed)?;
    }
    writer
        .flush()
        .map_err(|e| anyhow::anyhow!("writing the CSV: {e}"))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let detail = format!("{} people", rows.len());
    let entry = Entry::new(Event::UsersExported).detail(&detail);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    Ok(Exported {
        people: rows.len(),
        disabled_left_out: disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_is_named_with_its_number_and_reason() {
        let csv = "email,name,role,groups,password_hash\n\
                   ann@acme.test,Ann,user,staff;wiki,\n\
                   not-an-address,Bob,user,,\n\
                   cy@acme.test,,boss,,\n\
                   ANN@acme.test,Ann again,,,\n\
                   dee@acme.test,Dee,,Bad Group,md5$x$y\n";
        let (_, bad) = read(csv.as_bytes());
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
        assert!(bad[0].reason.starts_with("email:"), "{:?}", bad[0]);
        assert!(
            bad[1].reason.contains("name:") && bad[1].reason.contains("role:"),
            "{:?}",
            bad[1]
        );
        assert_eq!(bad[2].reason, "email: the same address as line 2");
        assert!(
            bad[3].reason.contains("groups:")
                && bad[3].reason.contains("unknown password hash format"),
            "{:?}",
            bad[3]
        );
    }

    #[test]
    fn only_email_and_name_are_needed_in_any_order() {
        let (people, bad) = read("name,email\nAnn,ann@acme.test\n".as_bytes());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(people[0].email.as_str(), "ann@acme.test");
        assert_eq!(people[0].role, Role::User);
        assert!(people[0].password_hash.is_none());
        let (_, bad) = read("email,name,password\n".as_bytes());
        assert_eq!(bad[0].line, 1);
        assert!(bad[0].reason.contains("unknown column"), "{:?}", bad[0]);
    }
}
