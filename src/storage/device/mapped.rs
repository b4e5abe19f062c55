//! Page-cache reads through a read-only shared mapping of the device file: a read of an image
//! whose block left the post-write cache copies it out of mapped page-cache pages instead of
//! entering the kernel with `pread` (which cost ~1.2 µs a read here; BENCHMARKS.md "Session 20").
//!
//! Coherence is the `pread` path's: both read the same page-cache pages, and an `O_DIRECT`
//! write invalidates (and unmaps) the pages it covers; the store checks every device image's
//! block incarnation and CRC either way.
//!
//! A mapped read that the kernel cannot satisfy — an I/O error while it reads the page in, or
//! the file truncated under the store — raises `SIGBUS`, which would kill the process where
//! `pread` returns an error. So this module keeps a mapped read's failure an error:
//! - a `SIGBUS` handler (installed once, when the first mapping is made) recognises a fault
//!   inside a registered mapping, maps a zero page over the faulting page so the copy can finish,
//!   queues the page for repair and bumps `POISON`; every other `SIGBUS` goes to the handler
//!   that was installed before (or the default action, which ends the process as before);
//! - `FileMap::copy` reports failure when `POISON` moved during its copy or a zero page is
//!   still in place after it (its bytes may be zeros), and the caller reads with `pread`, which
//!   returns the real error (or the bytes, when the fault was transient). Before and after a
//!   failed copy it maps the file back over queued pages, and bumps `POISON` again when it
//!   has;
//! - when the repair queue overflows, every mapping is abandoned for good (reads use `pread`).
//!
//! Invariants (asserted where a check can fail): a registered range is a live `PROT_READ`
//! mapping of `fd` from offset 0, and is unregistered and unmapped only under the repair lock,
//! so a repair never maps over memory that is no longer a mapping of ours; `PENDING` counts
//! the zero pages in place (raised before one is mapped, lowered after the file is mapped back),
//! so a copy that read a zero page sees either `PENDING` ≠ 0 or `POISON` moved, and returns
//! `false`; the handler uses only atomics and the `mmap`/`sigaction` system calls
//! (async-signal-safe).

#[cfg(target_os = "linux")]
pub use linux::FileMap;

/// Unit tests that make a mapped page fault, or that require a copy to succeed, hold this
/// guard while they run: a fault moves the process-wide `POISON`, so a copy running meanwhile
/// in another test fails (and a store would read it with `pread` instead).
#[cfg(test)]
pub(crate) fn fault_tests() -> std::sync::MutexGuard<'static, ()> {
    static FAULT_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    FAULT_TESTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// No mapped reads here: callers read with `pread`.
#[cfg(not(target_os = "linux"))]
pub struct FileMap;

#[cfg(not(target_os = "linux"))]
impl FileMap {
    /// Never maps (see the module doc).
    pub fn new(_file: &std::fs::File, _len: u64) -> Option<FileMap> {
        None
    }

    /// Never called: no `FileMap` exists.
    pub fn copy(&self, _offset: u64, _buf: &mut [u8]) -> bool {
        false
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::os::unix::io::{AsRawFd, RawFd};
    use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Mutex, Once};

    /// Mappings that can be registered at once (more devices read with `pread`).
    const REGIONS: usize = 64;
    /// Faulted pages awaiting repair at once (more abandon every mapping).
    const QUEUE: usize = 64;

    /// One registered mapping; `start` 0 is a free slot (set last when registering, cleared
    /// first when unregistering).
    struct Region {
        start: AtomicUsize,
        len: AtomicUsize,
        fd: AtomicI32,
    }

    static REGISTRY: [Region; REGIONS] = [const {
        Region {
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            fd: AtomicI32::new(-1),
        }
    }; REGIONS];
    /// The system's page size, read once when the handler is installed (the handler itself
    /// makes no library call but `mmap`/`sigaction`).
    static PAGE: AtomicUsize = AtomicUsize::new(4096);
    /// Pages the handler replaced with zeros (0: empty), mapped back by the next copy.
    static QUEUED: [AtomicUsize; QUEUE] = [const { AtomicUsize::new(0) }; QUEUE];
    /// Zero pages in place (module invariants).
    static PENDING: AtomicUsize = AtomicUsize::new(0);
    /// Bumped by the handler on every fault inside a mapping, and by a repair after it mapped
    /// the file back.
    static POISON: AtomicU64 = AtomicU64::new(0);
    /// Held by a repair and by unregistering a mapping (never by the handler).
    static REPAIR: Mutex<()> = Mutex::new(());
    /// The queue overflowed: a zero page may stay mapped, so no mapping is read again.
    static ABANDONED: AtomicBool = AtomicBool::new(false);
    static INSTALL: Once = Once::new();
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    /// The `SIGBUS` action before ours (written once, before ours is installed).
    static mut PREVIOUS: Option<libc::sigaction> = None;

    fn page() -> usize {
        PAGE.load(Ordering::Relaxed)
    }

    /// A read-only shared mapping of a whole device file (module doc).
    pub struct FileMap {
        ptr: usize,
        len: usize,
        slot: usize,
    }

    // SAFETY: the mapping is read only through `copy`, which copies out with raw pointers; the
    // address is not tied to a thread.
    unsafe impl Send for FileMap {}
    // SAFETY: as above.
    unsafe impl Sync for FileMap {}

    impl FileMap {
        /// Map the `len` bytes of `file` read-only (advised `MADV_RANDOM`: a fault reads no
        /// neighbours) and register the mapping with the `SIGBUS` handler. `None` when the
        /// handler cannot be installed, the registry is full or the kernel refuses: the caller
        /// reads with `pread`. `file` must stay open while the map lives (the repair maps it
        /// again).
        pub fn new(file: &std::fs::File, len: u64) -> Option<FileMap> {
            let len = usize::try_from(len).ok().filter(|&l| l > 0)?;
            if !install() || ABANDONED.load(Ordering::Acquire) {
                return None;
            }
            let fd = file.as_raw_fd();
            // SAFETY: a new read-only shared mapping of an open descriptor at an address the
            // kernel chooses; no existing memory is involved.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return None;
            }
            // SAFETY: advice on the mapping just made.
            unsafe { libc::madvise(p, len, libc::MADV_RANDOM) };
            let ptr = p as usize;
            for (slot, r) in REGISTRY.iter().enumerate() {
                if r.start.load(Ordering::Acquire) != 0 {
                    continue;
                }
                r.len.store(len, Ordering::Release);
                r.fd.store(fd, Ordering::Release);
                if r.start
                    .compare_exchange(0, ptr, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Some(FileMap { ptr, len, slot });
                }
            }
            // SAFETY: the mapping just made, never handed out.
            unsafe { libc::munmap(p, len) };
            None
        }

        /// Copy the bytes at `offset` into `buf`: `false` when they lie outside the mapping or
        /// a fault inside a mapping happened during the copy (the caller reads with `pread`).
        pub fn copy(&self, offset: u64, buf: &mut [u8]) -> bool {
            let Some(at) = usize::try_from(offset).ok() else {
                return false;
            };
            if at.checked_add(buf.len()).is_none_or(|end| end > self.len)
                || ABANDONED.load(Ordering::Acquire)
            {
                return false;
            }
            if PENDING.load(Ordering::Acquire) != 0 {
                repair();
            }
            let before = POISON.load(Ordering::Acquire);
            // SAFETY: `at .. at + len` lies inside the live read-only mapping (checked above);
            // `buf` is a distinct, writable buffer. A page the kernel cannot read in raises
            // SIGBUS, which the handler turns into zeros and a `POISON` change (module doc).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    (self.ptr + at) as *const u8,
                    buf.as_mut_ptr(),
                    buf.len(),
                );
            }
            // The copy's loads come before the checks' loads.
            std::sync::atomic::fence(Ordering::Acquire);
            if POISON.load(Ordering::Acquire) != before || PENDING.load(Ordering::Acquire) != 0 {
                repair();
                return false;
            }
            true
        }
    }

    impl Drop for FileMap {
        fn drop(&mut self) {
            // Under the repair lock: no repair maps a queued page of this range back while or
            // after it is unmapped. A queued page of it is dropped by the next repair.
            let _held = REPAIR.lock().unwrap_or_else(|p| p.into_inner());
            REGISTRY[self.slot].start.store(0, Ordering::Release);
            // SAFETY: the mapping made by `new`, unmapped once, here.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
        }
    }

    /// The registered mapping holding `addr`: (start, fd).
    fn region_of(addr: usize) -> Option<(usize, RawFd)> {
        REGISTRY.iter().find_map(|r| {
            let start = r.start.load(Ordering::Acquire);
            let len = r.len.load(Ordering::Acquire);
            (start != 0 && addr >= start && addr - start < len)
                .then(|| (start, r.fd.load(Ordering::Acquire)))
        })
    }

    /// Map the file back over every queued page that still lies in a registered mapping, then
    /// bump `POISON` if any was (module invariants).
    fn repair() {
        let size = page();
        let _held = REPAIR.lock().unwrap_or_else(|p| p.into_inner());
        let mut repaired = false;
        for q in &QUEUED {
            let p = q.swap(0, Ordering::AcqRel);
            if p == 0 {
                continue;
            }
            if let Some((start, fd)) = region_of(p) {
                // SAFETY: `p` is a page inside a live registered read-only mapping of `fd`;
                // mapping the same file range over it (MAP_FIXED) changes no other memory.
                let r = unsafe {
                    libc::mmap(
                        p as *mut libc::c_void,
                        size,
                        libc::PROT_READ,
                        libc::MAP_SHARED | libc::MAP_FIXED,
                        fd,
                        (p - start) as libc::off_t,
                    )
                };
                if r == libc::MAP_FAILED {
                    ABANDONED.store(true, Ordering::Release);
                }
            }
            repaired = true;
            let was = PENDING.fetch_sub(1, Ordering::AcqRel);
            assert!(was > 0, "a queued page was counted before it was queued");
        }
        if repaired {
            POISON.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Install the handler once; whether it is installed.
    fn install() -> bool {
        INSTALL.call_once(|| {
            // SAFETY: sysconf only reads its integer argument.
            let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if let Some(size) = usize::try_from(size).ok().filter(|p| p.is_power_of_two()) {
                PAGE.store(size, Ordering::Relaxed);
            }
            // SAFETY: a zeroed sigaction is a valid value to fill; `sigaction` reads `ours`
            // and writes the previous action into `prev`, both live locals. PREVIOUS is
            // written once, here, before the handler that reads it is installed.
            unsafe {
                let mut ours: libc::sigaction = std::mem::zeroed();
                ours.sa_sigaction = on_sigbus as *const () as usize;
                ours.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut ours.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut prev) != 0 {
                    return;
                }
                PREVIOUS = Some(prev);
                if libc::sigaction(libc::SIGBUS, &ours, std::ptr::null_mut()) == 0 {
                    INSTALLED.store(true, Ordering::Release);
                }
            }
        });
        INSTALLED.load(Ordering::Acquire)
    }

    /// The `SIGBUS` handler (module doc).
    extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler.
        let addr = unsafe { (*info).si_addr() } as usize;
        let size = page();
        let page_at = addr & !(size - 1);
        if region_of(addr).is_some() {
            PENDING.fetch_add(1, Ordering::AcqRel);
            POISON.fetch_add(1, Ordering::AcqRel);
            // SAFETY: the page lies inside one of our registered read-only mappings (the copy
            // that faulted borrows its `FileMap`, so it cannot be unregistered meanwhile); a
            // private zero page over it (MAP_FIXED) changes no other memory and lets the copy
            // finish.
            let r = unsafe {
                libc::mmap(
                    page_at as *mut libc::c_void,
                    size,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if r != libc::MAP_FAILED {
                let queued = QUEUED.iter().any(|q| {
                    q.compare_exchange(0, page_at, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                });
                if !queued {
                    // The zero page stays (PENDING keeps counting it): no mapping is read again.
                    ABANDONED.store(true, Ordering::Release);
                }
                return;
            }
            PENDING.fetch_sub(1, Ordering::AcqRel);
        }
        forward(sig, info, ctx);
    }

    /// A `SIGBUS` that is not ours: the previous handler, or the default action (the faulting
    /// access runs again and ends the process as it would have without us).
    fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: PREVIOUS was written before this handler was installed and never since.
        let prev = unsafe { (*std::ptr::addr_of!(PREVIOUS)).as_ref().copied() };
        let handler = prev.map_or(libc::SIG_DFL, |p| p.sa_sigaction);
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
            // SAFETY: restoring the default action (async-signal-safe system call).
            unsafe {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
            }
            return;
        }
        let siginfo = prev.is_some_and(|p| p.sa_flags & libc::SA_SIGINFO != 0);
        // SAFETY: `handler` is the function the program installed for SIGBUS, called with the
        // arguments its flags declare.
        unsafe {
            if siginfo {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(handler);
                f(sig, info, ctx);
            } else {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
                f(sig);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::io::Write;
        use std::os::unix::fs::FileExt;

        fn file_of(dir: &tempfile::TempDir, pages: usize) -> std::fs::File {
            let p = dir.path().join("dev");
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(p)
                .expect("create");
            let bytes: Vec<u8> = (0..pages * page()).map(|i| (i % 251) as u8).collect();
            f.write_all(&bytes).expect("fill");
            f
        }

        #[test]
        fn copies_the_file_and_sees_later_writes() {
            let _serial = super::super::fault_tests();
            let dir = tempfile::tempdir().expect("tempdir");
            let f = file_of(&dir, 4);
            let m = FileMap::new(&f, (4 * page()) as u64).expect("map");
            let mut buf = vec![0u8; 300];
            assert!(m.copy(page() as u64 + 7, &mut buf));
            for (i, b) in buf.iter().enumerate() {
                assert_eq!(*b, ((page() + 7 + i) % 251) as u8, "byte {i}");
            }
            f.write_all_at(&[0xEE; 16], 2 * page() as u64).expect("write");
            let mut buf = [0u8; 16];
            assert!(m.copy(2 * page() as u64, &mut buf));
            assert_eq!(buf, [0xEE; 16], "the mapping reads the page cache");
            assert!(!m.copy((4 * page() - 8) as u64, &mut [0u8; 16]), "past the end");
            assert!(!m.copy(u64::MAX, &mut [0u8; 1]), "an offset beyond every address");
        }

        /// A page the kernel cannot read in (here: the file was truncated under the mapping)
        /// is a failed copy, not a killed process; once the file is whole again the same
        /// page is read through the mapping again.
        #[test]
        fn a_fault_inside_the_mapping_is_a_failed_copy_then_repaired() {
            let _serial = super::super::fault_tests();
            let dir = tempfile::tempdir().expect("tempdir");
            let f = file_of(&dir, 4);
            let m = FileMap::new(&f, (4 * page()) as u64).expect("map");
            f.set_len(page() as u64).expect("truncate");
            let mut buf = [0u8; 64];
            assert!(!m.copy(3 * page() as u64, &mut buf), "a page past the end faults");
            assert!(m.copy(0, &mut buf), "a page inside the file still reads");
            assert_eq!(buf[1], 1);
            f.set_len(4 * page() as u64).expect("extend");
            f.write_all_at(&[0x5A; 64], 3 * page() as u64).expect("write");
            let mut again = [0u8; 64];
            assert!(m.copy(3 * page() as u64, &mut again), "the page is mapped back");
            assert_eq!(again, [0x5A; 64], "the file's bytes, not the zero page");
            assert_eq!(PENDING.load(Ordering::Acquire), 0, "every queued page repaired");
        }
    }
}
