//! TTL (record-model.md §16 TTL-* rows, WP-15, MD-VOID-*) and expiry / sweeping (§17 EX-* rows):
//! how each TTL value sets the void-time, the forbidden and invalid cases, the expiry edge, what
//! an expired record looks like to each request, and the sweeper (step, thread, lock re-check).
//! Time only moves through the manual clock; the one runtime-thread test polls briefly.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    Database, DatabaseConfig, Expiration as E, ManualClock, NamespaceConfig,
    RecordExistsAction as A, ResultCode as RC, StorageConfig,
};
use sem::*;
use std::sync::Arc;

const MAX_TTL: u32 = 315_360_000;

/// TTL-DEFAULT, CFG-DEFAULT-TTL: TTL 0 uses the namespace default (0 = never).
#[test]
fn ttl_default() {
    let t = common::open();
    assert_eq!(put_ok(&t, &wp(), &key(1), &[bin("a", 1)]).expiration, 0);
    let t = common::open_with(|ns| ns.default_ttl(1000));
    let r = put_ok(&t, &wp(), &key(1), &[bin("a", 1)]);
    assert_eq!(r.expiration, now_s(&t) + 1000);
}

/// TTL-NEVER, MD-VOID-NEVER: −1 → void-time 0, even with a namespace default.
#[test]
fn ttl_never() {
    let t = common::open_with(|ns| ns.default_ttl(1000));
    assert_eq!(
        put_ok(&t, &ttl(E::Never), &key(1), &[bin("a", 1)]).expiration,
        0
    );
    assert_eq!(
        put_ok(&t, &ttl(E::Raw(-1)), &key(1), &[bin("a", 1)]).expiration,
        0
    );
}

/// TTL-KEEP-LIVE: −2 on a live record keeps the void-time (0 stays 0).
#[test]
fn ttl_keep_live() {
    let t = common::open_with(|ns| ns.default_ttl(1000));
    let k = key(1);
    let w = put_ok(&t, &ttl(E::Seconds(50)), &k, &[bin("a", 1)]);
    t.clock.advance_s(10);
    assert_eq!(
        put_ok(&t, &ttl(E::DontUpdate), &k, &[bin("a", 2)]).expiration,
        w.expiration
    );
    put_ok(&t, &ttl(E::Never), &k, &[bin("a", 1)]);
    assert_eq!(
        put_ok(&t, &ttl(E::Raw(-2)), &k, &[bin("a", 3)]).expiration,
        0
    );
}

/// TTL-KEEP-CREATE, Q-TTL-KEEP-CREATE: −2 on missing, tombstone or expired becomes 0 (the
/// namespace default).
#[test]
fn ttl_keep_create() {
    for s in [St::Missing, St::Tomb(1), St::Expired(1)] {
        let t = common::open_with(|ns| ns.default_ttl(1000));
        let k = key(1);
        make(&t, &k, s);
        let r = put_ok(&t, &ttl(E::DontUpdate), &k, &[bin("a", 1)]);
        assert_eq!(r.expiration, now_s(&t) + 1000, "{s:?}");
    }
}

/// TTL-RANGE, L-TTL, MD-VOID-UNIT, MD-EPOCH: 1 … MAX_TTL → now + ttl, in seconds since 2010.
#[test]
fn ttl_range_and_epoch() {
    let t = common::open();
    let k = key(1);
    assert_eq!(
        put_ok(&t, &ttl(E::Seconds(1)), &k, &[bin("a", 1)]).expiration,
        now_s(&t) + 1
    );
    let r = put_ok(&t, &ttl(E::Seconds(MAX_TTL)), &k, &[bin("a", 1)]);
    assert_eq!(r.expiration, now_s(&t) + MAX_TTL);
    // The harness clock is 2026-01-01T00:00:00Z = Unix 1767225600.
    let r = put_ok(&t, &ttl(E::Seconds(60)), &k, &[bin("a", 1)]);
    assert_eq!(r.expiration_unix_s(), Some(1_767_225_600 + 60));
    assert_eq!(u64::from(r.expiration) + 1_262_304_000, 1_767_225_660);
    assert_eq!(r.last_update_time + 1_262_304_000_000, 1_767_225_600_000);
}

/// TTL-INVALID, L-TTL: below −2 or above 10 years → 4, nothing changes.
#[test]
fn ttl_invalid() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let before = observe(&t, &k);
    for e in [
        E::Raw(-3),
        E::Raw(i32::MIN),
        E::Seconds(MAX_TTL + 1),
        E::Seconds(u32::MAX),
    ] {
        assert_eq!(
            rc(&t.db.put(&ttl(e), &k, &[bin("a", 9)])),
            RC::ParameterError,
            "{e:?}"
        );
        assert_eq!(rc(&t.db.touch(&ttl(e), &k)), RC::ParameterError, "{e:?}");
        assert_eq!(
            rc(&t.db.put(&ttl(e), &key(2), &[bin("a", 9)])),
            RC::ParameterError
        );
    }
    assert_eq!(observe(&t, &k), before);
    assert_eq!(rc(&get(&t, &key(2))), RC::KeyNotFoundError);
}

/// TTL-FORBIDDEN, CFG-ALLOW-TTL, CFG-SWEEP, EX-SWEEP-OFF: with sweeping disabled a positive TTL →
/// 22 (−1, −2 and 0 with default 0 are fine); allow_ttl_without_sweep lifts it, and then expired
/// records stay (invisible, holding space) until overwritten.
#[test]
fn ttl_forbidden_and_sweep_off() {
    let t = common::open_with(|ns| ns.expiry_sweep_interval(0));
    let k = key(1);
    assert_eq!(
        rc(&t.db.put(&ttl(E::Seconds(1)), &k, &[bin("a", 1)])),
        RC::FailForbidden
    );
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    for e in [E::NamespaceDefault, E::Never, E::DontUpdate] {
        assert_eq!(
            put_ok(&t, &ttl(e), &k, &[bin("a", 1)]).expiration,
            0,
            "{e:?}"
        );
    }
    let t = common::open_with(|ns| ns.expiry_sweep_interval(0).allow_ttl_without_sweep(true));
    let r = put_ok(&t, &ttl(E::Seconds(5)), &k, &[bin("a", 1)]);
    assert_eq!(r.expiration, now_s(&t) + 5);
    t.clock.advance_s(6);
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    assert_eq!(t.db.stats().records, 1, "not reaped: still holds its entry");
    assert!(t.db.stats().used_bytes > 0);
    assert_eq!(
        put_ok(&t, &wp(), &k, &[bin("b", 1)]).generation,
        1,
        "overwritten"
    );
}

/// TTL-EVERY-WRITE, Q-TTL-RESET: every write recomputes the void-time; TTL 0 resets to the
/// namespace default.
#[test]
fn ttl_every_write() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 1)]);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 2)]).expiration, 0);
    assert_eq!(must_get(&t, &k).expiration, 0);
    t.clock.advance_s(7);
    let r = put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 3)]);
    assert_eq!(r.expiration, now_s(&t) + 100);
}

/// TTL-REPORT: remaining TTL is None for "never", else max(1, void − now).
#[test]
fn ttl_report() {
    let t = common::open();
    let k = key(1);
    let r = put_ok(&t, &ttl(E::Seconds(30)), &k, &[bin("a", 1)]);
    assert_eq!(r.time_to_live(now_s(&t)), Some(30));
    t.clock.advance_s(30);
    let got = must_get(&t, &k);
    assert_eq!(
        got.time_to_live(now_s(&t)),
        Some(1),
        "at the edge: at least 1"
    );
    let r = put_ok(&t, &ttl(E::Never), &k, &[bin("a", 1)]);
    assert_eq!(r.time_to_live(now_s(&t)), None);
}

/// TTL-CONFIG: default_ttl ≠ 0 with sweeping disabled and allow false → 4; above MAX → 4.
#[test]
fn ttl_config() {
    let open = |ns: NamespaceConfig| {
        Database::open(
            DatabaseConfig::with_namespaces(vec![ns])
                .clock(Arc::new(ManualClock::at_2026()))
                .background_threads(false),
        )
        .map(|_| ())
        .map_err(|e| e.code())
    };
    let base = || NamespaceConfig::new("test");
    assert_eq!(
        open(base().default_ttl(10).expiry_sweep_interval(0)),
        Err(RC::ParameterError)
    );
    assert_eq!(
        open(
            base()
                .default_ttl(10)
                .expiry_sweep_interval(0)
                .allow_ttl_without_sweep(true)
        ),
        Ok(())
    );
    assert_eq!(
        open(base().default_ttl(MAX_TTL + 1)),
        Err(RC::ParameterError)
    );
    assert_eq!(open(base().default_ttl(MAX_TTL)), Ok(()));
    // CH-SWEEP-DEFAULT: the default sweeps every 120 s, so TTLs work out of the box.
    assert_eq!(base().expiry_sweep_interval_s, 120);
    assert_eq!(open(base().default_ttl(10)), Ok(()));
}

/// S-EXPIRY-EDGE, EX-DEF: live while now == void-time; expired from void-time + 1.
#[test]
fn expiry_edge() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &ttl(E::Seconds(10)), &k, &[bin("a", 1)]);
    t.clock.advance_s(10);
    assert!(get(&t, &k).is_ok(), "now == void_time: live");
    t.clock.advance_ms(999);
    assert!(get(&t, &k).is_ok(), "still the same second");
    t.clock.advance_ms(1);
    assert_eq!(
        rc(&get(&t, &k)),
        RC::KeyNotFoundError,
        "void_time + 1: expired"
    );
}

/// EX-VISIBILITY: an expired, not reaped record reads as 2, fails touch / UpdateOnly /
/// ReplaceOnly with 2, is missing for Update / Replace / CreateOnly (gen 1), deletes with 0.
#[test]
fn ex_visibility() {
    let t = common::open();
    let k = key(1);
    expired(&t, &k, 5);
    assert_eq!(rc(&t.db.touch(&wp(), &k)), RC::KeyNotFoundError);
    for a in [A::UpdateOnly, A::ReplaceOnly] {
        assert_eq!(
            rc(&t.db.put(&act(a), &k, &[bin("x", 1)])),
            RC::KeyNotFoundError
        );
    }
    for a in [A::Update, A::Replace, A::CreateOnly] {
        let t = common::open();
        expired(&t, &k, 5);
        assert_eq!(
            put_ok(&t, &act(a), &k, &[bin("x", 1)]).generation,
            1,
            "{a:?}"
        );
    }
    assert!(t.db.delete(&wp(), &k).expect("D-EXP"));
}

/// EX-SWEEP, EX-TOMB: one sweep removes every expired record non-durably (no tombstone, space
/// accounted free) and leaves live records and tombstones alone.
#[test]
fn ex_sweep_step() {
    let t = common::open();
    for i in 0..50 {
        put_ok(&t, &ttl(E::Seconds(10)), &key(i), &[bin("a", 1)]);
    }
    for i in 50..60 {
        put_ok(&t, &wp(), &key(i), &[bin("a", 1)]);
    }
    tomb(&t, &key(60), 1);
    let used = t.db.stats().used_bytes;
    assert_eq!(t.db.sweep_expired().reaped, 0, "nothing expired yet");
    t.clock.advance_s(11);
    let s = t.db.sweep_expired();
    assert_eq!(s.reaped, 50);
    assert_eq!(s.partitions, 4096);
    let st = t.db.stats();
    assert_eq!((st.records, st.tombstones), (10, 1));
    assert!(st.used_bytes < used, "space of reaped images freed");
    assert_eq!(
        probe_base(&t, &key(0)),
        0,
        "reaped: no tombstone, create starts at 1"
    );
    assert_eq!(
        probe_base(&t, &key(60)),
        2,
        "EX-TOMB: the tombstone survived"
    );
    // A step over a partition range is bounded.
    let ns = aerolite::testing::namespace(&t.db, "test").expect("namespace");
    assert_eq!(ns.sweep_step(4000, 200).partitions, 200);
}

/// EX-SWEEP: the runtime thread sweeps at the configured interval.
#[test]
fn ex_sweep_runtime_thread() {
    let clock = ManualClock::at_2026();
    let (ns, _dir) = common::with_backend(NamespaceConfig::new("test").expiry_sweep_interval(1));
    let db =
        Database::open(DatabaseConfig::with_namespaces(vec![ns]).clock(Arc::new(clock.clone())))
            .expect("open with threads");
    let k = key(1);
    db.put(&ttl(E::Seconds(1)), &k, &[bin("a", 1)])
        .expect("put");
    clock.advance_s(2);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.stats().records != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "sweeper thread never reaped"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// EX-SWEEP-LOCK: the sweeper re-checks expiry under the record's lock. The sweeper selects the
/// record while it is expired, then waits for the lock we hold; before we release it the record
/// stops being expired (the clock is set back), so the sweeper must leave it.
#[test]
fn ex_sweep_lock_rechecks() {
    let t = Arc::new(common::open());
    let k = key(1);
    put_ok(&t, &ttl(E::Seconds(10)), &k, &[bin("a", 1)]);
    t.clock.advance_s(11);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("lock");
    let sweeper = {
        let ns = ns.clone();
        let pid = usize::from(k.partition_id());
        std::thread::spawn(move || ns.sweep_step(pid, 1))
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    t.clock.advance_ms(-11_000);
    drop(guard);
    let s = sweeper.join().expect("sweeper");
    assert_eq!(s.reaped, 0, "re-checked under the lock");
    assert!(get(&t, &k).is_ok());
    // Without the interference the same step reaps it.
    t.clock.advance_s(11);
    assert_eq!(ns.sweep_step(usize::from(k.partition_id()), 1).reaped, 1);
}

/// EX-SWEEP-LOCK: a record updated (renewed) before the sweep is not removed, and a sweep racing
/// with writers never removes a live record.
#[test]
fn ex_sweep_never_removes_renewed_records() {
    let t = Arc::new(common::open());
    for i in 0..200 {
        put_ok(&t, &ttl(E::Seconds(10)), &key(i), &[bin("a", 1)]);
    }
    t.clock.advance_s(11);
    let writer = {
        let t = t.clone();
        std::thread::spawn(move || {
            for i in 0..200 {
                put_ok(&t, &ttl(E::Seconds(1000)), &key(i), &[bin("a", 2)]);
            }
        })
    };
    let reaped = t.db.sweep_expired().reaped;
    writer.join().expect("writer");
    for i in 0..200 {
        let r = must_get(&t, &key(i));
        assert_eq!(r.bin("a"), Some(&aerolite::Value::Int(2)));
        assert_eq!(r.expiration, now_s(&t) + 1000);
    }
    assert!(reaped <= 200);
}

/// EX-NO-EVICT: running out of space gives 8; no unexpired record is evicted to make room.
#[test]
fn ex_no_evict() {
    let t = common::open_with(|ns| {
        ns.storage(StorageConfig::Memory {
            capacity_bytes: 32 * 1024,
        })
    });
    let mut n = 0;
    loop {
        let r =
            t.db.put(&ttl(E::Seconds(1000)), &key(n), &[bin("p", vec![1u8; 500])]);
        if rc(&r) == RC::ServerMemError {
            break;
        }
        n += 1;
        assert!(n < 1000);
    }
    assert_eq!(t.db.stats().records, n as u64);
    for i in 0..n {
        assert!(get(&t, &key(i)).is_ok(), "record {i} evicted");
    }
}

/// EX-SWEEP-OFF (decision documented on `Database::sweep_expired`): with interval 0 no runtime
/// thread reaps, even with background threads on; an explicit `sweep_expired` call still does.
#[test]
fn ex_sweep_off_no_thread_but_explicit_sweep_reaps() {
    let clock = ManualClock::at_2026();
    let (ns, _dir) = common::with_backend(
        NamespaceConfig::new("test")
            .expiry_sweep_interval(0)
            .allow_ttl_without_sweep(true),
    );
    let db =
        Database::open(DatabaseConfig::with_namespaces(vec![ns]).clock(Arc::new(clock.clone())))
            .expect("open with threads");
    db.put(&ttl(E::Seconds(1)), &key(1), &[bin("a", 1)])
        .expect("put");
    clock.advance_s(5);
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(db.stats().records, 1, "no automatic reaping");
    assert_eq!(db.sweep_expired().reaped, 1);
    assert_eq!(db.stats().records, 0);
}
