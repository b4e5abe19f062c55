//! The in-place list path and the packed read path through `Database::operate` (issue 16
//! point 4), on the backend `AEROLITE_BACKEND` names: on records whose list bins are large
//! enough for the offset-index cache, a pseudo-random sequence of append / insert / set /
//! increment / remove-by-index writes on an unordered list and add-unique appends / removes by
//! value on an ordered list, interleaved with read-only operates (get by index, index range,
//! value, size), answers exactly as a model `Vec` says, and after every step the record read
//! back decoded (`get`) holds the model's lists, bins in their order. Reads run both on a fresh
//! image (cache miss) and on the image a previous read indexed (cache hit).

mod common;

use aerolite::operations::{self, lists};
use aerolite::{
    Bin, Bins, List, ListOrderType, ListPolicy, ListReturnType as RT, ListWriteFlags, ReadPolicy,
    ResultCode, Value, WritePolicy,
};

fn list(order: ListOrderType, items: &[i64]) -> Value {
    Value::List(List {
        order,
        items: items.iter().map(|&i| Value::Int(i)).collect(),
    })
}

fn ints(items: &[i64]) -> Value {
    Value::list(items.iter().map(|&i| Value::Int(i)).collect())
}

/// A step of a deterministic pseudo-random walk (no clock, no global RNG).
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

/// One write on the unordered list "l"; the model applies it too. Returns the expected result.
fn write_step(r: u64, l: &mut Vec<i64>) -> (aerolite::Operation, Value) {
    let plain = ListPolicy::new(ListOrderType::Unordered, ListWriteFlags::Default);
    let n = l.len() as i64;
    let i = (r / 7) as i64 % n.max(1);
    // A short list only grows, so every index below is inside it.
    match if l.len() < 10 { 0 } else { r % 6 } {
        0 => {
            l.push(r as i64 % 1000);
            (
                lists::append(&plain, "l", r as i64 % 1000),
                Value::Int(n + 1),
            )
        }
        1 => {
            l.insert(i as usize, -(r as i64 % 1000));
            let op = lists::insert(&plain, "l", i, -(r as i64 % 1000));
            (op, Value::Int(n + 1))
        }
        2 => {
            l[i as usize] = 5;
            (lists::set(&plain, "l", i - n, 5), Value::Nil)
        }
        3 => {
            l[i as usize] += 3;
            let v = l[i as usize];
            (lists::increment(&plain, "l", i, 3), Value::Int(v))
        }
        4 => {
            let v = l.remove(i as usize);
            (lists::remove_by_index("l", i, RT::Value), Value::Int(v))
        }
        _ => {
            let gone: Vec<i64> = l.drain(i as usize..(i as usize + 3).min(l.len())).collect();
            let op = lists::remove_by_index_range_count("l", i, 3, RT::Value);
            (op, ints(&gone))
        }
    }
}

/// One add-unique append or remove by value on the ordered list "o" (model: a sorted `Vec`).
/// `Err(code)` = the operate fails with that code and changes nothing.
fn ordered_step(r: u64, o: &mut Vec<i64>) -> (aerolite::Operation, Result<Value, ResultCode>) {
    let unique = ListPolicy::new(ListOrderType::Ordered, ListWriteFlags::AddUnique);
    let v = (r % 400) as i64;
    let at = o.partition_point(|&x| x < v);
    let present = o.get(at) == Some(&v);
    if r.is_multiple_of(3) {
        if present {
            o.remove(at);
        }
        let op = lists::remove_by_value("o", v, RT::Count);
        (op, Ok(Value::Int(i64::from(present))))
    } else if present {
        (
            lists::append(&unique, "o", v),
            Err(ResultCode::ElementExists),
        )
    } else {
        o.insert(at, v);
        (
            lists::append(&unique, "o", v),
            Ok(Value::Int(o.len() as i64)),
        )
    }
}

/// Read-only operates on both lists, twice (the second read of an image hits the cache).
fn check_reads(t: &common::TestDb, key: &aerolite::Key, seed: &mut u64, l: &[i64], o: &[i64]) {
    let wp = WritePolicy::default();
    let i = next(seed) as i64 % l.len().max(1) as i64;
    let v = (next(seed) % 400) as i64;
    let at = o.partition_point(|&x| x < v);
    let hits: Vec<i64> = (at..o.len())
        .take_while(|&j| o[j] == v)
        .map(|j| j as i64)
        .collect();
    let ops = [
        lists::get_by_index("l", i, RT::Value),
        lists::get_by_index_range_count("l", i, 4, RT::Value),
        lists::size("l"),
        lists::get_by_value("o", v, RT::Index),
        lists::size("o"),
    ];
    let end = (i as usize + 4).min(l.len());
    let want = [
        l.get(i as usize).map_or(Value::Nil, |&x| Value::Int(x)),
        ints(&l[(i as usize).min(l.len())..end]),
        Value::Int(l.len() as i64),
        ints(&hits),
        Value::Int(o.len() as i64),
    ];
    for round in 0..2 {
        for (op, w) in ops.iter().zip(&want) {
            let got = t.db.operate(&wp, key, std::slice::from_ref(op));
            let got = got.unwrap_or_else(|e| panic!("{op:?} round {round}: {e}"));
            let bin = got.bins.iter().next().map(|(_, v)| v.clone());
            assert_eq!(bin.as_ref(), Some(w), "{op:?} round {round}");
        }
    }
}

#[test]
fn list_requests_match_the_model() {
    let t = common::open();
    let wp = WritePolicy::default();
    let key = aerolite::as_key!("test", "lists", 1);
    let mut l: Vec<i64> = (0..300).collect();
    let mut o: Vec<i64> = (0..200).map(|i| i * 2).collect();
    let bins = [
        Bin::new("a", 1),
        Bin::new("l", list(ListOrderType::Unordered, &l)),
        Bin::new("o", list(ListOrderType::Ordered, &o)),
        Bin::new("z", "tail"),
    ];
    t.db.put(&wp, &key, &bins).expect("put");
    let mut seed = 16u64;
    for step in 0..400u32 {
        let r = next(&mut seed);
        let (op, want) = write_step(r, &mut l);
        let add = operations::add(&Bin::new("c", 1));
        let got = t.db.operate(&wp, &key, &[op.clone(), add]);
        let got = got.unwrap_or_else(|e| panic!("step {step} {op:?}: {e}"));
        // A nil result (set) is left out of the results (OPR-DEFAULT).
        let want = Some(&want).filter(|w| !w.is_nil());
        assert_eq!(got.bins.get("l"), want, "step {step} {op:?}");
        let (op, want) = ordered_step(next(&mut seed), &mut o);
        match (t.db.operate(&wp, &key, std::slice::from_ref(&op)), want) {
            (Ok(rec), Ok(w)) => assert_eq!(rec.bins.get("o"), Some(&w), "step {step} {op:?}"),
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "step {step} {op:?}"),
            (got, want) => panic!("step {step} {op:?}: got {got:?}, want {want:?}"),
        }
        if step.is_multiple_of(7) {
            check_reads(&t, &key, &mut seed, &l, &o);
        }
        let rec =
            t.db.get(&ReadPolicy::default(), &key, Bins::All)
                .expect("get");
        assert_eq!(rec.bins.get("l"), Some(&list(ListOrderType::Unordered, &l)));
        assert_eq!(rec.bins.get("o"), Some(&list(ListOrderType::Ordered, &o)));
        let names: Vec<&str> = rec.bins.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "l", "o", "z", "c"], "bin order at step {step}");
    }
}

/// A read-only operate addressing a missing bin, a list op on a map bin, and a bad index answer
/// as the decoded path does (nil, 12, 26).
#[test]
fn packed_reads_keep_the_decoded_answers() {
    let t = common::open();
    let wp = WritePolicy::default();
    let key = aerolite::as_key!("test", "lists", 2);
    // 1,000 elements: answered packed (a container under 512 bytes is answered decoded).
    let items: Vec<i64> = (0..1000).collect();
    let m = Value::map((0..100).map(|i| (Value::Int(i), Value::Int(i))).collect());
    let bins = [
        Bin::new("l", list(ListOrderType::Unordered, &items)),
        Bin::new("m", m),
    ];
    t.db.put(&wp, &key, &bins).expect("put");
    let got =
        t.db.operate(&wp, &key, &[lists::size("absent")])
            .expect("absent bin");
    assert_eq!(got.bins.get("absent"), None);
    let e =
        t.db.operate(&wp, &key, &[lists::size("m")])
            .expect_err("list op on a map");
    assert_eq!(e.code(), ResultCode::BinTypeError);
    let e =
        t.db.operate(&wp, &key, &[lists::get_by_index("l", 1000, RT::Value)])
            .expect_err("index out of range");
    assert_eq!(e.code(), ResultCode::OpNotApplicable);
    let got = t.db.operate(
        &wp,
        &key,
        &[
            lists::get_by_index("l", -1, RT::Value),
            operations::get_bin("m"),
        ],
    );
    let got = got.expect("get + read");
    assert_eq!(got.bins.get("l"), Some(&Value::Int(999)));
    assert!(got.bins.get("m").is_some());
}
