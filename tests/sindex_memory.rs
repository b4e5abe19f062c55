//! SIDX-MEMORY-2: heap bytes per index entry, measured with a counting global allocator: the
//! heap growth of building a numeric index over 100,000 records, divided by its entries.
//! Prints the figure (`cargo test --release --test sindex_memory -- --nocapture`) and bounds it.

use aerolite::{as_bin, AdminPolicy, CollectionIndexType, Database, IndexType, Key, WritePolicy};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn sidx_memory_2_bytes_per_entry() {
    let db = Database::open_in_memory().expect("open");
    let n = 100_000i64;
    for i in 0..n {
        let k = Key::new("test", "m", i).expect("key");
        db.put(&WritePolicy::default(), &k, &[as_bin!("v", i % 1000)])
            .expect("put");
    }
    let before = LIVE.load(Ordering::Relaxed);
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        "m",
        "v",
        "iv",
        IndexType::Numeric,
        CollectionIndexType::Default,
        None,
    )
    .expect("create")
    .wait_till_complete()
    .expect("built");
    let grown = LIVE.load(Ordering::Relaxed) - before;
    let per_entry = grown as f64 / n as f64;
    println!("SIDX-MEMORY-2: {per_entry:.1} heap bytes per numeric index entry ({n} entries)");
    assert_eq!(db.stats().sindex_entries, n as u64);
    assert!(per_entry < 160.0, "{per_entry} bytes per entry");
}
