//! Helpers for the CDT integration tests: one record "test"/"cdt"/"k" in a fresh database, ops
//! run through `Database::operate` with `respond_all_ops` so each op has one result entry.
#![allow(dead_code)]

use crate::common;
use aerolite::{
    as_key, Bin, Bins, Key, List, ListOrderType, Map, MapOrder, Operation, ReadPolicy, Record,
    Result, ResultCode, Value, WritePolicy,
};

/// A database with one record key.
pub struct T {
    pub t: common::TestDb,
    pub key: Key,
}

/// Open a fresh database.
pub fn open() -> T {
    T {
        t: common::open(),
        key: as_key!("test", "cdt", "k"),
    }
}

/// `respond_all_ops` write policy.
pub fn all() -> WritePolicy {
    WritePolicy {
        respond_all_ops: true,
        ..WritePolicy::default()
    }
}

impl T {
    /// Operate with `respond_all_ops`.
    pub fn run(&self, ops: &[Operation]) -> Result<Record> {
        self.t.db.operate(&all(), &self.key, ops)
    }

    /// Operate with a given policy.
    pub fn run_with(&self, p: &WritePolicy, ops: &[Operation]) -> Result<Record> {
        self.t.db.operate(p, &self.key, ops)
    }

    /// The result of a single op.
    pub fn one(&self, op: Operation) -> Result<Value> {
        let rec = self.run(&[op])?;
        let first = rec.bins.into_entries().into_iter().next();
        Ok(first.map_or(Value::Nil, |(_, v)| v))
    }

    /// The result of a single op that must succeed.
    pub fn ok(&self, op: Operation) -> Value {
        match self.one(op) {
            Ok(v) => v,
            Err(e) => panic!("op failed: {e}"),
        }
    }

    /// The code of a single op that must fail.
    pub fn code(&self, op: Operation) -> i32 {
        match self.one(op) {
            Ok(v) => panic!("op succeeded with {v}, expected an error"),
            Err(e) => e.code().code(),
        }
    }

    /// Write a bin.
    pub fn set(&self, bin: &str, v: impl Into<Value>) {
        self.t
            .db
            .put(&WritePolicy::default(), &self.key, &[Bin::new(bin, v)])
            .expect("put");
    }

    /// A bin's stored value (None when absent or the record is missing).
    pub fn bin(&self, bin: &str) -> Option<Value> {
        match self.t.db.get(&ReadPolicy::default(), &self.key, Bins::All) {
            Ok(r) => r.bin(bin).cloned(),
            Err(e) if e.code() == ResultCode::KeyNotFoundError => None,
            Err(e) => panic!("get failed: {e}"),
        }
    }

    /// The record's generation (0 when missing).
    pub fn gen(&self) -> u32 {
        match self.t.db.get(&ReadPolicy::default(), &self.key, Bins::All) {
            Ok(r) => r.generation,
            Err(_) => 0,
        }
    }

    /// Whether the record exists.
    pub fn exists(&self) -> bool {
        self.t
            .db
            .exists(&ReadPolicy::default(), &self.key)
            .expect("exists")
    }
}

/// An unordered list of integers.
pub fn li(items: &[i64]) -> Value {
    Value::list(items.iter().map(|&i| Value::Int(i)).collect())
}

/// A list with an order.
pub fn lo(items: &[i64], order: ListOrderType) -> Value {
    Value::List(List {
        order,
        items: items.iter().map(|&i| Value::Int(i)).collect(),
    })
}

/// A map of integers with an order, entries sorted by key.
pub fn mo(pairs: &[(i64, i64)], order: MapOrder) -> Value {
    let mut entries: Vec<(Value, Value)> = pairs
        .iter()
        .map(|&(k, v)| (Value::Int(k), Value::Int(v)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Map(Map { order, entries })
}

/// An unordered map of integers.
pub fn mi(pairs: &[(i64, i64)]) -> Value {
    mo(pairs, MapOrder::Unordered)
}

/// The map's order attribute.
pub fn map_order(v: &Value) -> Option<MapOrder> {
    match v {
        Value::Map(m) => Some(m.order),
        _ => None,
    }
}

/// The list's order attribute.
pub fn list_order(v: &Value) -> Option<ListOrderType> {
    match v {
        Value::List(l) => Some(l.order),
        _ => None,
    }
}

/// Map entries as (key, value) pairs, in stored order.
pub fn entries(v: &Value) -> Vec<(Value, Value)> {
    match v {
        Value::Map(m) => m.entries.clone(),
        other => panic!("not a map: {other}"),
    }
}
