//! Model test of scans under concurrent writes (docs/multi-record.md SCAN-CONCURRENT-1): while
//! writer threads create, update and delete (durably or not) a churning key range, repeated
//! scans must return every record that stays live for the whole scan exactly once, with its
//! current value, and a churning record at most once, in a version some writer wrote, never a
//! tombstone. Seeds vary the writers' choices; runs on either backend.

mod common;

use aerolite::{as_bin, Bins, Key, PartitionFilter, QueryPolicy, Statement, Value, WritePolicy};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

const STABLE: i64 = 600;
const CHURN: i64 = 400;

fn key(i: i64) -> Key {
    Key::new("test", "m", i).expect("key")
}

/// Stops the writers when dropped, so a failed assertion ends the test instead of leaving the
/// scoped writer threads running forever.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

fn lcg(x: &mut u64) -> u64 {
    *x = x
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *x >> 33
}

/// SCAN-CONCURRENT-1, SCAN-ONCE-1.
#[test]
fn scan_concurrent_1_live_once_churn_at_most_once() {
    let t = common::open();
    let db = &t.db;
    let wp = WritePolicy::default();
    for i in 0..STABLE + CHURN {
        db.put(&wp, &key(i), &[as_bin!("v", i), as_bin!("i", i)])
            .expect("load");
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..2u64 {
            let stop = &stop;
            s.spawn(move || {
                let mut x = 0x9e37_79b9 ^ w;
                let durable = WritePolicy {
                    durable_delete: true,
                    ..WritePolicy::default()
                };
                while !stop.load(Ordering::Acquire) {
                    let i = STABLE + (lcg(&mut x) as i64 % CHURN);
                    let k = key(i);
                    let r = match lcg(&mut x) % 4 {
                        0 => db.delete(&durable, &k).map(|_| ()),
                        1 => db.delete(&WritePolicy::default(), &k).map(|_| ()),
                        // Values of a churning record are always `i + n × 10_000`.
                        _ => {
                            let v = i + 10_000 * (1 + (lcg(&mut x) as i64 % 50));
                            db.put(
                                &WritePolicy::default(),
                                &k,
                                &[as_bin!("v", v), as_bin!("i", i)],
                            )
                            .map(|_| ())
                        }
                    };
                    r.expect("churn write");
                }
            });
        }
        let _stop_writers = StopOnDrop(&stop);
        for _ in 0..60 {
            let mut seen: BTreeMap<i64, u32> = BTreeMap::new();
            let rs = db
                .query(
                    &QueryPolicy::default(),
                    PartitionFilter::all(),
                    Statement::new("test", "m", Bins::All),
                )
                .expect("query");
            for r in rs {
                let (_, rec) = r.expect("scan record");
                let (Some(Value::Int(i)), Some(Value::Int(v))) = (rec.bin("i"), rec.bin("v"))
                else {
                    panic!("record without bins i and v (a tombstone?): {rec:?}");
                };
                *seen.entry(*i).or_insert(0) += 1;
                if *i < STABLE {
                    assert_eq!(v, i, "stable record changed");
                } else {
                    assert_eq!((v - i) % 10_000, 0, "value no writer wrote");
                }
            }
            for i in 0..STABLE {
                assert_eq!(
                    seen.get(&i),
                    Some(&1),
                    "stable record {i} not seen exactly once"
                );
            }
            assert!(
                seen.values().all(|n| *n == 1),
                "a churning record came back twice"
            );
        }
    });
}
