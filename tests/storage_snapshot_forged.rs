//! Issue 11 point 7, SN-REQ-SNAPSHOT-LOAD: an index snapshot is checked, not trusted. A snapshot
//! whose CRC is valid but whose entries are wrong — forged locations, sizes, flags, set ids, set
//! names or block sequences, re-sealed with a correct CRC — must neither fail the open nor leave
//! the namespace in stop-writes, nor panic later: every entry is validated against the header and
//! the device geometry, and on any doubt the store cold-starts (counted in `RecoveryStats`).
//! Each case forges one thing in a real snapshot, reopens, and checks that every record reads
//! back its value and that writes are accepted.

mod storage_support;

use aerolite::storage::snapshot::{self, IndexImage, SnapshotMeta};
use aerolite::{Database, ManualClock};
use std::path::Path;
use storage_support::*;

const RECORDS: i64 = 200;

/// A clean store of `RECORDS` records in `dir` (a snapshot written at shutdown).
fn clean_store(dir: &Path, clock: &ManualClock) {
    let db = open_on(file_config(dir), clock).expect("open");
    for i in 0..RECORDS {
        db.put(&wp(false), &key(i), &bins(i, 900)).expect("put");
    }
    db.shutdown().expect("clean shutdown");
}

/// Rewrite the snapshot with `f` applied, with a valid CRC.
fn forge(dir: &Path, f: &dyn Fn(&mut SnapshotMeta, &mut IndexImage)) {
    let path = dir.join("ns.dev.snapshot");
    let bytes = std::fs::read(&path).expect("snapshot written");
    let (mut meta, mut index) = snapshot::parse(&bytes).expect("snapshot parses");
    f(&mut meta, &mut index);
    std::fs::write(&path, snapshot::encode(&meta, &index)).expect("write snapshot");
}

fn check_reopen(dir: &Path, clock: &ManualClock, case: &str) -> Database {
    let db = open_on(file_config(dir), clock)
        .unwrap_or_else(|e| panic!("{case}: open failed on a forged snapshot: {e}"));
    assert!(!db.stats().fast_restart, "{case}: forged snapshot was used");
    let r = db.recovery_stats()[0];
    assert!(
        r.snapshot_rejected.is_some(),
        "{case}: fallback not counted: {r:?}"
    );
    for i in 0..RECORDS {
        assert_eq!(read(&db, &key(i)), Some((i, 1)), "{case}: record {i}");
    }
    db.put(&wp(false), &key(RECORDS), &bins(RECORDS, 900))
        .unwrap_or_else(|e| panic!("{case}: write refused after the fallback: {e}"));
    db
}

type Forgery = (&'static str, fn(&mut SnapshotMeta, &mut IndexImage));

const FORGERIES: &[Forgery] = &[
    ("block beyond the device", |m, i| {
        i.entries[3].block = m.block_seqs.len() as u32 + 5
    }),
    ("block never written", |m, i| {
        let blank = m
            .block_seqs
            .iter()
            .rposition(|&s| s == 0)
            .expect("a blank block");
        i.entries[3].block = blank as u32;
    }),
    ("huge size", |_, i| i.entries[7].size = u32::MAX - 15),
    ("size past the block end", |m, i| {
        i.entries[7].size = m.block_size - i.entries[7].offset + 16
    }),
    ("offset inside the block header", |_, i| {
        i.entries[9].offset = 16
    }),
    ("unaligned offset", |_, i| i.entries[9].offset += 3),
    ("size below the smallest image", |_, i| {
        i.entries[9].size = 16
    }),
    ("two entries at one place", |_, i| {
        (i.entries[11].block, i.entries[11].offset) = (i.entries[12].block, i.entries[12].offset)
    }),
    ("unknown set id", |_, i| i.entries[5].set_id = 77),
    ("unknown flag bits", |_, i| i.entries[5].flags |= 0x80),
    ("tombstone with a void time", |_, i| {
        i.entries[5].flags |= 1;
        i.entries[5].void_time = 99;
    }),
    ("duplicate set names", |_, i| i.sets.push(i.sets[0].clone())),
    ("empty set name", |_, i| i.sets.push(String::new())),
    ("set name with NUL", |_, i| i.sets.push("a\0b".into())),
    ("block sequence reused", |m, _| {
        let used: Vec<usize> = (0..m.block_seqs.len())
            .filter(|&b| m.block_seqs[b] != 0)
            .collect();
        m.block_seqs[used[1]] = m.block_seqs[used[0]];
    }),
];

#[test]
fn forged_snapshot_entries_fall_back_to_a_cold_start() {
    for (case, f) in FORGERIES {
        let dir = tmp();
        let clock = ManualClock::at_2026();
        clean_store(dir.path(), &clock);
        forge(dir.path(), f);
        let db = check_reopen(dir.path(), &clock, case);
        // The cold start's own snapshot at the next clean shutdown is trusted again.
        db.shutdown().expect("clean shutdown");
        let db = open_on(file_config(dir.path()), &clock).expect("reopen");
        assert!(db.stats().fast_restart, "{case}: next snapshot used");
        assert_eq!(db.recovery_stats()[0].snapshot_rejected, None, "{case}");
        assert_eq!(read(&db, &key(RECORDS)), Some((RECORDS, 1)), "{case}");
    }
}

/// A snapshot damaged so that its CRC fails is rejected and counted too (it was always ignored).
#[test]
fn damaged_snapshot_fallback_is_counted() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    clean_store(dir.path(), &clock);
    let path = dir.path().join("ns.dev.snapshot");
    let mut bytes = std::fs::read(&path).expect("snapshot");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 4;
    std::fs::write(&path, &bytes).expect("write");
    check_reopen(dir.path(), &clock, "CRC mismatch");
}

/// An unforged snapshot is still used, and no rejection is reported.
#[test]
fn an_honest_snapshot_is_used() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    clean_store(dir.path(), &clock);
    forge(dir.path(), &|_, _| {});
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    assert!(db.stats().fast_restart);
    assert_eq!(db.recovery_stats()[0].snapshot_rejected, None);
    for i in 0..RECORDS {
        assert_eq!(read(&db, &key(i)), Some((i, 1)));
    }
}
