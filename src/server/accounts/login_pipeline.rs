//! A login's way through the threads.
//!
//! A login is three steps on three kinds of thread: a write (spend the
//! allowances, read the account: one job, so no read comes before the
//! spend), the password's verification on a hashing worker, and a second
//! write (start the session, or whatever the login decided). Each step
//! hands the next its input directly: on an SQLite file the writer thread
//! submits to a hashing worker, which submits to the writer thread, and the
//! request's task is woken once, with the outcome, instead of after every
//! step (BENCHMARKS.md, "Logins on an SQLite file pass from thread to
//! thread": each wake cost about as much as the step itself). Both writes
//! may wait for others to join their transaction while the workers have a
//! backlog ([`write_patience`]). Elsewhere (PostgreSQL, an in-memory SQLite
//! database) the writes run as tasks of the runtime, through the same steps.

use crate::{
    domain::password::Secret,
    server::{
        accounts::passwords::Verification,
        db::{self, write::Job},
        platform::rate_limit::Throttled,
        AppState, ServiceError,
    },
};
use std::time::Duration;
use tokio::sync::oneshot;

/// What the first write found: the person's context, and the stored hash
/// to verify the password against (`None`: a dummy hash is verified, in the
/// same time); or the allowance that refused the attempt, by name.
pub type Found<T> = Result<(T, Option<String>), (Throttled, String)>;

/// What a login does once its password is verified.
pub enum Step<J: Job> {
    /// Writes this (a session, say) and answers with what it returns.
    Write(J),
    /// Answers at once (a wrong password, say).
    Done(J::Output),
}

/// How a login ended.
pub enum Outcome<T> {
    /// An allowance was used up: nothing was spent or verified.
    Refused(Throttled, String),
    Done(T),
}

/// Runs `first`; verifies `password` against the hash it found, on a
/// hashing worker; gives the verification to `after`, and writes what it
/// decides.
pub async fn run<A, T, J>(
    state: &AppState,
    first: A,
    password: &Secret,
    after: impl FnOnce(T, Verification) -> Step<J> + Send + 'static,
) -> Result<Outcome<J::Output>, ServiceError>
where
    A: Job<Output = Found<T>>,
    T: Send + 'static,
    J: Job,
{
    let (answer, answered) = oneshot::channel::<Result<Outcome<J::Output>, ServiceError>>();
    let answer = move |outcome| {
        let _ = answer.send(outcome);
    };
    let (state, password) = (state.clone(), password.clone());
    state
        .db
        .clone()
        .submit(first, write_patience(&state), move |found| {
            let (found, stored) = match found {
                Ok(Ok(found)) => found,
                Ok(Err((refused, key))) => return answer(Ok(Outcome::Refused(refused, key))),
                Err(e) => return answer(Err(e.into())),
            };
            let hasher = state.hasher.clone();
            hasher.verify_then(&password, stored.as_deref(), move |verification| {
                let verification = match verification {
                    Ok(verification) => verification,
                    Err(e) => return answer(Err(e.into())),
                };
                match after(found, verification) {
                    Step::Done(output) => answer(Ok(Outcome::Done(output))),
                    Step::Write(job) => {
                        state
                            .db
                            .submit(job, write_patience(&state), move |written| {
                                answer(written.map(Outcome::Done).map_err(ServiceError::from))
                            })
                    }
                }
            });
        });
    answered
        .await
        .unwrap_or_else(|_| Err(db::Error::Stopped.into()))
}

/// The longest a login's write waits for others to share its transaction.
const MOST_WRITE_PATIENCE: Duration = Duration::from_millis(50);

/// How long a login's write may wait for others to share its transaction:
/// a quarter of the hashing workers' backlog, at most
/// [`MOST_WRITE_PATIENCE`]. Under a flood every login already waits the
/// backlog for its hash, and the workers still have work when the spend
/// that feeds them comes late; the writer then commits several logins at
/// once instead of waking for each (BENCHMARKS.md: half the CPU a login
/// takes outside hashing). Without a backlog nothing waits.
fn write_patience(state: &AppState) -> Duration {
    (state.hasher.backlog() / 4).min(MOST_WRITE_PATIENCE)
}
