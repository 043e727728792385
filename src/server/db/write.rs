//! One seam for write transactions: a service says what to write, as a
//! [`Job`] written once, and [`Db::write`] decides how.
//!
//! On an SQLite file a job runs on the writer thread ([`super::sqlite_writer`]),
//! statement after statement on its own connection, inside a savepoint of
//! a transaction it may share with the jobs queued beside it. Anywhere else
//! (PostgreSQL, whose writers do not wait on each other, and an in-memory
//! SQLite database) it runs in a pool transaction on the caller's task.
//!
//! A job is an `async` body over a [`WriteConn`]: the statements a job may
//! run, each with one implementation per path. On the writer thread every
//! statement is already done when its future is first polled, so the
//! thread polls the job's future once and never waits on it.

use super::{audit, error::Error, outbox, rate_limits, sessions, tokens, two_step, users, Db, Tx};
use std::{future::Future, pin::pin, task, time::Duration};

/// What a job hands back: its result, and whether its writes are to stay.
pub enum Write<T> {
    Commit(T),
    /// Nothing of the job is kept (a request over its limit).
    Discard(T),
}

/// A write transaction's statements and what it returns, said once for
/// both paths.
pub trait Job: Send + 'static {
    type Output: Send + 'static;

    fn run<C: WriteConn>(
        self,
        conn: &mut C,
    ) -> impl Future<Output = Result<Write<Self::Output>, Error>> + Send;
}

/// The statements a [`Job`] may run: a pool connection (usually inside a
/// transaction) or the SQLite writer thread's connection.
pub trait WriteConn: Send {
    /// [`rate_limits::spend`]: `(key, interval_ms, burst_ms)`.
    fn spend_one(
        &mut self,
        now_ms: i64,
        allowance: (&str, i64, i64),
    ) -> impl Future<Output = Result<Option<i64>, Error>> + Send;
    /// [`rate_limits::spend_pair`].
    fn spend_pair(
        &mut self,
        now_ms: i64,
        first: (&str, i64, i64),
        second: (&str, i64, i64),
    ) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
    /// [`rate_limits::load`].
    fn load_rate(&mut self, key: &str) -> impl Future<Output = Result<Option<i64>, Error>> + Send;
    /// [`rate_limits::give_back`].
    fn give_back(
        &mut self,
        key: &str,
        interval_ms: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// [`users::find_by_email`].
    fn find_user_by_email(
        &mut self,
        normalized: &str,
    ) -> impl Future<Output = Result<Option<users::UserRow>, Error>> + Send;
    /// [`users::record_login`].
    fn record_login(
        &mut self,
        user_id: i64,
        now: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// [`sessions::insert`].
    fn insert_session(
        &mut self,
        session: sessions::NewSession<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// [`audit::insert`].
    fn insert_audit(
        &mut self,
        entry: audit::NewEntry<'_>,
        now: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// [`tokens::insert`].
    fn insert_token(
        &mut self,
        token: tokens::NewToken<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// [`outbox::enqueue`]; the message's id.
    fn enqueue_mail(
        &mut self,
        mail: outbox::NewMail<'_>,
        now: i64,
    ) -> impl Future<Output = Result<i64, Error>> + Send;
    /// [`two_step::count_factors`].
    fn count_factors(&mut self, user_id: i64) -> impl Future<Output = Result<i64, Error>> + Send;
    /// [`two_step::insert_pending`].
    fn insert_pending_login(
        &mut self,
        pending: two_step::NewPending<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The pool's connections: a connection, a transaction, or one borrowed
/// from the pool, all the same underneath.
macro_rules! pool_write_conn {
    ($($ty:ty => |$c:ident| $conn:expr),+ $(,)?) => {$(
        impl WriteConn for $ty {
            async fn spend_one(&mut self, now_ms: i64, allowance: (&str, i64, i64)) -> Result<Option<i64>, Error> {
                let $c = self;
                Ok(rate_limits::spend($conn, allowance, now_ms).await?)
            }
            async fn spend_pair(&mut self, now_ms: i64, first: (&str, i64, i64), second: (&str, i64, i64)) -> Result<Vec<String>, Error> {
                let $c = self;
                Ok(rate_limits::spend_pair($conn, now_ms, first, second).await?)
            }
            async fn load_rate(&mut self, key: &str) -> Result<Option<i64>, Error> {
                let $c = self;
                Ok(rate_limits::load($conn, key).await?)
            }
            async fn give_back(&mut self, key: &str, interval_ms: i64) -> Result<(), Error> {
                let $c = self;
                Ok(rate_limits::give_back($conn, key, interval_ms).await?)
            }
            async fn find_user_by_email(&mut self, normalized: &str) -> Result<Option<users::UserRow>, Error> {
                let $c = self;
                Ok(users::find_by_email($conn, normalized).await?)
            }
            async fn record_login(&mut self, user_id: i64, now: i64) -> Result<(), Error> {
                let $c = self;
                Ok(users::record_login($conn, user_id, now).await?)
            }
            async fn insert_session(&mut self, session: sessions::NewSession<'_>) -> Result<(), Error> {
                let $c = self;
                Ok(sessions::insert($conn, session).await?)
            }
            async fn insert_audit(&mut self, entry: audit::NewEntry<'_>, now: i64) -> Result<(), Error> {
                let $c = self;
                Ok(audit::insert($conn, entry, now).await?)
            }
            async fn insert_token(&mut self, token: tokens::NewToken<'_>) -> Result<(), Error> {
                let $c = self;
                Ok(tokens::insert($conn, token).await?)
            }
            async fn enqueue_mail(&mut self, mail: outbox::NewMail<'_>, now: i64) -> Result<i64, Error> {
                let $c = self;
                Ok(outbox::enqueue($conn, mail, now).await?)
            }
            async fn count_factors(&mut self, user_id: i64) -> Result<i64, Error> {
                let $c = self;
                Ok(two_step::count_factors($conn, user_id).await?)
            }
            async fn insert_pending_login(&mut self, pending: two_step::NewPending<'_>) -> Result<(), Error> {
                let $c = self;
                Ok(two_step::insert_pending($conn, pending).await?)
            }
        }
    )+};
}

pool_write_conn!(
    super::Conn => |c| c,
    Tx => |c| &mut **c,
    sqlx::pool::PoolConnection<sqlx::Any> => |c| &mut **c,
);

/// The SQLite writer thread's connection: each statement is done when it
/// returns, so its future is ready at once.
pub struct OnWriter<'c>(&'c mut rusqlite::Connection);

impl WriteConn for OnWriter<'_> {
    async fn spend_one(
        &mut self,
        now_ms: i64,
        allowance: (&str, i64, i64),
    ) -> Result<Option<i64>, Error> {
        Ok(rate_limits::spend_blocking(self.0, allowance, now_ms)?)
    }
    async fn spend_pair(
        &mut self,
        now_ms: i64,
        first: (&str, i64, i64),
        second: (&str, i64, i64),
    ) -> Result<Vec<String>, Error> {
        Ok(rate_limits::spend_pair_blocking(
            self.0, now_ms, first, second,
        )?)
    }
    async fn load_rate(&mut self, key: &str) -> Result<Option<i64>, Error> {
        Ok(rate_limits::load_blocking(self.0, key)?)
    }
    async fn give_back(&mut self, key: &str, interval_ms: i64) -> Result<(), Error> {
        Ok(rate_limits::give_back_blocking(self.0, key, interval_ms)?)
    }
    async fn find_user_by_email(
        &mut self,
        normalized: &str,
    ) -> Result<Option<users::UserRow>, Error> {
        Ok(users::find_by_email_blocking(self.0, normalized)?)
    }
    async fn record_login(&mut self, user_id: i64, now: i64) -> Result<(), Error> {
        Ok(users::record_login_blocking(self.0, user_id, now)?)
    }
    async fn insert_session(&mut self, session: sessions::NewSession<'_>) -> Result<(), Error> {
        Ok(sessions::insert_blocking(self.0, session)?)
    }
    async fn insert_audit(&mut self, entry: audit::NewEntry<'_>, now: i64) -> Result<(), Error> {
        Ok(audit::insert_blocking(self.0, entry, now)?)
    }
    async fn insert_token(&mut self, token: tokens::NewToken<'_>) -> Result<(), Error> {
        Ok(tokens::insert_blocking(self.0, token)?)
    }
    async fn enqueue_mail(&mut self, mail: outbox::NewMail<'_>, now: i64) -> Result<i64, Error> {
        Ok(outbox::enqueue_blocking(self.0, mail, now)?)
    }
    async fn count_factors(&mut self, user_id: i64) -> Result<i64, Error> {
        Ok(two_step::count_factors_blocking(self.0, user_id)?)
    }
    async fn insert_pending_login(
        &mut self,
        pending: two_step::NewPending<'_>,
    ) -> Result<(), Error> {
        Ok(two_step::insert_pending_blocking(self.0, pending)?)
    }
}

/// Runs a job on the writer thread's connection: its future, polled once.
fn run_on_writer<J: Job>(
    job: J,
    conn: &mut rusqlite::Connection,
) -> Result<Write<J::Output>, Error> {
    let mut on_writer = OnWriter(conn);
    let running = pin!(job.run(&mut on_writer));
    let mut cx = task::Context::from_waker(task::Waker::noop());
    match running.poll(&mut cx) {
        task::Poll::Ready(outcome) => outcome,
        // Only statements are awaited, and each is ready at once.
        task::Poll::Pending => Err(Error::AwaitedOnWriter),
    }
}

impl Db {
    /// Runs `job` in a write transaction and returns its result once its
    /// writes are committed (or discarded). On the writer thread the job runs
    /// to its end even if the caller stops waiting; in a pool transaction a
    /// caller that goes away rolls it back. Either way nothing is left half
    /// written.
    pub async fn write<J: Job>(&self, job: J) -> Result<J::Output, Error> {
        self.write_then(job, |_| {}).await
    }

    /// [`Db::write`], and `committed` with the job's result once its writes
    /// are committed, whether or not the caller still waits (waking a worker
    /// for what the job queued).
    pub async fn write_then<J: Job>(
        &self,
        job: J,
        committed: impl FnOnce(&J::Output) + Send + 'static,
    ) -> Result<J::Output, Error> {
        match &self.sqlite_writer {
            Some(writer) => {
                writer
                    .run_then(move |conn| run_on_writer(job, conn), committed)
                    .await
            }
            None => {
                let written = in_transaction(self, job).await?;
                committed(&written);
                Ok(written)
            }
        }
    }

    /// Queues `job` and calls `then` with its outcome once the transaction
    /// has ended, on the writer thread or a task of the runtime: for work
    /// that goes on from there on a thread of its own (a login's way through
    /// the hashing workers). On the writer thread the transaction may begin
    /// up to `patience` from now, so that jobs queued meanwhile share it.
    pub fn submit<J: Job>(
        &self,
        job: J,
        patience: Duration,
        then: impl FnOnce(Result<J::Output, Error>) + Send + 'static,
    ) {
        match &self.sqlite_writer {
            Some(writer) => {
                writer.submit_within(move |conn| run_on_writer(job, conn), patience, then)
            }
            None => {
                let db = self.clone();
                self.runtime
                    .spawn(async move { then(in_transaction(&db, job).await) });
            }
        }
    }
}

/// A job in a pool transaction: committed, or dropped (rolled back).
async fn in_transaction<J: Job>(db: &Db, job: J) -> Result<J::Output, Error> {
    let mut tx = db.begin().await?;
    match job.run(&mut tx).await? {
        Write::Commit(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Write::Discard(value) => Ok(value),
    }
}
