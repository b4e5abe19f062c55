//! Anonymous mappings on 2 MiB pages: memory that random reads jump into (the post-write cache's
//! write blocks, the index's tables) costs one TLB entry per 2 MiB instead of one per 4 KiB, and
//! in a VM each TLB miss is a two-dimensional page walk (BENCHMARKS.md "Write blocks on huge
//! pages, session 8", "Index tables on huge pages, session 19").
//!
//! A [`Mapping`] is a private anonymous mapping whose start is aligned to [`HUGE`] and whose
//! length is a multiple of it, advised `MADV_HUGEPAGE` (honoured when transparent huge pages are
//! `always` or `madvise`; elsewhere it is ordinary memory). It is unmapped when dropped.
//!
//! Invariants: `ptr` is `HUGE`-aligned and `len` a nonzero multiple of `HUGE`; the range
//! `ptr .. ptr + len` is mapped readable and writable for the life of the `Mapping` and by no
//! other `Mapping`; a fresh mapping reads as zeros.

/// Bytes of a huge page (x86-64; aarch64 with 4 KiB base pages).
pub const HUGE: usize = 2 << 20;

/// One `HUGE`-aligned anonymous mapping of a multiple of `HUGE` bytes (module doc).
#[derive(Debug)]
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; whoever hands out parts of it keeps
// them disjoint. `Mapping` itself gives access to the bytes only through raw pointers.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr .. ptr + len` is a live mapping made by `Mapping::new`, unmapped once,
        // here.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

impl Mapping {
    /// Map `len` bytes (a nonzero multiple of [`HUGE`]) at a `HUGE`-aligned address and ask
    /// for huge pages. `None` when `len` is not such a multiple or the kernel refuses.
    #[cfg(target_os = "linux")]
    pub fn new(len: usize) -> Option<Mapping> {
        if len == 0 || !len.is_multiple_of(HUGE) {
            return None;
        }
        let padded = len.checked_add(HUGE)?;
        // SAFETY: an anonymous private mapping at an address the kernel chooses; no file and no
        // existing memory is involved.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                padded,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let base = p as usize;
        let start = (base + HUGE - 1) & !(HUGE - 1);
        let (head, tail) = (start - base, base + padded - (start + len));
        assert!(
            head + len + tail == padded,
            "the aligned range lies inside the mapping"
        );
        // SAFETY: `head` and `tail` are page-aligned parts of the mapping just made, outside the
        // range kept; unmapping them touches nothing else. `madvise` only advises.
        unsafe {
            if head > 0 {
                libc::munmap(p, head);
            }
            if tail > 0 {
                libc::munmap((start + len) as *mut libc::c_void, tail);
            }
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
        Some(Mapping {
            ptr: start as *mut u8,
            len,
        })
    }

    /// No huge-page mappings here: callers use ordinary memory.
    #[cfg(not(target_os = "linux"))]
    pub fn new(_len: usize) -> Option<Mapping> {
        None
    }

    /// The first byte (`HUGE`-aligned).
    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Bytes mapped.
    pub fn size(&self) -> usize {
        self.len
    }

    /// A fresh mapping of `len` bytes (as [`Mapping::new`]) whose pages the kernel has already
    /// placed: a zero is stored at every 4 KiB, so the cost of finding and zeroing the memory
    /// (a huge page on the first store, else each small page) is paid by the caller, not by
    /// the first user of the memory. Only stores: a load first would map the shared zero page
    /// and the store would then fault a second time to replace it.
    pub fn populated(len: usize) -> Option<Mapping> {
        let m = Mapping::new(len)?;
        for at in (0..m.len).step_by(SMALL_PAGE) {
            // SAFETY: `at < len`, inside the live, writable mapping just made and owned here
            // alone; a fresh mapping reads as zeros, so storing a zero changes no byte.
            unsafe { std::ptr::write_volatile(m.ptr.add(at), 0) }
        }
        Some(m)
    }
}

/// The base page size `Mapping::populated` steps by (x86-64, and aarch64 with 4 KiB pages; on
/// larger base pages it stores more often than needed, which is harmless).
const SMALL_PAGE: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_are_aligned_zeroed_and_writable() {
        let Some(m) = Mapping::populated(2 * HUGE) else {
            return; // no anonymous mapping here: callers use ordinary memory
        };
        assert_eq!(m.ptr() as usize % HUGE, 0, "huge-page aligned");
        assert_eq!(m.size(), 2 * HUGE);
        // SAFETY: the mapping is live, writable and owned by this test.
        let bytes = unsafe { std::slice::from_raw_parts_mut(m.ptr(), m.size()) };
        assert!(bytes.iter().all(|&b| b == 0), "fresh mappings read as zeros");
        bytes[HUGE + 7] = 9;
        assert_eq!(bytes[HUGE + 7], 9);
    }

    #[test]
    fn lengths_that_are_not_whole_huge_pages_are_refused() {
        assert!(Mapping::new(0).is_none());
        assert!(Mapping::new(HUGE + 4096).is_none());
        assert!(Mapping::new(HUGE / 2).is_none());
    }
}
