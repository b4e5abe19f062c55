//! The floor of commit-to-device group commit on this machine, with no engine around it: N writer
//! threads each hand a value to a shared log and wait until a sync covers it. Whichever waiter
//! finds no sync in progress becomes the leader: it gathers until every writer has a value
//! pending (or [`GATHER`] passed), writes everything pending (one positional `O_DIRECT` write at
//! a fresh 4 KiB-aligned offset of a pre-written file), `fdatasync`s, and wakes every waiter with
//! one `FUTEX_WAKE` on a bell word, as aerolite's store does (`src/storage/ssd/bell.rs`); a
//! waiter first yields its CPU up to [`SPIN_YIELDS`] times while the bell is unchanged and
//! only then sleeps in the kernel, as the store's bell does (with `SPIN_YIELDS=0` in the
//! environment it sleeps at once: the floor before session 10); a woken writer whose value the
//! sync covered returns without taking the lock again. That is aerolite's group commit
//! (`src/storage/ssd/group_commit.rs`) stripped of everything else: no index, no record image,
//! no write block, no flusher — one mutex, one condition variable, one write and one sync per
//! batch. Its writes/s bound what blocking writer threads can have acknowledged after a sync on
//! this disk and this CPU with this wake-up; `scripts/commit-vs-fio` runs it next to fio and `aerolite bench`
//! (issue 16 point 3, BENCHMARKS.md "Group commit floor").
//!
//! It prints the writes/s, and where a batch's time went: the leader's gather (from taking the
//! lead until the batch is taken), its write and its sync, in mean µs per batch.
//!
//! Run: `cargo run --release --example group_commit_floor -- FILE [threads] [seconds] [value bytes]`
//! (env `SPIN_YIELDS`: yields before a kernel sleep, default 32; env `WORK_NS`: CPU work each
//! writer does before each commit, in ns — a dependent chain of multiply-adds calibrated at
//! start, touching no data — to see what a writer's own work costs the cycle, default 0;
//! BENCHMARKS.md "Session 18")
//! (FILE is created, written with zeros — 256 MiB — and removed at the end).
//!
//! Invariants: a writer returns only after a sync that began after its value was in the batch
//! written before that sync (`durable ≥ ticket`); at most one batch is in flight; `durable` only
//! grows, and the bell changes after it does.

use aerolite::device::AlignedBuf;
use std::io::{Error, ErrorKind, Result};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Bytes of the file the log cycles through.
const FILE_BYTES: u64 = 256 << 20;
/// Write alignment (`O_DIRECT`).
const UNIT: usize = 4096;
/// Longest a leader waits for the batch to fill (aerolite's commit-to-device gather wait is of
/// the same order).
const GATHER: Duration = Duration::from_micros(500);

/// The shared log: values waiting for the next batch and the tickets handed out.
#[derive(Default)]
struct Log {
    pending: Vec<u8>,
    appended: u64,
    syncing: bool,
    offset: u64,
    batches: u64,
}

struct Shared {
    log: Mutex<Log>,
    /// The gathering leader waits here for the batch to fill.
    full: Condvar,
    threads: u64,
    /// Tickets covered by a completed sync (read without the lock after a wake-up).
    durable: AtomicU64,
    /// The futex word waiters sleep on; changed after `durable` moved.
    bell: AtomicU32,
    file: std::fs::File,
    stop: AtomicBool,
    acked: AtomicU64,
    /// Yields before a waiter sleeps in the kernel.
    spin_yields: u32,
    /// Where the batches' time went, summed over them.
    phases: Phases,
}

/// Nanoseconds summed over the batches: a leader's gather (from taking the lead to the batch
/// taken), its write, and its sync.
#[derive(Default)]
struct Phases {
    gather: AtomicU64,
    write: AtomicU64,
    sync: AtomicU64,
}

impl Phases {
    fn add(counter: &AtomicU64, since: Instant) {
        let ns = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(ns, Ordering::Relaxed);
    }

    /// Mean µs per batch of each phase: gather, write, sync.
    fn per_batch_us(&self, batches: u64) -> [u64; 3] {
        let b = batches.max(1) * 1000;
        [&self.gather, &self.write, &self.sync].map(|c| c.load(Ordering::Relaxed) / b)
    }
}

/// Yields before a waiter sleeps in the kernel (aerolite's `bell::SPIN_YIELDS`).
const SPIN_YIELDS: u32 = 32;

/// Yield up to `spin` times while `bell` still holds `seen`; whether it changed.
fn spin(bell: &AtomicU32, seen: u32, spin: u32) -> bool {
    for _ in 0..spin {
        if bell.load(Ordering::Acquire) != seen {
            return true;
        }
        std::thread::yield_now();
    }
    bell.load(Ordering::Acquire) != seen
}

/// Sleep on `bell` while it still holds `seen`, after a spin of `yields` yields (at most 1 ms;
/// spurious returns are fine: the caller looks again).
fn sleep(bell: &AtomicU32, seen: u32, yields: u32) {
    if spin(bell, seen, yields) {
        return;
    }
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    // SAFETY: FUTEX_WAIT reads the aligned u32 behind `bell` (alive for the call) and the
    // timespec on this stack frame, and writes nothing of ours.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            bell.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            seen,
            &ts as *const libc::timespec,
        );
    }
}

/// Wake every sleeper on `bell` with one call.
fn wake_all(bell: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the address of the aligned u32 behind `bell` as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            bell.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
}

fn poisoned<T>(_: T) -> Error {
    Error::other("log poisoned")
}

/// `n` bytes rounded up to whole write units.
fn padded(n: usize) -> usize {
    n.div_ceil(UNIT) * UNIT
}

/// Write `batch` at `offset` (rounded up to whole units, zero-padded) and sync it, adding each
/// call's time to `phases`.
fn write_and_sync(file: &std::fs::File, batch: &[u8], offset: u64, phases: &Phases) -> Result<()> {
    let mut buf = AlignedBuf::zeroed(padded(batch.len()));
    buf.as_mut_slice()[..batch.len()].copy_from_slice(batch);
    let t = Instant::now();
    file.write_all_at(buf.as_slice(), offset)?;
    Phases::add(&phases.write, t);
    let t = Instant::now();
    file.sync_data()?;
    Phases::add(&phases.sync, t);
    Ok(())
}

/// Lead one batch: gather until every writer has a value pending (or [`GATHER`] passed), write
/// and sync everything pending, publish it as durable and wake every sleeper.
fn lead(s: &Shared, mut g: MutexGuard<'_, Log>) -> Result<()> {
    g.syncing = true;
    let started = Instant::now();
    let deadline = started + GATHER;
    while g.appended - s.durable.load(Ordering::Acquire) < s.threads
        && !s.stop.load(Ordering::Relaxed)
    {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        g = s.full.wait_timeout(g, left).map_err(poisoned)?.0;
    }
    let batch = std::mem::take(&mut g.pending);
    let upto = g.appended;
    let len = padded(batch.len()) as u64;
    if g.offset + len > FILE_BYTES {
        g.offset = 0;
    }
    let offset = g.offset;
    g.offset += len;
    drop(g);
    Phases::add(&s.phases.gather, started);
    let written = write_and_sync(&s.file, &batch, offset, &s.phases);
    if written.is_ok() {
        s.durable.store(upto, Ordering::Release);
    }
    s.bell.fetch_add(1, Ordering::Release);
    let mut g = s.log.lock().map_err(poisoned)?;
    g.syncing = false;
    g.batches += u64::from(written.is_ok());
    drop(g);
    wake_all(&s.bell);
    written
}

/// Append `value` and return once a sync covers it, leading the batch when no sync is running.
fn commit(s: &Shared, value: &[u8]) -> Result<()> {
    let ticket = {
        let mut g = s.log.lock().map_err(poisoned)?;
        g.pending.extend_from_slice(value);
        g.appended += 1;
        if g.appended - s.durable.load(Ordering::Acquire) == s.threads {
            s.full.notify_one();
        }
        g.appended
    };
    loop {
        // The bell before `durable`: a ring after this read wakes the sleep below, and a ring
        // before it comes with a `durable` this thread sees.
        let seen = s.bell.load(Ordering::Acquire);
        if s.durable.load(Ordering::Acquire) >= ticket {
            return Ok(());
        }
        let g = s.log.lock().map_err(poisoned)?;
        if !g.syncing {
            lead(s, g)?;
            continue;
        }
        drop(g);
        sleep(&s.bell, seen, s.spin_yields);
    }
}

/// `n` steps of a dependent multiply-add chain (no data touched); the chain's end.
fn busy(n: u64, seed: u64) -> u64 {
    let mut acc = seed;
    for i in 0..n {
        acc = std::hint::black_box(acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    acc
}

/// Steps of [`busy`] that take about `ns` nanoseconds on this CPU (measured once, 0 for 0).
fn busy_steps(ns: u64) -> u64 {
    if ns == 0 {
        return 0;
    }
    const PROBE: u64 = 4_000_000;
    let t = Instant::now();
    std::hint::black_box(busy(PROBE, 1));
    let per_step = t.elapsed().as_nanos().max(1) as f64 / PROBE as f64;
    (ns as f64 / per_step).round() as u64
}

/// One writer: `work` steps of [`busy`], then commit a value, until told to stop; the latency
/// of each commit in µs (the work not included).
fn writer(s: &Shared, value_bytes: usize, id: usize, work: u64) -> Result<Vec<u32>> {
    let value = vec![id as u8; value_bytes];
    let mut latencies = Vec::new();
    let mut acc = id as u64;
    while !s.stop.load(Ordering::Relaxed) {
        acc = busy(work, acc);
        let t = Instant::now();
        commit(s, &value)?;
        latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
        s.acked.fetch_add(1, Ordering::Relaxed);
    }
    Ok(latencies)
}

/// The `q` quantile of sorted `v` (0 when empty).
fn quantile(v: &[u32], q: f64) -> u32 {
    v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0)
}

/// Create `path` with `FILE_BYTES` of written zeros (no unwritten extents) and open it for
/// `O_DIRECT` writes.
fn prepare(path: &str) -> Result<std::fs::File> {
    let zeros = vec![0u8; 1 << 20];
    let mut f = std::fs::File::create(path)?;
    for _ in 0..FILE_BYTES >> 20 {
        std::io::Write::write_all(&mut f, &zeros)?;
    }
    f.sync_all()?;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

/// The number in environment variable `name`, or `default` when it is unset.
fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("{name}={v:?} is not a number"),
            )
        }),
        Err(_) => Ok(default),
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> Result<T> {
    match args.get(i) {
        None => Ok(default),
        Some(a) => a.parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("argument {i} ({a:?}) is not a number"),
            )
        }),
    }
}

fn run(args: &[String]) -> Result<()> {
    let path = args.get(1).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            "usage: group_commit_floor FILE [threads] [seconds] [value bytes]",
        )
    })?;
    let (threads, secs, value_bytes): (usize, u64, usize) =
        (arg(args, 2, 16)?, arg(args, 3, 5)?, arg(args, 4, 1024)?);
    let s = Shared {
        log: Mutex::new(Log::default()),
        full: Condvar::new(),
        threads: threads as u64,
        durable: AtomicU64::new(0),
        bell: AtomicU32::new(0),
        file: prepare(path)?,
        stop: AtomicBool::new(false),
        acked: AtomicU64::new(0),
        spin_yields: env_number("SPIN_YIELDS", SPIN_YIELDS)?,
        phases: Phases::default(),
    };
    let work_ns: u64 = env_number("WORK_NS", 0)?;
    let work = busy_steps(work_ns);
    let start = Instant::now();
    let outcome = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let s = &s;
                scope.spawn(move || writer(s, value_bytes, id, work))
            })
            .collect();
        std::thread::sleep(Duration::from_secs(secs));
        s.stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::other("writer panicked")))
            })
            .collect::<Result<Vec<Vec<u32>>>>()
    });
    let elapsed = start.elapsed().as_secs_f64();
    std::fs::remove_file(path)?;
    let mut latencies: Vec<u32> = outcome?.concat();
    latencies.sort_unstable();
    let acked = s.acked.load(Ordering::Relaxed);
    let batches = s.log.lock().map_err(poisoned)?.batches;
    let [gather, write, sync] = s.phases.per_batch_us(batches);
    println!(
        "{threads} writers, {value_bytes} B values, spin {}: {:.0} acknowledged writes/s, {:.1} writes per sync, {:.0} syncs/s, latency p50 / p99 / p99.9 {} / {} / {} us, work {work_ns} ns per write, per batch gather / write / sync {gather} / {write} / {sync} us",
        s.spin_yields,
        acked as f64 / elapsed,
        acked as f64 / batches.max(1) as f64,
        batches as f64 / elapsed,
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        quantile(&latencies, 0.999)
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = run(&args) {
        eprintln!("group_commit_floor: {e}");
        std::process::exit(1);
    }
}
