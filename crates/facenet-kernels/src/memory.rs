//! How the process's allocator treats the large, short-lived buffers of a training step.
//!
//! A training step allocates and frees hundreds of activation and gradient buffers of 1–40 MB. glibc's
//! malloc serves every buffer above its mmap threshold (at most 32 MB) with a fresh `mmap` and unmaps it on
//! `free`, and returns freed memory at the top of its heap to the system; so every step pays page faults
//! and the kernel's zeroing of each page again (10 % of an NN4 step in `perf`). [`keep_freed_memory`] makes
//! malloc keep what it got: the process then holds its peak footprint, as PyTorch's caching allocator does.

/// Tells glibc's malloc to serve large buffers from its heap and never give freed memory back to the
/// system. Call once, at the start of a program that trains or runs networks on batches; a no-op on other
/// C libraries. NN4's training step at batch 64: 35 → 39–40 img/s (`cargo bench --bench arch -- training`).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes malloc's tuning parameters; it is called with valid parameter numbers.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
