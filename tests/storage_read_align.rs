//! Device reads are as small as the device allows (SN-REQ-DIRECT, storage-notes §3.2 and §7.1):
//! a record read from the device reads the aligned range around its image in the device's
//! direct-I/O read granularity (`Device::read_align`, probed at open as Aerospike probes its
//! minimum direct-I/O size), not in 4 KiB units. On a 512-byte-sector disk a 1 KiB image costs
//! at most a 1.5 KiB read instead of 4 KiB, or 8 KiB when it straddles a 4 KiB boundary.
//!
//! How: a memory device wrapped to report a read granularity and to count the bytes read from
//! it; a post-write cache of 2 blocks; 8 blocks of ~1 KiB records written and flushed; then the
//! records of the evicted blocks are read with the page cache off, so each read is one
//! `read_at`.

mod storage_support;

use aerolite::storage::device::Device;
use aerolite::ManualClock;
use std::sync::Arc;
use storage_support::*;

const KEYS: i64 = 8 * 60; // ~1 KiB images: 60 per 64 KiB block, 8 blocks
const PAD: usize = 1000;

/// Open on a tap of granularity `align`, write KEYS records, flush; all but the last two blocks
/// have left the post-write cache.
fn open_tapped(align: usize) -> (Arc<TapDevice>, aerolite::Database) {
    let dev = TapDevice::with_read_align(8, align);
    let mut cfg = device_config(vec![dev.clone() as Arc<dyn Device>], None);
    cfg.post_write_cache = 2 * u64::from(BLOCK);
    cfg.read_page_cache = false;
    let db = open_on(cfg, &ManualClock::at_2026()).expect("open");
    for i in 0..KEYS {
        db.put(&wp(false), &key(i), &bins(i, PAD)).expect("load");
    }
    flush(&db);
    (dev, db)
}

/// The records of the first two blocks (evicted from a 2-block cache of 8 written).
const EVICTED: i64 = 120;

/// On a tap of granularity `align`: read back the records of the evicted blocks; the bytes read
/// from the device, the image size, and the tap's misaligned reads.
fn read_evicted(align: usize) -> (u64, u64, Vec<(u64, usize)>) {
    let (dev, db) = open_tapped(align);
    let before = dev.bytes_read();
    for i in 0..EVICTED {
        assert_eq!(read(&db, &key(i)), Some((i, 1)), "record {i} reads back");
    }
    let image = entry(&db, 0).size as u64;
    (dev.bytes_read() - before, image, dev.misaligned_reads())
}

#[test]
fn device_reads_use_the_devices_granularity() {
    let (bytes, image, misaligned) = read_evicted(512);
    // An image of `image` bytes at any 16-byte offset spans at most ceil(image / 512) + 1
    // sectors of 512.
    let most = (image.div_ceil(512) + 1) * 512;
    assert!(
        bytes > 0,
        "the records of evicted blocks are read from the device"
    );
    assert!(
        bytes <= EVICTED as u64 * most,
        "{EVICTED} reads of {image}-byte images read {bytes} bytes: more than {most} each"
    );
    assert!(
        misaligned.is_empty(),
        "reads in 512-byte units: {misaligned:?}"
    );
}

#[test]
fn a_4k_device_is_read_in_4k_units() {
    let (bytes, _, misaligned) = read_evicted(4096);
    assert!(
        bytes >= EVICTED as u64 * 4096,
        "every device read is at least one 4 KiB unit: {bytes} bytes for {EVICTED} reads"
    );
    assert!(
        misaligned.is_empty(),
        "reads in 4 KiB units: {misaligned:?}"
    );
}

#[test]
fn the_device_read_align_is_honoured_by_read_cached_defaults() {
    // `read_cached` of a device without a page-cache descriptor reads the aligned range around
    // the request (device::read_unaligned) in the device's granularity.
    let dev = TapDevice::with_read_align(1, 512);
    let mut buf = vec![0u8; 100];
    aerolite::storage::device::read_unaligned(dev.as_ref(), 600, &mut buf).expect("read");
    assert_eq!(
        dev.bytes_read(),
        512,
        "bytes 600..700 lie in the sector 512..1024"
    );
    assert!(dev.misaligned_reads().is_empty());
}
