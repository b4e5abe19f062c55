//! Device reads through the OS page cache (`DeviceConfig::read_page_cache`, Aerospike's
//! `read-page-cache`): reads that miss the write buffer and post-write cache go through a second,
//! buffered descriptor while writes stay `O_DIRECT`. Covered, on the portable and the io_uring
//! backend, with page-cache reads on and off:
//! - SN-REQ-READ-BUFFER / RP-09: flushed records read back exactly, before and after updates;
//! - SN-REQ-SEQ, RS-STALE-REUSED: a freed and reused block never serves bytes of its previous
//!   incarnation through the page cache, although those pages were cached by earlier reads
//!   (Linux invalidates the page-cache pages an `O_DIRECT` write covers);
//! - RC-1, SN-REQ-VERIFY: a damaged image is ServerError 1 through the page cache too, whether the
//!   damage came in through the page cache (buffered write) or behind it (`O_DIRECT` write).
//!
//! Files and raw block devices (a loop device when run as root, or `AEROLITE_RAW_DEVICE`).

#[path = "storage_support/loop_device.rs"]
mod loop_device;
mod storage_support;

use aerolite::config::{DeviceConfig, IoBackend};
use aerolite::index::IndexEntry;
use aerolite::storage::device::portable::PortableDevice;
use aerolite::storage::device::{AlignedBuf, Device, ALIGN};
use aerolite::{Bins, Database, ManualClock, ReadPolicy, ResultCode};
use std::os::unix::fs::FileExt;
use storage_support::*;

/// Every (backend, read_page_cache) combination the store can run with.
fn variants() -> Vec<(IoBackend, bool)> {
    let mut v = Vec::new();
    for io in [IoBackend::Portable, IoBackend::Auto] {
        for pc in [true, false] {
            v.push((io, pc));
        }
    }
    v
}

/// File config without a post-write cache, so every read of a flushed block is a device read.
fn cfg(dir: &std::path::Path, io: IoBackend, page_cache: bool) -> DeviceConfig {
    let mut c = file_config(dir);
    c.io_backend = io;
    c.read_page_cache = page_cache;
    c.post_write_cache = 0;
    c.snapshot_path = None;
    c
}

fn block_of(db: &Database, i: i64) -> Option<u32> {
    aerolite::testing::namespace(db, "test")
        .expect("namespace")
        .index
        .get(&key(i).digest)
        .map(|e| e.location.block)
}

/// Byte offset in the file of an entry's image.
fn file_offset(e: &IndexEntry) -> u64 {
    u64::from(BLOCK) * (1 + u64::from(e.location.block)) + u64::from(e.location.offset)
}

/// SN-REQ-READ-BUFFER, RP-09: flushed records come back exactly from the device, through the page
/// cache or not; updated records come back in their new version.
#[test]
fn flushed_records_read_back_exactly_on_every_backend() {
    for (io, pc) in variants() {
        let dir = tmp();
        let clock = ManualClock::at_2026();
        let db = open_on(cfg(dir.path(), io, pc), &clock).expect("open");
        for i in 0..300 {
            db.put(&wp(false), &key(i), &bins(i, 700)).expect("put");
        }
        flush(&db);
        let before = db.stats().cache_misses;
        for _round in 0..2 {
            for i in 0..300 {
                assert_eq!(
                    read(&db, &key(i)),
                    Some((i, 1)),
                    "{io:?} pc={pc} record {i}"
                );
            }
        }
        let misses = db.stats().cache_misses - before;
        assert!(
            misses >= 400,
            "{io:?} pc={pc}: reads went to the device ({misses})"
        );
        for i in (0..300).step_by(2) {
            db.put(&wp(false), &key(i), &bins(i + 1000, 700))
                .expect("update");
        }
        flush(&db);
        for i in 0..300 {
            let want = if i % 2 == 0 { (i + 1000, 2) } else { (i, 1) };
            assert_eq!(read(&db, &key(i)), Some(want), "{io:?} pc={pc} record {i}");
        }
        drop(db);
    }
}

/// SN-REQ-SEQ, RS-STALE-REUSED on one target: block 0 is filled, flushed and read (so its pages
/// sit in the page cache), emptied by deletes (freed), then reborn with different records at the
/// same offsets and flushed; every read of the new incarnation returns the new record, never
/// bytes of the previous one.
fn reuse_never_serves_previous_incarnation(c: DeviceConfig, what: &str) {
    let clock = ManualClock::at_2026();
    let db = open_on(c, &clock).expect("open");
    let mut n = 0;
    loop {
        db.put(&wp(false), &key(n), &bins(n, 1500)).expect("put");
        n += 1;
        if block_of(&db, n - 1) != Some(0) {
            break;
        }
    }
    flush(&db);
    let old: Vec<i64> = (0..n).filter(|i| block_of(&db, *i) == Some(0)).collect();
    assert!(old.len() > 20, "block 0 holds many records");
    let old_offsets: Vec<u32> = old.iter().map(|i| entry(&db, *i).location.offset).collect();
    let misses = db.stats().cache_misses;
    for i in &old {
        assert_eq!(read(&db, &key(*i)), Some((*i, 1)));
    }
    assert!(
        db.stats().cache_misses >= misses + old.len() as u64,
        "{what}: the old incarnation was read from the device (and cached by the OS)"
    );
    for i in &old {
        assert!(db.delete(&wp(false), &key(*i)).expect("delete"));
    }
    // Fill until block 0 is reborn, then until it is sealed and flushed (the next block after it
    // opens), so its reads go to the device.
    let mut m = 10_000;
    let mut reborn = Vec::new();
    loop {
        db.put(&wp(false), &key(m), &bins(m, 1500)).expect("put");
        match block_of(&db, m) {
            Some(0) => reborn.push(m),
            Some(_) if !reborn.is_empty() => break,
            _ => {}
        }
        m += 1;
        assert!(m < 12_000, "block 0 is reused");
    }
    flush(&db);
    assert!(reborn.len() > 20, "block 0 reborn with many records");
    let same_offset = reborn
        .iter()
        .filter(|i| old_offsets.contains(&entry(&db, **i).location.offset))
        .count();
    assert!(same_offset > 20, "new images sit where old ones were");
    let misses = db.stats().cache_misses;
    for i in &reborn {
        assert_eq!(
            read(&db, &key(*i)),
            Some((*i, 1)),
            "{what}: record {i} of the new incarnation"
        );
    }
    assert!(
        db.stats().cache_misses >= misses + reborn.len() as u64,
        "{what}: the new incarnation was read from the device"
    );
    for i in &old {
        assert_eq!(read(&db, &key(*i)), None, "{what}: deleted record {i}");
    }
}

/// SN-REQ-SEQ, RS-STALE-REUSED on files: with whole-block flushes (buffered) and with partial
/// flushes of the reborn block (commit-to-device rewrites its last unit on every write), on both
/// backends, page-cache reads on and off.
#[test]
fn reused_block_never_serves_its_previous_incarnation_through_the_page_cache() {
    for commit in [false, true] {
        for (io, pc) in variants() {
            let dir = tmp();
            let c = cfg(dir.path(), io, pc).commit_to_device(commit);
            reuse_never_serves_previous_incarnation(
                c,
                &format!("file commit={commit} {io:?} pc={pc}"),
            );
        }
    }
}

/// The reuse and damage scenarios on a raw block device (a loop device, or
/// `AEROLITE_RAW_DEVICE`): the page cache of a block device is the one `O_DIRECT` writes to it
/// must invalidate.
#[test]
fn raw_device_page_cache_reads_are_fresh_and_verified() {
    for commit in [false, true] {
        for io in [IoBackend::Portable, IoBackend::Auto] {
            let Some(raw) = loop_device::raw_device(32) else {
                eprintln!(
                    "raw_device_page_cache_reads_are_fresh_and_verified: no raw device; not run"
                );
                return;
            };
            let c = raw_cfg(&raw.path, io).commit_to_device(commit);
            reuse_never_serves_previous_incarnation(c, &format!("raw commit={commit} {io:?}"));
        }
    }
    for io in [IoBackend::Portable, IoBackend::Auto] {
        let Some(raw) = loop_device::raw_device(32) else {
            return;
        };
        damage_is_detected(raw_cfg(&raw.path, io), &raw.path, &format!("raw {io:?}"));
    }
}

fn raw_cfg(path: &std::path::Path, io: IoBackend) -> DeviceConfig {
    let mut c = DeviceConfig::new(path).block_size(BLOCK);
    c.io_backend = io;
    c.read_page_cache = true;
    c.post_write_cache = 0;
    c.snapshot_path = None;
    c.defrag_reserve_blocks = 4;
    c
}

/// RC-1, SN-REQ-VERIFY on one target at `path`: a flushed image damaged on the device is
/// ServerError 1 through the page cache: (a) damage written through the page cache by a buffered
/// write, (b) damage written behind an already cached page by an `O_DIRECT` write (the page cache
/// must not keep serving the good bytes: the read sees the device's). Neighbours stay readable.
fn damage_is_detected(c: DeviceConfig, path: &std::path::Path, what: &str) {
    let clock = ManualClock::at_2026();
    let db = open_on(c, &clock).expect("open");
    for i in 0..100 {
        db.put(&wp(false), &key(i), &bins(i, 700)).expect("put");
    }
    flush(&db);
    // (a) a buffered write flips a byte of record 3's bin payload.
    assert_eq!(read(&db, &key(3)), Some((3, 1)), "cached first");
    let at = file_offset(&entry(&db, 3)) + 200;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open target");
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, at).expect("read byte");
    f.write_all_at(&[b[0] ^ 0x10], at).expect("buffered damage");
    f.sync_all().expect("sync");
    let r = db.get(&ReadPolicy::default(), &key(3), Bins::All);
    assert_eq!(
        r.map_err(|e| e.code()).err(),
        Some(ResultCode::ServerError),
        "{what}: buffered damage"
    );
    // (b) an O_DIRECT write flips a byte of record 7 after it was read (and cached).
    assert_eq!(read(&db, &key(7)), Some((7, 1)), "cached first");
    let at = file_offset(&entry(&db, 7)) + 100;
    let direct = PortableDevice::open(path, 0, true).expect("open direct");
    assert!(direct.is_direct(), "{what}: O_DIRECT on this target");
    let page = at & !(ALIGN as u64 - 1);
    let mut buf = AlignedBuf::zeroed(ALIGN);
    direct.read_at(page, buf.as_mut_slice()).expect("read page");
    buf.as_mut_slice()[(at - page) as usize] ^= 0x01;
    direct
        .write_at(page, buf.as_slice())
        .expect("direct damage");
    direct.sync().expect("sync");
    let r = db.get(&ReadPolicy::default(), &key(7), Bins::All);
    assert_eq!(
        r.map_err(|e| e.code()).err(),
        Some(ResultCode::ServerError),
        "{what}: the O_DIRECT write reached the page-cache reader"
    );
    for i in [2, 4, 6, 8, 50] {
        assert_eq!(
            read(&db, &key(i)),
            Some((i, 1)),
            "{what}: neighbour {i} unaffected"
        );
    }
}

/// RC-1, SN-REQ-VERIFY on files, both backends.
#[test]
fn rc_1_damage_is_detected_through_the_page_cache() {
    for io in [IoBackend::Portable, IoBackend::Auto] {
        let dir = tmp();
        let path = dir.path().join("ns.dev");
        damage_is_detected(cfg(dir.path(), io, true), &path, &format!("file {io:?}"));
    }
}
