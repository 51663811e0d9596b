//! What the process does about glibc's allocator, which otherwise keeps much of the memory it frees: two
//! arenas at most, and free pages handed back to the system now and then by the long-running loops.

/// glibc's malloc gives each thread that meets contention an arena of its own (up to 8 per core) and keeps
/// freed memory in each: with pages extracted on whichever blocking thread is free, the process's memory
/// grew with the number of threads, not with the work in flight. Two arenas hold it flat.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in `main`, before any other thread exists; mallopt only sets a tunable.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Hands the heap's free pages back to the system. glibc returns only the free memory at the top of a heap
/// by itself; what polls free between longer-lived allocations stayed counted in the process's memory, which
/// over a run of 10,000 unchanged polls grew to nearly three times the heap in use.
pub fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
