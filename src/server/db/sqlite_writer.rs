//! SQLite's hot write transactions on a thread of their own.
//!
//! SQLite has one writer at a time, so a write transaction's length is
//! the whole process's write rate. Through sqlx every statement is a
//! hand-off to its worker thread and back to the task that holds the
//! turn, and each way waits behind whatever else is ready (BENCHMARKS.md:
//! about 145 µs a hand-off under load, most of a forgotten-password
//! request's turn). This thread instead owns one connection and runs each
//! job's statements one after the other, with nothing between them.
//!
//! Jobs that queue while a transaction runs go into the next one together
//! (group commit), each inside its own savepoint: a job that fails or
//! decides to write nothing is rolled back alone, and no job's caller
//! hears of success before the commit that holds its writes. A job that
//! may wait ([`SqliteWriter::submit_within`]) lets the thread sleep before
//! its transaction, so that the jobs queued meanwhile join it without
//! waking the thread one by one.

use super::{error::Error, write::Write};
use rusqlite::{Connection, OpenFlags};
use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::Path,
    sync::{mpsc, Arc},
    time::{Duration, Instant},
};
use tokio::sync::{oneshot, Mutex};

/// Runs after the batch: told whether the transaction was committed
/// (`None`) or why it was not.
type Deliver = Box<dyn FnOnce(Option<Arc<rusqlite::Error>>) + Send>;

/// A job's part of a batch: whether its savepoint is kept, and how its
/// caller learns the outcome.
struct Ran {
    keep: bool,
    deliver: Deliver,
}

/// A queued job: given the connection inside its savepoint, or why there
/// is none.
type Run = Box<dyn FnOnce(Result<&mut Connection, Arc<rusqlite::Error>>) -> Ran + Send>;

struct Job {
    run: Run,
    /// When its transaction is to begin at the latest.
    begin_by: Instant,
}

/// Most jobs in one transaction: a longer batch holds the turn (and every
/// writer outside this thread) longer.
const MAX_BATCH: usize = 64;

pub struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
}

impl SqliteWriter {
    /// Opens the writer's connection to `file` and starts its thread. It
    /// takes `turn`, the process's writer turn, for each transaction, so
    /// that it and the pool's writers never wait in SQLite's busy handler
    /// for each other. The thread ends when the writer is dropped.
    pub fn start(file: &Path, turn: Arc<Mutex<()>>) -> rusqlite::Result<Self> {
        // The file exists: the pool opened it first.
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Every statement the jobs run stays prepared.
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
        )?;
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(conn, receiver, turn))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Self { jobs: sender })
    }

    /// Runs `job` in a write transaction on the writer thread and returns
    /// its result once its writes are committed (or discarded). An error
    /// from `job` rolls back its writes alone.
    ///
    /// The job runs to its end even if the caller stops waiting, so a
    /// client that goes away cannot leave the write half done.
    #[cfg(test)]
    pub async fn run<T, F>(&self, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<Write<T>, Error> + Send + 'static,
    {
        self.run_then(job, |_| {}).await
    }

    /// [`SqliteWriter::run`], and `committed` with the job's result on the
    /// writer thread once its writes are committed, whether or not the
    /// caller still waits (waking a worker for what the job queued).
    pub async fn run_then<T, F, C>(&self, job: F, committed: C) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<Write<T>, Error> + Send + 'static,
        C: FnOnce(&T) + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let answer = move |outcome| {
            let _ = answer.send(outcome);
        };
        self.queue(job, Duration::ZERO, committed, answer);
        answered.await.unwrap_or(Err(Error::Stopped))
    }

    /// [`SqliteWriter::submit`] for a job whose transaction may begin up
    /// to `patience` from now: the thread waits that long when the job is
    /// the first of its batch, and takes every job queued by then into the
    /// same transaction.
    pub fn submit_within<T, F>(
        &self,
        job: F,
        patience: Duration,
        then: impl FnOnce(Result<T, Error>) + Send + 'static,
    ) where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<Write<T>, Error> + Send + 'static,
    {
        self.queue(job, patience, |_| {}, then);
    }

    fn queue<T, F, C>(
        &self,
        job: F,
        patience: Duration,
        committed: C,
        then: impl FnOnce(Result<T, Error>) + Send + 'static,
    ) where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<Write<T>, Error> + Send + 'static,
        C: FnOnce(&T) + Send + 'static,
    {
        let job = Job {
            run: Box::new(move |conn| run_one(conn, job, committed, then)),
            begin_by: Instant::now() + patience,
        };
        // A writer thread that has ended drops the job, and `then` with it
        // uncalled: its caller hears of that as a channel closed.
        let _ = self.jobs.send(job);
    }
}

/// One job inside its savepoint; what it returned waits for the commit.
fn run_one<T: Send + 'static>(
    conn: Result<&mut Connection, Arc<rusqlite::Error>>,
    job: impl FnOnce(&mut Connection) -> Result<Write<T>, Error>,
    committed: impl FnOnce(&T) + Send + 'static,
    answer: impl FnOnce(Result<T, Error>) + Send + 'static,
) -> Ran {
    let conn = match conn {
        Ok(conn) => conn,
        Err(e) => return settled(false, answer, Err(Error::Sqlite(e))),
    };
    match catch_unwind(AssertUnwindSafe(|| job(conn))) {
        Ok(Ok(Write::Commit(value))) => Ran {
            keep: true,
            deliver: Box::new(move |failed| {
                let outcome = match failed {
                    None => {
                        committed(&value);
                        Ok(value)
                    }
                    Some(e) => Err(Error::Sqlite(e)),
                };
                answer(outcome);
            }),
        },
        Ok(Ok(Write::Discard(value))) => settled(false, answer, Ok(value)),
        Ok(Err(e)) => settled(false, answer, Err(e)),
        Err(_) => settled(false, answer, Err(Error::Panicked)),
    }
}

/// A job whose outcome does not depend on the commit.
fn settled<T: Send + 'static>(
    keep: bool,
    answer: impl FnOnce(Result<T, Error>) + Send + 'static,
    outcome: Result<T, Error>,
) -> Ran {
    Ran {
        keep,
        deliver: Box::new(move |_| answer(outcome)),
    }
}

/// The thread: waits for a job (and, if the job may wait, until it must
/// begin), takes the turn, runs every job that has queued meanwhile in one
/// transaction, commits, answers.
fn serve(mut conn: Connection, jobs: mpsc::Receiver<Job>, turn: Arc<Mutex<()>>) {
    while let Ok(first) = jobs.recv() {
        // Asleep rather than waiting on the queue: the jobs that come in
        // the meantime do not wake the thread.
        std::thread::sleep(first.begin_by.saturating_duration_since(Instant::now()));
        let _turn = turn.blocking_lock();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch);
    }
}

/// A transaction-control statement, prepared once (each runs several
/// times a job).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn run_batch(conn: &mut Connection, batch: Vec<Job>) {
    let mut failed: Option<Arc<rusqlite::Error>> =
        exec(conn, "BEGIN IMMEDIATE").err().map(Arc::new);
    let began = failed.is_none();
    let mut ran = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = match &failed {
            Some(e) => Err(e.clone()),
            None => exec(conn, "SAVEPOINT job").map_err(Arc::new),
        };
        let inside = savepoint.is_ok();
        let result = (job.run)(savepoint.map(|()| &mut *conn));
        if inside {
            let end = if result.keep {
                exec(conn, "RELEASE job")
            } else {
                exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
            };
            if let Err(e) = end {
                // The transaction's state is unknown now: none of it stays.
                failed = Some(Arc::new(e));
            }
        }
        ran.push(result);
    }
    if began {
        let end = match failed {
            None => exec(conn, "COMMIT"),
            Some(_) => exec(conn, "ROLLBACK"),
        };
        if let Err(e) = end {
            failed.get_or_insert(Arc::new(e));
            // A failed COMMIT can leave the transaction open.
            if !conn.is_autocommit() {
                let _ = exec(conn, "ROLLBACK");
            }
        }
    }
    for Ran { deliver, .. } in ran {
        // What a caller does with its outcome must not end the thread.
        let failed = failed.clone();
        let _ = catch_unwind(AssertUnwindSafe(move || deliver(failed)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> (tempfile::TempDir, SqliteWriter, Arc<Mutex<()>>, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.db");
        let reader = Connection::open(&file).unwrap();
        reader
            .execute_batch("CREATE TABLE t (x INTEGER NOT NULL)")
            .unwrap();
        let turn = Arc::new(Mutex::new(()));
        let writer = SqliteWriter::start(&file, turn.clone()).unwrap();
        (dir, writer, turn, reader)
    }

    fn rows(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn insert(x: i64) -> impl FnOnce(&mut Connection) -> Result<(), Error> {
        move |conn| {
            conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_batch_keeps_each_jobs_writes_or_rolls_them_back_alone() {
        let (_dir, writer, turn, reader) = writer();
        let writer = Arc::new(writer);
        // Holding the turn makes the writer queue every job below, then run
        // them as one batch.
        let held = turn.clone().lock_owned().await;
        type TestJob = Box<dyn FnOnce(&mut Connection) -> Result<Write<i64>, Error> + Send>;
        let submit = |job: TestJob| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.run(job).await })
        };
        let kept = submit(Box::new(|c| insert(1)(c).map(|()| Write::Commit(1))));
        let discarded = submit(Box::new(|c| insert(2)(c).map(|()| Write::Discard(2))));
        let failed = submit(Box::new(|c| {
            insert(3)(c)?;
            c.execute("INSERT INTO t (x) VALUES (NULL)", [])?;
            Ok(Write::Commit(3))
        }));
        let panicked = submit(Box::new(|c| {
            insert(4)(c)?;
            panic!("a bug in a job");
        }));
        let also_kept = submit(Box::new(|c| insert(5)(c).map(|()| Write::Commit(5))));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(rows(&reader).is_empty(), "nothing before the turn is free");
        drop(held);

        assert_eq!(kept.await.unwrap().unwrap(), 1);
        assert_eq!(discarded.await.unwrap().unwrap(), 2);
        assert!(matches!(
            failed.await.unwrap(),
            Err(Error::Sqlite(e)) if e.to_string().contains("NOT NULL")
        ));
        assert!(matches!(panicked.await.unwrap(), Err(Error::Panicked)));
        assert_eq!(also_kept.await.unwrap().unwrap(), 5);
        assert_eq!(rows(&reader), vec![1, 5]);
    }

    #[tokio::test]
    async fn a_job_that_may_wait_shares_its_transaction_with_those_queued_meanwhile() {
        let (dir, writer, _turn, reader) = writer();
        let file = dir.path().join("w.db");
        let (answer, answered) = oneshot::channel();
        let patient = |c: &mut Connection| insert(1)(c).map(|()| Write::Commit(()));
        writer.submit_within(patient, Duration::from_millis(300), move |r| {
            let _ = answer.send(r.is_ok());
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // What another connection sees of the first row while this job runs.
        let seen = writer
            .run(move |_| {
                let other = Connection::open(&file)?;
                let count = other.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0));
                Ok(Write::Commit(count?))
            })
            .await
            .unwrap();
        assert_eq!(
            seen, 0,
            "the first row was not committed yet: one transaction"
        );
        assert!(answered.await.unwrap());
        assert_eq!(rows(&reader), vec![1]);
    }

    #[tokio::test]
    async fn a_job_finishes_when_its_caller_stops_waiting() {
        let (_dir, writer, turn, reader) = writer();
        let writer = Arc::new(writer);
        let held = turn.clone().lock_owned().await;
        let (woken, wake) = std::sync::mpsc::channel();
        let caller = tokio::spawn({
            let writer = writer.clone();
            async move {
                let job = |c: &mut Connection| insert(7)(c).map(|()| Write::Commit(7));
                writer.run_then(job, move |x| woken.send(*x).unwrap()).await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        caller.abort();
        drop(held);
        // A job queued after it is answered only after it ran.
        writer
            .run(|c| insert(8)(c).map(|()| Write::Commit(())))
            .await
            .unwrap();
        assert_eq!(rows(&reader), vec![7, 8]);
        assert_eq!(
            wake.try_recv(),
            Ok(7),
            "told of the commit without a caller"
        );
    }
}
