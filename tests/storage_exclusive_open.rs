//! Exclusive open (issue 11, point 1): a device file, raw device or index snapshot is owned by
//! one open database at a time. A second open — in the same process or from another one — fails
//! at once with an error that names the path and says it is in use, and writes nothing; the
//! first handle keeps working, and once it is closed or dropped the path opens again.
//!
//! A raw block device is also opened `O_EXCL`, so a mounted device or one another program
//! holds exclusively is refused too (tested on a loop device when run as root).
//!
//! The cross-process case re-runs this test binary with `AEROLITE_EXCL_CHILD` set
//! (`child_open`), which tries the open and prints `OPENED` or `REFUSED <code> <detail>`.

#[path = "storage_support/loop_device.rs"]
mod loop_device;
mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::{Database, DatabaseConfig, NamespaceConfig, ResultCode, StorageConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use storage_support::{bins, key, read, wp, BLOCK};

fn device(path: &Path) -> DeviceConfig {
    let mut d = DeviceConfig::new(path)
        .block_size(BLOCK)
        .file_size(4 << 20)
        .commit_to_device(true);
    d.defrag_reserve_blocks = 2;
    d.post_write_cache = 0;
    d
}

fn open(d: DeviceConfig) -> aerolite::Result<Database> {
    Database::open(
        DatabaseConfig::with_namespaces(vec![
            NamespaceConfig::new("test").storage(StorageConfig::Device(d))
        ])
        .background_threads(false),
    )
}

fn open_err(d: DeviceConfig, why: &str) -> aerolite::Error {
    match open(d) {
        Ok(_) => panic!("{why}"),
        Err(e) => e,
    }
}

fn assert_in_use(e: &aerolite::Error, path: &Path) {
    assert_eq!(e.code(), ResultCode::ParameterError, "{e}");
    let detail = e.detail();
    assert!(
        detail.contains(&path.display().to_string()) && detail.contains("in use"),
        "the error names {} and says it is in use: {detail}",
        path.display()
    );
}

/// Child mode: try to open the store at `AEROLITE_EXCL_CHILD`; report the outcome on stdout.
#[test]
fn child_open() {
    let Some(path) = std::env::var_os("AEROLITE_EXCL_CHILD") else {
        return;
    };
    match open(device(Path::new(&path))) {
        Ok(db) => {
            db.put(&wp(false), &key(999), &bins(999, 10))
                .expect("child write");
            println!("OPENED");
        }
        Err(e) => println!("REFUSED {} {}", e.code().code(), e.detail()),
    }
}

fn run_child(path: &Path) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args(["--exact", "child_open", "--nocapture", "--test-threads=1"])
        .env("AEROLITE_EXCL_CHILD", path)
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // libtest prints "test child_open ... " on the same line before the child's own output.
    let at = ["OPENED", "REFUSED"]
        .iter()
        .filter_map(|m| stdout.find(m))
        .min()
        .unwrap_or_else(|| panic!("child printed no outcome: {stdout}"));
    stdout[at..].lines().next().unwrap_or_default().to_string()
}

fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("read device file")
}

#[test]
fn second_open_in_the_same_process_is_refused_and_writes_nothing() {
    let _serial = storage_support::serial();
    let dir = storage_support::tmp();
    let path = dir.path().join("ns.dev");
    let first = open(device(&path)).expect("first open");
    for i in 0..50 {
        first.put(&wp(false), &key(i), &bins(i, 100)).expect("put");
    }
    let before = file_bytes(&path);
    let e = open_err(device(&path), "a second open of the same file must fail");
    assert_in_use(&e, &path);
    assert_eq!(file_bytes(&path), before, "the refused open wrote nothing");
    for i in 50..100 {
        first.put(&wp(false), &key(i), &bins(i, 100)).expect("put");
    }
    drop(first);
    let again = open(device(&path)).expect("open after the first handle is dropped");
    for i in 0..100 {
        assert_eq!(read(&again, &key(i)).map(|r| r.0), Some(i), "key {i}");
    }
}

#[test]
fn close_releases_the_lock() {
    let _serial = storage_support::serial();
    let dir = storage_support::tmp();
    let path = dir.path().join("ns.dev");
    let mut first = open(device(&path)).expect("first open");
    first.put(&wp(false), &key(1), &bins(1, 10)).expect("put");
    first.close();
    let second = open(device(&path)).expect("open after close (the closed handle still exists)");
    assert_eq!(read(&second, &key(1)).map(|r| r.0), Some(1));
    drop(first);
    assert_eq!(read(&second, &key(1)).map(|r| r.0), Some(1));
}

#[test]
fn second_open_from_another_process_is_refused() {
    let _serial = storage_support::serial();
    let dir = storage_support::tmp();
    let path = dir.path().join("ns.dev");
    let first = open(device(&path)).expect("first open");
    first.put(&wp(false), &key(1), &bins(1, 10)).expect("put");
    let before = file_bytes(&path);
    let outcome = run_child(&path);
    assert!(
        outcome.starts_with(&format!("REFUSED {}", ResultCode::ParameterError.code()))
            && outcome.contains(&path.display().to_string())
            && outcome.contains("in use"),
        "child: {outcome}"
    );
    assert_eq!(file_bytes(&path), before, "the refused child wrote nothing");
    first.put(&wp(false), &key(2), &bins(2, 10)).expect("put");
    drop(first);
    assert_eq!(run_child(&path), "OPENED", "free again after drop");
    let db = open(device(&path)).expect("reopen");
    for k in [1, 2, 999] {
        assert_eq!(read(&db, &key(k)).map(|r| r.0), Some(k), "key {k}");
    }
}

/// Two stores on different files that name the same snapshot file: the second is refused,
/// naming the snapshot path.
#[test]
fn a_shared_snapshot_path_is_refused() {
    let _serial = storage_support::serial();
    let dir = storage_support::tmp();
    let snap: PathBuf = dir.path().join("shared.snapshot");
    let mut a = device(&dir.path().join("a.dev"));
    a.snapshot_path = Some(snap.clone());
    let mut b = device(&dir.path().join("b.dev"));
    b.snapshot_path = Some(snap.clone());
    let first = open(a).expect("first open");
    let e = open_err(b.clone(), "the snapshot file is in use");
    assert_in_use(&e, &snap);
    drop(first);
    open(b).expect("free again after drop");
}

/// A raw block device (a loop device when run as root): a second open is refused; so is an open
/// while another program holds the device with `O_EXCL`.
#[test]
fn a_raw_device_is_opened_exclusively() {
    let _serial = storage_support::serial();
    let Some(raw) = loop_device::raw_device(16) else {
        eprintln!("a_raw_device_is_opened_exclusively: no AEROLITE_RAW_DEVICE and no loop device (needs root + losetup); not run");
        return;
    };
    let first = open(device(&raw.path)).expect("open the raw device");
    first.put(&wp(false), &key(1), &bins(1, 10)).expect("put");
    let e = open_err(
        device(&raw.path),
        "a second open of the raw device must fail",
    );
    assert_in_use(&e, &raw.path);
    drop(first);
    let holder = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_EXCL)
            .open(&raw.path)
            .expect("another program claims the device with O_EXCL")
    };
    let e = open_err(
        device(&raw.path),
        "the device is claimed by another program",
    );
    assert_in_use(&e, &raw.path);
    drop(holder);
    let db = open(device(&raw.path)).expect("free again");
    assert_eq!(read(&db, &key(1)).map(|r| r.0), Some(1));
}
