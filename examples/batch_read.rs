//! Batch reads vs single reads from the device: loads `records` records of 1 KiB into a device
//! file with `O_DIRECT` reads (no page cache, no post-write cache, so every read is a device
//! read), then, on one thread, times uniformly random `get`s and `get_many` batches of `batch`
//! keys for `secs` seconds each and prints reads/s of both.
//!
//! `cargo run --release --example batch_read -- DIR [records] [batch] [secs] [auto|portable]`

use aerolite::config::{DeviceConfig, IoBackend};
use aerolite::rng::Rng;
use aerolite::{
    Bin, Bins, Database, DatabaseConfig, Key, NamespaceConfig, ReadPolicy, StorageConfig, Value,
    WritePolicy,
};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).ok_or("usage: batch_read DIR ...")?);
    let records: i64 = args.get(2).map_or(Ok(100_000), |s| s.parse())?;
    let batch: usize = args.get(3).map_or(Ok(32), |s| s.parse())?;
    let secs: f64 = args.get(4).map_or(Ok(3.0), |s| s.parse())?;
    let io = match args.get(5).map(String::as_str) {
        Some("portable") => IoBackend::Portable,
        _ => IoBackend::Auto,
    };
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("batch.dev");
    let _ = std::fs::remove_file(&path);
    let mut dc = DeviceConfig::new(&path).file_size(1 << 30);
    dc.read_page_cache = false;
    dc.post_write_cache = 0;
    dc.io_backend = io;
    dc.snapshot_path = None;
    let ns = NamespaceConfig::new("b").storage(StorageConfig::Device(dc));
    let mut db = Database::open(DatabaseConfig::with_namespaces(vec![ns]))?;
    let key = |i: i64| Key::new("b", "s", i);
    for i in 0..records {
        db.put(
            &WritePolicy::default(),
            &key(i)?,
            &[Bin::new("v", Value::Blob(vec![(i & 0xff) as u8; 1024]))],
        )?;
    }
    db.flush()?;
    let mut rng = Rng::new(7);
    let rp = ReadPolicy::default();
    let limit = Duration::from_secs_f64(secs);
    let t = Instant::now();
    let mut singles = 0u64;
    while t.elapsed() < limit {
        db.get(&rp, &key(rng.below(records as u64) as i64)?, Bins::All)?;
        singles += 1;
    }
    let single_rate = singles as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut batched = 0u64;
    while t.elapsed() < limit {
        let keys = (0..batch)
            .map(|_| key(rng.below(records as u64) as i64))
            .collect::<Result<Vec<_>, _>>()?;
        for r in db.get_many(&rp, &keys, Bins::All) {
            r?;
        }
        batched += batch as u64;
    }
    let batch_rate = batched as f64 / t.elapsed().as_secs_f64();
    println!(
        "{io:?}: single get {single_rate:.0} reads/s; get_many × {batch} {batch_rate:.0} reads/s ({:.2}×)",
        batch_rate / single_rate
    );
    db.close();
    let _ = std::fs::remove_file(&path);
    Ok(())
}
