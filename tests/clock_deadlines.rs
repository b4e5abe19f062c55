//! Deterministic time (issue 12 point 6): request deadlines and the device store's flush timer
//! read the database's `Clock`, not the process's real time. With a `ManualClock` whose
//! monotonic reading is manual, a queued request does not time out and a partly filled buffer
//! is not flushed while real time passes; both happen once the test moves the clock.

mod storage_support;

use aerolite::{
    Database, DatabaseConfig, ManualClock, NamespaceConfig, ResultCode, StorageConfig, WritePolicy,
};
use std::sync::{mpsc, Arc};
use std::time::Duration;
use storage_support::*;

/// CL-TIMEOUT-QUEUED through the Clock: a put queued behind a held record lock with a 1 ms
/// `total_timeout` waits as long as the clock stands still, and fails with Timeout 9 once the
/// clock passes the deadline.
#[test]
fn queued_request_deadline_follows_the_clock() {
    let clock = ManualClock::at_2026().with_manual_monotonic();
    let db = Arc::new(
        Database::open(DatabaseConfig::memory("test").clock(Arc::new(clock.clone())))
            .expect("open"),
    );
    let k = key(1);
    db.put(&wp(false), &k, &bins(1, 10)).expect("put");
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let (db, k) = (db.clone(), k.clone());
        std::thread::spawn(move || {
            let p = WritePolicy {
                total_timeout: Some(Duration::from_millis(1)),
                ..WritePolicy::default()
            };
            let _ = tx.send(db.put(&p, &k, &bins(2, 10)).map_err(|e| e.code()));
        })
    };
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "the deadline is 1 ms of clock time: real time does not expire it"
    );
    clock.advance_monotonic_us(2_000);
    let got = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the waiter returns once the clock passed its deadline");
    assert_eq!(got, Err(ResultCode::Timeout));
    waiter.join().expect("waiter");
    drop(guard);
    assert_eq!(read(&db, &k), Some((1, 1)), "the timed-out put did nothing");
}

/// DUR-BUFFERED, CFG-FLUSH-MAX through the Clock: the flusher thread writes a partly filled
/// buffer once `flush_max_ms` of clock time passed since the last partial flush, not before.
#[test]
fn partial_flush_timer_follows_the_clock() {
    let clock = ManualClock::at_2026().with_manual_monotonic();
    let dev = device_config(vec![mem_device(8)], None).flush_max_ms(20);
    let db = Database::open(
        DatabaseConfig::with_namespaces(vec![
            NamespaceConfig::new("test").storage(StorageConfig::Device(dev))
        ])
        .clock(Arc::new(clock.clone())),
    )
    .expect("open");
    let before = db.stats().bytes_written;
    db.put(&wp(false), &key(1), &bins(1, 100)).expect("put");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        db.stats().bytes_written,
        before,
        "no clock time passed: the partial buffer is not due"
    );
    clock.advance_monotonic_us(20_000);
    let mut waited = 0;
    while db.stats().bytes_written == before {
        assert!(waited < 10_000, "the flusher writes the due partial buffer");
        std::thread::sleep(Duration::from_millis(10));
        waited += 10;
    }
}
