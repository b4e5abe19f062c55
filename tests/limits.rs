//! Limits and resource errors that need no device (record-model.md §19 L-* rows, B-MAX, K-SET-*,
//! CFG-*): bin names, bins per record, ops per request, sets, record size, hot-key queueing
//! (KeyBusy, with threads and a held record lock) and stop-writes on a bounded memory store.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    operations as op, Bin, Bins, Key, Operation, ResultCode as RC, StorageConfig, Value,
    WritePolicy,
};
use sem::*;
use std::sync::Arc;
use std::time::Duration;

/// L-BIN-NAME, B-NAME-LEN, B-NAME-NUL, B-NAME-EMPTY: 0 … 15 bytes without NUL; else 21.
#[test]
fn l_bin_name() {
    let t = common::open();
    let k = key(1);
    for ok in ["", "a", &"x".repeat(15), "é"] {
        put_ok(&t, &wp(), &k, &[bin(ok, 1)]);
        assert_eq!(must_get(&t, &k).bin(ok), Some(&Value::Int(1)), "{ok:?}");
    }
    let before = observe(&t, &k);
    for bad in [
        "x".repeat(16),
        "x".repeat(100),
        "a\0".into(),
        "\0".into(),
        "ééééééééé".into(),
    ] {
        assert_eq!(
            rc(&t.db.put(&wp(), &k, &[bin(&bad, 1)])),
            RC::BinNameTooLong,
            "{bad:?}"
        );
    }
    assert_eq!(observe(&t, &k), before);
}

fn many_bins(n: usize) -> Vec<Bin> {
    (0..n).map(|i| bin(&format!("b{i}"), 1)).collect()
}

/// L-BINS, B-MAX, WP-18: at most 32767 bins, counted after all ops are applied. A record of
/// 32767 bins takes seconds per request in a debug build (bin lists are linear), so the
/// follow-up requests on the full record run only with `AEROLITE_LARGE_TESTS=1`.
#[test]
fn l_bins() {
    let t = common::open();
    let k2 = key(2);
    assert_eq!(
        rc(&t.db.put(&wp(), &k2, &many_bins(32_768))),
        RC::ParameterError
    );
    assert_eq!(rc(&get(&t, &k2)), RC::KeyNotFoundError);
    let k = key(1);
    let r = put_ok(&t, &wp(), &k, &many_bins(32_767));
    assert_eq!(r.generation, 1);
    if std::env::var_os("AEROLITE_LARGE_TESTS").is_none() {
        return;
    }
    assert_eq!(must_get(&t, &k).bins.len(), 32_767);
    let before = observe(&t, &k);
    assert_eq!(
        rc(&t.db.put(&wp(), &k, &[bin("one-more", 1)])),
        RC::ParameterError
    );
    assert_eq!(observe(&t, &k), before);
    // Counted after the ops: add one, remove one → still 32767.
    let r =
        t.db.operate(
            &wp(),
            &k,
            &[op::put(&bin("one-more", 1)), op::delete_bin("b0")],
        )
        .expect("net zero");
    assert_eq!(r.generation, 2);
}

/// B-NAMESPACE-LIMIT: distinct bin names per namespace are unlimited.
#[test]
fn b_namespace_limit() {
    let t = common::open();
    for i in 0..10_000 {
        put_ok(&t, &wp(), &key(i), &[bin(&format!("n{i}"), i)]);
    }
    assert_eq!(
        must_get(&t, &key(9_999)).bin("n9999"),
        Some(&Value::Int(9_999))
    );
}

/// L-OPS, WP-05, RP-08: 1 … 32768 ops per request; 0 or more → 4, on both paths.
#[test]
fn l_ops() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("n", 0)]);
    let adds: Vec<Operation> = (0..32_768).map(|_| op::add(&bin("n", 1))).collect();
    let r = t.db.operate(&wp(), &k, &adds).expect("32768 ops");
    assert_eq!(r.generation, 2);
    assert_eq!(must_get(&t, &k).bin("n"), Some(&Value::Int(32_768)));
    let mut too_many = adds.clone();
    too_many.push(op::add(&bin("n", 1)));
    assert_eq!(rc(&t.db.operate(&wp(), &k, &too_many)), RC::ParameterError);
    assert_eq!(rc(&t.db.operate(&wp(), &k, &[])), RC::ParameterError);
    let reads: Vec<Operation> = (0..32_769).map(|_| op::get_bin("n")).collect();
    assert_eq!(rc(&t.db.operate(&wp(), &k, &reads)), RC::ParameterError);
    assert_eq!(rc(&t.db.operate(&wp(), &k, &reads[..32_768])), RC::Ok);
    assert_eq!(must_get(&t, &k).generation, 2);
}

/// L-SET, K-SET-NAME, K-SET-COUNT, WP-12: set names ≤ 63 bytes without NUL; at most 4095
/// distinct sets; a record in a new set beyond that → 4, existing sets keep working.
#[test]
fn l_set() {
    let t = common::open();
    let max = "s".repeat(63);
    put_ok(
        &t,
        &wp(),
        &Key::new(NS, &max, 1).expect("key"),
        &[bin("a", 1)],
    );
    for bad in ["s".repeat(64), "a\0b".to_string()] {
        let k = Key::new(NS, &bad, 1).expect("key");
        assert_eq!(
            rc(&t.db.put(&wp(), &k, &[bin("a", 1)])),
            RC::ParameterError,
            "{bad:?}"
        );
        assert_eq!(rc(&get(&t, &k)), RC::ParameterError);
    }
    for i in 1..4095 {
        let k = Key::new(NS, &format!("set{i}"), 1).expect("key");
        put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    }
    let k = Key::new(NS, "one-too-many", 1).expect("key");
    assert_eq!(rc(&t.db.put(&wp(), &k, &[bin("a", 1)])), RC::ParameterError);
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    // existing sets still accept new records; no set at all is not a set
    put_ok(
        &t,
        &wp(),
        &Key::new(NS, "set7", 2).expect("key"),
        &[bin("a", 1)],
    );
    put_ok(
        &t,
        &wp(),
        &Key::new(NS, "", 2).expect("key"),
        &[bin("a", 1)],
    );
}

/// L-RECORD-SIZE, CFG-MAX-RECORD, WP-20: an image above max_record_size → 13, nothing changes;
/// the default is 1 MiB; a size below 64 bytes is refused at open.
#[test]
fn l_record_size() {
    let t = common::open_with(|ns| ns.max_record_size(4096));
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("a", vec![0u8; 3000])]);
    let before = observe(&t, &k);
    assert_eq!(
        rc(&t.db.put(&wp(), &k, &[bin("b", vec![0u8; 2000])])),
        RC::RecordTooBig
    );
    assert_eq!(
        rc(&t
            .db
            .operate(&wp(), &k, &[op::append(&bin("a", vec![1u8; 1200]))])),
        RC::RecordTooBig
    );
    assert_eq!(observe(&t, &k), before);
    assert_eq!(
        rc(&t.db.put(&wp(), &key(2), &[bin("a", vec![0u8; 5000])])),
        RC::RecordTooBig
    );
    assert_eq!(rc(&get(&t, &key(2))), RC::KeyNotFoundError);

    let t = common::open();
    assert_eq!(aerolite::NamespaceConfig::new("x").max_record_size, 1 << 20);
    put_ok(&t, &wp(), &key(1), &[bin("a", vec![0u8; 1_000_000])]);
    assert_eq!(
        rc(&t.db.put(&wp(), &key(2), &[bin("a", vec![0u8; 1 << 20])])),
        RC::RecordTooBig
    );
    let bad = aerolite::NamespaceConfig::new("x").max_record_size(63);
    assert_eq!(
        bad.validate().map_err(|e| e.code()),
        Err(RC::ParameterError)
    );
}

/// A put on another thread that queues behind the held record lock. Returns once the thread is
/// about to call `put` and has had time to start waiting.
fn waiting_put(
    t: &Arc<common::TestDb>,
    k: &Key,
    v: i64,
) -> std::thread::JoinHandle<aerolite::Result<aerolite::Record>> {
    let (t, k) = (t.clone(), k.clone());
    let started = Arc::new(std::sync::Barrier::new(2));
    let go = started.clone();
    let h = std::thread::spawn(move || {
        let p = WritePolicy {
            total_timeout: Some(Duration::from_secs(20)),
            ..WritePolicy::default()
        };
        go.wait();
        t.db.put(&p, &k, &[bin("v", v)])
    });
    started.wait();
    std::thread::sleep(Duration::from_millis(100));
    h
}

/// A probe that must be refused at once; the timeout only keeps a wrong engine from hanging.
fn probe() -> WritePolicy {
    WritePolicy {
        total_timeout: Some(Duration::from_secs(5)),
        ..WritePolicy::default()
    }
}

/// L-KEY-BUSY, CFG-PENDING, WP-03, DP-03, RC-14: with `transaction_pending_limit = 2`, up to 2
/// waiting requests are allowed and a third one still queues ("more than the limit already
/// waiting" fails: Aerospike's `wait_queue_depth > limit`); the next one gets 14, not in doubt,
/// for writes and deletes alike. The waiters all apply once the lock is free.
#[test]
fn l_key_busy() {
    let t = Arc::new(common::open_with(|ns| ns.transaction_pending_limit(2)));
    assert_eq!(
        aerolite::NamespaceConfig::new("x").transaction_pending_limit,
        20
    );
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 0)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns
        .locks
        .acquire(k.digest, 0, None)
        .expect("hold the record");
    let mut waiters = Vec::new();
    for i in 1..=3 {
        waiters.push(waiting_put(&t, &k, i));
    }
    let busy =
        t.db.put(&probe(), &k, &[bin("v", 99)])
            .expect_err("hot key");
    assert_eq!(busy.code(), RC::KeyBusy);
    assert!(!busy.in_doubt(), "ID-DEFINITIVE");
    let del = WritePolicy {
        durable_delete: true,
        ..probe()
    };
    assert_eq!(rc(&t.db.delete(&del, &k)), RC::KeyBusy);
    assert_eq!(rc(&t.db.touch(&probe(), &k)), RC::KeyBusy);
    drop(guard);
    for w in waiters {
        w.join().expect("thread").expect("queued write applies");
    }
    let got = must_get(&t, &k);
    assert_eq!(got.generation, 4);
    assert_ne!(got.bin("v"), Some(&Value::Int(99)));
}

/// L-KEY-BUSY: 0 means unlimited: more waiters than the default 20 all queue.
#[test]
fn l_key_busy_unlimited() {
    let t = Arc::new(common::open_with(|ns| ns.transaction_pending_limit(0)));
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 0)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let waiters: Vec<_> = (0..25).map(|i| waiting_put(&t, &k, i)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let p = WritePolicy {
        total_timeout: Some(Duration::from_millis(50)),
        ..WritePolicy::default()
    };
    assert_eq!(
        rc(&t.db.put(&p, &k, &[bin("v", 1)])),
        RC::Timeout,
        "queued, not busy"
    );
    drop(guard);
    for w in waiters {
        w.join().expect("thread").expect("applies");
    }
    assert_eq!(must_get(&t, &k).generation, 26);
}

/// L-STOP-WRITES (used part), CFG-STOP-USED, WP-04, RC-8, DP-NO-STOPWRITES: once used space
/// reaches stop_writes_used_pct of the capacity every write request → 8 (put, touch, write
/// operate), reads and deletes still work, and writes resume once deletes free space.
#[test]
fn l_stop_writes() {
    let t = common::open_with(|ns| {
        ns.storage(StorageConfig::Memory {
            capacity_bytes: 64 * 1024,
        })
    });
    assert_eq!(aerolite::NamespaceConfig::new("x").stop_writes_used_pct, 70);
    let mut n = 0;
    while rc(&t.db.put(&wp(), &key(n), &[bin("p", vec![7u8; 1000])])) == RC::Ok {
        n += 1;
        assert!(n < 100);
    }
    let used = t.db.stats().used_bytes;
    assert!(
        used * 100 >= 64 * 1024 * 70,
        "stopped at the used threshold"
    );
    assert!(used < 64 * 1024, "before the store was full");
    let k = key(0);
    let before = observe(&t, &k);
    assert_eq!(rc(&t.db.put(&wp(), &k, &[bin("x", 1)])), RC::ServerMemError);
    assert_eq!(rc(&t.db.touch(&wp(), &k)), RC::ServerMemError);
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &[op::add(&bin("n", 1))])),
        RC::ServerMemError
    );
    assert_eq!(observe(&t, &k), before);
    assert!(t.db.get(&rp(), &k, Bins::All).is_ok());
    assert!(t.db.operate(&wp(), &k, &[op::get()]).is_ok());
    for i in 0..10 {
        assert!(t.db.delete(&wp(), &key(i)).expect("delete in stop-writes"));
    }
    put_ok(&t, &wp(), &key(0), &[bin("x", 1)]);
}
