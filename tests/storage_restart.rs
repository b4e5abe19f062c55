//! Restart visibility on the device store (record-model.md §20): a clean shutdown restores the
//! index from the snapshot (RS-CLEAN, no zombies, nothing lost); an unclean one rebuilds it by a
//! cold-start scan with zombies from non-durable deletes (Q-ZOMBIE, RS-ZOMBIE-CERTAIN,
//! RS-UNCLEAN-NONDURABLE) but not from durable deletes (RS-UNCLEAN-DURABLE), with
//! resolution by append order (CH-APPEND-ORDER, equal to RS-RESOLVE within a record's lifetime) and
//! expiry after resolution (RS-UNCLEAN-EXPIRED, CH-RESTART-EXPIRED).

mod storage_support;

use aerolite::{Expiration, ManualClock, WritePolicy};
use storage_support::*;

fn ctd(dir: &std::path::Path) -> aerolite::config::DeviceConfig {
    file_config(dir).commit_to_device(true)
}

/// RS-CLEAN, SN-REQ-SNAPSHOT-ZOMBIES: after close, reopen restores exactly the state; the
/// non-durably deleted record does not come back; writes continue.
#[test]
fn rs_clean_fast_restart_restores_exactly() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..300 {
        db.put(&wp(false), &key(i), &bins(i, 500)).expect("put");
    }
    db.put(&wp(false), &key(7), &bins(70, 500)).expect("update");
    assert!(db.delete(&wp(false), &key(1)).expect("delete"));
    assert!(db.delete(&wp(true), &key(2)).expect("durable delete"));
    let before = db.stats();
    db.shutdown().expect("clean shutdown");
    let db = open_on(file_config(dir.path()), &clock).expect("reopen");
    let s = db.stats();
    assert!(s.fast_restart, "RS-CLEAN: restored from the snapshot");
    assert_eq!(s.scan_images, 0, "no data block was scanned");
    assert_eq!(
        (s.records, s.tombstones),
        (before.records, before.tombstones)
    );
    assert_eq!(read(&db, &key(1)), None, "no zombie after a clean restart");
    assert_eq!(read(&db, &key(2)), None);
    assert_eq!(read(&db, &key(7)), Some((70, 2)));
    assert_eq!(read(&db, &key(299)), Some((299, 1)));
    // The tombstone survived: a write over it continues the generation (GC-DURABLE).
    assert_eq!(
        db.put(&wp(false), &key(2), &bins(2, 10))
            .expect("put")
            .generation,
        3
    );
    // The snapshot was consumed: a crash now must cold-start, not reuse it.
    db.abandon();
    let db = open_on(file_config(dir.path()), &clock).expect("reopen after crash");
    assert!(
        !db.stats().fast_restart,
        "SN-REQ-SNAPSHOT-LOAD: a used snapshot is gone"
    );
}

/// Q-ZOMBIE, RS-ZOMBIE-CERTAIN, RS-UNCLEAN-NONDURABLE, RS-UNCLEAN-DURABLE, DUR-DEVICE: with
/// commit_to_device, a non-durably deleted record reappears after a crash with its last bins and
/// generation; a durably deleted one does not.
#[test]
fn q_zombie_nondurable_delete_reappears_durable_does_not() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 100)).expect("put");
    db.put(&wp(false), &key(1), &bins(11, 100)).expect("update");
    db.put(&wp(false), &key(2), &bins(2, 100)).expect("put");
    clock.advance_ms(5);
    assert!(db.delete(&wp(false), &key(1)).expect("non-durable delete"));
    assert!(db.delete(&wp(true), &key(2)).expect("durable delete"));
    assert_eq!(read(&db, &key(1)), None);
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    let s = db.stats();
    assert!(!s.fast_restart);
    assert_eq!(
        read(&db, &key(1)),
        Some((11, 2)),
        "zombie with its newest image"
    );
    assert_eq!(read(&db, &key(2)), None, "the durable tombstone wins");
    assert_eq!(s.tombstones, 1, "tombstones are kept by the scan");
    assert!(s.restart_superseded >= 2, "older images lost resolution");
    // The tombstone's generation continues.
    assert_eq!(
        db.put(&wp(false), &key(2), &bins(2, 10))
            .expect("put")
            .generation,
        3
    );
}

/// RS-UNCLEAN-EXPIRED, CH-RESTART-EXPIRED, EX-RESTART: the newest image decides before expiry,
/// so an expired newest image hides an older never-expiring one, whatever the scan order.
#[test]
fn rs_unclean_expired_newest_image_wins_then_expires() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 100))
        .expect("never-expiring version");
    clock.advance_ms(10);
    let short = WritePolicy {
        expiration: Expiration::Seconds(10),
        ..WritePolicy::default()
    };
    db.put(&short, &key(1), &bins(2, 100))
        .expect("expiring version");
    db.put(&short, &key(3), &bins(3, 100))
        .expect("expiring record");
    db.put(&wp(false), &key(4), &bins(4, 100)).expect("stays");
    db.abandon();
    clock.advance_s(60);
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    assert_eq!(
        read(&db, &key(1)),
        None,
        "the older image never takes the expired one's place"
    );
    assert_eq!(read(&db, &key(3)), None);
    assert_eq!(read(&db, &key(4)), Some((4, 1)));
    assert_eq!(db.stats().restart_expired, 2);
}

/// DUR-BUFFERED: without commit_to_device an acknowledged write lives in the buffer until a
/// flush; a crash before it loses the write, a crash after it does not.
#[test]
fn dur_buffered_loses_only_unflushed_writes() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 100)).expect("put");
    aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .flush_step(true)
        .expect("flush");
    db.put(&wp(false), &key(2), &bins(2, 100))
        .expect("acknowledged, only in the buffer");
    assert_eq!(
        read(&db, &key(2)),
        Some((2, 1)),
        "DUR-VISIBLE before durable"
    );
    db.abandon();
    let db = open_on(file_config(dir.path()), &clock).expect("cold start");
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
    assert_eq!(
        read(&db, &key(2)),
        None,
        "lost within the flush_max_ms window"
    );
}

/// RS-RESOLVE via a real scan: many versions of one record across blocks; the newest survives,
/// and the generation wraps (GC-RESOLVE) without confusing resolution.
#[test]
fn rs_resolve_newest_version_survives_cold_start() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    for v in 0..400 {
        db.put(&wp(false), &key(1), &bins(v, 600)).expect("put");
    }
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    assert_eq!(read(&db, &key(1)), Some((399, 400)));
    assert_eq!(db.stats().records, 1);
}

/// SN-REQ-SNAPSHOT-LOAD: any doubt falls back to a cold start: a damaged snapshot, or a stale one
/// from an earlier session (instance id / sequence mismatch), is never used, and the scan then
/// restores the same records.
#[test]
fn rs_clean_any_doubt_means_cold_start() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let snap = dir.path().join("ns.dev.snapshot");
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 100)).expect("put");
    db.shutdown().expect("close");
    let old = std::fs::read(&snap).expect("snapshot written");
    // Damaged snapshot.
    let mut bad = old.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    std::fs::write(&snap, &bad).expect("write");
    let db = open_on(file_config(dir.path()), &clock).expect("reopen");
    assert!(!db.stats().fast_restart, "damaged snapshot ignored");
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
    assert!(!snap.exists(), "an unusable snapshot is removed too");
    db.put(&wp(false), &key(2), &bins(2, 100)).expect("put");
    db.shutdown().expect("close");
    // Stale snapshot of the first session put back over the new one.
    std::fs::write(&snap, &old).expect("write");
    let db = open_on(file_config(dir.path()), &clock).expect("reopen");
    assert!(!db.stats().fast_restart, "stale snapshot ignored");
    assert_eq!(
        read(&db, &key(2)),
        Some((2, 1)),
        "the newer session's write is there"
    );
}

/// CH-APPEND-ORDER, DUR-DEVICE, MD-LUT-MONO: a re-create after a non-durable delete whose LUT is
/// *below* the removed image's (the wall clock stepped back: `LUT_old = 0` for a missing record)
/// is acknowledged with commit_to_device and must survive a crash; RS-RESOLVE alone would bring
/// back the removed version.
#[test]
fn ch_append_order_recreate_with_clock_stepped_back_survives_crash() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    for v in 1..=3 {
        db.put(&wp(false), &key(1), &bins(v, 100)).expect("put");
    }
    assert!(db.delete(&wp(false), &key(1)).expect("non-durable delete"));
    clock.advance_ms(-5_000);
    let rec = db
        .put(&wp(false), &key(1), &bins(100, 100))
        .expect("re-create");
    assert_eq!(rec.generation, 1);
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    assert_eq!(
        read(&db, &key(1)),
        Some((100, 1)),
        "the acknowledged re-create wins"
    );
}

/// CH-APPEND-ORDER, DUR-DEVICE, CH-RESTART-EXPIRED: a record reaped after expiry and re-created
/// with an earlier LUT (clock stepped back) survives a crash; RS-RESOLVE alone would pick the
/// expired image and then drop it, losing the acknowledged re-create.
#[test]
fn ch_append_order_recreate_after_reaped_expiry_survives_crash() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    let short = WritePolicy {
        expiration: Expiration::Seconds(10),
        ..WritePolicy::default()
    };
    db.put(&short, &key(1), &bins(1, 100)).expect("expiring");
    db.put(&short, &key(1), &bins(2, 100)).expect("expiring");
    clock.advance_s(20);
    assert_eq!(db.sweep_expired().reaped, 1, "reaped");
    clock.advance_ms(-60_000);
    db.put(&wp(false), &key(1), &bins(3, 100))
        .expect("re-create");
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    assert_eq!(read(&db, &key(1)), Some((3, 1)));
}

/// CH-APPEND-ORDER agrees with RS-RESOLVE along one record's history: updates (with the clock
/// stepped back in between, MD-LUT-MONO), a durable delete and the write over its tombstone —
/// the newest survives a cold start, the tombstone's generation continues (GC-DURABLE).
#[test]
fn ch_append_order_equals_rs_resolve_within_a_lifetime() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 100)).expect("put");
    clock.advance_ms(-1_000);
    db.put(&wp(false), &key(1), &bins(2, 100)).expect("update");
    assert!(db.delete(&wp(true), &key(1)).expect("durable delete"));
    clock.advance_ms(-1_000);
    db.put(&wp(false), &key(1), &bins(4, 100))
        .expect("write over the tombstone");
    db.put(&wp(false), &key(2), &bins(1, 100)).expect("put");
    assert!(db.delete(&wp(true), &key(2)).expect("durable delete"));
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    assert_eq!(read(&db, &key(1)), Some((4, 4)));
    assert_eq!(read(&db, &key(2)), None, "RS-UNCLEAN-DURABLE");
    assert_eq!(
        db.put(&wp(false), &key(2), &bins(2, 10))
            .expect("put")
            .generation,
        3
    );
}

/// Q-ZOMBIE, RS-ZOMBIE-CERTAIN, issue #3 point 12 (cold start: resurrected): a record deleted
/// non-durably before a clean shutdown is absent after the fast restart (RS-CLEAN) but comes back
/// at a later cold start, and the cold start counts it against the last clean shutdown's index.
/// A record deleted after that shutdown also comes back but leaves no trace to count (the counter
/// is a lower bound); a durably deleted one stays deleted; after the cold start the reference is
/// consumed, so the next cold start counts nothing again.
#[test]
fn q_zombie_resurrections_counted_against_last_clean_shutdown() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(ctd(dir.path()), &clock).expect("open");
    for i in 1..=4 {
        db.put(&wp(false), &key(i), &bins(i, 100)).expect("put");
    }
    assert!(db.delete(&wp(false), &key(1)).expect("non-durable delete"));
    assert!(db.delete(&wp(true), &key(2)).expect("durable delete"));
    db.shutdown().expect("clean shutdown");
    let db = open_on(ctd(dir.path()), &clock).expect("fast restart");
    let s = db.stats();
    assert!(s.fast_restart);
    assert_eq!(s.restart_resurrected, 0);
    assert_eq!(read(&db, &key(1)), None, "RS-CLEAN: no zombie");
    assert!(db.delete(&wp(false), &key(3)).expect("non-durable delete"));
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start");
    let s = db.stats();
    assert!(!s.fast_restart);
    assert_eq!(read(&db, &key(1)), Some((1, 1)), "zombie");
    assert_eq!(read(&db, &key(3)), Some((3, 1)), "zombie, not countable");
    assert_eq!(read(&db, &key(2)), None);
    assert_eq!(read(&db, &key(4)), Some((4, 1)));
    assert_eq!(s.restart_resurrected, 1, "key 1 only");
    assert!(db.recovery_stats()[0].resurrection_reference);
    db.abandon();
    let db = open_on(ctd(dir.path()), &clock).expect("cold start again");
    assert_eq!(db.stats().restart_resurrected, 0);
    assert!(!db.recovery_stats()[0].resurrection_reference);
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}

/// SN-REQ-SCAN-PROGRESS: a cold start reports its progress to the configured observer; the final
/// report carries the scan's counters and equals the restart's statistics; a fast restart reports
/// nothing (no scan).
#[test]
fn sn_req_scan_progress_reports_cold_start() {
    use aerolite::progress::ColdStartProgress;
    use aerolite::{DatabaseConfig, NamespaceConfig, StorageConfig};
    use std::sync::{Arc, Mutex};
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let seen: Arc<Mutex<Vec<ColdStartProgress>>> = Arc::default();
    let sink = seen.clone();
    let open = || {
        let sink = sink.clone();
        aerolite::Database::open(
            DatabaseConfig::with_namespaces(vec![
                NamespaceConfig::new("test").storage(StorageConfig::Device(ctd(dir.path())))
            ])
            .clock(Arc::new(clock.clone()))
            .background_threads(false)
            .progress(Arc::new(move |p: &ColdStartProgress| {
                sink.lock().expect("not poisoned").push(p.clone())
            })),
        )
    };
    let db = open().expect("open");
    for i in 0..200 {
        db.put(&wp(false), &key(i % 150), &bins(i, 1000))
            .expect("put");
    }
    db.abandon();
    let db = open().expect("cold start");
    let s = db.stats();
    let r = db.recovery_stats()[0];
    let reports = seen.lock().expect("not poisoned").clone();
    let last = reports.last().expect("a final report");
    assert!(last.done);
    assert_eq!(reports.iter().filter(|p| p.done).count(), 1);
    assert_eq!(last.namespace, "test");
    assert_eq!((last.images, last.duplicates), (200, 50));
    assert_eq!(last.images, s.scan_images);
    assert_eq!(last.duplicates, s.restart_superseded);
    assert_eq!(last.records, 150);
    assert_eq!(last.records, s.records);
    assert_eq!(last.blocks_with_images, r.blocks_with_images);
    assert!(last.blocks_with_images >= 3, "200 KiB over 64 KiB blocks");
    assert_eq!(last.blocks_total, s.used_blocks + s.free_blocks);
    assert!(
        last.blocks_total < (16 << 20) / u64::from(BLOCK),
        "the header takes room"
    );
    assert_eq!(last.elapsed, r.elapsed);
    assert!(last.to_string().contains("150 records indexed"), "{last}");
    db.shutdown().expect("clean shutdown");
    let n = seen.lock().expect("not poisoned").len();
    let db = open().expect("fast restart");
    assert!(db.stats().fast_restart);
    assert_eq!(
        seen.lock().expect("not poisoned").len(),
        n,
        "no scan, no report"
    );
}
