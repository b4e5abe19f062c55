//! Raw block devices as storage targets (issue #3 point 4: "files and raw block devices both
//! work"): the capacity is the device's size, I/O is `O_DIRECT`, commit-to-device writes survive a
//! crash (DUR-DEVICE) and a clean shutdown restarts from the snapshot (RS-CLEAN). A raw device has
//! no sibling file for the snapshot, so `DeviceConfig::new` on a block device sets none (fast
//! restart needs an explicit `snapshot_path`).
//!
//! Target: the block device in `AEROLITE_RAW_DEVICE` (**its contents are overwritten**), or else a
//! loop device this test attaches over a temporary file (needs root and `losetup`). Without
//! either the test says so on stderr and checks nothing.

#[path = "storage_support/loop_device.rs"]
mod loop_device;
mod storage_support;

use aerolite::config::DeviceConfig;
use storage_support::*;

#[test]
fn raw_block_device_is_a_target() {
    let Some(raw) = loop_device::raw_device(64) else {
        eprintln!("raw_block_device_is_a_target: no AEROLITE_RAW_DEVICE and no loop device (needs root + losetup); not run");
        return;
    };
    let path = raw.path.clone();
    let size = {
        use std::io::Seek;
        let mut f = std::fs::File::open(&path).expect("open");
        f.seek(std::io::SeekFrom::End(0)).expect("device size")
    };
    assert!(
        DeviceConfig::new(&path).snapshot_path.is_none(),
        "no default snapshot file next to a block device"
    );
    let snaps = tmp();
    let config = || {
        let mut d = DeviceConfig::new(&path)
            .block_size(BLOCK)
            .commit_to_device(true);
        d.snapshot_path = Some(snaps.path().join("raw.snapshot"));
        d.post_write_cache = 4 * u64::from(BLOCK);
        d.defrag_reserve_blocks = 4;
        d
    };
    let clock = aerolite::ManualClock::at_2026();
    let db = open_on(config(), &clock).expect("open the raw device");
    let s = db.stats();
    assert_eq!(
        (s.used_blocks + s.free_blocks) * u64::from(BLOCK) + u64::from(BLOCK),
        size,
        "capacity is the device's size (one block for the header)"
    );
    for i in 0..500 {
        db.put(&wp(false), &key(i), &bins(i, 900)).expect("put");
    }
    db.abandon();
    let db = open_on(config(), &clock).expect("cold start");
    assert!(!db.stats().fast_restart);
    for i in 0..500 {
        assert_eq!(read(&db, &key(i)), Some((i, 1)), "DUR-DEVICE key {i}");
    }
    db.shutdown().expect("clean shutdown");
    let db = open_on(config(), &clock).expect("fast restart");
    let s = db.stats();
    assert!(s.fast_restart, "RS-CLEAN from the explicit snapshot path");
    assert_eq!(s.records, 500);
    assert_eq!(read(&db, &key(7)), Some((7, 1)));
}
