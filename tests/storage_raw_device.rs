//! Raw block devices as storage targets (issue #3 point 4: "files and raw block devices both
//! work"): the capacity is the device's size, I/O is `O_DIRECT`, commit-to-device writes survive a
//! crash (DUR-DEVICE) and a clean shutdown restarts from the snapshot (RS-CLEAN). A raw device has
//! no sibling file for the snapshot, so `DeviceConfig::new` on a block device sets none (fast
//! restart needs an explicit `snapshot_path`).
//!
//! Target: the block device in `AEROLITE_RAW_DEVICE` (**its contents are overwritten**), or else a
//! loop device this test attaches over a temporary file (needs root and `losetup`). Without
//! either the test says so on stderr and checks nothing.

mod storage_support;

use aerolite::config::DeviceConfig;
use std::path::PathBuf;
use std::process::Command;
use storage_support::*;

/// A loop device over a temporary file, detached on drop.
struct LoopDevice {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.path).status();
    }
}

fn attach_loop(mib: u64) -> Option<LoopDevice> {
    let dir = tmp();
    let img = dir.path().join("raw.img");
    let f = std::fs::File::create(&img).ok()?;
    f.set_len(mib << 20).ok()?;
    drop(f);
    let out = Command::new("losetup")
        .args(["-f", "--show"])
        .arg(&img)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    Some(LoopDevice { path, _dir: dir })
}

#[test]
fn raw_block_device_is_a_target() {
    let (path, _guard) = match std::env::var_os("AEROLITE_RAW_DEVICE") {
        Some(p) => (PathBuf::from(p), None),
        None => match attach_loop(64) {
            Some(l) => (l.path.clone(), Some(l)),
            None => {
                eprintln!("raw_block_device_is_a_target: no AEROLITE_RAW_DEVICE and no loop device (needs root + losetup); not run");
                return;
            }
        },
    };
    // Start from a blank device (a previous run's data would be a cold start, not a fresh open).
    {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open the raw device for writing");
        std::os::unix::fs::FileExt::write_all_at(&f, &vec![0u8; 4 << 20], 0).expect("blank");
        f.sync_all().expect("sync");
    }
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
