//! `cdt`: map and list ops through `Database::operate` (the whole engine path: OP-PATH, OP-ATOMIC,
//! OP-RAW, OPR-DEFAULT, GC-ONCE) on one record against a naive model: a `BTreeMap<i64, i64>` for
//! the key-ordered map bin "m", a `Vec<Value>` for the unordered list bin "l", plain integers for
//! "x" (and for "m" / "l" when a plain write changes their type, O-CDT → 12).
//!
//! Ops: map put (CreateOnly / UpdateOnly / NoFail flags), increment_value, get_by_key,
//! remove_by_key, size; list append (AddUnique / NoFail), insert (negative, beyond the end,
//! InsertBounded / NoFail), get, pop, remove, size, clear; plain writes (int or Nil) and reads.
//! After every operate: result code, result entries, generation and the record's bins.
//!
//! Does not cover: contexts (nested CDTs), ordered lists, unordered / key-value-ordered maps,
//! rank / value / interval selectors and return types other than Value / Count (the CDT helper's
//! proptest models in tests/cdt_*_model.rs cover those op by op), non-integer map values.
#![no_main]

use aerolite::operations::{lists, maps};
use aerolite::{
    Bin, Bins, Database, DatabaseConfig, ListOrderType, ListPolicy, ListWriteFlags as LF,
    ManualClock, MapOrder, MapPolicy, MapReturnType, MapWriteFlags as MF, NamespaceConfig,
    Operation, ReadPolicy, Value, WritePolicy,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    MPut(i8, i8, u8),
    MInc(i8, i8),
    MGet(i8),
    MRemove(i8),
    MSize,
    LAppend(i8, u8),
    LInsert(i8, i8, u8),
    LGet(i8),
    LPop(i8),
    LRemove(i8),
    LSize,
    LClear,
    Write(u8, Option<i8>),
    Read(u8),
}

#[derive(Debug, Clone, PartialEq)]
enum MVal {
    Int(i64),
    List(Vec<Value>),
    Map(BTreeMap<i64, i64>),
}

type Rec = BTreeMap<&'static str, MVal>;

/// A model outcome: result entries and generation, or a result code.
type Want<'a> = Result<(Vec<(Option<&'a str>, Value)>, u32), i32>;

const NAMES: [&str; 3] = ["m", "l", "x"];

fn mflags(f: u8) -> u32 {
    [0, 1, 2, 4, 5, 6][usize::from(f) % 6]
}

fn lflags(f: u8) -> u32 {
    [0, 1, 2, 4, 5, 6][usize::from(f) % 6]
}

fn real(op: &Op) -> Operation {
    let mp = |f: u8| MapPolicy::new(MapOrder::KeyOrdered, MF(mflags(f)));
    let lp = |f: u8| ListPolicy::new(ListOrderType::Unordered, LF(lflags(f)));
    match op {
        Op::MPut(k, v, f) => maps::put(&mp(*f), "m", i64::from(*k), i64::from(*v)),
        Op::MInc(k, d) => maps::increment_value(&mp(0), "m", i64::from(*k), i64::from(*d)),
        Op::MGet(k) => maps::get_by_key("m", i64::from(*k), MapReturnType::Value),
        Op::MRemove(k) => maps::remove_by_key("m", i64::from(*k), MapReturnType::Value),
        Op::MSize => maps::size("m"),
        Op::LAppend(v, f) => lists::append(&lp(*f), "l", i64::from(*v)),
        Op::LInsert(i, v, f) => lists::insert(&lp(*f), "l", i64::from(*i % 8), i64::from(*v)),
        Op::LGet(i) => lists::get("l", i64::from(*i % 8)),
        Op::LPop(i) => lists::pop("l", i64::from(*i % 8)),
        Op::LRemove(i) => lists::remove("l", i64::from(*i % 8)),
        Op::LSize => lists::size("l"),
        Op::LClear => lists::clear("l"),
        Op::Write(b, v) => Operation::Write(Bin::new(
            NAMES[usize::from(*b) % 3],
            v.map_or(Value::Nil, |x| Value::Int(i64::from(x))),
        )),
        Op::Read(b) => Operation::Read(NAMES[usize::from(*b) % 3].to_string()),
    }
}

/// SEL-NEG + SEL-SINGLE: the position of single index `i` in a container of `n`.
fn single(i: i64, n: usize) -> Option<usize> {
    let n = n as i64;
    let p = if i < 0 { n + i } else { i };
    (0..n).contains(&p).then_some(p as usize)
}

/// One op on the working record; Ok(result value) or Err(result code).
fn model_op(rec: &mut Rec, op: &Op) -> Result<(Option<&'static str>, Value), i32> {
    let list_of = |rec: &Rec| -> Result<Option<Vec<Value>>, i32> {
        match rec.get("l") {
            None => Ok(None),
            Some(MVal::List(l)) => Ok(Some(l.clone())),
            Some(_) => Err(12),
        }
    };
    let map_of = |rec: &Rec| -> Result<Option<BTreeMap<i64, i64>>, i32> {
        match rec.get("m") {
            None => Ok(None),
            Some(MVal::Map(m)) => Ok(Some(m.clone())),
            Some(_) => Err(12),
        }
    };
    let int = |x: i64| Value::Int(x);
    Ok(match op {
        Op::MPut(k, v, f) => {
            let f = mflags(*f);
            let (co, uo, nf) = (f & 1 != 0, f & 2 != 0, f & 4 != 0);
            let cur = map_of(rec)?;
            let m = cur.clone().unwrap_or_default();
            let exists = m.contains_key(&i64::from(*k));
            let viol = if co && exists {
                Some(24)
            } else if uo && !exists {
                Some(23)
            } else {
                None
            };
            match viol {
                Some(_) if nf => (Some("m"), int(m.len() as i64)),
                Some(code) => return Err(code),
                None => {
                    let mut m = m;
                    m.insert(i64::from(*k), i64::from(*v));
                    let n = m.len() as i64;
                    rec.insert("m", MVal::Map(m));
                    (Some("m"), int(n))
                }
            }
        }
        Op::MInc(k, d) => {
            let mut m = map_of(rec)?.unwrap_or_default();
            let e = m.entry(i64::from(*k)).or_insert(0);
            *e = e.wrapping_add(i64::from(*d));
            let v = *e;
            rec.insert("m", MVal::Map(m));
            (Some("m"), int(v))
        }
        Op::MGet(k) => match map_of(rec)? {
            None => (Some("m"), Value::Nil),
            Some(m) => (
                Some("m"),
                m.get(&i64::from(*k)).map_or(Value::Nil, |v| int(*v)),
            ),
        },
        Op::MRemove(k) => match map_of(rec)? {
            None => (Some("m"), Value::Nil),
            Some(mut m) => {
                let r = m.remove(&i64::from(*k)).map_or(Value::Nil, int);
                rec.insert("m", MVal::Map(m));
                (Some("m"), r)
            }
        },
        Op::MSize => (
            Some("m"),
            map_of(rec)?.map_or(Value::Nil, |m| int(m.len() as i64)),
        ),
        Op::LAppend(v, f) => {
            let f = lflags(*f);
            let (au, nf) = (f & 1 != 0, f & 4 != 0);
            let absent = list_of(rec)?.is_none();
            let mut l = list_of(rec)?.unwrap_or_default();
            let v = int(i64::from(*v));
            if au && l.contains(&v) {
                if nf {
                    return Ok((Some("l"), int(l.len() as i64)));
                }
                return Err(24);
            }
            l.push(v);
            let n = l.len() as i64;
            rec.insert("l", MVal::List(l));
            let _ = absent;
            (Some("l"), int(n))
        }
        Op::LInsert(i, v, f) => {
            let f = lflags(*f);
            let (au, bounded, nf) = (f & 1 != 0, f & 2 != 0, f & 4 != 0);
            let mut l = list_of(rec)?.unwrap_or_default();
            let n = l.len() as i64;
            let i = i64::from(*i % 8);
            let v = int(i64::from(*v));
            if i < -n {
                return Err(26); // L-INS-NEG-OUT (NoFail does not apply)
            }
            let p = if i < 0 { n + i } else { i };
            if p > n && bounded {
                if nf {
                    return Ok((Some("l"), int(n)));
                }
                return Err(26); // L-INS-BOUNDED
            }
            if au && l.contains(&v) {
                if nf {
                    return Ok((Some("l"), int(n)));
                }
                return Err(24); // L-INS-AU
            }
            while (l.len() as i64) < p {
                l.push(Value::Nil); // L-INS-BEYOND
            }
            l.insert(p as usize, v);
            let n = l.len() as i64;
            rec.insert("l", MVal::List(l));
            (Some("l"), int(n))
        }
        Op::LGet(i) => match list_of(rec)? {
            None => (Some("l"), Value::Nil),
            Some(l) => match single(i64::from(*i % 8), l.len()) {
                Some(p) => (Some("l"), l[p].clone()),
                None => return Err(26),
            },
        },
        Op::LPop(i) | Op::LRemove(i) => match list_of(rec)? {
            None => (Some("l"), Value::Nil),
            Some(mut l) => match single(i64::from(*i % 8), l.len()) {
                Some(p) => {
                    let v = l.remove(p);
                    rec.insert("l", MVal::List(l));
                    let r = if matches!(op, Op::LPop(_)) { v } else { int(1) };
                    (Some("l"), r)
                }
                None => return Err(26),
            },
        },
        Op::LSize => (
            Some("l"),
            list_of(rec)?.map_or(Value::Nil, |l| int(l.len() as i64)),
        ),
        Op::LClear => {
            if list_of(rec)?.is_some() {
                rec.insert("l", MVal::List(Vec::new()));
            }
            (Some("l"), Value::Nil)
        }
        Op::Write(b, v) => {
            let name = NAMES[usize::from(*b) % 3];
            match v {
                Some(x) => {
                    rec.insert(name, MVal::Int(i64::from(*x)));
                }
                None => {
                    rec.remove(name);
                }
            }
            (None, Value::Nil)
        }
        Op::Read(b) => {
            let name = NAMES[usize::from(*b) % 3];
            (Some(name), rec.get(name).map_or(Value::Nil, to_value))
        }
    })
}

fn to_value(v: &MVal) -> Value {
    match v {
        MVal::Int(i) => Value::Int(*i),
        MVal::List(l) => Value::list(l.clone()),
        MVal::Map(m) => Value::Map(aerolite::Map {
            order: MapOrder::KeyOrdered,
            entries: m
                .iter()
                .map(|(k, v)| (Value::Int(*k), Value::Int(*v)))
                .collect(),
        }),
    }
}

fn is_write(op: &Op) -> bool {
    !matches!(
        op,
        Op::MGet(_) | Op::MSize | Op::LGet(_) | Op::LSize | Op::Read(_)
    )
}

struct Db {
    db: Database,
}

thread_local! {
    static DB: RefCell<Option<Db>> = const { RefCell::new(None) };
}

fn run(batches: Vec<Vec<Op>>) {
    DB.with(|cell| {
        let mut cell = cell.borrow_mut();
        let db = &cell
            .get_or_insert_with(|| {
                let config = DatabaseConfig::with_namespaces(vec![NamespaceConfig::new("test")])
                    .clock(Arc::new(ManualClock::at_2026()))
                    .background_threads(false);
                Db {
                    db: Database::open(config).expect("open"),
                }
            })
            .db;
        let key = aerolite::Key::new("test", "", "cdt").expect("valid key");
        // Start from a missing record.
        let _ = db.delete(&WritePolicy::default(), &key);
        let mut rec: Option<Rec> = None;
        let mut gen = 0u32;
        for ops in batches.iter().take(16) {
            let ops: Vec<Op> = ops.iter().take(8).cloned().collect();
            let real_ops: Vec<Operation> = ops.iter().map(real).collect();
            let got = db.operate(&WritePolicy::default(), &key, &real_ops);
            // Model: write path if any op writes (or none), else read path.
            let write_path = ops.is_empty() || ops.iter().any(is_write);
            let want: Want = (|| {
                if ops.is_empty() {
                    return Err(4);
                }
                if !write_path && rec.is_none() {
                    return Err(2);
                }
                let mut working = rec.clone().unwrap_or_default();
                let mut entries = Vec::new();
                for op in &ops {
                    let (name, v) = model_op(&mut working, op)?;
                    // OPR-DEFAULT: reads of an existing bin and CDT ops with a non-Nil result.
                    if name.is_some() && !v.is_nil() {
                        entries.push((name, v));
                    }
                }
                if !write_path {
                    return Ok((entries, gen));
                }
                if working.is_empty() {
                    // WP-19: zero bins: 2 on a missing record, a delete on a live one.
                    if rec.is_none() {
                        return Err(2);
                    }
                    rec = None;
                    gen = 0;
                    return Ok((entries, 0));
                }
                rec = Some(working);
                gen = if gen == 65535 { 1 } else { gen + 1 };
                Ok((entries, gen))
            })();
            match (&got, &want) {
                (Ok(r), Ok((entries, g))) => {
                    assert_eq!(r.generation, *g, "generation after {ops:?}");
                    let e: Vec<(&str, &Value)> = r.bins.iter().collect();
                    assert_eq!(
                        e.len(),
                        entries.len(),
                        "entries {e:?} vs model {entries:?} after {ops:?}"
                    );
                    for ((gn, gv), (mn, mv)) in e.iter().zip(entries.iter()) {
                        assert_eq!(Some(*gn), *mn, "entry names after {ops:?}");
                        assert_eq!(*gv, mv, "entry values after {ops:?}");
                    }
                }
                (Err(e), Err(code)) => assert_eq!(e.code().code(), *code, "{e} after {ops:?}"),
                _ => panic!("engine {got:?}, model {want:?} after {ops:?}"),
            }
            // The stored record matches the model (OP-ATOMIC: failures left it unchanged).
            let stored = db.get(&ReadPolicy::default(), &key, Bins::All);
            match (&stored, &rec) {
                (Err(e), None) => assert_eq!(e.code().code(), 2),
                (Ok(r), Some(m)) => {
                    assert_eq!(r.generation, gen);
                    assert_eq!(r.bins.len(), m.len(), "{r:?} vs {m:?}");
                    for (n, v) in m {
                        assert_eq!(r.bin(n), Some(&to_value(v)), "bin {n}: {r:?} vs {m:?}");
                    }
                }
                _ => panic!("stored {stored:?}, model {rec:?}"),
            }
        }
    });
}

fuzz_target!(|batches: Vec<Vec<Op>>| {
    run(batches);
});
