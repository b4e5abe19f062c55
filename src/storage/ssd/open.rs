//! Opening a device store, in the order the checks run: lock the paths, size the devices, read
//! every device's header slots, format a blank set or check each header against the
//! configuration and the first device, then decide how the index is restored (snapshot or scan).
//!
//! Invariants:
//! - nothing is written to a device here (headers are written by `finish_open`, after the
//!   index is restored);
//! - every device of a formatted set agrees on namespace, block size, device set id, its index
//!   and the device count, and is at least as large as when it was formatted (checked below).

use super::{flush, moves, Counters, DeviceStorage, State};
use crate::clock::Clock;
use crate::config::DeviceConfig;
use crate::error::{err, Error, Result, ResultCode};
use crate::format::header::{self, DeviceHeader, SlotError};
use crate::storage::blocks::BlockTable;
use crate::storage::cold_start::ScanCounts;
use crate::storage::device::lock::PathLock;
use crate::storage::device::{self, AlignedBuf, Device};
use crate::storage::read_cache::PostWriteCache;
use crate::storage::snapshot;
use crate::storage::snapshot_check;
use crate::storage::Restore;
use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;
/// Opened devices and the locks held on their paths and the snapshot.
type OpenedDevices = (Vec<Arc<dyn Device>>, Vec<PathLock>);

/// The configured devices, or the paths opened and locked (devices first, then the snapshot):
/// a path another open store holds is refused before anything is read or written.
fn open_devices(cfg: &DeviceConfig) -> Result<OpenedDevices> {
    let mut locks = Vec::with_capacity(cfg.paths.len() + 1);
    let devices = match &cfg.devices {
        Some(d) => d.0.clone(),
        None => {
            let mut devices = Vec::with_capacity(cfg.paths.len());
            for p in &cfg.paths {
                let (d, held) =
                    device::open_locked(p, cfg.file_size_bytes, cfg.direct_io, cfg.io_backend)?;
                devices.push(d);
                locks.push(held);
            }
            devices
        }
    };
    if let Some(p) = &cfg.snapshot_path {
        locks.push(device::lock::lock_snapshot(p)?);
    }
    Ok((devices, locks))
}

fn slot_error(i: usize, e: SlotError) -> Error {
    let why = match e {
        SlotError::Blank => "is blank while other devices are formatted".to_string(),
        SlotError::Foreign => {
            "holds data that is not an aerolite device (refusing to overwrite)".to_string()
        }
        SlotError::UnknownVersion(v) => format!(
            "has format version {v}, this build reads {}",
            header::FORMAT_VERSION
        ),
        SlotError::Corrupt => "has no valid header slot".to_string(),
    };
    Error::new(ResultCode::ParameterError, format!("device {i} {why}"))
}

/// A device's header as its two slots gave it.
type Slots = std::result::Result<DeviceHeader, SlotError>;

/// What the open steps found on the devices, before the store is assembled.
struct Layout {
    devices: Vec<Arc<dyn Device>>,
    locks: Vec<PathLock>,
    headers: Vec<DeviceHeader>,
    blocks: BlockTable,
    total_blocks: u32,
    next_seq: u64,
    restore: Restore,
    fast_restart: bool,
}

impl DeviceStorage {
    /// Open (formatting blank devices) and decide how the index will be restored: validate the
    /// configuration, lock the paths, size the devices, read their headers, format a blank set
    /// or check a formatted one, lay out the blocks, then choose snapshot or scan.
    pub fn open(
        cfg: &DeviceConfig,
        namespace: &str,
        stop_used_pct: u8,
        stop_avail_pct: u8,
        background: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<DeviceStorage> {
        cfg.validate()?;
        let (devices, locks) = open_devices(cfg)?;
        let fits = blocks_per_device(cfg, &devices)?;
        let found = read_headers(&devices)?;
        let blank = found.iter().all(|h| *h == Err(SlotError::Blank));
        let headers = if blank {
            blank_headers(cfg, namespace, devices.len(), fits)
        } else {
            formatted_headers(found)?
        };
        check_headers(cfg, namespace, &headers, fits)?;
        assert_eq!(headers.len(), devices.len(), "one header per device");
        let per_device = if blank { fits } else { headers[0].block_count };
        let total_blocks = per_device
            .checked_mul(devices.len() as u32)
            .ok_or_else(|| Error::new(ResultCode::ParameterError, "too many blocks"))?;
        check_data_in_memory(cfg, total_blocks, mem_available)?;
        let mut blocks = BlockTable::new(
            total_blocks,
            cfg.block_size,
            cfg.defrag_lwm_pct,
            cfg.defrag_reserve_blocks as usize,
        );
        let mut next_seq = headers.iter().map(|h| h.seq_high).max().unwrap_or(0) + 1;
        let (restore, fast_restart) = if blank {
            (Restore::Fresh, false)
        } else {
            decide_restore(cfg, &headers, total_blocks, &mut blocks, &mut next_seq)
        };
        let layout = Layout {
            devices,
            locks,
            headers,
            blocks,
            total_blocks,
            next_seq,
            restore,
            fast_restart,
        };
        Ok(DeviceStorage::assemble(
            cfg,
            layout,
            (stop_used_pct, stop_avail_pct),
            background,
            clock,
        ))
    }

    /// The store over `layout`, with the configuration's settings and an empty state.
    fn assemble(
        cfg: &DeviceConfig,
        layout: Layout,
        (stop_used_pct, stop_avail_pct): (u8, u8),
        background: bool,
        clock: Arc<dyn Clock>,
    ) -> DeviceStorage {
        let n = layout.devices.len() as u64;
        let cache_blocks = if cfg.data_in_memory {
            layout.total_blocks as usize
        } else {
            usize::try_from((cfg.post_write_cache / cfg.block_size as u64).saturating_mul(n))
                .unwrap_or(usize::MAX)
        };
        let device_set_id = layout.headers[0].device_set_id;
        let cache = PostWriteCache::with_hints(cache_blocks, layout.total_blocks as usize);
        let hints = cache.hints();
        let store = DeviceStorage {
            devices: layout.devices,
            block_size: cfg.block_size as usize,
            flush_size: cfg.flush_size as usize,
            total_blocks: layout.total_blocks,
            device_set_id,
            commit_to_device: cfg.commit_to_device,
            flush_max: Duration::from_millis(u64::from(cfg.flush_max_ms)),
            max_write_cache: cfg.max_write_cache,
            read_page_cache: cfg.read_page_cache,
            data_in_memory: cfg.data_in_memory,
            cache: RwLock::new(cache),
            hints,
            snapshot_path: cfg.snapshot_path.clone(),
            tomb_period: (cfg.tomb_reclaim_period_s != 0)
                .then(|| Duration::from_secs(u64::from(cfg.tomb_reclaim_period_s))),
            defrag_free_hwm_pct: cfg.defrag_free_hwm_pct,
            stop_used_pct: u64::from(stop_used_pct),
            stop_avail_pct: u64::from(stop_avail_pct),
            background,
            state: Mutex::new(State {
                blocks: layout.blocks,
                current: None,
                spare_blocks: Vec::new(),
                sealed: VecDeque::new(),
                next_seq: layout.next_seq,
                durable: 0,
                failed: None,
                last_partial: clock.monotonic_us(),
                live_bytes: 0,
                restore: Some(layout.restore),
                headers: layout.headers,
                scan: ScanCounts::default(),
                fast_restart: layout.fast_restart,
                flush: flush::FlushState::default(),
                moves: moves::PendingMoves::default(),
            }),
            space: Default::default(),
            open_seq: Default::default(),
            slot_cv: Condvar::new(),
            work_cv: Condvar::new(),
            frontier: Default::default(),
            counters: Counters::default(),
            abandoned: AtomicBool::new(false),
            locks: Mutex::new(layout.locks),
            clock,
        };
        // Publish the space flags of the opened state (a store may open in stop-writes).
        drop(store.lock());
        store
    }
}

/// `data_in_memory` may hold every block of the store in memory: refuse to open a store larger
/// than the memory the system has available (`available()`, bytes, asked only when the mode is
/// on; `None`: unknown, no check) with ServerMemError 8 naming both sizes and what to do, rather
/// than be killed for memory as the store fills.
fn check_data_in_memory(
    cfg: &DeviceConfig,
    total_blocks: u32,
    available: impl FnOnce() -> Option<u64>,
) -> Result<()> {
    if !cfg.data_in_memory {
        return Ok(());
    }
    let need = u64::from(total_blocks) * u64::from(cfg.block_size);
    match available() {
        Some(have) if need > have => err(
            ResultCode::ServerMemError,
            format!(
                "data_in_memory keeps the whole store in memory: {} MiB ({total_blocks} blocks \
                 of {} KiB), but the system has {} MiB available (MemAvailable); use smaller \
                 devices, free memory, or turn data_in_memory off",
                need >> 20,
                cfg.block_size >> 10,
                have >> 20
            ),
        ),
        _ => Ok(()),
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes (`None` where there is no such file or line).
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Write blocks the smallest device holds after its header block (→ 4 when under two).
fn blocks_per_device(cfg: &DeviceConfig, devices: &[Arc<dyn Device>]) -> Result<u32> {
    let bs = cfg.block_size as u64;
    let per_device = devices
        .iter()
        .map(|d| (d.capacity() / bs).saturating_sub(1))
        .min()
        .unwrap_or(0);
    let per_device = u32::try_from(per_device).unwrap_or(u32::MAX);
    if per_device < 2 {
        return err(
            ResultCode::ParameterError,
            "device too small: it must hold the header and at least two write blocks",
        );
    }
    Ok(per_device)
}

/// Each device's current header, picked from its two slots.
fn read_headers(devices: &[Arc<dyn Device>]) -> Result<Vec<Slots>> {
    let mut found = Vec::with_capacity(devices.len());
    for d in devices {
        let mut slots = AlignedBuf::zeroed(header::SLOT_SIZE * header::SLOTS);
        d.read_at(0, slots.as_mut_slice())?;
        let s = slots.as_slice();
        found.push(DeviceHeader::pick([
            &s[..header::SLOT_SIZE],
            &s[header::SLOT_SIZE..],
        ]));
    }
    Ok(found)
}

/// Headers for a blank device set of `n` devices of `per_device` blocks (a new device set id).
fn blank_headers(
    cfg: &DeviceConfig,
    namespace: &str,
    n: usize,
    per_device: u32,
) -> Vec<DeviceHeader> {
    let set_id = crate::rng::random_id();
    (0..n)
        .map(|i| DeviceHeader {
            header_seq: 0,
            flags: 0,
            block_size: cfg.block_size,
            device_set_id: set_id,
            instance_id: 0,
            device_index: i as u16,
            device_count: n as u16,
            block_count: per_device,
            seq_high: 0,
            namespace: namespace.to_string(),
            truncations: Vec::new(),
        })
        .collect()
}

/// The headers of a formatted set; a blank, foreign, unknown-version or corrupt one fails.
fn formatted_headers(found: Vec<Slots>) -> Result<Vec<DeviceHeader>> {
    let mut hs = Vec::with_capacity(found.len());
    for (i, h) in found.into_iter().enumerate() {
        hs.push(h.map_err(|e| slot_error(i, e))?);
    }
    Ok(hs)
}

/// Every header against the configuration and the first device (→ 4 naming the device).
fn check_headers(
    cfg: &DeviceConfig,
    namespace: &str,
    headers: &[DeviceHeader],
    per_device: u32,
) -> Result<()> {
    let n = headers.len();
    let Some(first) = headers.first() else {
        return err(ResultCode::ParameterError, "no device configured");
    };
    for (i, h) in headers.iter().enumerate() {
        let problem = if h.namespace != namespace {
            Some(format!("belongs to namespace {:?}", h.namespace))
        } else if h.block_size != cfg.block_size {
            Some(format!("was formatted with block_size {}", h.block_size))
        } else if usize::from(h.device_count) != n || usize::from(h.device_index) != i {
            Some(format!(
                "is device {} of {}, configured as {i} of {n}",
                h.device_index, h.device_count
            ))
        } else if h.device_set_id != first.device_set_id {
            Some("belongs to another device set".to_string())
        } else if h.block_count > per_device {
            Some("is smaller than when it was formatted".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            return err(ResultCode::ParameterError, format!("device {i} {p}"));
        }
    }
    Ok(())
}

/// A formatted set's restore: load the snapshot when it matches a clean shutdown (restoring the
/// block sequences and raising `next_seq` past its `seq_high`), else scan. Returns the restore
/// and whether it is a fast restart.
fn decide_restore(
    cfg: &DeviceConfig,
    headers: &[DeviceHeader],
    total_blocks: u32,
    blocks: &mut BlockTable,
    next_seq: &mut u64,
) -> (Restore, bool) {
    let first = &headers[0];
    let clean = headers.iter().all(|h| {
        h.is_clean() && h.instance_id == first.instance_id && h.seq_high == first.seq_high
    });
    let snap = match &cfg.snapshot_path {
        Some(p) => snapshot::read_file(p),
        None => Ok(None),
    };
    let expected = snapshot_check::Expected {
        clean,
        device_set_id: first.device_set_id,
        instance_id: first.instance_id,
        seq_high: first.seq_high,
        geometry: snapshot_check::Geometry {
            block_size: cfg.block_size,
            total_blocks,
        },
    };
    match snapshot_check::decide(snap, &expected) {
        snapshot_check::Decision::Load(meta, index) => {
            for (b, s) in meta.block_seqs.iter().enumerate() {
                blocks.restore_seq(b as u32, *s);
            }
            *next_seq = (*next_seq).max(meta.seq_high + 1);
            (Restore::Snapshot(index), true)
        }
        snapshot_check::Decision::Scan(reference, snapshot_rejected) => (
            Restore::Scan {
                reference,
                snapshot_rejected,
            },
            false,
        ),
    }
}

/// A store opened, restored and ready for the unit tests of the device store's modules
/// (`stop_used_pct` / `stop_avail_pct` and `background` as `DeviceStorage::open` takes them).
#[cfg(test)]
pub(super) fn ready(
    cfg: &DeviceConfig,
    stop_used_pct: u8,
    stop_avail_pct: u8,
    background: bool,
    clock: Arc<dyn Clock>,
) -> DeviceStorage {
    use crate::storage::Lifecycle;
    let s = DeviceStorage::open(cfg, "test", stop_used_pct, stop_avail_pct, background, clock)
        .expect("open");
    s.restore().expect("restore");
    s.finish_open(&mut std::iter::empty()).expect("finish open");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store larger than the available memory is refused with 8 in data-in-memory mode only,
    /// naming both sizes; an unknown amount of memory is not checked.
    #[test]
    fn data_in_memory_refuses_a_store_larger_than_available_memory() {
        let on = DeviceConfig::new("x").data_in_memory(true);
        let blocks = 1024; // 1 GiB of 1 MiB blocks
        let e = check_data_in_memory(&on, blocks, || Some(512 << 20)).expect_err("too large");
        assert_eq!(e.code(), ResultCode::ServerMemError);
        assert!(
            e.detail().contains("1024 MiB") && e.detail().contains("512 MiB available"),
            "{e}"
        );
        assert!(check_data_in_memory(&on, blocks, || Some(1 << 30)).is_ok(), "fits exactly");
        assert!(check_data_in_memory(&on, blocks, || None).is_ok(), "unknown memory");
        let off = DeviceConfig::new("x");
        let asked = std::cell::Cell::new(false);
        let probe = || {
            asked.set(true);
            Some(1)
        };
        assert!(check_data_in_memory(&off, blocks, probe).is_ok(), "the mode is off");
        assert!(!asked.get(), "memory is not asked for when the mode is off");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn available_memory_is_read_on_linux() {
        assert!(mem_available().is_some_and(|b| b > 0));
    }
}
