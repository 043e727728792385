//! Memory freed after a burst, given back to the system.

/// Starts a thread that asks the allocator, every two seconds, to return
/// the memory it holds free. glibc keeps what many threads free at once (a
/// flood's connection buffers, request bodies and statements) in its
/// arenas, resident, until asked: after two login floods 14 of the 84 MiB
/// resident were such free chunks (BENCHMARKS.md, "Logins: argon2 areas on
/// 2 MiB pages; freed memory given back"). With nothing to give back a call
/// costs a walk of the arenas' free lists. Built for another C library,
/// this does nothing.
pub fn start_returning_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| loop {
                std::thread::sleep(std::time::Duration::from_secs(2));
                // SAFETY: malloc_trim takes each arena's lock and only
                // releases pages of free chunks; it is safe to call from
                // any thread at any time.
                unsafe {
                    libc::malloc_trim(0);
                }
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "could not start the thread that returns freed memory");
        }
    }
}
