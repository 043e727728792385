//! The user list and its search, newest first with keyset paging, that
//! stays fast at a million users: each engine's trigram index for terms of
//! three characters or more, a bounded walk along the primary key for
//! shorter ones (BENCHMARKS.md, "Admin search").

use super::{users::UserRow, Conn, Engine};
use sqlx::{any::AnyRow, FromRow, Row};

/// Which slice of the list to fetch. The list is newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    First,
    /// Rows older than this id (the "next" page).
    Before(i64),
    /// Rows newer than this id (the "previous" page).
    After(i64),
}

/// How many of the newest ids PostgreSQL walks for a search term before it
/// turns to the trigram index: a term on at least one row in a hundred
/// fills a page of 50 there.
const SEARCH_WINDOW: i64 = 5_000;
/// How many ids a search for one or two characters walks before it stops
/// and lets the admin ask for more: trigram indexes cannot serve such terms.
const SHORT_TERM_WINDOW: i64 = 30_000;

/// One statement, newest first or, walking back, oldest first.
macro_rules! ordered {
    ($ascending:expr, $head:expr, $tail_desc:expr, $tail_asc:expr) => {
        if $ascending {
            concat!($head, $tail_asc)
        } else {
            concat!($head, $tail_desc)
        }
    };
}

/// A page of the users for which `$filter` (on the term, `$1`) holds, in
/// keyset order on `$key` ($2 before, $3 after, $4 limit).
macro_rules! filtered_page {
    ($ascending:expr, $filter:literal, $key:literal) => {
        ordered!(
            $ascending,
            concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE ",
                $filter,
                " AND id < $2 AND id > $3"
            ),
            concat!(" ORDER BY ", $key, " DESC LIMIT $4"),
            concat!(" ORDER BY ", $key, " ASC LIMIT $4")
        )
    };
}

/// A page of the user list.
pub struct Found {
    pub users: Vec<UserRow>,
    /// A bounded search stopped at this id without filling the page: the
    /// next page goes on from there.
    pub scanned_to: Option<i64>,
}

/// One page of users, newest first, optionally only those whose email or
/// name contains `term` (already lower case). Keyset paging on the primary
/// key; the search uses the trigram indexes of each engine.
pub async fn list(
    conn: &mut Conn,
    engine: Engine,
    term: Option<&str>,
    page: Page,
    limit: i64,
) -> sqlx::Result<Found> {
    let keys = Keyset::new(page, limit);
    let term = term.map(str::trim).filter(|t| !t.is_empty());
    let (rows, scanned_to) = match term {
        None => (list_all(conn, keys).await?, None),
        Some(t) if t.chars().count() < 3 => search_short(conn, engine, t, keys).await?,
        Some(t) => match engine {
            Engine::Sqlite => (search_sqlite_trigrams(conn, t, keys).await?, None),
            Engine::Postgres => search_postgres(conn, t, keys).await?,
        },
    };
    let mut users = rows
        .iter()
        .map(UserRow::from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    if keys.ascending {
        users.reverse();
    }
    Ok(Found { users, scanned_to })
}

/// Where a page lies on the primary key: ids below `before` and above
/// `after`, read newest first or (walking back) oldest first.
#[derive(Clone, Copy)]
struct Keyset {
    before: i64,
    after: i64,
    ascending: bool,
    limit: i64,
}

impl Keyset {
    fn new(page: Page, limit: i64) -> Self {
        let (before, after) = match page {
            Page::First => (i64::MAX, 0),
            Page::Before(id) => (id, 0),
            Page::After(id) => (i64::MAX, id),
        };
        let ascending = matches!(page, Page::After(_));
        Self {
            before,
            after,
            ascending,
            limit,
        }
    }

    /// The ids a bounded walk of `span` ids from `start`, the page's first
    /// row, covers: `(lowest, highest)`, within the page's range.
    fn walk(self, start: i64, span: i64) -> (i64, i64) {
        if self.ascending {
            let end = start.saturating_add(span - 1);
            (start, end.min(self.before - 1))
        } else {
            let end = start.saturating_sub(span - 1);
            (end.max(self.after + 1), start)
        }
    }
}

async fn list_all(conn: &mut Conn, keys: Keyset) -> sqlx::Result<Vec<AnyRow>> {
    let sql = ordered!(
        keys.ascending,
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id < $1 AND id > $2"
        ),
        " ORDER BY id DESC LIMIT $3",
        " ORDER BY id ASC LIMIT $3"
    );
    sqlx::query(sql)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .fetch_all(conn)
        .await
}

/// SQLite, terms of three characters or more: the trigram index
/// (`users_fts`), matched as a phrase.
async fn search_sqlite_trigrams(
    conn: &mut Conn,
    term: &str,
    keys: Keyset,
) -> sqlx::Result<Vec<AnyRow>> {
    let sql =
        ordered!(
            keys.ascending,
            concat!(
            "SELECT ", user_columns!(), " FROM users WHERE id IN (",
            "SELECT rowid FROM users_fts WHERE users_fts MATCH $1 AND rowid < $2 AND rowid > $3"
        ),
            " ORDER BY rowid DESC LIMIT $4) ORDER BY id DESC",
            " ORDER BY rowid ASC LIMIT $4) ORDER BY id ASC"
        );
    let phrase = format!("\"{}\"", term.replace('"', "\"\""));
    search_page(conn, sql, phrase, keys, Plan::Cached).await
}

/// A page of a search for one or two characters, which trigrams cannot
/// serve: a bounded range of ids walked along the primary key from the
/// page's start. A common term fills the page at once; a rare one stops at
/// the range's end, and the page says where, so that the next goes on
/// from there instead of one search reading the whole table.
async fn search_short(
    conn: &mut Conn,
    engine: Engine,
    term: &str,
    keys: Keyset,
) -> sqlx::Result<(Vec<AnyRow>, Option<i64>)> {
    let Some((found, walked)) = walk_first(conn, engine, term, keys, SHORT_TERM_WINDOW).await?
    else {
        return Ok((Vec::new(), None));
    };
    if found.len() as i64 >= keys.limit {
        return Ok((found, None));
    }
    let edge = beyond(conn, keys, walked).await?;
    Ok((found, edge))
}

/// A page of a search on PostgreSQL for three characters or more, in two
/// plans, because the planner cannot tell a common term from a rare one.
/// First the newest rows, a bounded range of ids walked along the primary
/// key: a common term fills the page there at once. When it does not, the
/// term is rare, and the trigram index finds every match.
async fn search_postgres(
    conn: &mut Conn,
    term: &str,
    keys: Keyset,
) -> sqlx::Result<(Vec<AnyRow>, Option<i64>)> {
    let found = match walk_first(conn, Engine::Postgres, term, keys, SEARCH_WINDOW).await? {
        None => Vec::new(),
        Some((found, _)) if found.len() as i64 >= keys.limit => found,
        Some(_) => postgres_trigrams(conn, term, keys).await?,
    };
    Ok((found, None))
}

/// The matches among the first `span` ids of the page's key range, with
/// the ids walked; `None` when the range holds no row.
async fn walk_first(
    conn: &mut Conn,
    engine: Engine,
    term: &str,
    keys: Keyset,
    span: i64,
) -> sqlx::Result<Option<(Vec<AnyRow>, (i64, i64))>> {
    let Some(start) = walk_start(conn, keys).await? else {
        return Ok(None);
    };
    let walked = keys.walk(start, span);
    let found = walk(conn, engine, term, keys, walked).await?;
    Ok(Some((found, walked)))
}

/// The first id of the page's key range (the newest, or the oldest when
/// walking back), if there is any row in it.
async fn walk_start(conn: &mut Conn, keys: Keyset) -> sqlx::Result<Option<i64>> {
    let sql = if keys.ascending {
        "SELECT min(id) AS id FROM users WHERE id < $1 AND id > $2"
    } else {
        "SELECT max(id) AS id FROM users WHERE id < $1 AND id > $2"
    };
    sqlx::query(sql)
        .bind(keys.before)
        .bind(keys.after)
        .fetch_one(conn)
        .await?
        .try_get("id")
}

/// The matches among the ids `lowest..=highest`, walked along the primary
/// key from the page's start, stopping once the page is full.
async fn walk(
    conn: &mut Conn,
    engine: Engine,
    term: &str,
    keys: Keyset,
    (lowest, highest): (i64, i64),
) -> sqlx::Result<Vec<AnyRow>> {
    let (sql, term) = match engine {
        Engine::Sqlite => (
            filtered_page!(
                keys.ascending,
                "id >= $5 AND id <= $6 AND (instr(email_normalized, $1) > 0 OR instr(name_normalized, $1) > 0)",
                "id"
            ),
            term.to_owned(),
        ),
        Engine::Postgres => (
            filtered_page!(
                keys.ascending,
                "id >= $5 AND id <= $6 AND (email_normalized LIKE $1 ESCAPE '\\' OR name_normalized LIKE $1 ESCAPE '\\')",
                "id"
            ),
            like_pattern(term),
        ),
    };
    sqlx::query(sql)
        .bind(term)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .bind(lowest)
        .bind(highest)
        .fetch_all(conn)
        .await
}

/// Where a walk of the ids `lowest..=highest` stopped, if rows remain
/// beyond it in the page's direction.
async fn beyond(
    conn: &mut Conn,
    keys: Keyset,
    (lowest, highest): (i64, i64),
) -> sqlx::Result<Option<i64>> {
    let (below, above, edge) = if keys.ascending {
        (keys.before, highest, highest)
    } else {
        (lowest, keys.after, lowest)
    };
    let more = sqlx::query("SELECT id FROM users WHERE id < $1 AND id > $2 LIMIT 1")
        .bind(below)
        .bind(above)
        .fetch_optional(conn)
        .await?;
    Ok(more.map(|_| edge))
}

/// How many of the newest rows tell which of a term's trigrams are rare.
const TRIGRAM_SAMPLE: i64 = 500;
/// A trigram on more of the sample than one row in this many is too
/// common to look up: its list in the index is long, and the rarer ones
/// narrow the matches down as well.
const COMMON_TRIGRAM: i64 = 20;

/// Every match, through the trigram index of email and name together
/// (`id + 0` keeps the planner from walking the whole primary key instead),
/// checked on each field alone (a term holding the index's separator must
/// not match across the two).
///
/// The index is asked for the term's rarest trigrams only, and the term
/// itself is checked on the rows they find. Asked for all of them, it reads
/// the long lists of trigrams that nearly every row shares (`sur`, `urn`,
/// … of a name field full of "surname"), most of the search's time; which
/// trigrams are rare is counted on the newest rows.
async fn postgres_trigrams(conn: &mut Conn, term: &str, keys: Keyset) -> sqlx::Result<Vec<AnyRow>> {
    let pattern = &like_pattern(term);
    let rare = rare_trigrams(conn, term).await?;
    let Some(first) = rare.first() else {
        let sql = filtered_page!(
            keys.ascending,
            "(email_normalized || chr(31) || name_normalized) LIKE $1 ESCAPE '\\'
             AND (email_normalized LIKE $1 ESCAPE '\\' OR name_normalized LIKE $1 ESCAPE '\\')",
            "id + 0"
        );
        // Planned afresh with the term itself: a cached generic plan cannot
        // see that the term is rare, nor use the trigram index for
        // `LIKE $1 ESCAPE …`.
        return search_page(conn, sql, pattern.to_owned(), keys, Plan::ForThisTerm).await;
    };
    let sql = filtered_page!(
        keys.ascending,
        "(email_normalized || chr(31) || name_normalized) LIKE $5
         AND (email_normalized || chr(31) || name_normalized) LIKE $6
         AND (email_normalized || chr(31) || name_normalized) LIKE $7
         AND (email_normalized LIKE $1 ESCAPE '\\' OR name_normalized LIKE $1 ESCAPE '\\')",
        "id + 0"
    );
    // Up to three trigrams; fewer repeat the rarest.
    let gram = |i: usize| format!("%{}%", rare.get(i).unwrap_or(first));
    sqlx::query(sql)
        .persistent(false)
        .bind(pattern)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .bind(gram(0))
        .bind(gram(1))
        .bind(gram(2))
        .fetch_all(conn)
        .await
}

/// Up to three of the term's trigrams, rarest first, that are on at most
/// one in [`COMMON_TRIGRAM`] of the newest rows. Only trigrams of ASCII
/// letters and digits are counted: pg_trgm takes exactly those from a
/// pattern as they are, and the term itself is checked on every row found,
/// so any of its substrings may narrow the search. Empty when none
/// qualifies: then the index is asked for the whole term.
async fn rare_trigrams(conn: &mut Conn, term: &str) -> sqlx::Result<Vec<String>> {
    let mut grams: Vec<&str> = Vec::new();
    for (i, _) in term.char_indices() {
        // `None` where a character of several bytes begins inside.
        let Some(gram) = term.get(i..i + 3) else {
            continue;
        };
        if gram.bytes().all(|b| b.is_ascii_alphanumeric()) && !grams.contains(&gram) {
            grams.push(gram);
        }
    }
    // A long term's first trigrams are enough to choose from.
    grams.truncate(16);
    if grams.is_empty() {
        return Ok(Vec::new());
    }
    let mut counted: Vec<(String, i64)> = sqlx::query(
        "SELECT g.gram, count(r.s) AS n
         FROM unnest(string_to_array($1, ' ')) AS g(gram)
         LEFT JOIN (SELECT email_normalized || chr(31) || name_normalized AS s
                    FROM users ORDER BY id DESC LIMIT $2) r ON strpos(r.s, g.gram) > 0
         GROUP BY g.gram",
    )
    .bind(grams.join(" "))
    .bind(TRIGRAM_SAMPLE)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("gram")?, row.try_get("n")?)))
    .collect::<sqlx::Result<_>>()?;
    counted.retain(|(_, n)| n * COMMON_TRIGRAM <= TRIGRAM_SAMPLE);
    counted.sort_by_key(|(_, n)| *n);
    Ok(counted.into_iter().take(3).map(|(gram, _)| gram).collect())
}

/// Whether a statement's prepared plan is kept for the next search.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    Cached,
    ForThisTerm,
}

/// Runs a search statement whose parameters are the term ($1) and the page
/// ($2 before, $3 after, $4 limit).
async fn search_page(
    conn: &mut Conn,
    sql: &'static str,
    term: String,
    keys: Keyset,
    plan: Plan,
) -> sqlx::Result<Vec<AnyRow>> {
    sqlx::query(sql)
        .persistent(plan == Plan::Cached)
        .bind(term)
        .bind(keys.before)
        .bind(keys.after)
        .bind(keys.limit)
        .fetch_all(conn)
        .await
}

/// `%term%` for `LIKE … ESCAPE '\\'`.
fn like_pattern(term: &str) -> String {
    format!("%{}%", escape_like(term))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
