//! SIDX-BUILD-1 at close: `Database::close` (and drop) waits for a running index build. An
//! index is created on records whose map bins have 10,000 keys each, so the background build
//! spends milliseconds per record; the database is closed (or dropped) right away, and when
//! that returns no thread named `sindex-…` may be left (read from /proc/self/task, Linux), and
//! the build has ended without loading.

use aerolite::{as_bin, AdminPolicy, CollectionIndexType, Database, IndexType, Key, Value};
use aerolite::{TaskStatus, WritePolicy};

const RECORDS: i64 = 60;
const KEYS_PER_MAP: i64 = 10_000;

fn populated() -> Database {
    let db = Database::open_in_memory().expect("open");
    for i in 0..RECORDS {
        let m = aerolite::Map {
            entries: (0..KEYS_PER_MAP)
                .map(|k| (Value::from(k * RECORDS + i), Value::from(1)))
                .collect(),
            ..aerolite::Map::default()
        };
        let key = Key::new("test", "c", i).expect("key");
        db.put(
            &WritePolicy::default(),
            &key,
            &[as_bin!("m", Value::Map(m))],
        )
        .expect("put");
    }
    db
}

/// Threads of this process whose name starts with `sindex-`.
fn build_threads() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|name| name.starts_with("sindex-"))
        .count()
}

fn start_build(db: &Database, name: &str) -> aerolite::IndexTask {
    let task = db
        .create_index_on_bin(
            &AdminPolicy::default(),
            "test",
            "c",
            "m",
            name,
            IndexType::Numeric,
            CollectionIndexType::MapKeys,
            None,
        )
        .expect("create");
    assert_ne!(
        task.query_status(),
        TaskStatus::Complete,
        "the build takes a while"
    );
    task
}

/// Both cases in one test: the thread count is process-wide.
#[test]
fn sidx_build_1_close_and_drop_join_the_build() {
    if !std::path::Path::new("/proc/self/task").exists() {
        eprintln!("skipped: no /proc/self/task to count threads");
        return;
    }
    let mut db = populated();
    let task = start_build(&db, "by_close");
    db.close();
    assert_eq!(build_threads(), 0, "close returned while the build ran");
    assert!(task.wait_till_complete().is_err(), "stopped, not loaded");
    assert!(task.percent_loaded() < 100);

    let db = populated();
    let task = start_build(&db, "by_drop");
    drop(db);
    assert_eq!(build_threads(), 0, "drop returned while the build ran");
    assert!(task.wait_till_complete().is_err(), "stopped, not loaded");
}
