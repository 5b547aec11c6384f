//! Keeping the server's memory bounded while it hashes passwords.
//!
//! Each argon2 computation allocates one 19 MiB block and frees it. glibc's malloc
//! normally serves a block that big with `mmap` and unmaps it on free — but after the
//! first such free it raises its "mmap threshold" to the block's size, and from then on
//! serves it from a per-thread arena and keeps the memory when it is freed. With a
//! different blocking thread (and arena) for many of the hashes, the process keeps
//! ~19 MiB per arena: 500 MiB under a login flood on two cores, measured with
//! `make bench`. Pinning the threshold keeps large blocks on `mmap`, so memory goes back
//! to the system after every hash and the peak is the concurrent hashes' worth.

/// Allocations from this size up always get their own mapping, returned on free.
const MMAP_THRESHOLD_BYTES: i32 = 1024 * 1024;

/// Call once at startup, before the first password hash.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator tuning parameters; it is safe to call
        // at any time, from any thread, and returns 0 if the value is refused.
        let accepted = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) };
        if accepted == 0 {
            tracing::warn!("could not pin malloc's mmap threshold; memory may grow under hashing load");
        }
    }
}
