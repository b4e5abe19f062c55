//! The in-place map path through `Database::operate` (issue 16 point 4): on records whose map
//! bin is large enough to be cached, a sequence of put / add / remove requests leaves exactly
//! the record the decoded path would (compared with a model map), keeps the bin order, keeps a
//! record whose only bin is the map, and answers flag violations as before.

use aerolite::operations::{self, maps};
use aerolite::{
    as_key, Bin, Bins, Database, Map, MapOrder, MapPolicy, MapReturnType, MapWriteFlags,
    ReadPolicy, ResultCode, Value, WritePolicy,
};

fn map_of(entries: &std::collections::BTreeMap<i64, i64>) -> Value {
    Value::Map(Map {
        order: MapOrder::KeyOrdered,
        entries: entries
            .iter()
            .map(|(k, v)| (Value::Int(*k), Value::Int(*v)))
            .collect(),
    })
}

#[test]
fn requests_match_the_model_and_keep_bins() {
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    let co = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    let mut model: std::collections::BTreeMap<i64, i64> = (0..200).map(|i| (i * 2, i)).collect();
    for (name, with_other) in [("only", false), ("mixed", true)] {
        let key = as_key!("test", name, 1);
        let mut bins = vec![Bin::new("m", map_of(&model))];
        if with_other {
            bins.insert(0, Bin::new("a", 1));
            bins.push(Bin::new("z", "tail"));
        }
        db.put(&wp, &key, &bins).expect("put");
        let mut added = 0i64;
        for step in 0..300i64 {
            let k = (step * 7919) % 500;
            let ops = [
                maps::put(&co, "m", k, step),
                operations::add(&Bin::new("c", 1)),
            ];
            let r = db.operate(&wp, &key, &ops);
            let exists = model.contains_key(&k);
            if exists {
                let e = r.expect_err("CreateOnly on an existing key");
                assert_eq!(e.code(), ResultCode::ElementExists);
            } else {
                model.insert(k, step);
                added += 1;
                let rec = r.expect("put + add");
                assert_eq!(rec.bin("m"), Some(&Value::Int(model.len() as i64)));
            }
            if step % 5 == 0 {
                let gone = (step * 31) % 500;
                db.operate(
                    &wp,
                    &key,
                    &[maps::remove_by_key("m", gone, MapReturnType::None)],
                )
                .expect("remove");
                model.remove(&gone);
            }
            let got = db
                .get(&ReadPolicy::default(), &key, Bins::All)
                .expect("get");
            assert_eq!(got.bins.get("m"), Some(&map_of(&model)), "step {step}");
            let names: Vec<&str> = got.bins.iter().map(|(n, _)| n).collect();
            let mut want = if with_other {
                vec!["a", "m", "z"]
            } else {
                vec!["m"]
            };
            if added > 0 {
                want.push("c");
                assert_eq!(got.bins.get("c"), Some(&Value::Int(added)));
            }
            assert_eq!(names, want, "bin order at step {step}");
        }
    }
}

/// ORD-WILDCARD-KEY on the in-place paths: remove_by_key and get_by_key with WILDCARD match no
/// key (the packed binary search once stopped at the middle entry and removed it).
#[test]
fn wildcard_key_removes_nothing() {
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    let key = as_key!("test", "wild", 1);
    let model: std::collections::BTreeMap<i64, i64> = (0..100).map(|i| (i, i)).collect();
    db.put(&wp, &key, &[Bin::new("m", map_of(&model))])
        .expect("put");
    for op in [
        maps::remove_by_key("m", Value::Wildcard, MapReturnType::Value),
        maps::get_by_key("m", Value::Wildcard, MapReturnType::Value),
    ] {
        let rec = db.operate(&wp, &key, &[op]).expect("operate");
        assert_eq!(rec.bins.get("m"), None, "nil result");
    }
    let got = db
        .get(&ReadPolicy::default(), &key, Bins::All)
        .expect("get");
    assert_eq!(got.bins.get("m"), Some(&map_of(&model)));
}
