//! `DeviceConfig::data_in_memory` (Aerospike's `data-in-memory`; 7.x's memory storage persisted
//! to a device): every block holding live records stays in memory, so no read goes to the device
//! or the kernel, after restarts too; the device keeps serving durability and restart.
//! - SN-REQ-READ-BUFFER / RP-09: every record reads back exactly, from memory, through updates,
//!   deletes, defrag and block reuse;
//! - RS-CLEAN, SN-REQ-SCAN: after a fast restart (index snapshot, no block read) and after a cold
//!   start, the blocks are loaded again before the first read, so reads stay in memory;
//! - SN-REQ-VERIFY, RC-1: a block is held only if it verifies whole when loaded; a damaged
//!   image stays on the device and answers 1;
//! - the control: the same run without the setting, with the same small post-write cache,
//!   reads from the device (so the assertions above can fail).

mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::storage::device::Device;
use aerolite::{Bins, Database, ManualClock, ReadPolicy, ResultCode};
use std::sync::Arc;
use storage_support::*;

const KEYS: i64 = 600;

/// File config with a one-block post-write cache; `in_memory` sets `data_in_memory`;
/// `snapshot` false makes every restart a cold start.
fn cfg(dir: &std::path::Path, in_memory: bool, snapshot: bool) -> DeviceConfig {
    let mut c = file_config(dir).data_in_memory(in_memory);
    c.post_write_cache = u64::from(BLOCK);
    if !snapshot {
        c.snapshot_path = None;
    }
    c
}

/// Device reads (post-write-cache misses) made while every key is read once, checking each
/// against `latest` (`None`: deleted).
fn read_all(db: &Database, latest: &[Option<i64>]) -> u64 {
    let before = db.stats().cache_misses;
    for (i, want) in latest.iter().enumerate() {
        let got = read(db, &key(i as i64)).map(|(v, _)| v);
        assert_eq!(got, *want, "record {i}");
    }
    db.stats().cache_misses - before
}

/// Load, update every third record, delete every seventh, defragment: ~14 blocks of 64 KiB
/// written, far beyond the one-block post-write cache.
fn churn(db: &Database) -> Vec<Option<i64>> {
    let mut latest = vec![None; KEYS as usize];
    for i in 0..KEYS {
        db.put(&wp(false), &key(i), &bins(i, 1500)).expect("load");
        latest[i as usize] = Some(i);
    }
    for i in (0..KEYS).step_by(3) {
        db.put(&wp(false), &key(i), &bins(i + 10_000, 1500))
            .expect("update");
        latest[i as usize] = Some(i + 10_000);
    }
    for i in (0..KEYS).step_by(7) {
        db.delete(&wp(true), &key(i)).expect("delete");
        latest[i as usize] = None;
    }
    let ns = aerolite::testing::namespace(db, "test").expect("namespace");
    ns.flush_step(true).expect("flush");
    while ns.defrag_step(8).expect("defrag").blocks > 0 {
        ns.flush_step(true).expect("flush");
    }
    latest
}

#[test]
fn every_read_is_served_from_memory_before_and_after_restarts() {
    for snapshot in [true, false] {
        let dir = tmp();
        let clock = ManualClock::at_2026();
        let db = open_on(cfg(dir.path(), true, snapshot), &clock).expect("open");
        let latest = churn(&db);
        assert_eq!(
            read_all(&db, &latest),
            0,
            "snapshot={snapshot}: before restart"
        );
        drop(db);
        for restart in 0..2 {
            let db = open_on(cfg(dir.path(), true, snapshot), &clock).expect("reopen");
            assert_eq!(
                db.stats().fast_restart,
                snapshot,
                "a clean close leaves a snapshot: reopened without reading blocks"
            );
            assert_eq!(
                read_all(&db, &latest),
                0,
                "snapshot={snapshot}: after restart {restart}"
            );
            drop(db);
        }
    }
}

#[test]
fn without_the_setting_the_same_reads_go_to_the_device() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(cfg(dir.path(), false, true), &clock).expect("open");
    let latest = churn(&db);
    assert!(
        read_all(&db, &latest) > 100,
        "most blocks are outside the cache"
    );
    drop(db);
    let db = open_on(cfg(dir.path(), false, true), &clock).expect("reopen");
    assert!(read_all(&db, &latest) > 100, "nothing is loaded at open");
}

/// Blocks freed by defrag or deletes leave memory and their reuse serves the new records: many
/// rounds of overwrites on a 1 MiB store reuse every block several times.
#[test]
fn reused_blocks_serve_their_new_records_from_memory() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let mut c = cfg(dir.path(), true, true);
    c.file_size_bytes = 1 << 20;
    let db = open_on(c, &clock).expect("open");
    let ns = aerolite::testing::namespace(&db, "test").expect("namespace");
    let mut latest = vec![None; 100];
    for round in 0..40i64 {
        for i in 0..100 {
            let v = round * 1000 + i;
            db.put(&wp(false), &key(i), &bins(v, 1500))
                .expect("overwrite");
            latest[i as usize] = Some(v);
        }
        ns.flush_step(true).expect("flush");
        while ns.defrag_step(8).expect("defrag").blocks > 0 {
            ns.flush_step(true).expect("flush");
        }
        assert_eq!(read_all(&db, &latest), 0, "round {round}");
    }
    assert!(
        db.stats().bytes_written > 4 * (1 << 20),
        "the store was rewritten several times over"
    );
}

/// SN-REQ-VERIFY, RC-1: blocks loaded at open came from the device, so a block is held in
/// memory only when it verifies whole. After a fast restart (the snapshot's index points at
/// the damaged image; no scan looked at it), the record whose image was flipped on the device
/// is ServerError 1, never data; its block's other records are read, verified, from the device;
/// every other block is served from memory.
#[test]
fn a_block_damaged_on_the_device_is_not_held_and_its_damage_is_error_1() {
    let dir = tmp();
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let snap = dir.path().join("snap");
    let cfg = || {
        let mut c =
            device_config(vec![mem.clone() as Arc<dyn Device>], Some(&snap)).data_in_memory(true);
        c.post_write_cache = u64::from(BLOCK);
        c
    };
    let db = open_on(cfg(), &clock).expect("open");
    for i in 0..200 {
        db.put(&wp(false), &key(i), &bins(i, 700)).expect("put");
    }
    let damaged = entry(&db, 3);
    let same_block: Vec<i64> = (0..200)
        .filter(|&i| entry(&db, i).location.block == damaged.location.block)
        .collect();
    drop(db);
    let at = BLOCK as usize * (1 + damaged.location.block as usize);
    mem.poke(at + damaged.location.offset as usize + 200, |b| {
        b[0] ^= 0x04
    });
    let db = open_on(cfg(), &clock).expect("fast restart");
    assert!(db.stats().fast_restart, "the snapshot was loaded");
    let misses = |keys: &mut dyn Iterator<Item = i64>| {
        let before = db.stats().cache_misses;
        for i in keys {
            assert_eq!(read(&db, &key(i)), Some((i, 1)), "record {i} intact");
        }
        db.stats().cache_misses - before
    };
    let others = misses(&mut (0..200).filter(|i| !same_block.contains(i)));
    assert_eq!(others, 0, "every other block is served from memory");
    let neighbours = misses(&mut same_block.iter().copied().filter(|&i| i != 3));
    assert_eq!(
        neighbours,
        same_block.len() as u64 - 1,
        "the damaged block's other records are read from the device"
    );
    let r = db.get(&ReadPolicy::default(), &key(3), Bins::All);
    assert_eq!(r.map_err(|e| e.code()).err(), Some(ResultCode::ServerError));
}
