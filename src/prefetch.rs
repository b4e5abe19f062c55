//! Cache-line prefetch hints. A hint asks the CPU to start loading lines that a later step will
//! read, so that the load overlaps the work in between instead of stalling that step. A hint
//! never faults and changes no value: results are the same with or without it.

/// Bytes per cache line.
const LINE: usize = 64;

/// Ask for the cache lines of the `len` bytes at `p`. `p` need not be valid (a stale layout's
/// address may be freed memory): nothing is read through it.
#[inline]
pub fn bytes(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut off = 0;
        while off < len {
            // SAFETY: `_mm_prefetch` reads nothing architecturally and never faults, whatever
            // the address (mapped or not); the pointer is only computed (wrapping), never
            // dereferenced.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off).cast::<i8>()) };
            off += LINE;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// Ask for the cache lines of the `len` bytes at `p` in the state a store needs (owned by this
/// core), so that stores into them, issued later, find them there instead of each waiting for
/// the line's read-for-ownership. `p` need not be valid: nothing is read or written through it.
#[inline]
pub fn bytes_for_write(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let mut off = 0;
        while off < len {
            // SAFETY: `prefetchw` reads and writes nothing architecturally and never faults,
            // whatever the address (mapped or not); on a CPU without it, it is a no-op. The
            // pointer is only computed (wrapping), never dereferenced.
            unsafe {
                std::arch::asm!(
                    "prefetchw [{0}]",
                    in(reg) p.wrapping_add(off),
                    options(nostack, preserves_flags, readonly)
                );
            }
            off += LINE;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// Ask for the cache line(s) holding `*v`.
#[inline]
pub fn value<T>(v: &T) {
    bytes((v as *const T).cast::<u8>(), std::mem::size_of::<T>().max(1));
}

#[cfg(test)]
mod tests {
    /// Hints on any slice or value read nothing wrong and change nothing.
    #[test]
    fn hints_change_nothing() {
        let v = vec![7u8; 5000];
        for n in [0, 1, 63, 64, 65, 4999, 5000] {
            super::bytes(v.as_ptr(), n);
        }
        super::value(&v);
        for n in [0, 1, 64, 5000] {
            super::bytes_for_write(v.as_ptr(), n);
        }
        super::bytes_for_write(std::ptr::null(), 4096);
        assert!(v.iter().all(|&b| b == 7));
    }
}
