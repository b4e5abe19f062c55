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
use std::sync::{Arc, Mutex};
use storage_support::*;

/// A memory device that records `advise_will_read` calls as (offset, len).
struct Advised {
    inner: Arc<dyn Device>,
    advice: Mutex<Vec<(u64, u64)>>,
}

impl Device for Advised {
    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> aerolite::Result<()> {
        self.inner.write_at(offset, buf)
    }
    fn sync(&self) -> aerolite::Result<()> {
        self.inner.sync()
    }
    fn kind(&self) -> &'static str {
        "advised-memory"
    }
    fn advise_will_read(&self, offset: u64, len: u64) {
        self.advice.lock().expect("advice").push((offset, len));
    }
}

const KEYS: i64 = 8 * 60; // ~1 KiB images: 60 per 64 KiB block, 8 blocks

fn open_advised(read_page_cache: bool) -> (Arc<Advised>, aerolite::Database) {
    let dev = Arc::new(Advised {
        inner: mem_device(8),
        advice: Mutex::new(Vec::new()),
    });
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
    assert!(
        dev.advice.lock().expect("advice").is_empty(),
        "writes and flushes give no advice"
    );
    for i in 0..3 {
        assert_eq!(read(&db, &key(i)), Some((i, 1)), "record {i} reads back");
    }
    let advice = dev.advice.lock().expect("advice").clone();
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
    assert!(dev.advice.lock().expect("advice").is_empty());
}
