//! A background task racing a clean shutdown (docs/multi-record.md QOP-CLOSE-1): close waits
//! for a task write in progress and refuses later ones, so after a fast restart exactly the
//! records the task counted as applied carry its write — none is counted and then lost behind
//! the index snapshot.

mod storage_support;

use aerolite::{
    as_bin, operations, Bins, Key, ManualClock, PartitionFilter, ReadPolicy, Statement, Value,
    WritePolicy,
};
use storage_support::{file_config, open_on, tmp};

const N: i64 = 3000;

/// QOP-CLOSE-1.
#[test]
fn qop_close_1_applied_count_survives_a_close_mid_task() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    for round in 0..3u64 {
        let db = open_on(file_config(dir.path()), &clock).expect("open");
        if round == 0 {
            for i in 0..N {
                let k = Key::new("test", "q", i).expect("key");
                db.put(&WritePolicy::default(), &k, &[as_bin!("n", 0)])
                    .expect("load");
            }
        }
        let before: i64 = total(&db);
        let task = db
            .query_operate(
                &WritePolicy::default(),
                PartitionFilter::all(),
                Statement::new("test", "q", Bins::None),
                &[operations::add(&as_bin!("n", 1))],
            )
            .expect("start");
        std::thread::sleep(std::time::Duration::from_millis(round * 3));
        db.shutdown().expect("clean shutdown");
        while task.status() == aerolite::TaskStatus::InProgress {
            std::thread::yield_now();
        }
        let applied = task.counts().applied;
        let _ = task.wait();
        let db = open_on(file_config(dir.path()), &clock).expect("reopen");
        assert!(db.stats().fast_restart);
        assert_eq!(total(&db) - before, applied as i64, "round {round}");
        db.shutdown().expect("shutdown");
    }
}

fn total(db: &aerolite::Database) -> i64 {
    (0..N)
        .map(|i| {
            let k = Key::new("test", "q", i).expect("key");
            match db
                .get(&ReadPolicy::default(), &k, Bins::All)
                .expect("get")
                .bin("n")
            {
                Some(Value::Int(n)) => *n,
                other => panic!("bin n {other:?}"),
            }
        })
        .sum()
}
