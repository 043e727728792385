//! What this machine allows: argon2id hashes per second at the configured
//! parameters with one thread per core, each reusing its working area (the
//! way the server's hashing slots do). `scripts/bench-http.sh` compares the
//! login rate with this figure.
//!
//! cargo bench --bench argon2_limit
//!
//! `BENCH_SECONDS` (10) is how long all threads hash together;
//! `BENCH_SINGLE_SECONDS` (3) how long one thread hashes alone first, to
//! time one hash (0 skips it); `BENCH_AREAS=plain` gives each thread a
//! plain vector on 4 KiB pages (argon2's own allocation, the limit as the
//! issue measured it) instead of the server's [`Area`] on 2 MiB pages.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use gatehouse::server::{accounts::passwords::Area, platform::config::AuthConfig};
use std::time::{Duration, Instant};

fn main() {
    let auth = AuthConfig::default();
    let params = Params::new(
        auth.argon2_memory_kib,
        auth.argon2_iterations,
        auth.argon2_parallelism,
        None,
    )
    .unwrap();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let env_seconds = |name: &str, default: u64| -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let single_seconds = env_seconds("BENCH_SINGLE_SECONDS", 3);
    let seconds = env_seconds("BENCH_SECONDS", 10);

    // Each thread's working area, allocated and written before any clock
    // starts, as the server's workers allocate theirs once at start.
    let plain = std::env::var("BENCH_AREAS").is_ok_and(|areas| areas == "plain");
    let (large, small) = if plain { (0, threads) } else { (threads, 0) };
    let mut large: Vec<Area> = (0..large)
        .map(|_| Area::new(params.block_count()))
        .collect();
    let mut small: Vec<Vec<Block>> = (0..small)
        .map(|_| vec![Block::default(); params.block_count()])
        .collect();
    let mut arenas: Vec<&mut [Block]> = large
        .iter_mut()
        .map(Area::blocks)
        .chain(small.iter_mut().map(|area| &mut area[..]))
        .collect();

    let hash_for = |until: Instant, params: Params, arena: &mut [Block]| {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut out = [0u8; 32];
        let mut n = 0u64;
        while Instant::now() < until {
            argon
                .hash_password_into_with_memory(
                    b"a password",
                    b"sixteen byte salt",
                    &mut out,
                    &mut *arena,
                )
                .unwrap();
            n += 1;
        }
        n
    };

    // One thread alone: the time of one hash.
    let one = (single_seconds > 0).then(|| {
        let start = Instant::now();
        let until = start + Duration::from_secs(single_seconds);
        let single = hash_for(until, params.clone(), &mut *arenas[0]);
        format!(
            " one hash {:.1} ms;",
            start.elapsed().as_secs_f64() * 1000.0 / single as f64
        )
    });

    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = arenas
            .iter_mut()
            .map(|arena| {
                let params = params.clone();
                s.spawn(move || hash_for(until, params, arena))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let rate = total as f64 / start.elapsed().as_secs_f64();
    println!(
        "argon2id m={} t={} p={}, {} pages:{} {threads} threads at once {rate:.1} hashes/s",
        auth.argon2_memory_kib,
        auth.argon2_iterations,
        auth.argon2_parallelism,
        if plain { "4 KiB" } else { "2 MiB" },
        one.unwrap_or_default()
    );
    println!("ARGON2_LIMIT={rate:.1}");
}
