//! `Database::get_many` (Aerospike's batch read): each key's result is exactly what `get` returns
//! for it — live (R-LIVE, R-ALL, R-HEADER, named bins), missing (R-MISSING), tombstone (R-TOMB),
//! expired (R-EXP), set mismatch (R-SET), stored key mismatch (R-KEY), unknown namespace (WP-01 →
//! 20), duplicate keys — on the backend under test (`AEROLITE_BACKEND`), and on the device store
//! with `O_DIRECT` batched reads (io_uring and portable): device reads counted, a damaged image
//! is 1 for its key only (RC-1), a failed batch submission is retried read by read.

mod common;
mod storage_support;

use aerolite::config::IoBackend;
use aerolite::policy::write::Expiration;
use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::Device;
use aerolite::{Bin, Bins, Database, Key, ManualClock, ReadPolicy, ResultCode, Value, WritePolicy};
use std::sync::Arc;

/// `prefetch_current` of `$b` at `$loc`, checked to agree with `prefetch_current_many` (the
/// scan's one-lock-per-batch check), asked for the image twice in one batch.
macro_rules! current {
    ($ns:expr, $loc:expr, $b:expr) => {{
        let one = $ns.storage.prefetch_current($loc, $b);
        let many = $ns
            .storage
            .prefetch_current_many(&[($loc, &$b[..]), ($loc, &$b[..])]);
        assert_eq!(many, vec![one, one], "the batched check agrees");
        one
    }};
}

fn k(i: i64) -> Key {
    Key::new("test", "s", i).expect("key")
}

fn summary(r: &aerolite::Result<aerolite::Record>) -> String {
    match r {
        Ok(rec) => format!(
            "ok g{} e{} {:?}",
            rec.generation,
            rec.expiration,
            rec.bins.iter().collect::<Vec<_>>()
        ),
        Err(e) => format!("err {:?}", e.code()),
    }
}

/// Compare get_many with one get per key, for every `Bins` kind.
fn assert_batch_equals_gets(db: &Database, keys: &[Key], what: &str) {
    let rp = ReadPolicy::default();
    for bins in [Bins::All, Bins::None, Bins::from_names(&["b", "nope"])] {
        let batch = db.get_many(&rp, keys, bins.clone());
        assert_eq!(batch.len(), keys.len());
        for (key, got) in keys.iter().zip(&batch) {
            let want = db.get(&rp, key, bins.clone());
            assert_eq!(summary(got), summary(&want), "{what} {bins:?} {key:?}");
        }
    }
}

/// R-LIVE, R-MISSING, R-TOMB, R-EXP, R-SET, R-KEY, WP-01: every outcome through a batch.
#[test]
fn batch_results_equal_single_gets_for_every_outcome() {
    let t = common::open_with(|ns| ns.allow_ttl_without_sweep(true));
    let db = &t.db;
    let wp = WritePolicy::default();
    for i in 0..40 {
        db.put(
            &wp,
            &k(i),
            &[
                Bin::new("a", Value::Int(i)),
                Bin::new("b", Value::from("x")),
            ],
        )
        .expect("put");
    }
    let durable = WritePolicy {
        durable_delete: true,
        ..WritePolicy::default()
    };
    assert!(db.delete(&durable, &k(5)).expect("tombstone"));
    let short = WritePolicy {
        expiration: Expiration::Seconds(10),
        ..WritePolicy::default()
    };
    db.put(&short, &k(6), &[Bin::new("a", Value::Int(6))])
        .expect("put ttl");
    t.clock.advance_s(20);
    let send_key = WritePolicy {
        send_key: true,
        ..WritePolicy::default()
    };
    db.put(&send_key, &k(7), &[Bin::new("a", Value::Int(7))])
        .expect("put key");
    let mut mismatch = k(7);
    mismatch.user_key = Some(Value::Int(-7));
    let other_set = Key::new("test", "other", 8).expect("key");
    let mut wrong_set = other_set.clone();
    wrong_set.digest = k(8).digest;
    let no_ns = Key::new("nope", "s", 1).expect("key");
    let keys = vec![
        k(0),
        k(1000), // missing
        k(5),    // tombstone
        k(6),    // expired
        mismatch,
        wrong_set,
        no_ns,
        k(2),
        k(2), // twice
        k(39),
    ];
    assert_batch_equals_gets(db, &keys, "outcomes");
    let codes: Vec<Option<ResultCode>> = db
        .get_many(&ReadPolicy::default(), &keys, Bins::All)
        .iter()
        .map(|r| r.as_ref().err().map(|e| e.code()))
        .collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some(ResultCode::KeyNotFoundError),
            Some(ResultCode::KeyNotFoundError),
            Some(ResultCode::KeyNotFoundError),
            Some(ResultCode::KeyMismatch),
            Some(ResultCode::ParameterError),
            Some(ResultCode::InvalidNamespace),
            None,
            None,
            None,
        ]
    );
    assert!(db
        .get_many(&ReadPolicy::default(), &[], Bins::All)
        .is_empty());
}

/// Batched `O_DIRECT` device reads (io_uring: one submission; portable: one after another),
/// with page-cache reads on and off: results equal single gets, each key read once from the
/// device, a damaged image fails only its key (RC-1).
#[test]
fn device_batches_read_each_image_once_and_verify_it() {
    for io in [IoBackend::Auto, IoBackend::Portable] {
        for page_cache in [false, true] {
            let dir = storage_support::tmp();
            let clock = ManualClock::at_2026();
            let mut c = storage_support::file_config(dir.path());
            c.io_backend = io;
            c.read_page_cache = page_cache;
            c.post_write_cache = 0;
            c.snapshot_path = None;
            let db = storage_support::open_on(c, &clock).expect("open");
            for i in 0..300 {
                db.put(
                    &WritePolicy::default(),
                    &k(i),
                    &[
                        Bin::new("a", Value::Int(i)),
                        Bin::new("b", Value::Blob(vec![1; 700])),
                    ],
                )
                .expect("put");
            }
            storage_support::flush(&db);
            let keys: Vec<Key> = (0..200).step_by(3).map(k).collect();
            let before = db.stats().cache_misses;
            let batch = db.get_many(&ReadPolicy::default(), &keys, Bins::All);
            let misses = db.stats().cache_misses - before;
            assert_eq!(misses, keys.len() as u64, "{io:?}: one device read per key");
            for (i, r) in (0..200).step_by(3).zip(&batch) {
                let rec = r.as_ref().expect("batch read");
                assert_eq!(rec.bin("a"), Some(&Value::Int(i)));
            }
            assert_batch_equals_gets(&db, &keys, "device");
            // Damage record 30's image on the device (a buffered write: both read kinds see it).
            let e = aerolite::testing::namespace(&db, "test")
                .expect("namespace")
                .index
                .get(&k(30).digest)
                .expect("indexed");
            let at = u64::from(storage_support::BLOCK) * (1 + u64::from(e.location.block))
                + u64::from(e.location.offset)
                + 300;
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(dir.path().join("ns.dev"))
                .expect("open");
            use std::os::unix::fs::FileExt;
            let mut b = [0u8; 1];
            f.read_exact_at(&mut b, at).expect("read");
            f.write_all_at(&[b[0] ^ 1], at).expect("damage");
            f.sync_all().expect("sync");
            let batch = db.get_many(&ReadPolicy::default(), &[k(27), k(30), k(33)], Bins::All);
            let codes: Vec<_> = batch
                .iter()
                .map(|r| r.as_ref().err().map(|e| e.code()))
                .collect();
            assert_eq!(
                codes,
                vec![None, Some(ResultCode::ServerError), None],
                "{io:?} pc={page_cache}: only the damaged key fails"
            );
        }
    }
}

/// A failed batch submission (the first read of the batch fails once) is retried read by read:
/// every key still gets its record.
#[test]
fn failed_batch_is_retried_read_by_read() {
    let mem = storage_support::mem_device(4);
    let fault = Arc::new(FaultyDevice::new(mem, FaultPlan::default()));
    let clock = ManualClock::at_2026();
    let mut c = storage_support::device_config(vec![fault.clone() as Arc<dyn Device>], None);
    c.post_write_cache = 0;
    c.read_page_cache = false;
    let db = storage_support::open_on(c, &clock).expect("open");
    for i in 0..100 {
        db.put(
            &WritePolicy::default(),
            &k(i),
            &storage_support::bins(i, 500),
        )
        .expect("put");
    }
    storage_support::flush(&db);
    let keys: Vec<Key> = (0..20).map(k).collect();
    fault.set_plan(FaultPlan {
        fail_io: Some(fault.ios() + 1),
        ..FaultPlan::default()
    });
    for (i, r) in (0..20).zip(db.get_many(&ReadPolicy::default(), &keys, Bins::All)) {
        let rec = r.expect("retried after the failed batch");
        assert_eq!(storage_support::int_bin(&rec), i);
    }
}

/// SN-REQ-SEQ for batches: an image prefetched without the record lock is used only while its
/// block is in the incarnation it was read from; once the block is freed and reborn, the
/// prefetched bytes are refused (the batch then reads the key again under its lock).
#[test]
fn prefetched_image_of_a_reborn_block_is_refused() {
    let dir = storage_support::tmp();
    let clock = ManualClock::at_2026();
    let mut c = storage_support::file_config(dir.path());
    c.post_write_cache = 0;
    c.snapshot_path = None;
    let db = storage_support::open_on(c, &clock).expect("open");
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    let block_of = |i: i64| ns.index.get(&k(i).digest).map(|e| e.location.block);
    let mut n = 0;
    while block_of(n - 1).is_none_or(|b| b == 0) {
        db.put(
            &WritePolicy::default(),
            &k(n),
            &storage_support::bins(n, 1500),
        )
        .expect("put");
        n += 1;
    }
    storage_support::flush(&db);
    let e = ns.index.get(&k(0).digest).expect("indexed");
    assert_eq!(e.location.block, 0);
    let pre = ns.storage.read_many(&[(e.location, e.size)]);
    let bytes = pre[0].as_ref().expect("prefetched");
    assert!(current!(ns, e.location, bytes), "block 0 unchanged");
    for i in (0..n).filter(|i| block_of(*i) == Some(0)) {
        assert!(db.delete(&WritePolicy::default(), &k(i)).expect("delete"));
    }
    let mut m = 10_000;
    while block_of(m - 1) != Some(0) {
        db.put(
            &WritePolicy::default(),
            &k(m),
            &storage_support::bins(m, 1500),
        )
        .expect("put");
        m += 1;
        assert!(m < 12_000, "block 0 is reused");
    }
    assert!(
        !current!(ns, e.location, bytes),
        "block 0 was reborn: the prefetched image is stale"
    );
}

/// The memory backend prefetches for real (`read_many` reads what `read` does): a prefetched
/// image is current until its slot is released, and stays refused once the slot holds another
/// record's image.
#[test]
fn memory_prefetch_is_current_until_the_slot_is_reused() {
    let clock = ManualClock::at_2026();
    let db = storage_support::open_ns(
        aerolite::NamespaceConfig::new("test")
            .storage(aerolite::StorageConfig::Memory { capacity_bytes: 0 }),
        &clock,
    )
    .expect("open");
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    let wp = WritePolicy::default();
    db.put(&wp, &k(0), &storage_support::bins(0, 100))
        .expect("put");
    let e = ns.index.get(&k(0).digest).expect("indexed");
    let pre = ns.storage.read_many(&[(e.location, e.size)]);
    let bytes = pre[0].as_ref().expect("prefetched");
    assert_eq!(
        bytes,
        &ns.storage.read(e.location, e.size).expect("read"),
        "read_many reads what read does"
    );
    assert!(current!(ns, e.location, bytes), "unchanged slot");
    assert!(db.delete(&wp, &k(0)).expect("delete"));
    assert!(!current!(ns, e.location, bytes), "released slot");
    let mut i = 1;
    while ns.index.get(&k(i - 1).digest).map(|n| n.location) != Some(e.location) {
        db.put(&wp, &k(i), &storage_support::bins(i, 100))
            .expect("put");
        i += 1;
        assert!(i < 1000, "the slot is reused");
    }
    assert!(
        !current!(ns, e.location, bytes),
        "the slot holds another record's image"
    );
}
