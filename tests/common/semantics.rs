//! Helpers for the record-model suites (record-model.md): keys, policies, builders that put a
//! digest into each record state (S-MISSING, S-LIVE, S-TOMB, S-EXPIRED) through the public API
//! only, and an observation of everything a client can see about a record, for WP-NOCHANGE checks.
//!
//! Included by test files with `#[path = "common/semantics.rs"] mod sem;` next to `mod common;`.
#![allow(dead_code)]

use crate::common::TestDb;
use aerolite::{
    Bin, Bins, Expiration, GenerationPolicy, Key, ReadPolicy, Record, RecordExistsAction,
    ResultCode, Value, WritePolicy,
};

/// The namespace every suite uses.
pub const NS: &str = "test";
/// The set every suite's keys live in.
pub const SET: &str = "set";

/// An integer key in `SET`.
pub fn key(i: i64) -> Key {
    Key::new(NS, SET, i).expect("integer keys are valid")
}

/// The same digest as `k`, addressed by digest alone (K-DIG-DIRECT), with `set` as the request's
/// set name.
pub fn by_digest(k: &Key, set: &str) -> Key {
    Key::from_digest(NS, set, k.digest.0)
}

/// The result code of a request (`Ok` for success).
pub fn rc<T>(r: &aerolite::Result<T>) -> ResultCode {
    match r {
        Ok(_) => ResultCode::Ok,
        Err(e) => e.code(),
    }
}

/// Default write policy.
pub fn wp() -> WritePolicy {
    WritePolicy::default()
}

/// Write policy with an exists action.
pub fn act(a: RecordExistsAction) -> WritePolicy {
    WritePolicy::with_action(a)
}

/// `ExpectGenEqual(n)`.
pub fn eq(n: u32) -> WritePolicy {
    WritePolicy::with_generation(GenerationPolicy::ExpectGenEqual, n)
}

/// `ExpectGenGt(n)`.
pub fn gt(n: u32) -> WritePolicy {
    WritePolicy::with_generation(GenerationPolicy::ExpectGenGt, n)
}

/// A policy with a TTL.
pub fn ttl(e: Expiration) -> WritePolicy {
    WritePolicy {
        expiration: e,
        ..WritePolicy::default()
    }
}

/// A durable-delete policy.
pub fn durable() -> WritePolicy {
    WritePolicy {
        durable_delete: true,
        ..WritePolicy::default()
    }
}

/// Default read policy.
pub fn rp() -> ReadPolicy {
    ReadPolicy::default()
}

/// A bin.
pub fn bin(name: &str, v: impl Into<Value>) -> Bin {
    Bin::new(name, v)
}

/// Full get.
pub fn get(t: &TestDb, k: &Key) -> aerolite::Result<Record> {
    t.db.get(&rp(), k, Bins::All)
}

/// Full get that must succeed.
pub fn must_get(t: &TestDb, k: &Key) -> Record {
    get(t, k).unwrap_or_else(|e| panic!("get {k:?}: {e}"))
}

/// Bin names and values of a record, in order.
pub fn bins_of(r: &Record) -> Vec<(String, Value)> {
    r.bins.clone().into_entries()
}

/// A bin list as (name, value) pairs for comparisons.
pub fn pairs(list: &[(&str, Value)]) -> Vec<(String, Value)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect()
}

/// Put `bins` with `policy`, which must succeed.
pub fn put_ok(t: &TestDb, policy: &WritePolicy, k: &Key, bins: &[Bin]) -> Record {
    t.db.put(policy, k, bins)
        .unwrap_or_else(|e| panic!("put {k:?}: {e}"))
}

/// Make `k` live at generation `g` (≥ 1) with bins a=1, b=2, written with `policy`'s TTL and
/// send_key on every put.
pub fn live_with(t: &TestDb, k: &Key, g: u16, policy: &WritePolicy) -> Record {
    assert!(g >= 1);
    let mut r = put_ok(t, policy, k, &[bin("a", 1), bin("b", 2)]);
    while r.generation < u32::from(g) {
        r = put_ok(t, policy, k, &[bin("a", 1), bin("b", 2)]);
    }
    assert_eq!(r.generation, u32::from(g));
    r
}

/// Make `k` live at generation `g` with bins a=1, b=2 and no expiry.
pub fn live(t: &TestDb, k: &Key, g: u16) -> Record {
    live_with(t, k, g, &wp())
}

/// Make `k` a tombstone: live at `g`, then durably deleted. Returns `T = inc(g)`.
pub fn tomb(t: &TestDb, k: &Key, g: u16) -> u16 {
    live(t, k, g);
    assert!(t.db.delete(&durable(), k).expect("durable delete"));
    if g == u16::MAX {
        1
    } else {
        g + 1
    }
}

/// Make `k` expired but not reaped at `G_old = g`: written with TTL 10 s, then the clock jumps
/// 11 s (S-EXPIRY-EDGE: expired from `void_time + 1`).
pub fn expired(t: &TestDb, k: &Key, g: u16) -> u16 {
    live_with(t, k, g, &ttl(Expiration::Seconds(10)));
    t.clock.advance_s(11);
    assert_eq!(rc(&get(t, k)), ResultCode::KeyNotFoundError);
    g
}

/// The four record states a request can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum St {
    /// S-MISSING.
    Missing,
    /// S-LIVE at the given generation.
    Live(u16),
    /// S-TOMB made from a live record at the given generation (so `T = inc(g)`).
    Tomb(u16),
    /// S-EXPIRED with `G_old` = the given generation.
    Expired(u16),
}

/// For each state a read does not see (R-MISSING, R-TOMB, R-EXP): its row id and a fresh
/// database holding key 1 in that state.
pub fn not_visible() -> Vec<(&'static str, TestDb, Key)> {
    [
        ("R-MISSING", St::Missing),
        ("R-TOMB", St::Tomb(2)),
        ("R-EXP", St::Expired(2)),
    ]
    .into_iter()
    .map(|(id, s)| {
        let t = crate::common::open();
        let k = key(1);
        make(&t, &k, s);
        (id, t, k)
    })
    .collect()
}

/// SK-MISMATCH setup: key 1 stored with its user key (`send_key`), and a key with another user
/// key but key 1's digest.
pub fn key_stored_and_forged(t: &TestDb) -> (Key, Key) {
    let k = key(1);
    let mut p = wp();
    p.send_key = true;
    put_ok(t, &p, &k, &[bin("a", 1)]);
    let mut forged = Key::new(NS, SET, "other").expect("key");
    forged.digest = k.digest;
    (k, forged)
}

/// Put `k` into state `s`.
pub fn make(t: &TestDb, k: &Key, s: St) {
    match s {
        St::Missing => {}
        St::Live(g) => {
            live(t, k, g);
        }
        St::Tomb(g) => {
            tomb(t, k, g);
        }
        St::Expired(g) => {
            expired(t, k, g);
        }
    }
}

/// Everything a client can observe about one record without writing: the full get, the header,
/// exists, plus the namespace's record and tombstone counts (a tombstone is otherwise invisible).
///
/// Equality ignores the record count when the record was invisible before: a failed request may
/// discard an expired record (WP-09), which WP-NOCHANGE allows because it was already invisible.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Full get: the record or the error code.
    pub get: Result<Record, ResultCode>,
    /// Header get.
    pub header: Result<Record, ResultCode>,
    /// Namespace record count.
    pub records: u64,
    /// Namespace tombstone count.
    pub tombstones: u64,
}

impl PartialEq for Observed {
    fn eq(&self, o: &Observed) -> bool {
        self.get == o.get
            && self.header == o.header
            && self.tombstones == o.tombstones
            && (self.get.is_err() || self.records == o.records)
    }
}

/// Observe `k`.
pub fn observe(t: &TestDb, k: &Key) -> Observed {
    let s = t.db.stats();
    Observed {
        get: get(t, k).map_err(|e| e.code()),
        header: t.db.get_header(&rp(), k).map_err(|e| e.code()),
        records: s.records,
        tombstones: s.tombstones,
    }
}

/// The generation a tombstone (or any non-live state) continues from, found destructively: a
/// write with EQ(0) succeeds on every non-live state and reports `inc(base)`. Returns `base`
/// (0 for missing or discarded-expired).
pub fn probe_base(t: &TestDb, k: &Key) -> u16 {
    let r = put_ok(t, &eq(0), k, &[bin("probe", 1)]);
    let g = r.generation as u16;
    if g == 1 {
        0
    } else {
        g - 1
    }
}

/// The engine clock now, in ms since 2010 (MD-LUT-UNIT).
pub fn now_ms(t: &TestDb) -> u64 {
    use aerolite::Clock;
    t.clock.now_ms()
}

/// The engine clock now, in s since 2010 (MD-VOID-UNIT).
pub fn now_s(t: &TestDb) -> u32 {
    (now_ms(t) / 1000) as u32
}
