//! A full filesystem or device (issue 11, point 2). Device files are created with their full size
//! allocated, so the store's own stop-writes decides when writes stop, not the filesystem; an
//! open never writes into a hole; a device that does run out of space is reported as "no space
//! on device", on the failed write and on every write refused after it. Reads keep working
//! while writes are refused, and after space is freed and the store reopened every acknowledged
//! write is there.
//!
//! The filesystem cases mount a small tmpfs (needs root; otherwise they say so and check
//! nothing); the device case injects `ENOSPC` with the fault-injecting device and runs anywhere.

mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::Device;
use aerolite::{Database, ResultCode};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use storage_support::*;

/// A tmpfs of a few MiB mounted on a temporary directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fill the filesystem of `dir` with a file of zeros until it refuses more.
fn fill(dir: &Path) -> PathBuf {
    let p = dir.join("filler");
    let mut f = std::fs::File::create(&p).expect("create filler");
    for chunk in [1 << 20, 4096] {
        let zeros = vec![0u8; chunk];
        while f.write_all(&zeros).is_ok() {}
    }
    // The last failed write may have left part of a chunk buffered; nothing to flush.
    p
}

fn config(path: &Path) -> DeviceConfig {
    let mut d = DeviceConfig::new(path)
        .block_size(BLOCK)
        .file_size(8 << 20)
        .commit_to_device(true);
    d.post_write_cache = 0;
    d.defrag_reserve_blocks = 4;
    d
}

fn check_all(db: &Database, acked: &[i64], when: &str) {
    for &i in acked {
        assert_eq!(
            read(db, &key(i)),
            Some((i, 1)),
            "{when}: acknowledged key {i}"
        );
    }
}

#[test]
fn a_full_filesystem_never_fails_the_store_and_loses_nothing() {
    let _serial = storage_support::serial();
    let Some(fs) = Tmpfs::mount(24) else {
        eprintln!("a_full_filesystem_never_fails_the_store_and_loses_nothing: cannot mount a tmpfs (needs root); not run");
        return;
    };
    let path = fs.path().join("ns.dev");
    let clock = aerolite::ManualClock::at_2026();
    let db = open_on(config(&path), &clock).expect("open");
    let filler = fill(fs.path());
    let mut acked = Vec::new();
    let refused = loop {
        let i = acked.len() as i64;
        assert!(i < 100_000, "the store never reached stop-writes");
        match db.put(&wp(false), &key(i), &bins(i, 900)) {
            Ok(_) => acked.push(i),
            Err(e) => break e,
        }
    };
    assert_eq!(
        refused.code(),
        ResultCode::ServerMemError,
        "writes stop at the store's own stop-writes, not at a failed device write: {refused}"
    );
    assert!(acked.len() > 3000, "only {} writes fit", acked.len());
    check_all(&db, &acked, "while the filesystem is full");
    drop(db);
    let db = open_on(config(&path), &clock).expect("reopen while the filesystem is still full");
    check_all(&db, &acked, "reopened on a full filesystem");
    drop(db);
    std::fs::remove_file(&filler).expect("free space");
    let db = open_on(config(&path), &clock).expect("reopen after space was freed");
    check_all(&db, &acked, "after space was freed");
}

#[test]
fn creating_a_device_file_larger_than_the_free_space_fails_clearly() {
    let _serial = storage_support::serial();
    let Some(fs) = Tmpfs::mount(4) else {
        eprintln!("creating_a_device_file_larger_than_the_free_space_fails_clearly: cannot mount a tmpfs (needs root); not run");
        return;
    };
    let path = fs.path().join("ns.dev");
    let clock = aerolite::ManualClock::at_2026();
    let e = match open_on(config(&path), &clock) {
        Ok(_) => panic!("an 8 MiB device file cannot be allocated on a 4 MiB filesystem"),
        Err(e) => e,
    };
    assert!(
        e.detail().contains("no space on device")
            && e.detail().contains(&path.display().to_string()),
        "{e}"
    );
    assert!(!path.exists(), "no partial device file is left behind");
    let left: Vec<_> = std::fs::read_dir(fs.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

#[test]
fn a_device_out_of_space_says_so_and_keeps_serving_reads() {
    let _serial = storage_support::serial();
    let mem = mem_device(4);
    let fault = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
    let dev: Arc<dyn Device> = fault.clone();
    let clock = aerolite::ManualClock::at_2026();
    let db = open_on(
        device_config(vec![dev], None).commit_to_device(true),
        &clock,
    )
    .expect("open");
    let acked: Vec<i64> = (0..200).collect();
    for &i in &acked {
        db.put(&wp(false), &key(i), &bins(i, 900)).expect("put");
    }
    fault.set_plan(FaultPlan {
        no_space_from: Some(fault.ios() + 1),
        ..FaultPlan::default()
    });
    let first = db
        .put(&wp(false), &key(1000), &bins(1000, 900))
        .expect_err("the device is full");
    assert_eq!(first.code(), ResultCode::ServerError, "{first}");
    assert!(first.detail().contains("no space on device"), "{first}");
    // The I/O failure stays reachable as the error's source, errno and kind preserved.
    const ENOSPC: i32 = 28;
    assert_eq!(first.raw_os_error(), Some(ENOSPC), "{first}");
    let source = std::error::Error::source(&first).expect("an I/O error keeps its source");
    let io = source
        .downcast_ref::<std::io::Error>()
        .expect("the source is a std::io::Error");
    assert_eq!(io.raw_os_error(), Some(ENOSPC));
    for i in 1001..1005 {
        let e = db
            .put(&wp(false), &key(i), &bins(i, 900))
            .expect_err("writes stay refused");
        assert_eq!(e.code(), ResultCode::ServerMemError, "{e}");
        assert!(
            e.detail().contains("no space on device"),
            "a refused write names the cause: {e}"
        );
    }
    check_all(&db, &acked, "while the device is full");
    db.abandon();
    // Space freed: the same bytes on a device that accepts writes again.
    let mem: Arc<dyn Device> = mem;
    let db = open_on(device_config(vec![mem], None), &clock).expect("reopen");
    check_all(&db, &acked, "after space was freed");
    db.put(&wp(false), &key(2000), &bins(2000, 900))
        .expect("writes work again");
}
