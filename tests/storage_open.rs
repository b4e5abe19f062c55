//! Opening devices (storage-format.md "Device header", SN-REQ-VERSIONED, SN-REQ-DEVICE-ID): blank
//! devices are formatted; a foreign non-zero header, another namespace, another block size or a
//! device of another set is refused with 4; a torn (corrupt) newest header slot falls back to the
//! other slot; two devices stripe blocks and both are needed; `Database::open_default` works.

mod storage_support;

use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{Database, ManualClock, NamespaceConfig, ResultCode, StorageConfig};
use std::sync::Arc;
use storage_support::*;

fn open_code(dev: aerolite::config::DeviceConfig, ns: &str) -> Option<ResultCode> {
    let clock = ManualClock::at_2026();
    open_ns(
        NamespaceConfig::new(ns).storage(StorageConfig::Device(dev)),
        &clock,
    )
    .err()
    .map(|e| e.code())
}

#[test]
fn refuses_foreign_other_namespace_block_size_and_set() {
    let foreign = Arc::new(MemoryDevice::new(2 << 20));
    foreign.poke(0, |b| b[..4].copy_from_slice(b"XFS!"));
    assert_eq!(
        open_code(
            device_config(vec![foreign as Arc<dyn Device>], None),
            "test"
        ),
        Some(ResultCode::ParameterError),
        "a non-zero header without the magic is never overwritten"
    );
    let mem = mem_device(2);
    let clock = ManualClock::at_2026();
    let db = open_on(
        device_config(vec![mem.clone() as Arc<dyn Device>], None),
        &clock,
    )
    .expect("format");
    db.put(&wp(false), &key(1), &bins(1, 10)).expect("put");
    db.shutdown().expect("close");
    let dev = || mem.clone() as Arc<dyn Device>;
    assert_eq!(
        open_code(device_config(vec![dev()], None), "other"),
        Some(ResultCode::ParameterError)
    );
    assert_eq!(
        open_code(
            device_config(vec![dev()], None).block_size(BLOCK * 2),
            "test"
        ),
        Some(ResultCode::ParameterError)
    );
    let other = mem_device(2);
    drop(
        open_on(
            device_config(vec![other.clone() as Arc<dyn Device>], None),
            &clock,
        )
        .expect("fmt"),
    );
    assert_eq!(
        open_code(
            device_config(vec![dev(), other as Arc<dyn Device>], None),
            "test"
        ),
        Some(ResultCode::ParameterError),
        "devices of different sets (or counts) are refused"
    );
    let db = open_on(device_config(vec![dev()], None), &clock).expect("still opens");
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}

/// A corrupt newest header slot: the older slot is used (a torn header write loses nothing).
#[test]
fn torn_newest_header_slot_falls_back() {
    let mem = mem_device(2);
    let clock = ManualClock::at_2026();
    let cfg = || device_config(vec![mem.clone() as Arc<dyn Device>], None).commit_to_device(true);
    let db = open_on(cfg(), &clock).expect("format");
    db.put(&wp(false), &key(1), &bins(1, 10)).expect("put");
    db.abandon();
    // Open once more so both slots hold valid headers, then damage the newest one.
    drop(open_on(cfg(), &clock).expect("reopen"));
    let contents = mem.contents();
    let seq = |slot: usize| {
        u64::from_le_bytes(
            contents[slot * 4096 + 16..slot * 4096 + 24]
                .try_into()
                .expect("8 bytes"),
        )
    };
    let newest = if seq(0) > seq(1) { 0 } else { 1 };
    mem.poke(newest * 4096 + 70, |b| b[0] ^= 0xFF);
    let db = open_on(cfg(), &clock).expect("opens from the older slot");
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}

/// Two devices: blocks alternate between them; a restart needs both.
#[test]
fn two_devices_stripe_blocks() {
    let (a, b) = (mem_device(2), mem_device(2));
    let clock = ManualClock::at_2026();
    let devs = || vec![a.clone() as Arc<dyn Device>, b.clone() as Arc<dyn Device>];
    let db = open_on(device_config(devs(), None).commit_to_device(true), &clock).expect("open");
    for i in 0..200 {
        db.put(&wp(false), &key(i), &bins(i, 1500)).expect("put");
    }
    let blocks: std::collections::BTreeSet<u32> = (0..200)
        .map(|i| {
            aerolite::testing::namespace(&db, "test")
                .expect("ns")
                .index
                .get(&key(i).digest)
                .expect("indexed")
                .location
                .block
        })
        .collect();
    assert!(
        blocks.contains(&0) && blocks.contains(&1),
        "both devices used: {blocks:?}"
    );
    db.abandon();
    let db = open_on(device_config(devs(), None), &clock).expect("cold start on both");
    for i in 0..200 {
        assert_eq!(read(&db, &key(i)), Some((i, 1)));
    }
}

#[test]
fn open_default_creates_a_device_file() {
    let dir = tmp();
    let path = dir.path().join("default.dev");
    let db = Database::open_default(&path).expect("open default");
    db.put(&wp(false), &key(1), &bins(1, 10)).expect("put");
    db.shutdown().expect("close");
    assert!(path.exists());
    let db = Database::open_default(&path).expect("reopen");
    assert!(db.stats().fast_restart);
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}
