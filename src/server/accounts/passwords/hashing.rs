//! Password hashing (argon2id) off the async threads, on worker threads
//! with an argon2 area each, with bounded concurrency.

use super::{imported::Kept, policy::NewPassword};
use crate::{
    domain::password::Secret,
    server::platform::{config::AuthConfig, memory},
};
use argon2::{
    password_hash::{self, rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use std::{
    io,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        mpsc, Arc, Mutex,
    },
    time::{Duration, Instant},
};
use tokio::sync::oneshot;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("all hashing slots are busy")]
    Busy,
    #[error("hashing failed: {0}")]
    Failed(String),
}

pub struct Verification {
    pub ok: bool,
    /// The stored hash was made with other parameters than the current ones.
    pub needs_rehash: bool,
}

/// A hash to compute in a worker's area, or `None` when it waited longer
/// than the queue timeout (it is answered `Busy` then, unhashed).
type Work = Box<dyn FnOnce(Option<&mut [Block]>) + Send>;

struct Job {
    queued: Instant,
    work: Work,
}

/// A hashing worker's argon2 working area, allocated once and kept, on
/// 2 MiB pages where the kernel grants them (Linux with transparent huge
/// pages on `madvise` or `always`; elsewhere 4 KiB pages). Argon2 reads
/// blocks at random across its 19 MiB: on 4 KiB pages that is 4,864 pages
/// for a TLB of a few hundred to two thousand entries, so nearly every read
/// also walks the page table; on 2 MiB pages it is about ten entries
/// (BENCHMARKS.md, "Logins: argon2 areas on 2 MiB pages; freed memory
/// given back").
pub struct Area {
    blocks: Vec<Block>,
}

impl Area {
    pub fn new(block_count: usize) -> Self {
        let mut blocks: Vec<Block> = Vec::with_capacity(block_count);
        // Advised before any page is touched: the first write faults in
        // large pages rather than 4 KiB ones for the kernel to collapse
        // later.
        memory::advise_large_pages(&mut blocks);
        blocks.resize(block_count, Block::default());
        Self { blocks }
    }

    pub fn blocks(&mut self) -> &mut [Block] {
        &mut self.blocks
    }
}

/// Starts the hashing workers: one thread per slot, each with one argon2 working
/// area that it allocates on its first hash and keeps. Allocating and
/// freeing 19 MiB per hash made glibc keep the freed blocks on fragmented
/// heaps (940 MiB resident after a login flood, see BENCHMARKS.md) and
/// cost a page fault per 4 KiB on every hash; with an area per worker,
/// memory is `slots × m_cost` however long the flood. A worker that
/// finishes a hash takes the next one from the queue at once: no task has
/// to be woken and no thread handed the work before the core hashes again.
fn start_workers(
    slots: usize,
    block_count: usize,
    first_area: Area,
    queue_timeout: Duration,
) -> io::Result<mpsc::Sender<Job>> {
    let (queue, jobs) = mpsc::channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs));
    let mut first_area = Some(first_area);
    for n in 0..slots {
        let jobs = jobs.clone();
        let mut area = first_area.take();
        std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || loop {
                // One worker waits on the queue at a time; the others
                // wait for it to take a job.
                let job = match jobs.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                    Ok(job) => job,
                    Err(mpsc::RecvError) => return, // the hasher is gone
                };
                let waited = job.queued.elapsed();
                crate::server::platform::metrics::hash_queue(-1.0);
                crate::server::platform::metrics::hash_wait(waited.as_secs_f64());
                let area = (waited <= queue_timeout)
                    .then(|| area.get_or_insert_with(|| Area::new(block_count)).blocks());
                // The job catches its own hash's panic; this catches
                // one in what it does with the answer.
                let _ = catch_unwind(AssertUnwindSafe(|| (job.work)(area)));
            })?;
    }
    Ok(queue)
}

pub struct Hasher {
    params: Params,
    /// The hashing workers' queue.
    workers: mpsc::Sender<Job>,
    slots: usize,
    /// Verified when the account does not exist, so that the answer takes
    /// as long as for a real account.
    dummy_hash: String,
    load: Arc<Load>,
}

/// What the workers have done and have ahead of them.
#[derive(Default)]
struct Load {
    /// How many hashes were computed or verified (for tests and metrics).
    runs: AtomicU64,
    /// Jobs queued that no worker has taken yet.
    waiting: AtomicUsize,
    /// How long the last hash took, in microseconds.
    hash_micros: AtomicU64,
    /// The longest any took, in microseconds.
    longest_micros: AtomicU64,
}

impl Hasher {
    pub fn new(auth: &AuthConfig) -> Result<Self, String> {
        let params = Params::new(
            auth.argon2_memory_kib,
            auth.argon2_iterations,
            auth.argon2_parallelism,
            None,
        )
        .map_err(|e| format!("invalid argon2 parameters: {e}"))?;
        let slots = if auth.hash_concurrency == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        } else {
            auth.hash_concurrency
        };
        // The dummy hash's area becomes the first worker's, and its time
        // the first estimate of a hash's.
        let mut area = Area::new(params.block_count());
        let started = Instant::now();
        let dummy_hash = hash_with(&params, b"gatehouse dummy password", area.blocks())
            .map_err(|e| e.to_string())?;
        let load = Load::default();
        load.hash_micros
            .store(micros(started.elapsed()), Ordering::Relaxed);
        let queue_timeout = Duration::from_millis(auth.hash_queue_timeout_ms);
        let workers = start_workers(slots, params.block_count(), area, queue_timeout)
            .map_err(|e| format!("could not start the hashing workers: {e}"))?;
        Ok(Self {
            params,
            workers,
            slots,
            dummy_hash,
            load: Arc::new(load),
        })
    }

    /// Makes the dummy hash (verified for unknown accounts) with the argon2
    /// parameters most of `stored` (the newest stored hashes) were made
    /// with, when they are not the configured ones: after a change of
    /// parameters, accounts keep their old hash until their next login,
    /// and an unknown account must take as long as they do, or timing
    /// would tell who has an account.
    pub fn follow_stored(&mut self, stored: &[String]) -> Result<(), String> {
        let mut counts: Vec<(Params, usize)> = Vec::new();
        for hash in stored {
            let Some(params) = PasswordHash::new(hash)
                .ok()
                .filter(|h| h.algorithm == Algorithm::Argon2id.ident())
                .and_then(|h| Params::try_from(&h).ok())
            else {
                continue;
            };
            match counts.iter_mut().find(|(p, _)| *p == params) {
                Some((_, n)) => *n += 1,
                None => counts.push((params, 1)),
            }
        }
        let most = counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map_or_else(|| self.params.clone(), |(params, _)| params);
        let current = PasswordHash::new(&self.dummy_hash)
            .ok()
            .and_then(|h| Params::try_from(&h).ok());
        if current.as_ref() == Some(&most) {
            return Ok(());
        }
        let mut area = Area::new(most.block_count());
        self.dummy_hash = hash_with(&most, b"gatehouse dummy password", area.blocks())
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// How many times argon2 has run (hashing or verifying) since start.
    pub fn runs(&self) -> u64 {
        self.load.runs.load(Ordering::Relaxed)
    }

    /// The longest a hash or verification has taken since start (an
    /// imported hash's may take longer than ours).
    pub fn longest(&self) -> Duration {
        Duration::from_micros(self.load.longest_micros.load(Ordering::Relaxed))
    }

    /// How long the queued jobs will keep every worker busy if no more
    /// come: those waiting, at the last hash's time, shared among the
    /// workers. Zero when a job would be taken at once.
    pub fn backlog(&self) -> Duration {
        let waiting = self.load.waiting.load(Ordering::Relaxed) as u64;
        let hash = self.load.hash_micros.load(Ordering::Relaxed);
        Duration::from_micros(waiting * hash / self.slots as u64)
    }

    /// Queues `work` for a hashing worker, which runs it in its working
    /// area and then calls `then` with the result, on its own thread. A job
    /// that has waited longer than the queue timeout when a worker reaches
    /// it is answered `Busy` unhashed instead: so requests do not pile up,
    /// and that answer comes at most one hash after the timeout (every job
    /// ahead of it has waited longer).
    pub fn submit<T: 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
        then: impl FnOnce(Result<T, HashError>) + Send + 'static,
    ) {
        let load = self.load.clone();
        let job = Job {
            queued: Instant::now(),
            work: Box::new(move |area| {
                load.waiting.fetch_sub(1, Ordering::Relaxed);
                let Some(area) = area else {
                    return then(Err(HashError::Busy));
                };
                load.runs.fetch_add(1, Ordering::Relaxed);
                let started = Instant::now();
                let result = catch_unwind(AssertUnwindSafe(|| work(area)))
                    .map_err(|_| HashError::Failed("the hash panicked".into()));
                let took = micros(started.elapsed());
                load.hash_micros.store(took, Ordering::Relaxed);
                load.longest_micros.fetch_max(took, Ordering::Relaxed);
                then(result)
            }),
        };
        self.load.waiting.fetch_add(1, Ordering::Relaxed);
        crate::server::platform::metrics::hash_queue(1.0);
        if let Err(mpsc::SendError(job)) = self.workers.send(job) {
            // Every worker has ended (none ever should): nobody will hash.
            crate::server::platform::metrics::hash_queue(-1.0);
            (job.work)(None);
        }
    }

    /// [`Hasher::submit`], awaited.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (answer, answered) = oneshot::channel();
        self.submit(work, move |result| {
            let _ = answer.send(result);
        });
        answered
            .await
            .unwrap_or_else(|_| Err(HashError::Failed("the hashing worker stopped".into())))
    }

    /// The hash to keep of a new password.
    pub async fn hash(&self, password: &NewPassword) -> Result<String, HashError> {
        self.hash_secret(password.secret()).await
    }

    /// A new hash of a password just verified against an old one (made
    /// with other parameters, or another system's format).
    pub async fn hash_again(&self, verified: &Secret) -> Result<String, HashError> {
        self.hash_secret(verified).await
    }

    async fn hash_secret(&self, password: &Secret) -> Result<String, HashError> {
        let password = password.clone();
        let params = self.params.clone();
        self.run(move |arena| hash_with(&params, password.expose().as_bytes(), arena))
            .await?
            .map_err(|e| HashError::Failed(e.to_string()))
    }

    /// Checks `password` against `stored`, or against a dummy hash when
    /// there is no stored hash, taking the same time either way.
    pub async fn verify(
        &self,
        password: &Secret,
        stored: Option<&str>,
    ) -> Result<Verification, HashError> {
        self.run(self.verification(password, stored)).await
    }

    /// [`Hasher::verify`], answered to `then` on the hashing thread.
    pub fn verify_then(
        &self,
        password: &Secret,
        stored: Option<&str>,
        then: impl FnOnce(Result<Verification, HashError>) + Send + 'static,
    ) {
        self.submit(self.verification(password, stored), then);
    }

    fn verification(
        &self,
        password: &Secret,
        stored: Option<&str>,
    ) -> impl FnOnce(&mut [Block]) -> Verification + Send + 'static {
        let real = stored.is_some();
        let phc = stored.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.clone();
        let current = self.params.clone();
        move |arena| {
            let refused = Verification {
                ok: false,
                needs_rehash: false,
            };
            // Ours (read once, below), or one brought from another system
            // (its first login replaces it with ours).
            let read = if phc.starts_with("$argon2") {
                Ok(Kept::Argon2(&phc))
            } else {
                Kept::read(&phc)
            };
            let phc = match read {
                Ok(Kept::Argon2(phc)) => phc,
                Ok(kept) => {
                    let ok = kept.verify(password.expose()) && real;
                    return Verification {
                        ok,
                        needs_rehash: ok,
                    };
                }
                Err(_) => return refused,
            };
            let Ok(parsed) = PasswordHash::new(phc) else {
                return refused;
            };
            let ok = verify_with(&parsed, password.expose().as_bytes(), arena).is_ok() && real;
            let needs_rehash = ok && !same_parameters(&parsed, &current);
            Verification { ok, needs_rehash }
        }
    }
}

fn micros(time: Duration) -> u64 {
    time.as_micros().try_into().unwrap_or(u64::MAX)
}

/// argon2id with `params` and a fresh salt, in `arena`, as a PHC string:
/// what argon2's `hash_password` does, minus its allocation.
fn hash_with(
    params: &Params,
    password: &[u8],
    arena: &mut [Block],
) -> password_hash::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = Output::init_with(output_len, |out| {
        argon
            .hash_password_into_with_memory(password, salt_bytes, out, &mut *arena)
            .map_err(password_hash::Error::from)
    })?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Recomputes `stored` with its own algorithm, version, parameters and
/// salt, in `arena` when it is large enough, and compares in constant time:
/// what argon2's `verify_password` does, minus its allocation.
fn verify_with(
    stored: &PasswordHash<'_>,
    password: &[u8],
    arena: &mut [Block],
) -> password_hash::Result<()> {
    let algorithm = Algorithm::try_from(stored.algorithm)?;
    let version = stored
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(stored)?;
    let (Some(expected), Some(salt)) = (&stored.hash, &stored.salt) else {
        return Err(password_hash::Error::Password);
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    // Hashes made with more memory than today's (rare: the setting was
    // lowered) get an area of their own, within reason: a stored hash
    // asking for gigabytes would take the process down.
    if params.block_count() > arena.len().saturating_mul(16) {
        return Err(password_hash::Error::ParamValueInvalid(
            password_hash::errors::InvalidValue::TooLong,
        ));
    }
    let mut larger = Vec::new();
    let memory = if params.block_count() <= arena.len() {
        arena
    } else {
        larger.resize(params.block_count(), Block::default());
        &mut larger[..]
    };
    let computed = Output::init_with(expected.len(), |out| {
        argon
            .hash_password_into_with_memory(password, salt_bytes, out, &mut *memory)
            .map_err(password_hash::Error::from)
    })?;
    // `Output`'s equality is constant-time.
    if computed == *expected {
        Ok(())
    } else {
        Err(password_hash::Error::Password)
    }
}

fn same_parameters(hash: &PasswordHash<'_>, current: &Params) -> bool {
    if hash.algorithm.as_str() != "argon2id" || hash.version != Some(0x13) {
        return false;
    }
    match Params::try_from(hash) {
        Ok(p) => {
            p.m_cost() == current.m_cost()
                && p.t_cost() == current.t_cost()
                && p.p_cost() == current.p_cost()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> AuthConfig {
        AuthConfig {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            ..AuthConfig::default()
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let hasher = Hasher::new(&cheap()).unwrap();
        let hash = hasher
            .hash_again(&Secret::new("tangerine lighthouse"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        let good = hasher
            .verify(&Secret::new("tangerine lighthouse"), Some(&hash))
            .await
            .unwrap();
        assert!(good.ok && !good.needs_rehash);
        let bad = hasher
            .verify(&Secret::new("tangerine lighthousE"), Some(&hash))
            .await
            .unwrap();
        assert!(!bad.ok);
    }

    /// Our allocation-free hashing and verifying agree with the argon2
    /// crate's own, both ways, and a hash with more memory than the
    /// working area still verifies.
    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crate() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let hasher = Hasher::new(&cheap()).unwrap();
        let ours = hasher
            .hash_again(&Secret::new("tangerine lighthouse"))
            .await
            .unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"tangerine lighthouse", &parsed)
            .is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let bigger = Params::new(4096, 1, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, bigger)
            .hash_password(b"tangerine lighthouse", &salt)
            .unwrap()
            .to_string();
        let v = hasher
            .verify(&Secret::new("tangerine lighthouse"), Some(&theirs))
            .await
            .unwrap();
        assert!(v.ok && v.needs_rehash);
        let v = hasher
            .verify(&Secret::new("tangerine lighthousE"), Some(&theirs))
            .await
            .unwrap();
        assert!(!v.ok);
    }

    #[tokio::test]
    async fn a_missing_hash_never_verifies() {
        let hasher = Hasher::new(&cheap()).unwrap();
        let v = hasher
            .verify(&Secret::new("gatehouse dummy password"), None)
            .await
            .unwrap();
        assert!(!v.ok);
    }

    #[tokio::test]
    async fn hashes_with_old_parameters_ask_for_a_rehash() {
        let old = Hasher::new(&cheap()).unwrap();
        let hash = old
            .hash_again(&Secret::new("tangerine lighthouse"))
            .await
            .unwrap();
        let new = Hasher::new(&AuthConfig {
            argon2_memory_kib: 2048,
            ..cheap()
        })
        .unwrap();
        let v = new
            .verify(&Secret::new("tangerine lighthouse"), Some(&hash))
            .await
            .unwrap();
        assert!(v.ok && v.needs_rehash);
    }

    #[tokio::test]
    async fn the_dummy_hash_takes_the_parameters_most_accounts_still_have() {
        let params_of = |hash: &str| Params::try_from(&PasswordHash::new(hash).unwrap()).unwrap();
        let old = Hasher::new(&cheap()).unwrap();
        let mut stored = Vec::new();
        for _ in 0..3 {
            stored.push(old.hash_again(&Secret::new("x")).await.unwrap());
        }
        let mut new = Hasher::new(&AuthConfig {
            argon2_memory_kib: 2048,
            ..cheap()
        })
        .unwrap();
        stored.push(new.hash_again(&Secret::new("x")).await.unwrap());
        assert_eq!(params_of(&new.dummy_hash).m_cost(), 2048);
        new.follow_stored(&stored).unwrap();
        assert_eq!(
            params_of(&new.dummy_hash).m_cost(),
            1024,
            "most accounts' hashes are still the old ones"
        );
        new.follow_stored(&stored[3..]).unwrap();
        assert_eq!(params_of(&new.dummy_hash).m_cost(), 2048);
    }

    /// A job that keeps a worker until `release` is sent; it has begun
    /// when this returns.
    async fn hold_the_worker(
        hasher: &Arc<Hasher>,
    ) -> (
        mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<bool, HashError>>,
    ) {
        let (release, held) = mpsc::channel::<()>();
        let holder = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.run(move |_| held.recv().is_ok()).await })
        };
        while hasher.runs() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (release, holder)
    }

    #[tokio::test]
    async fn a_hash_that_waited_past_the_timeout_is_answered_busy_unhashed() {
        let hasher = Arc::new(
            Hasher::new(&AuthConfig {
                hash_concurrency: 1,
                hash_queue_timeout_ms: 50,
                ..cheap()
            })
            .unwrap(),
        );
        let (release, holder) = hold_the_worker(&hasher).await;
        let waiting = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                hasher
                    .hash_again(&Secret::new("tangerine lighthouse"))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(120)).await;
        release.send(()).unwrap();
        assert!(holder.await.unwrap().unwrap());
        let result = waiting.await.unwrap();
        assert!(matches!(result, Err(HashError::Busy)), "{result:?}");
        // It was never hashed, and the worker takes the next job.
        assert_eq!(hasher.runs(), 1);
        hasher
            .hash_again(&Secret::new("tangerine lighthouse"))
            .await
            .unwrap();
        assert_eq!(hasher.runs(), 2);
    }

    #[tokio::test]
    async fn the_backlog_is_the_queued_hashes_at_the_last_hashs_time() {
        let hasher = Arc::new(
            Hasher::new(&AuthConfig {
                hash_concurrency: 1,
                ..cheap()
            })
            .unwrap(),
        );
        assert_eq!(hasher.backlog(), Duration::ZERO, "nothing queued");
        let (release, holder) = hold_the_worker(&hasher).await;
        assert_eq!(
            hasher.backlog(),
            Duration::ZERO,
            "the job in hand is not queued"
        );
        // The dummy hash at start was timed: the estimate until a job ends.
        let one = Duration::from_micros(hasher.load.hash_micros.load(Ordering::Relaxed));
        assert!(one > Duration::ZERO);
        let (done, finished) = mpsc::channel();
        for _ in 0..3 {
            let done = done.clone();
            hasher.verify_then(&Secret::new("tangerine lighthouse"), None, move |v| {
                done.send(v.is_ok()).unwrap()
            });
        }
        assert_eq!(hasher.backlog(), one * 3);
        release.send(()).unwrap();
        assert!(holder.await.unwrap().unwrap());
        for _ in 0..3 {
            assert!(finished.recv_timeout(Duration::from_secs(10)).unwrap());
        }
        assert_eq!(hasher.backlog(), Duration::ZERO, "all taken");
    }

    #[tokio::test]
    async fn a_hash_that_panics_fails_alone_and_the_worker_carries_on() {
        let hasher = Hasher::new(&AuthConfig {
            hash_concurrency: 1,
            ..cheap()
        })
        .unwrap();
        let result = hasher
            .run(|_| -> u8 { panic!("a hashing job panicked on purpose") })
            .await;
        assert!(matches!(result, Err(HashError::Failed(_))), "{result:?}");
        let hash = hasher
            .hash_again(&Secret::new("tangerine lighthouse"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
    }
}
