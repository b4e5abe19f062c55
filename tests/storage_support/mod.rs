//! Helpers for the `storage_*` suites: open a device namespace "test" on files in a directory or
//! on given devices (memory / fault-injecting), with a manual clock and no runtime threads, so
//! each test drives flush, defrag and reclaim steps itself.
#![allow(dead_code)]

use aerolite::config::DeviceConfig;
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{
    Bin, Bins, Database, DatabaseConfig, Key, ManualClock, NamespaceConfig, ReadPolicy, Record,
    StorageConfig, Value, WritePolicy,
};
use std::path::Path;
use std::sync::Arc;

/// Small blocks so tests fill, seal and defragment many of them quickly.
pub const BLOCK: u32 = 64 << 10;

/// Device settings on a file in `dir`: 64 KiB blocks, 16 MiB file.
pub fn file_config(dir: &Path) -> DeviceConfig {
    let mut d = DeviceConfig::new(dir.join("ns.dev"))
        .block_size(BLOCK)
        .file_size(16 << 20);
    d.post_write_cache = 4 * u64::from(BLOCK);
    d.defrag_reserve_blocks = 4;
    d
}

/// Device settings on given devices (no snapshot file unless `snapshot` is given).
pub fn device_config(devices: Vec<Arc<dyn Device>>, snapshot: Option<&Path>) -> DeviceConfig {
    let mut d =
        DeviceConfig::with_devices(devices, snapshot.map(Path::to_path_buf)).block_size(BLOCK);
    d.post_write_cache = 4 * u64::from(BLOCK);
    d.defrag_reserve_blocks = 4;
    d
}

/// A memory device of `mib` MiB.
pub fn mem_device(mib: u64) -> Arc<MemoryDevice> {
    Arc::new(MemoryDevice::new(mib << 20))
}

/// Open namespace "test" on `dev` with `clock`.
pub fn open_on(dev: DeviceConfig, clock: &ManualClock) -> aerolite::Result<Database> {
    open_ns(
        NamespaceConfig::new("test").storage(StorageConfig::Device(dev)),
        clock,
    )
}

/// Open a configured namespace with `clock`, no runtime threads.
pub fn open_ns(ns: NamespaceConfig, clock: &ManualClock) -> aerolite::Result<Database> {
    Database::open(
        DatabaseConfig::with_namespaces(vec![ns])
            .clock(Arc::new(clock.clone()))
            .background_threads(false),
    )
}

/// The index entry of key `i` (which must be indexed).
pub fn entry(db: &Database, i: i64) -> aerolite::index::IndexEntry {
    aerolite::testing::namespace(db, "test")
        .expect("namespace")
        .index
        .get(&key(i).digest)
        .expect("indexed")
}

/// Key `i` in set "s".
pub fn key(i: i64) -> Key {
    Key::new("test", "s", i).expect("integer keys are valid")
}

/// A bin "v" holding `v`, padded with a blob of `pad` bytes in bin "p".
pub fn bins(v: i64, pad: usize) -> Vec<Bin> {
    vec![
        Bin::new("v", Value::Int(v)),
        Bin::new("p", Value::Blob(vec![(v & 0xff) as u8; pad])),
    ]
}

/// Write policy: default, or with durable delete.
pub fn wp(durable_delete: bool) -> WritePolicy {
    WritePolicy {
        durable_delete,
        ..WritePolicy::default()
    }
}

/// Read `k`: Some((v, generation)) or None when not found.
pub fn read(db: &Database, k: &Key) -> Option<(i64, u32)> {
    match db.get(&ReadPolicy::default(), k, Bins::All) {
        Ok(r) => Some((int_bin(&r), r.generation)),
        Err(e) if e.code() == aerolite::ResultCode::KeyNotFoundError => None,
        Err(e) => panic!("read of {k:?} failed: {e}"),
    }
}

/// Bin "v" of a record.
pub fn int_bin(r: &Record) -> i64 {
    match r.bin("v") {
        Some(Value::Int(v)) => *v,
        other => panic!("bin v is {other:?}"),
    }
}

/// A fresh temporary directory.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Flush namespace "test"'s write buffer to the device now, partial block included.
pub fn flush(db: &Database) {
    aerolite::testing::namespace(db, "test")
        .expect("namespace")
        .flush_step(true)
        .expect("flush");
}

/// Serializes the tests of one binary that start child processes with those that release a
/// lock and take it again. A child is forked from the test process with a copy of every open
/// descriptor and keeps it until it calls `exec` (the descriptors are close-on-exec), so for
/// that moment it also holds another test's device `flock` and raw-device `O_EXCL` claim: a
/// parallel test that closes its database and reopens the path in that window is refused as
/// "in use" (seen under load in `storage_exclusive_open`). Hold the guard for the whole test.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A memory device that passes every call through and records what a test may ask about: the
/// bytes read from it, the `advise_will_read` calls it got, as (offset, len), and every
/// `read_at` whose offset or length is not a multiple of its read granularity (`read_align`).
pub struct TapDevice {
    inner: Arc<dyn Device>,
    read: std::sync::atomic::AtomicU64,
    cached: std::sync::atomic::AtomicU64,
    advice: std::sync::Mutex<Vec<(u64, u64)>>,
    read_align: usize,
    misaligned: std::sync::Mutex<Vec<(u64, usize)>>,
}

impl TapDevice {
    /// A tap on a fresh memory device of `mib` MiB, reading in the default granularity
    /// (`device::ALIGN`).
    pub fn new(mib: u64) -> Arc<TapDevice> {
        TapDevice::with_read_align(mib, aerolite::storage::device::ALIGN)
    }

    /// A tap that reports `read_align` as its direct-I/O read granularity (a 512-byte-sector
    /// device reports 512).
    pub fn with_read_align(mib: u64, read_align: usize) -> Arc<TapDevice> {
        Arc::new(TapDevice {
            inner: mem_device(mib),
            read: std::sync::atomic::AtomicU64::new(0),
            cached: std::sync::atomic::AtomicU64::new(0),
            advice: std::sync::Mutex::new(Vec::new()),
            read_align,
            misaligned: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Reads whose offset or length was not a multiple of the read granularity, as (offset, len).
    pub fn misaligned_reads(&self) -> Vec<(u64, usize)> {
        self.misaligned.lock().expect("misaligned").clone()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads through the page cache (`Device::read_cached`) so far; their bytes are counted in
    /// [`TapDevice::bytes_read`] too.
    pub fn cached_reads(&self) -> u64 {
        self.cached.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The read advice so far.
    pub fn advice(&self) -> std::sync::MutexGuard<'_, Vec<(u64, u64)>> {
        self.advice.lock().expect("advice")
    }
}

impl Device for TapDevice {
    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.read
            .fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let a = self.read_align;
        if !offset.is_multiple_of(a as u64) || !buf.len().is_multiple_of(a) {
            self.misaligned
                .lock()
                .expect("misaligned")
                .push((offset, buf.len()));
        }
        self.inner.read_at(offset, buf)
    }
    fn read_align(&self) -> usize {
        self.read_align
    }
    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.cached
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        aerolite::storage::device::read_unaligned(self, offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> aerolite::Result<()> {
        self.inner.write_at(offset, buf)
    }
    fn sync(&self) -> aerolite::Result<()> {
        self.inner.sync()
    }
    fn kind(&self) -> &'static str {
        "tap-memory"
    }
    fn advise_will_read(&self, offset: u64, len: u64) {
        self.advice().push((offset, len));
    }
}
