//! Blocks leaving the post-write cache are warmed into the page cache (ssd/read.rs, the 50:50
//! p99 tail of BENCHMARKS.md "Read path, session 5"): the store writes with `O_DIRECT`, so the
//! page cache does not hold a block evicted from the post-write cache, and every later read of
//! its records waited for the device. Now a read that goes past memory asks the device to read
//! evicted blocks in (`Device::advise_will_read`), whole blocks, a bounded number per read, and
//! only with `read_page_cache`.
//!
//! How: a memory device wrapped to record the advice it gets; a post-write cache of 2 blocks;
//! 8 blocks of records written and flushed; then records of the oldest (evicted) blocks are read.

mod storage_support;

use aerolite::storage::device::Device;
use aerolite::ManualClock;
use std::sync::Arc;
use storage_support::*;

const KEYS: i64 = 8 * 60; // ~1 KiB images: 60 per 64 KiB block, 8 blocks

fn open_advised(read_page_cache: bool) -> (Arc<TapDevice>, aerolite::Database) {
    let dev = TapDevice::new(8);
    let mut cfg = device_config(vec![dev.clone() as Arc<dyn Device>], None);
    cfg.post_write_cache = 2 * u64::from(BLOCK);
    cfg.read_page_cache = read_page_cache;
    let db = open_on(cfg, &ManualClock::at_2026()).expect("open");
    for i in 0..KEYS {
        db.put(&wp(false), &key(i), &bins(i, 1000)).expect("load");
    }
    flush(&db);
    (dev, db)
}

#[test]
fn reads_past_memory_warm_evicted_blocks_whole_and_bounded() {
    let (dev, db) = open_advised(true);
    assert!(dev.advice().is_empty(), "writes and flushes give no advice");
    for i in 0..3 {
        assert_eq!(read(&db, &key(i)), Some((i, 1)), "record {i} reads back");
    }
    let advice = dev.advice().clone();
    assert!(
        !advice.is_empty(),
        "a read of an evicted block's record warms evicted blocks"
    );
    assert!(
        advice.len() <= 3 * 4,
        "at most 4 blocks per read: {advice:?}"
    );
    for (off, len) in &advice {
        assert_eq!(*len, u64::from(BLOCK), "whole blocks");
        assert_eq!(off % u64::from(BLOCK), 0, "block-aligned");
        assert!(*off >= u64::from(BLOCK), "never the header area");
    }
}

#[test]
fn no_advice_without_read_page_cache() {
    let (dev, db) = open_advised(false);
    for i in 0..3 {
        assert_eq!(read(&db, &key(i)), Some((i, 1)));
    }
    assert!(dev.advice().is_empty());
}
