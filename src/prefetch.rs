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
        for line in lines(p, len) {
            // SAFETY: `_mm_prefetch` reads nothing architecturally and never faults, whatever
            // the address (mapped or not); the pointer is only computed (wrapping), never
            // dereferenced.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.cast::<i8>()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// Whether the CPU has `prefetchw` (CPUID leaf 8000_0001h, ECX bit 8: PRFCHW), asked once.
/// Without it the instruction is not guaranteed to be a no-op, so it is never issued.
#[cfg(target_arch = "x86_64")]
fn has_prefetchw() -> bool {
    use std::arch::x86_64::__cpuid;
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        __cpuid(0x8000_0000).eax >= 0x8000_0001 && __cpuid(0x8000_0001).ecx & (1 << 8) != 0
    })
}

/// The address of each cache line of the `len` bytes at `p` (computed, never dereferenced).
#[cfg(target_arch = "x86_64")]
fn lines(p: *const u8, len: usize) -> impl Iterator<Item = *const u8> {
    (0..len).step_by(LINE).map(move |off| p.wrapping_add(off))
}

/// Ask for the cache lines of the `len` bytes at `p` in the state a store needs (owned by this
/// core), so that stores into them, issued later, find them there instead of each waiting for
/// the line's read-for-ownership; a CPU without `prefetchw` gets the read hint ([`bytes`]).
/// `p` need not be valid: nothing is read or written through it.
#[inline]
pub fn bytes_for_write(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if !has_prefetchw() {
            return bytes(p, len);
        }
        for line in lines(p, len) {
            // SAFETY: the CPU has `prefetchw` (checked above), which reads and writes nothing
            // architecturally and never faults, whatever the address (mapped or not). The
            // pointer is only computed (wrapping), never dereferenced.
            unsafe {
                std::arch::asm!(
                    "prefetchw [{0}]",
                    in(reg) line,
                    options(nostack, preserves_flags, readonly)
                );
            }
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

    /// `prefetchw` is issued only where the CPU has it: the CPUID answer (asked once, then
    /// cached) is the kernel's `3dnowprefetch` flag, the name Linux gives the PRFCHW bit.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    #[test]
    fn prefetchw_is_detected_as_the_kernel_reports_it() {
        let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
            return; // no /proc: nothing to compare with
        };
        let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or("");
        let kernel = flags.split_whitespace().any(|f| f == "3dnowprefetch");
        assert_eq!(super::has_prefetchw(), kernel, "first answer, from CPUID");
        assert_eq!(super::has_prefetchw(), kernel, "cached answer");
    }
}
