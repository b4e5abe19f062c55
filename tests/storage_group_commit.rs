//! Group commit (DUR-DEVICE, SN-REQ-ACK-DEVICE): concurrent commit-to-device writers share device
//! syncs: with a slow sync, 8 writers × 40 writes complete with far fewer syncs than writes, and
//! every acknowledged write is durable (present after a crash); at most two batches' syncs run
//! at once, whoever gathers them.

mod storage_support;

use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::ManualClock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use storage_support::*;

/// A device that passes reads and writes to `inner` and runs each sync through its script
/// (which may wait, count, fail or call the inner sync); the script's fields are reachable
/// through the device (`Deref`).
struct SyncHook<S> {
    inner: Arc<dyn Device>,
    script: S,
}

/// What a [`SyncHook`] device does on `sync`.
trait SyncScript: Send + Sync {
    fn sync(&self, inner: &dyn Device) -> aerolite::Result<()>;
}

impl<S> std::ops::Deref for SyncHook<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.script
    }
}

impl<S: SyncScript> Device for SyncHook<S> {
    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> aerolite::Result<()> {
        self.inner.write_at(offset, buf)
    }
    fn sync(&self) -> aerolite::Result<()> {
        self.script.sync(&*self.inner)
    }
    fn kind(&self) -> &'static str {
        "sync-hook"
    }
}

/// Each sync takes `pause` (3 ms unless given); records the most syncs that ran at once,
/// numbers the syncs in the order they begin and records the highest number whose sync
/// returned Ok.
struct SlowSync {
    pause: Duration,
    running: AtomicUsize,
    most: AtomicUsize,
    begun: AtomicU64,
    completed: AtomicU64,
}

impl SlowSync {
    fn new(inner: Arc<dyn Device>) -> SyncHook<SlowSync> {
        SlowSync::pausing(inner, Duration::from_millis(3))
    }

    fn pausing(inner: Arc<dyn Device>, pause: Duration) -> SyncHook<SlowSync> {
        let script = SlowSync {
            pause,
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            begun: AtomicU64::new(0),
            completed: AtomicU64::new(0),
        };
        SyncHook { inner, script }
    }
}

impl SyncScript for SlowSync {
    fn sync(&self, inner: &dyn Device) -> aerolite::Result<()> {
        let no = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(self.pause);
        self.running.fetch_sub(1, Ordering::SeqCst);
        inner.sync()?;
        self.completed.fetch_max(no, Ordering::SeqCst);
        Ok(())
    }
}

/// `writers` threads each put `per_writer` records (keys `t × 1000 + i`, `pad` bytes of bins).
fn put_concurrently(db: &Arc<aerolite::Database>, writers: i64, per_writer: i64, pad: usize) {
    let threads: Vec<_> = (0..writers)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    let k = t * 1000 + i;
                    db.put(&wp(false), &key(k), &bins(k, pad)).expect("put");
                }
            })
        })
        .collect();
    for w in threads {
        w.join().expect("writer");
    }
}

/// Crash `fault` (writes not covered by a completed sync are lost), abandon `db`, reopen on
/// `mem` and check that every write `put_concurrently(…, writers, per_writer, …)` acknowledged
/// is there.
fn crash_and_check(
    db: Arc<aerolite::Database>,
    fault: &FaultyDevice,
    mem: Arc<MemoryDevice>,
    clock: &ManualClock,
    writers: i64,
    per_writer: i64,
) {
    fault.crash();
    match Arc::try_unwrap(db) {
        Ok(db) => db.abandon(),
        Err(_) => panic!("writers still hold the database"),
    }
    let db = open_on(device_config(vec![mem as Arc<dyn Device>], None), clock).expect("reopen");
    for t in 0..writers {
        for i in 0..per_writer {
            let k = t * 1000 + i;
            assert_eq!(read(&db, &key(k)), Some((k, 1)), "acknowledged write {k}");
        }
    }
}

#[test]
fn dur_device_concurrent_writers_share_syncs() {
    let mem = mem_device(8);
    let fault = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
    let slow: Arc<dyn Device> = Arc::new(SlowSync::new(fault.clone()));
    let clock = ManualClock::at_2026();
    let db = Arc::new(
        open_on(
            device_config(vec![slow], None).commit_to_device(true),
            &clock,
        )
        .expect("open"),
    );
    let syncs_before = fault.syncs();
    put_concurrently(&db, 8, 40, 200);
    let syncs = fault.syncs() - syncs_before;
    eprintln!("320 commit-to-device writes, {syncs} syncs");
    assert!(syncs < 160, "group commit: {syncs} syncs for 320 writes");
    crash_and_check(db, &fault, mem, &clock, 8, 40);
}

/// After `arm`, the first sync blocks until a second sync has completed (or 5 s
/// passed) and then fails: a sync failing while a later batch's sync is in flight.
struct GatedSync {
    state: std::sync::Mutex<Gate>,
    cv: std::sync::Condvar,
}

#[derive(Default)]
struct Gate {
    armed: bool,
    syncs: u32,
    first_waiting: bool,
    second_done: bool,
}

impl GatedSync {
    fn arm(&self) {
        self.state.lock().expect("gate").armed = true;
    }
    fn wait_first(&self) {
        let mut g = self.state.lock().expect("gate");
        while !g.first_waiting {
            g = self.cv.wait(g).expect("gate");
        }
    }
}

impl SyncScript for GatedSync {
    fn sync(&self, inner: &dyn Device) -> aerolite::Result<()> {
        let mut g = self.state.lock().expect("gate");
        if !g.armed {
            drop(g);
            return inner.sync();
        }
        g.syncs += 1;
        match g.syncs {
            1 => {
                g.first_waiting = true;
                self.cv.notify_all();
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                while !g.second_done && std::time::Instant::now() < deadline {
                    g = self
                        .cv
                        .wait_timeout(g, std::time::Duration::from_millis(10))
                        .expect("gate")
                        .0;
                }
                Err(aerolite::Error::new(
                    aerolite::ResultCode::ServerError,
                    "injected sync failure",
                ))
            }
            2 => {
                drop(g);
                let r = inner.sync();
                self.state.lock().expect("gate").second_done = true;
                self.cv.notify_all();
                r
            }
            _ => {
                drop(g);
                inner.sync()
            }
        }
    }
}

/// DUR-DEVICE, WP-NOCHANGE, ID-DEFINITIVE, SN-REQ-WRITE-ERROR with overlapped group commits:
/// batch 1's sync fails while batch 2 was written and synced successfully behind it. The durable
/// frontier never passes a failed batch, so the writers of *both* groups get ServerError 1,
/// nothing they wrote is visible, the store refuses writes, and the record acknowledged before
/// the failure survives a reopen. The 1 is in doubt for every writer whose image was handed to
/// the device (ID-DEVICE-HANDOFF, issue 11 point 3; this test asserted "not in doubt" before):
/// writer 1's batch always; a writer answered "not in doubt" must be absent after the reopen.
#[test]
fn dur_device_sync_failure_with_a_second_batch_in_flight_fails_both_groups() {
    let mem = mem_device(8);
    let gate = Arc::new(SyncHook {
        inner: mem.clone(),
        script: GatedSync {
            state: std::sync::Mutex::new(Gate::default()),
            cv: std::sync::Condvar::new(),
        },
    });
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = gate.clone();
    let db = Arc::new(
        open_on(
            device_config(vec![dev], None).commit_to_device(true),
            &clock,
        )
        .expect("open"),
    );
    db.put(&wp(false), &key(0), &bins(100, 50))
        .expect("put before the fault");
    gate.arm();
    let first = {
        let db = db.clone();
        std::thread::spawn(move || db.put(&wp(false), &key(1), &bins(1, 50)))
    };
    gate.wait_first();
    let second: Vec<_> = (2..10)
        .map(|k| {
            let db = db.clone();
            std::thread::spawn(move || db.put(&wp(false), &key(k), &bins(k, 50)))
        })
        .collect();
    let mut results = vec![first.join().expect("writer 1")];
    results.extend(second.into_iter().map(|h| h.join().expect("writer")));
    assert!(
        gate.state.lock().expect("gate").second_done,
        "a second batch was written and synced while the first sync was in flight"
    );
    for (i, r) in results.iter().enumerate() {
        match r {
            Err(e) => {
                assert_eq!(
                    e.code(),
                    aerolite::ResultCode::ServerError,
                    "writer {}: {e}",
                    i + 1
                );
                assert!(i > 0 || e.in_doubt(), "writer 1's batch was written: {e}");
            }
            Ok(_) => panic!(
                "writer {} acknowledged although an earlier sync failed",
                i + 1
            ),
        }
    }
    for k in 1..10 {
        match db.get(
            &aerolite::ReadPolicy::default(),
            &key(k),
            aerolite::Bins::All,
        ) {
            Ok(r) => panic!("key {k}: a write answered with 1 is visible: {r:?}"),
            Err(e) => assert!(
                matches!(e.code().code(), 1 | 2),
                "key {k}: {e} (expected not found or 1)"
            ),
        }
    }
    let refused = db.put(&wp(false), &key(20), &bins(20, 50));
    assert!(
        matches!(refused.as_ref().map_err(|e| e.code().code()), Err(1 | 8)),
        "write after a failed sync: {refused:?}"
    );
    match Arc::try_unwrap(db) {
        Ok(db) => db.abandon(),
        Err(_) => panic!("writers still hold the database"),
    }
    let db = open_on(device_config(vec![mem as Arc<dyn Device>], None), &clock).expect("reopen");
    assert_eq!(
        read(&db, &key(0)),
        Some((100, 1)),
        "acknowledged before the fault"
    );
    for (i, r) in results.iter().enumerate() {
        if matches!(r, Err(e) if !e.in_doubt()) {
            let k = i as i64 + 1;
            assert_eq!(read(&db, &key(k)), None, "key {k} answered definitively");
        }
    }
}

/// Pipelining depth: at most `MAX_SYNCS_IN_FLIGHT` (2) batches' syncs run at once, whoever
/// gathers the batch — a writer leading a group or the flusher thread (1 ms `flush_max_ms`)
/// writing a due partial buffer (issue 12 point 6; `group_commit::slot_free`).
#[test]
fn flusher_and_leaders_never_exceed_two_syncs_in_flight() {
    let dev = Arc::new(SlowSync::new(mem_device(16)));
    let clock = ManualClock::at_2026();
    let cfg = device_config(vec![dev.clone() as Arc<dyn Device>], None)
        .commit_to_device(true)
        .flush_max_ms(1);
    let db = Arc::new(
        aerolite::Database::open(
            aerolite::DatabaseConfig::with_namespaces(vec![aerolite::NamespaceConfig::new("test")
                .storage(aerolite::StorageConfig::Device(cfg))])
            .clock(Arc::new(clock.clone())),
        )
        .expect("open"),
    );
    put_concurrently(&db, 16, 150, 300);
    let most = dev.most.load(Ordering::SeqCst);
    eprintln!("most syncs at once: {most}");
    assert!(
        most <= 2,
        "{most} syncs ran at once (MAX_SYNCS_IN_FLIGHT = 2)"
    );
    assert!(most >= 1);
}

/// DUR-DEVICE, SN-REQ-ACK-DEVICE (issue 16 point 3, session 6): a commit-to-device write is
/// acknowledged only after a sync that began after the write was issued has returned Ok — for
/// every one of 16 writers × 60 writes, whoever led the batch and however the writer was woken
/// (parked and covered, the candidate, or completing the group itself); and after a crash every
/// acknowledged write is there.
#[test]
fn dur_device_every_ack_follows_a_sync_begun_after_the_write() {
    let mem = mem_device(16);
    let fault = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
    // Each sync takes 300 µs: an acknowledgement that did not wait for its sync would come
    // well before one returned.
    let ledger = Arc::new(SlowSync::pausing(fault.clone(), Duration::from_micros(300)));
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = ledger.clone();
    let db = Arc::new(
        open_on(
            device_config(vec![dev], None).commit_to_device(true),
            &clock,
        )
        .expect("open"),
    );
    let writers: Vec<_> = (0..16i64)
        .map(|t| {
            let (db, ledger) = (db.clone(), ledger.clone());
            std::thread::spawn(move || {
                for i in 0..60 {
                    let k = t * 1000 + i;
                    let before = ledger.begun.load(Ordering::SeqCst);
                    db.put(&wp(false), &key(k), &bins(k, 300)).expect("put");
                    let done = ledger.completed.load(Ordering::SeqCst);
                    assert!(
                        done > before,
                        "write {k} acknowledged before a sync begun after it returned \
                         (syncs begun before the write: {before}, highest completed: {done})"
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.join()
            .expect("a writer saw an acknowledgement before its sync");
    }
    crash_and_check(db, &fault, mem, &clock, 16, 60);
}

/// After `arm`: sync 1 waits for the test's release, sync 2 returns Ok once sync 3 has begun,
/// sync 3 fails as soon as sync 2 returned (all waits at most 5 s): batch 2 syncs Ok while
/// batch 3, overlapping it, fails right after.
struct LaterSyncFails {
    /// (armed, released, syncs begun, sync 2 returned).
    state: std::sync::Mutex<(bool, bool, u32, bool)>,
    cv: std::sync::Condvar,
}

impl LaterSyncFails {
    /// Wait until `ready` holds for the state, at most 5 s.
    fn wait_for(&self, ready: impl Fn(&(bool, bool, u32, bool)) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut g = self.state.lock().expect("state");
        while !ready(&g) && std::time::Instant::now() < deadline {
            g = self
                .cv
                .wait_timeout(g, Duration::from_millis(10))
                .expect("state")
                .0;
        }
    }

    fn set(&self, change: impl FnOnce(&mut (bool, bool, u32, bool))) {
        change(&mut self.state.lock().expect("state"));
        self.cv.notify_all();
    }
}

impl SyncScript for LaterSyncFails {
    fn sync(&self, inner: &dyn Device) -> aerolite::Result<()> {
        let mut no = 0;
        self.set(|g| {
            if g.0 {
                g.2 += 1;
                no = g.2;
            }
        });
        match no {
            1 => self.wait_for(|g| g.1),
            2 => {
                self.wait_for(|g| g.2 >= 3);
                let r = inner.sync();
                self.set(|g| g.3 = true);
                return r;
            }
            3 => {
                self.wait_for(|g| g.3);
                return Err(aerolite::Error::new(
                    aerolite::ResultCode::ServerError,
                    "injected sync failure",
                ));
            }
            _ => {}
        }
        inner.sync()
    }
}

/// DUR-DEVICE, SN-REQ-WRITE-ERROR, ID-DEVICE-HANDOFF: eight writers form batch 2 (they append
/// while batch 1's sync is held); batch 2 syncs Ok while batch 3, overlapping it, fails right
/// after. A writer of batch 2 that looks at the store only after the failure is durable all
/// the same: it must get Ok — before the fix it was sent to `handoff_doubt`, whose assertion (a
/// failed ticket lies above the frontier) panicked the writer. Every answer is Ok, ServerError 1
/// or (refused after the failure) 8; every Ok is there after a reopen, every definitive error
/// absent. (Whether a writer looks before or after the failure is a race: 30 rounds; on the
/// code before the fix most runs of this test panicked.)
#[test]
fn dur_device_writers_of_a_synced_batch_are_acknowledged_when_a_later_batch_fails() {
    for round in 0..30 {
        let mem = mem_device(8);
        let script = LaterSyncFails {
            state: std::sync::Mutex::new((false, false, 0, false)),
            cv: std::sync::Condvar::new(),
        };
        let dev = Arc::new(SyncHook {
            inner: mem.clone(),
            script,
        });
        let clock = ManualClock::at_2026();
        let cfg = device_config(vec![dev.clone() as Arc<dyn Device>], None).commit_to_device(true);
        let db = Arc::new(open_on(cfg, &clock).expect("open"));
        dev.set(|g| g.0 = true);
        let spawn = |k: i64| {
            let db = db.clone();
            std::thread::spawn(move || db.put(&wp(false), &key(k), &bins(k, 50)))
        };
        let mut writers = vec![(0, spawn(0))];
        dev.wait_for(|g| g.2 >= 1);
        writers.extend((1..9).map(|k| (k, spawn(k))));
        std::thread::sleep(Duration::from_millis(20)); // batch 2's writers append and wait
        dev.set(|g| g.1 = true);
        dev.wait_for(|g| g.2 >= 2);
        writers.extend((10..20).map(|k| (k, spawn(k))));
        let mut answers = Vec::new();
        for (k, h) in writers {
            let r = h.join().expect("a writer panicked");
            if let Err(e) = &r {
                let code = e.code().code();
                assert!(matches!(code, 1 | 8), "round {round}, key {k}: {e}");
            }
            answers.push((k, r.map(|_| ()).map_err(|e| e.in_doubt())));
        }
        let syncs = dev.state.lock().expect("state").2;
        assert!(
            syncs >= 3,
            "round {round}: batch 3 overlapped batch 2 ({syncs} syncs)"
        );
        match Arc::try_unwrap(db) {
            Ok(db) => db.abandon(),
            Err(_) => panic!("writers still hold the database"),
        }
        let cfg = device_config(vec![mem as Arc<dyn Device>], None);
        let db = open_on(cfg, &clock).expect("reopen");
        for (k, answer) in answers {
            let found = read(&db, &key(k));
            match answer {
                Ok(()) => assert_eq!(found, Some((k, 1)), "round {round}: acknowledged {k}"),
                Err(false) => assert_eq!(found, None, "round {round}: {k} answered definitively"),
                Err(true) => {}
            }
        }
    }
}
