//! The memory budget's gauge: an allocator that counts the bytes the
//! process has allocated and not yet freed (as requested; the system
//! allocator underneath), and the memory the process may use, from which
//! the default budget is derived.
//!
//! Counting costs one relaxed atomic add per allocation and one per free;
//! the event loop allocates little (its state lives in slabs that grow and
//! are reused), so the cost does not show in the benchmarks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The system allocator, counting.
pub struct Counting;

static IN_USE: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed to the system allocator unchanged; the
// counter only records sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            IN_USE.fetch_add(layout.size() as u64, Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            IN_USE.fetch_add(layout.size() as u64, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size() as u64, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_sub(layout.size() as u64, Relaxed);
            IN_USE.fetch_add(new_size as u64, Relaxed);
        }
        p
    }
}

/// Bytes allocated and not yet freed.
pub fn in_use() -> u64 {
    IN_USE.load(Relaxed)
}

/// The memory this process may use: the machine's (`MemTotal` in
/// /proc/meminfo), or its control group's limit where that is lower (a
/// container, a Slurm job), if either can be read.
fn machine_memory() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    // cgroup v2; "max" (no limit) does not parse and is skipped.
    let limit = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|t| t.trim().parse::<u64>().ok());
    match (total, limit) {
        (Some(t), Some(l)) => Some(t.min(l)),
        (t, l) => t.or(l),
    }
}

/// The budget when a model sets no `sim.max_memory`: half the memory the
/// process may use, or 4 GiB where it cannot be read.
pub fn default_budget() -> u64 {
    machine_memory().map_or(4 << 30, |m| m / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_follows_allocations_and_the_default_is_half_the_machine() {
        let before = in_use();
        let block = vec![0u8; 64 << 20];
        // Other tests run at once and allocate and free too: a margin.
        assert!(in_use() >= before + (48 << 20), "{} then {}", before, in_use());
        drop(block);
        assert!(in_use() < before + (48 << 20));
        let budget = default_budget();
        assert!(budget >= 256 << 20, "half of any machine that runs this is more than 256 MiB: {budget}");
    }
}
