//! The process's memory and glibc's malloc. Measured under `cargo xtask soak` (a 256 MB
//! cache, 64 clients, 1K–4K renders): glibc kept what renders had freed — in up to eight arenas
//! per core, in free chunks below the top of each heap that it never gives back — so the mock
//! peaked near 3 × its budgets and `POST /__mock/reset` gave back little of it. mimalloc did
//! worse there (it keeps a heap per thread, and the blocking pool's threads come and go). So
//! glibc stays, tuned by the binary's `main` (an arena per core, large buffers mapped on
//! their own), and trimmed after a reset. Other C libraries are left alone.

/// Gives the pages of freed memory back to the system (glibc keeps them otherwise): after a
/// reset, the mock's memory returns near its idle level.
pub(crate) fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` walks glibc's own free lists, under its own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
