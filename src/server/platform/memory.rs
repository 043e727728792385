//! Asking the operating system for the memory we want: large pages for
//! the buffers read at random (the hashing workers' argon2 areas), and the
//! memory freed after a burst given back.

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

/// Bytes in one of the kernel's large pages (x86-64, and arm64 with 4 KiB
/// base pages).
const LARGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the whole large pages inside `buffer`'s
/// allocation (its capacity) with large pages; the ends stay on 4 KiB
/// pages, so the buffer costs no memory beyond its own. Call it before the
/// first write, so that the first touch faults in large pages rather than
/// 4 KiB ones for the kernel to collapse later. A buffer read at random
/// across many megabytes then needs a handful of TLB entries instead of
/// one per 4 KiB (BENCHMARKS.md, "Logins: argon2 areas on 2 MiB pages;
/// freed memory given back").
pub fn advise_large_pages<T>(buffer: &mut Vec<T>) {
    let first = buffer.as_ptr() as usize;
    let from = first.next_multiple_of(LARGE_PAGE);
    let to = (first + buffer.capacity() * std::mem::size_of::<T>()) / LARGE_PAGE * LARGE_PAGE;
    if to > from {
        advise(
            buffer.as_mut_ptr().cast::<u8>().wrapping_add(from - first),
            to - from,
        );
    }
}

#[cfg(target_os = "linux")]
fn advise(from: *mut u8, len: usize) {
    // SAFETY: the range lies within a buffer's allocation (its capacity),
    // which the caller holds mutably. MADV_HUGEPAGE only changes which pages
    // the kernel backs it with, never its contents or whether it is mapped.
    // A refusal (a kernel without transparent huge pages) leaves 4 KiB
    // pages, which is what we had.
    unsafe {
        libc::madvise(from.cast(), len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *mut u8, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's memory map entry (from `/proc/self/smaps`) holding
    /// `address`: how many KiB of it are on large pages.
    #[cfg(target_os = "linux")]
    fn large_page_kib_around(address: usize) -> Option<u64> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((from, to)) = range.split_once('-') {
                    if let (Ok(from), Ok(to)) = (
                        usize::from_str_radix(from, 16),
                        usize::from_str_radix(to, 16),
                    ) {
                        inside = (from..to).contains(&address);
                        continue;
                    }
                }
            }
            if let Some(kib) = line.strip_prefix("AnonHugePages:").filter(|_| inside) {
                return kib.trim().trim_end_matches("kB").trim().parse().ok();
            }
        }
        None
    }

    #[test]
    fn an_advised_buffer_is_backed_by_large_pages_where_the_kernel_can() {
        // A hashing worker's argon2 area: 19 MiB of 1 KiB blocks.
        let mut blocks: Vec<[u64; 128]> = Vec::with_capacity(19 * 1024);
        advise_large_pages(&mut blocks);
        blocks.resize(19 * 1024, [0; 128]);
        #[cfg(target_os = "linux")]
        {
            let policy = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
                .unwrap_or_default();
            if policy.contains("[always]") || policy.contains("[madvise]") {
                // The whole large pages inside 19 MiB: at least 15 MiB of it.
                let middle = blocks.as_ptr() as usize + 9 * 1024 * 1024;
                let kib = large_page_kib_around(middle).expect("the area's entry in smaps");
                assert!(
                    kib >= 15 * 1024,
                    "only {kib} KiB of the 19 MiB area on large pages"
                );
            }
        }
    }
}
