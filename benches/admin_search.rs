//! Search and paging latency of the admin user list with one million users,
//! on SQLite and (when BENCH_DATABASE_URL names an empty PostgreSQL
//! database) on PostgreSQL. Calls the same storage function the admin page
//! uses; reports median and p95 per query shape.
//!
//! cargo bench --bench admin_search
//!
//! BENCH_SKIP_SQLITE=1 measures PostgreSQL alone.

use gatehouse::server::db::{
    user_search::{list, Page},
    Db, Engine,
};
use std::time::Instant;

const USERS: i64 = 1_000_000;
const RUNS: usize = 30;

async fn seed(db: &Db) {
    let sql = match db.engine {
        Engine::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
             INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'user' || i || '@example' || (i % 97) || '.test', 'user' || i || '@example' || (i % 97) || '.test',
                    'Person ' || i || ' Surname' || (i % 1013), 'person ' || i || ' surname' || (i % 1013),
                    'user', 1, 1700000000, 1700000000 FROM n"
        }
        Engine::Postgres => {
            "INSERT INTO users (email, email_normalized, name, name_normalized, role, active, created_at, updated_at)
             SELECT 'user' || i || '@example' || (i % 97) || '.test', 'user' || i || '@example' || (i % 97) || '.test',
                    'Person ' || i || ' Surname' || (i % 1013), 'person ' || i || ' surname' || (i % 1013),
                    'user', 1, 1700000000, 1700000000 FROM generate_series(1, 1000000) AS i"
        }
    };
    let start = Instant::now();
    sqlx::query(sql).execute(&db.pool).await.unwrap();
    if db.engine == Engine::Postgres {
        sqlx::query("ANALYZE users")
            .execute(&db.pool)
            .await
            .unwrap();
    }
    println!(
        "seeded {USERS} users in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        v[v.len() / 2],
        v[((v.len() as f64 - 1.0) * 0.95).round() as usize],
    )
}

async fn measure(db: &Db, label: &str, term: Option<&str>, page: Page) {
    let mut conn = db.conn().await.unwrap();
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let page = list(&mut conn, db.engine, term, page, 51).await.unwrap();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        found = page.users.len();
    }
    let (median, p95) = stats(times);
    println!(
        "| {:?} | {label} | {found} | {median:.2} | {p95:.2} |",
        db.engine
    );
}

async fn run(url: &str) {
    let db = Db::connect(url, 4).await.unwrap();
    db.migrate().await.unwrap();
    seed(&db).await;
    println!("| engine | query | rows | median ms | p95 ms |");
    println!("|---|---|---|---|---|");
    measure(&db, "first page, no search", None, Page::First).await;
    measure(
        &db,
        "page deep in the list (before id 500000)",
        None,
        Page::Before(500_000),
    )
    .await;
    measure(
        &db,
        "previous page (after id 500000)",
        None,
        Page::After(500_000),
    )
    .await;
    measure(
        &db,
        "search, common term `surname1`",
        Some("surname1"),
        Page::First,
    )
    .await;
    measure(
        &db,
        "search, rare term `user777777@`",
        Some("user777777@"),
        Page::First,
    )
    .await;
    measure(
        &db,
        "search, 0.1% term `surname777` (about 1,000 matches)",
        Some("surname777"),
        Page::First,
    )
    .await;
    measure(&db, "search, no match `zzzq`", Some("zzzq"), Page::First).await;
    measure(&db, "search, 2 characters `77`", Some("77"), Page::First).await;
    measure(
        &db,
        "search, rare 2 characters `zq` (no match)",
        Some("zq"),
        Page::First,
    )
    .await;
    measure(
        &db,
        "search + next page",
        Some("surname1"),
        Page::Before(900_000),
    )
    .await;
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    if std::env::var_os("BENCH_SKIP_SQLITE").is_none() {
        run(&format!(
            "sqlite://{}/bench.db?mode=rwc",
            dir.path().display()
        ))
        .await;
    }
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => run(&url).await,
        _ => println!(
            "(set BENCH_DATABASE_URL to an empty PostgreSQL database to measure PostgreSQL too)"
        ),
    }
}
