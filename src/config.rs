//! Configuration: a builder per namespace, every default stated (record-model.md Appendix A), and
//! `validate()` with the result codes of TTL-CONFIG.

use crate::clock::{Clock, SystemClock};
use crate::error::{err, Result, ResultCode};
use crate::policy::write::MAX_TTL_S;
use std::path::PathBuf;
use std::sync::Arc;

pub use crate::storage::device::IoBackend;

/// Where a namespace keeps its record images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// In memory (`storage-engine memory`). `capacity_bytes` 0 = unbounded; otherwise writes stop
    /// (8) once used bytes reach `stop_writes_used_pct` of it.
    Memory {
        /// Capacity in bytes (0 = unbounded).
        capacity_bytes: u64,
    },
    /// The log-structured device store (files or raw block devices; storage-format.md).
    Device(DeviceConfig),
}

/// Devices handed in directly instead of opened from paths (tests, simulation). Compared by
/// identity.
#[derive(Clone)]
pub struct DeviceHandles(pub Vec<Arc<dyn crate::storage::device::Device>>);

impl PartialEq for DeviceHandles {
    fn eq(&self, o: &DeviceHandles) -> bool {
        self.0.len() == o.0.len() && self.0.iter().zip(&o.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Eq for DeviceHandles {}

impl std::fmt::Debug for DeviceHandles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceHandles({} devices)", self.0.len())
    }
}

/// Settings of the device store. Defaults:
///
/// | setting | default | notes |
/// |---|---|---|
/// | `paths` | – | files or raw devices; one write-block stripe per device |
/// | `file_size_bytes` | 1 GiB | size given to a file that does not exist yet (allocated in full at creation) |
/// | `block_size` | 1 MiB | write block; power of two, 16 KiB … 8 MiB |
/// | `flush_size` | 1 MiB (capped at `block_size`) | write I/O unit of full blocks; power of two ≥ 4 KiB |
/// | `commit_to_device` | false | CFG-COMMIT-DEVICE: ack after the image is durable (DUR-DEVICE) |
/// | `flush_max_ms` | 1000 | CFG-FLUSH-MAX: a partly filled buffer is flushed this often (DUR-BUFFERED) |
/// | `defrag_lwm_pct` | 50 | blocks below this share of live bytes are defragmented |
/// | `defrag_reserve_blocks` | 8 | free blocks only defrag may take (L-NO-BLOCK) |
/// | `defrag_free_hwm_pct` | 50 | background defrag waits while more than this share of blocks is free (see below); 100 = Aerospike's eager defrag |
/// | `max_write_cache` | 64 MiB | CFG-WRITE-CACHE: sealed blocks waiting for flush beyond this → 18 |
/// | `post_write_cache` | 256 MiB per device | recently flushed blocks kept in memory for reads (Aerospike's default, see below) |
/// | `data_in_memory` | false | every block holding live records kept in memory: no read touches the device (see below) |
/// | `direct_io` | true | `O_DIRECT` where the target accepts it |
/// | `read_page_cache` | true | device reads through a second, buffered descriptor (see below) |
/// | `io_backend` | `Auto` | io_uring when available, else pread/pwrite |
/// | `snapshot_path` | first path + `.snapshot` | index snapshot for fast restart (None: always cold start) |
/// | `tomb_reclaim_period_s` | 3600 | how often the tombstone-reclaim pass starts (RS-TOMB-RECLAIM) |
///
/// `post_write_cache` (Aerospike's `post-write-cache`, 256 MiB per device by default; older
/// releases' `post-write-queue` of 256 blocks): bytes of recently flushed write blocks kept in
/// memory **per device** (rounded down to whole blocks; 0 = none). A hit costs a hash probe and
/// no copy or system call, about 1 µs less than a page-cache read and 100–500 µs less than a
/// device read, and recently written records are the ones most read. The memory is the blocks
/// themselves (the flushed write buffers are kept instead of dropped), so it counts in the
/// process's RSS; lower it where memory is tight.
///
/// `data_in_memory` (Aerospike's `data-in-memory` of releases before 7, and 7's memory storage
/// persisted to a file or device): the post-write cache holds every block of the store instead
/// of `post_write_cache` bytes, and opening the store reads every block holding live records
/// back into it (after a fast restart too, which otherwise reads no block), so reads are served
/// from memory and never reach the device or the kernel. Writes, durability, defrag and
/// restart are those of the device store. Memory is the blocks themselves: one `block_size`
/// buffer per block in use (a freed block's buffer is reused or released), so at most the
/// store's size; opening a store larger than the memory the system has available
/// (`MemAvailable`) fails with ServerMemError 8 naming both sizes.
///
/// `defrag_free_hwm_pct` (aerolite's, not Aerospike's): the background defrag empties queued
/// blocks (those below `defrag_lwm_pct`) only while free blocks are at most this percentage of
/// the store's blocks. A defrag pass reads the whole block to move what is still live in it;
/// under overwrites a block below the mark usually empties by itself soon after and is then
/// freed without any I/O, so while space is plentiful waiting saves the reads (and the device
/// time commit-to-device writes queue behind: BENCHMARKS.md "Group commit, session 10").
/// Aerospike cleans as soon as a block is queued; set 100 for that. `Database::defrag_step`
/// always runs.
///
/// `read_page_cache` (Aerospike's `read-page-cache`): reads that miss the write buffer and the
/// post-write cache go through a buffered descriptor, so the OS page cache serves repeated reads
/// of a data set that fits in memory, while writes stay `O_DIRECT`. Aerospike defaults it to off
/// because its deployments put data sets far larger than memory on dedicated raw SSDs, where the
/// page cache only adds a copy and memory pressure. aerolite is embedded: it shares the machine
/// with its application, its data sets often fit in memory, and its peers (fjall, redb, RocksDB)
/// all read through the page cache, which the kernel shrinks under memory pressure; so the
/// default is on. Turn it off for a dedicated device with a data set much larger than memory, or
/// to measure device read latency (`aerolite bench --read-page-cache off`). Every image read
/// either way is verified (block incarnation, CRC, digest, generation vs the index → 1).
/// Defrag's reads never go through the page cache: it reads each image once, with batched
/// direct reads, as Aerospike's defrag does.
/// On Linux the page-cache reads copy out of a read-only mapping of the device (no system
/// call per read); a page the kernel cannot read in there (an I/O error, the file cut short
/// under the store) is not a `SIGBUS` that ends the process: the store catches it and reads
/// with `pread`, which returns the error. The catch installs a process-wide `SIGBUS` handler
/// that hands every other `SIGBUS` to the handler installed before it.
///
/// While the store is open, every device path and the snapshot (through `snapshot_path` +
/// `.lock`) are locked exclusively: a second open, in this process or another, fails at once
/// with ParameterError (4) saying the path is in use. A new device file is allocated in full when
/// it is created (a filesystem without room fails the open with "no space on device"), so the
/// store's stop-writes, not the filesystem, decides when writes stop.
///
/// `max_record_size` of the namespace is capped at the largest image one block holds
/// (`block_size` − 32, the block header) when the namespace opens (L-RECORD-SIZE).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceConfig {
    /// Files or raw block devices.
    pub paths: Vec<PathBuf>,
    /// Size of a newly created file.
    pub file_size_bytes: u64,
    /// Write-block size.
    pub block_size: u32,
    /// Flush unit of full blocks.
    pub flush_size: u32,
    /// DUR-DEVICE when true, DUR-BUFFERED when false.
    pub commit_to_device: bool,
    /// Partial-buffer flush interval.
    pub flush_max_ms: u32,
    /// Defrag low-water mark, 1 … 99.
    pub defrag_lwm_pct: u8,
    /// Blocks reserved for defrag.
    pub defrag_reserve_blocks: u32,
    /// Background defrag runs only while free blocks are at most this percentage, 1 … 100.
    pub defrag_free_hwm_pct: u8,
    /// Flush-queue limit in bytes.
    pub max_write_cache: u64,
    /// Post-write cache in bytes per device.
    pub post_write_cache: u64,
    /// Keep every block with live records in memory (reads never reach the device).
    pub data_in_memory: bool,
    /// Ask for `O_DIRECT`.
    pub direct_io: bool,
    /// Read through the OS page cache (a buffered descriptor) instead of `O_DIRECT`.
    pub read_page_cache: bool,
    /// I/O backend for paths.
    pub io_backend: IoBackend,
    /// Index snapshot file.
    pub snapshot_path: Option<PathBuf>,
    /// Tombstone-reclaim period in seconds (0 = never).
    pub tomb_reclaim_period_s: u32,
    /// Devices to use instead of `paths` (tests).
    pub devices: Option<DeviceHandles>,
}

/// Builder setters named after the fields they set (`config.field(value)` returns the config).
macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
    )*};
}

fn is_block_device(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

impl DeviceConfig {
    /// One file or device at `path`, every default. The index snapshot goes to `path` +
    /// `.snapshot`, except when `path` is a block device (no sibling file belongs there, e.g. in
    /// `/dev`): then there is none until `snapshot_path` is set, and every restart cold-starts.
    pub fn new(path: impl Into<PathBuf>) -> DeviceConfig {
        let path = path.into();
        let mut snap = path.clone().into_os_string();
        snap.push(".snapshot");
        let snapshot_path = (!is_block_device(&path)).then(|| PathBuf::from(snap));
        let c = DeviceConfig {
            paths: vec![path],
            file_size_bytes: 1 << 30,
            block_size: 1 << 20,
            flush_size: 1 << 20,
            commit_to_device: false,
            flush_max_ms: 1000,
            defrag_lwm_pct: 50,
            defrag_reserve_blocks: 8,
            defrag_free_hwm_pct: 50,
            max_write_cache: 64 << 20,
            post_write_cache: 256 << 20,
            data_in_memory: false,
            direct_io: true,
            read_page_cache: true,
            io_backend: IoBackend::Auto,
            snapshot_path,
            tomb_reclaim_period_s: 3600,
            devices: None,
        };
        debug_assert!(c.validate().is_ok(), "DeviceConfig defaults are valid");
        c
    }

    /// Given devices (no paths) with an optional snapshot file.
    pub fn with_devices(
        devices: Vec<Arc<dyn crate::storage::device::Device>>,
        snapshot_path: Option<PathBuf>,
    ) -> DeviceConfig {
        let mut c = DeviceConfig::new("");
        c.paths.clear();
        c.snapshot_path = snapshot_path;
        c.devices = Some(DeviceHandles(devices));
        c
    }

    /// Set the block size (and cap the flush size at it).
    pub fn block_size(mut self, n: u32) -> Self {
        self.block_size = n;
        self.flush_size = self.flush_size.min(n);
        debug_assert!(
            self.flush_size <= self.block_size,
            "flush_size capped at block_size"
        );
        self
    }

    setters! {
        /// Set `flush_size` (bytes of full blocks written per device write).
        flush_size: u32;
        /// Set `flush_max_ms` (how long a partial buffer may wait before it is written).
        flush_max_ms: u32;
        /// Set `defrag_lwm_pct` (a block below this fill percentage is defragmented).
        defrag_lwm_pct: u8;
        /// Set `defrag_reserve_blocks` (blocks only defrag may take).
        defrag_reserve_blocks: u32;
        /// Set `defrag_free_hwm_pct` (background defrag waits while more blocks are free).
        defrag_free_hwm_pct: u8;
        /// Set `max_write_cache` (bytes of unwritten buffers before writes answer 18).
        max_write_cache: u64;
        /// Set `post_write_cache` (bytes per device of just-written blocks kept in memory).
        post_write_cache: u64;
        /// Set `data_in_memory` (every block with live records kept in memory).
        data_in_memory: bool;
        /// Set `direct_io` (ask for `O_DIRECT`).
        direct_io: bool;
        /// Set `read_page_cache` (reads through the OS page cache).
        read_page_cache: bool;
        /// Set `io_backend`.
        io_backend: IoBackend;
        /// Set `snapshot_path` (`None`: no index snapshot, every restart cold-starts).
        snapshot_path: Option<PathBuf>;
        /// Set `tomb_reclaim_period_s` (0 = never).
        tomb_reclaim_period_s: u32;
    }

    /// Set `commit_to_device`.
    pub fn commit_to_device(mut self, on: bool) -> Self {
        self.commit_to_device = on;
        self
    }

    /// Set the size of newly created files.
    pub fn file_size(mut self, n: u64) -> Self {
        self.file_size_bytes = n;
        self
    }

    /// Number of devices.
    pub fn device_count(&self) -> usize {
        self.devices
            .as_ref()
            .map_or(self.paths.len(), |d| d.0.len())
    }

    /// Check the settings (→ 4).
    pub fn validate(&self) -> Result<()> {
        let pow2 = |n: u32, lo: u32, hi: u32| n.is_power_of_two() && (lo..=hi).contains(&n);
        if self.device_count() == 0 || self.device_count() > 128 {
            return err(ResultCode::ParameterError, "1 … 128 devices per namespace");
        }
        if !pow2(self.block_size, 16 << 10, 8 << 20) {
            return err(
                ResultCode::ParameterError,
                "block_size must be a power of two from 16 KiB to 8 MiB",
            );
        }
        if !pow2(self.flush_size, 4 << 10, self.block_size) {
            return err(
                ResultCode::ParameterError,
                "flush_size must be a power of two from 4 KiB to block_size",
            );
        }
        if !(1..=99).contains(&self.defrag_lwm_pct) {
            return err(ResultCode::ParameterError, "defrag_lwm_pct must be 1 … 99");
        }
        if !(1..=100).contains(&self.defrag_free_hwm_pct) {
            return err(
                ResultCode::ParameterError,
                "defrag_free_hwm_pct must be 1 … 100 (100: defrag as soon as a block is queued)",
            );
        }
        // What storage relies on from a valid config: whole flushes per block.
        assert!(
            self.block_size.is_multiple_of(self.flush_size),
            "a valid flush_size divides block_size"
        );
        Ok(())
    }
}

/// One namespace's settings. Defaults (Appendix A):
///
/// | setting | default |
/// |---|---|
/// | `default_ttl_s` | 0 (never expire) |
/// | `expiry_sweep_interval_s` | 120 (CH-SWEEP-DEFAULT; 0 disables sweeping as in Aerospike) |
/// | `allow_ttl_without_sweep` | false |
/// | `default_read_touch_ttl_pct` | 0 (off) |
/// | `max_record_size` | 1 MiB |
/// | `stop_writes_used_pct` | 70 |
/// | `stop_writes_avail_pct` | 5 |
/// | `transaction_pending_limit` | 20 (0 = unlimited) |
/// | `tombstone_eligible_age_s` | 86400 (1 day) |
/// | `storage` | `Memory { capacity_bytes: 0 }` |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceConfig {
    /// Name, 1–31 bytes, no NUL (K-NS-NAME).
    pub name: String,
    /// CFG-DEFAULT-TTL.
    pub default_ttl_s: u32,
    /// CFG-SWEEP.
    pub expiry_sweep_interval_s: u32,
    /// CFG-ALLOW-TTL.
    pub allow_ttl_without_sweep: bool,
    /// CFG-READ-TOUCH.
    pub default_read_touch_ttl_pct: u8,
    /// CFG-MAX-RECORD (bytes of the padded record image).
    pub max_record_size: u32,
    /// CFG-STOP-USED.
    pub stop_writes_used_pct: u8,
    /// CFG-STOP-AVAIL.
    pub stop_writes_avail_pct: u8,
    /// CFG-PENDING.
    pub transaction_pending_limit: u32,
    /// CFG-TOMB-AGE.
    pub tombstone_eligible_age_s: u32,
    /// Storage backend.
    pub storage: StorageConfig,
}

impl NamespaceConfig {
    /// A namespace with every default.
    pub fn new(name: &str) -> NamespaceConfig {
        NamespaceConfig {
            name: name.to_string(),
            default_ttl_s: 0,
            expiry_sweep_interval_s: 120,
            allow_ttl_without_sweep: false,
            default_read_touch_ttl_pct: 0,
            max_record_size: 1 << 20,
            stop_writes_used_pct: 70,
            stop_writes_avail_pct: 5,
            transaction_pending_limit: 20,
            tombstone_eligible_age_s: 86_400,
            storage: StorageConfig::Memory { capacity_bytes: 0 },
        }
    }

    /// Set `default_ttl_s`.
    pub fn default_ttl(mut self, s: u32) -> Self {
        self.default_ttl_s = s;
        self
    }

    /// Set `expiry_sweep_interval_s` (0 disables sweeping).
    pub fn expiry_sweep_interval(mut self, s: u32) -> Self {
        self.expiry_sweep_interval_s = s;
        self
    }

    /// Set `allow_ttl_without_sweep`.
    pub fn allow_ttl_without_sweep(mut self, v: bool) -> Self {
        self.allow_ttl_without_sweep = v;
        self
    }

    /// Set `default_read_touch_ttl_pct`.
    pub fn default_read_touch_ttl_pct(mut self, p: u8) -> Self {
        self.default_read_touch_ttl_pct = p;
        self
    }

    /// Set `max_record_size`.
    pub fn max_record_size(mut self, n: u32) -> Self {
        self.max_record_size = n;
        self
    }

    /// Set `transaction_pending_limit`.
    pub fn transaction_pending_limit(mut self, n: u32) -> Self {
        self.transaction_pending_limit = n;
        self
    }

    setters! {
        /// Set `stop_writes_used_pct`.
        stop_writes_used_pct: u8;
        /// Set `stop_writes_avail_pct`.
        stop_writes_avail_pct: u8;
        /// Set `tombstone_eligible_age_s`.
        tombstone_eligible_age_s: u32;
    }

    /// Set the storage backend.
    pub fn storage(mut self, s: StorageConfig) -> Self {
        self.storage = s;
        self
    }

    /// Whether positive TTLs are allowed (TTL-FORBIDDEN).
    pub fn ttl_allowed(&self) -> bool {
        self.expiry_sweep_interval_s != 0 || self.allow_ttl_without_sweep
    }

    /// Check the settings (K-NS-NAME, TTL-CONFIG, CFG-*).
    pub fn validate(&self) -> Result<()> {
        let n = self.name.as_bytes();
        if n.is_empty() || n.len() > 31 || n.contains(&0) {
            return err(
                ResultCode::ParameterError,
                format!("namespace name {:?} (K-NS-NAME)", self.name),
            );
        }
        if self.default_ttl_s > MAX_TTL_S {
            return err(
                ResultCode::ParameterError,
                "default_ttl above 10 years (TTL-CONFIG)",
            );
        }
        if self.default_ttl_s != 0 && !self.ttl_allowed() {
            return err(
                ResultCode::ParameterError,
                "default_ttl ≠ 0 with expiry sweeping disabled and allow_ttl_without_sweep false (TTL-CONFIG)",
            );
        }
        if self.default_read_touch_ttl_pct > 100 {
            return err(
                ResultCode::ParameterError,
                "default_read_touch_ttl_pct above 100",
            );
        }
        if self.max_record_size < 64 {
            return err(
                ResultCode::ParameterError,
                "max_record_size below 64 bytes (L-RECORD-SIZE)",
            );
        }
        if self.stop_writes_used_pct == 0
            || self.stop_writes_used_pct > 100
            || self.stop_writes_avail_pct > 100
        {
            return err(
                ResultCode::ParameterError,
                "stop-writes percentages out of range",
            );
        }
        if let StorageConfig::Device(d) = &self.storage {
            d.validate()?;
        }
        Ok(())
    }
}

/// Database settings: namespaces, the clock, runtime threads, a progress observer.
#[derive(Clone)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// Namespaces (at least one; names unique).
    pub namespaces: Vec<NamespaceConfig>,
    /// Clock (default: system clock).
    pub clock: Arc<dyn Clock>,
    /// Start runtime threads for background work (expiry sweeps). Default true; tests that drive
    /// the step functions themselves turn it off.
    pub background_threads: bool,
    /// Observer of cold-start progress (default none: the library prints nothing).
    pub progress: Option<crate::progress::ProgressFn>,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("namespaces", &self.namespaces)
            .field("clock", &self.clock)
            .field("background_threads", &self.background_threads)
            .field("progress", &self.progress.as_ref().map(|_| "set"))
            .finish()
    }
}

impl DatabaseConfig {
    /// One in-memory namespace with defaults.
    pub fn memory(namespace: &str) -> DatabaseConfig {
        DatabaseConfig {
            namespaces: vec![NamespaceConfig::new(namespace)],
            clock: Arc::new(SystemClock),
            background_threads: true,
            progress: None,
        }
    }

    /// From namespace configs.
    pub fn with_namespaces(namespaces: Vec<NamespaceConfig>) -> DatabaseConfig {
        DatabaseConfig {
            namespaces,
            clock: Arc::new(SystemClock),
            background_threads: true,
            progress: None,
        }
    }

    /// Report cold-start progress to `observer` (SN-REQ-SCAN-PROGRESS).
    pub fn progress(mut self, observer: crate::progress::ProgressFn) -> Self {
        self.progress = Some(observer);
        self
    }

    /// Use this clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Start (or not) the runtime threads.
    pub fn background_threads(mut self, on: bool) -> Self {
        self.background_threads = on;
        self
    }

    /// Validate every namespace and name uniqueness.
    pub fn validate(&self) -> Result<()> {
        if self.namespaces.is_empty() {
            return err(ResultCode::ParameterError, "no namespace configured");
        }
        for (i, ns) in self.namespaces.iter().enumerate() {
            ns.validate()?;
            if self.namespaces[..i].iter().any(|o| o.name == ns.name) {
                return err(
                    ResultCode::ParameterError,
                    format!("namespace {:?} twice", ns.name),
                );
            }
        }
        Ok(())
    }
}
