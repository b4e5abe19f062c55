//! Reference model of the record model (record-model.md §6–§18), written from the spec and
//! independent of `src/engine`: a `BTreeMap<digest, Entry>` plus a clock, and one function per
//! request kind that walks the spec's order of checks literally (§7.1 write path, §7.2 read path,
//! §7.3 delete path). It uses only aerolite's plain data types (Value, ResultCode, the policy enums,
//! Operation without CDT) — never the engine's code.
//!
//! Invariants the model keeps (and the harness checks the engine against):
//! - an entry is live (≥ 1 bin), expired (void-time passed, not reaped) or a tombstone (0 bins,
//!   void-time 0) — S-LIVE, S-EXPIRED, S-TOMB; a missing digest has no entry (S-MISSING);
//! - stored generations are 1 … 65535 (MD-GEN-WIDTH) and move only by `inc` (GC-ONCE, GC-WRAP);
//! - an entry's LUT never decreases (MD-LUT-MONO);
//! - a failed request changes nothing, except WP-09's discard of an expired record.
//!
//! Not modelled: overload/key-busy/stop-writes/out-of-space (WP-02..04, WP-20 8/1), record size
//! (WP-20 13: the harness keeps records small), set-count overflow (K-SET-COUNT), CDT ops, timeouts,
//! replication. The harness never generates requests that would need them.
#![allow(dead_code)]

pub mod bytes;
pub mod harness;
pub mod steps;

use aerolite::{GenerationPolicy, Operation, RecordExistsAction, ResultCode, Value};
use std::collections::BTreeMap;

/// MAX_TTL (§16).
pub const MAX_TTL: i64 = 315_360_000;
/// L-OPS.
pub const OPS_MAX: usize = 32768;
/// B-MAX.
pub const BINS_MAX: usize = 32767;

/// The namespace settings the model needs (Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cfg {
    /// CFG-DEFAULT-TTL.
    pub default_ttl: u32,
    /// CFG-SWEEP (0 = disabled).
    pub sweep_interval: u32,
    /// CFG-ALLOW-TTL.
    pub allow_ttl_without_sweep: bool,
    /// CFG-READ-TOUCH.
    pub default_rtt_pct: u8,
}

/// One record version as the spec describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Generation (G or T).
    pub gen: u16,
    /// Seconds since 2010; 0 = never.
    pub void_time: u32,
    /// Milliseconds since 2010.
    pub lut: u64,
    /// Bins in creation order (B-ORDER); empty for a tombstone.
    pub bins: Vec<(String, Value)>,
    /// S-TOMB.
    pub tomb: bool,
    /// Stored user key `[type][bytes]` (§18).
    pub key: Option<(u8, Vec<u8>)>,
    /// Set name ("" = no set).
    pub set: String,
}

/// A request's key as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReqKey {
    /// Whether the namespace exists (WP-01 → 20).
    pub namespace_ok: bool,
    /// The digest the request addresses.
    pub digest: [u8; 20],
    /// The request's set name.
    pub set: String,
    /// The request's user key, if it carries one (None = addressed by digest, K-DIG-DIRECT).
    pub user_key: Option<Value>,
}

/// Filter predicates the harness uses (WP-13, RP-06, DP-08).
#[derive(Debug, Clone, PartialEq)]
pub enum MFilter {
    /// Bin exists.
    BinExists(String),
    /// Bin equals a value (V-EQUALITY).
    BinEq(String, Value),
}

/// The write-policy fields the model reads.
#[derive(Debug, Clone, PartialEq)]
pub struct WPol {
    /// §8.
    pub action: RecordExistsAction,
    /// §9.
    pub gen_policy: GenerationPolicy,
    /// N.
    pub gen: u32,
    /// Raw TTL (§16), as the signed wire value (wider so out-of-range values survive).
    pub ttl: i64,
    /// §12, §13.
    pub durable_delete: bool,
    /// SK-STORE.
    pub send_key: bool,
    /// OPR-ALL.
    pub respond_all_ops: bool,
    /// Filter.
    pub filter: Option<MFilter>,
}

impl Default for WPol {
    fn default() -> Self {
        WPol {
            action: RecordExistsAction::Update,
            gen_policy: GenerationPolicy::None,
            gen: 0,
            ttl: 0,
            durable_delete: false,
            send_key: false,
            respond_all_ops: false,
            filter: None,
        }
    }
}

/// Which bins a get returns.
#[derive(Debug, Clone, PartialEq)]
pub enum GetBins {
    /// R-ALL.
    All,
    /// R-HEADER.
    Header,
    /// Named bins.
    Names(Vec<String>),
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Result entries / bins: `(Some(name), value)`, or `(None, Nil)` for entries the spec does not
    /// name (touch, delete-all, read-header with respond_all_ops).
    pub entries: Vec<(Option<String>, Value)>,
    /// Reported generation.
    pub gen: u32,
    /// Reported void-time.
    pub void_time: u32,
    /// Reported LUT (None where the spec does not say: writes that became deletes, deletes).
    pub lut: Option<u64>,
}

/// A model outcome.
pub type MResult = Result<Reply, ResultCode>;

/// `inc(x)` (§0, GC-WRAP).
pub fn inc(g: u16) -> u16 {
    if g == 65535 {
        1
    } else {
        g + 1
    }
}

/// K-TYPE-*: `[type][bytes]` of a user key, or None for a type that cannot be a key.
pub fn key_bytes(v: &Value) -> Option<(u8, Vec<u8>)> {
    match v {
        Value::Int(i) => Some((1, i.to_be_bytes().to_vec())),
        Value::Float(f) => Some((2, f.to_bits().to_be_bytes().to_vec())),
        Value::String(s) => Some((3, s.as_bytes().to_vec())),
        Value::Blob(b) => Some((4, b.clone())),
        _ => None,
    }
}

fn bin_name_ok(n: &str) -> bool {
    n.len() <= 15 && !n.as_bytes().contains(&0)
}

fn get_bin<'a>(bins: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    bins.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn set_bin(bins: &mut Vec<(String, Value)>, name: &str, v: Value) {
    if v.is_nil() {
        bins.retain(|(n, _)| n != name);
    } else if let Some(slot) = bins.iter_mut().find(|(n, _)| n == name) {
        slot.1 = v;
    } else {
        bins.push((name.to_string(), v));
    }
}

/// The record state of §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Missing,
    Live,
    Tomb,
    Expired,
}

/// The reference model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Namespace settings.
    pub cfg: Cfg,
    /// Engine clock, ms since 2010.
    pub now_ms: u64,
    /// Index.
    pub recs: BTreeMap<[u8; 20], Entry>,
}

impl Model {
    /// An empty namespace at `now_ms`.
    pub fn new(cfg: Cfg, now_ms: u64) -> Model {
        Model {
            cfg,
            now_ms,
            recs: BTreeMap::new(),
        }
    }

    /// now_s.
    pub fn now_s(&self) -> u32 {
        u32::try_from(self.now_ms / 1000).unwrap_or(u32::MAX)
    }

    fn state(&self, d: &[u8; 20]) -> St {
        match self.recs.get(d) {
            None => St::Missing,
            Some(e) if e.tomb => St::Tomb,
            // EX-DEF, S-EXPIRY-EDGE.
            Some(e) if e.void_time != 0 && e.void_time < self.now_s() => St::Expired,
            Some(_) => St::Live,
        }
    }

    /// WP-01 / RP-01 / DP-01. Returns the request's key bytes.
    fn validate_key(k: &ReqKey) -> Result<Option<(u8, Vec<u8>)>, ResultCode> {
        if !k.namespace_ok {
            return Err(ResultCode::InvalidNamespace);
        }
        let kb = match &k.user_key {
            None => None,
            Some(v) => Some(key_bytes(v).ok_or(ResultCode::ParameterError)?),
        };
        // K-SET-NAME.
        if k.set.len() > 63 || k.set.as_bytes().contains(&0) {
            return Err(ResultCode::ParameterError);
        }
        Ok(kb)
    }

    fn filter_passes(f: &Option<MFilter>, bins: &[(String, Value)]) -> bool {
        match f {
            None => true,
            Some(MFilter::BinExists(n)) => get_bin(bins, n).is_some(),
            Some(MFilter::BinEq(n, v)) => get_bin(bins, n) == Some(v),
        }
    }

    /// SK-MISMATCH.
    fn key_mismatch(e: &Entry, req: &Option<(u8, Vec<u8>)>) -> bool {
        matches!((&e.key, req), (Some(s), Some(r)) if s != r)
    }

    /// Advance (or move back) the clock.
    pub fn advance_ms(&mut self, delta: i64) {
        self.now_ms = self.now_ms.saturating_add_signed(delta);
    }

    /// EX-SWEEP: remove every expired record (never tombstones, EX-TOMB).
    pub fn sweep(&mut self) -> usize {
        let now_s = self.now_s();
        let before = self.recs.len();
        self.recs
            .retain(|_, e| e.tomb || e.void_time == 0 || e.void_time >= now_s);
        before - self.recs.len()
    }

    /// WP-05 … WP-07A (static op checks).
    fn validate_write_ops(ops: &[Operation], p: &WPol) -> Result<(), ResultCode> {
        if ops.is_empty() || ops.len() > OPS_MAX {
            return Err(ResultCode::ParameterError);
        }
        let replace = matches!(
            p.action,
            RecordExistsAction::Replace | RecordExistsAction::ReplaceOnly
        );
        let mut read_alls = 0;
        for op in ops {
            // (a)
            if replace && matches!(op, Operation::Touch) {
                return Err(ResultCode::ParameterError);
            }
            // (b)
            let name = match op {
                Operation::Read(n) => Some(n.as_str()),
                Operation::Write(b)
                | Operation::Add(b)
                | Operation::Append(b)
                | Operation::Prepend(b) => Some(b.name.as_str()),
                _ => None,
            };
            if let Some(n) = name {
                if !bin_name_ok(n) {
                    return Err(ResultCode::BinNameTooLong);
                }
            }
            // (c)
            let forbidden = match op {
                Operation::Write(b) => b.value.is_nil(),
                Operation::Add(_)
                | Operation::Append(_)
                | Operation::Prepend(_)
                | Operation::DeleteAll => true,
                _ => false,
            };
            if replace && forbidden {
                return Err(ResultCode::ParameterError);
            }
            if matches!(op, Operation::ReadAll) {
                // (d)
                if p.respond_all_ops {
                    return Err(ResultCode::ParameterError);
                }
                // (e)
                read_alls += 1;
                if read_alls > 1 {
                    return Err(ResultCode::ParameterError);
                }
            }
        }
        if read_alls > 0 {
            // WP-07
            if ops.iter().any(|o| matches!(o, Operation::Read(_))) {
                return Err(ResultCode::ParameterError);
            }
            // WP-07A
            if ops.iter().any(|o| matches!(o, Operation::ReadHeader)) {
                return Err(ResultCode::ParameterError);
            }
        }
        Ok(())
    }

    /// Apply one op to the working copy (§15.3); pushes result entries (§15.2).
    fn apply_op(
        bins: &mut Vec<(String, Value)>,
        op: &Operation,
        all: bool,
        out: &mut Vec<(Option<String>, Value)>,
    ) -> Result<(), ResultCode> {
        match op {
            // Expression ops are covered by tests/expressions_ops.rs; the generator makes none.
            Operation::ExpRead(..) | Operation::ExpWrite(..) => {
                return Err(ResultCode::UnsupportedFeature)
            }
            Operation::Read(n) => match get_bin(bins, n) {
                Some(v) => out.push((Some(n.clone()), v.clone())),
                None if all => out.push((Some(n.clone()), Value::Nil)),
                None => {}
            },
            Operation::ReadAll => {
                for (n, v) in bins.iter() {
                    out.push((Some(n.clone()), v.clone()));
                }
            }
            Operation::ReadHeader | Operation::Touch => {
                if all {
                    out.push((None, Value::Nil));
                }
            }
            Operation::DeleteAll => {
                bins.clear();
                if all {
                    out.push((None, Value::Nil));
                }
            }
            Operation::Write(b) => {
                set_bin(bins, &b.name, b.value.clone());
                if all {
                    out.push((Some(b.name.clone()), Value::Nil));
                }
            }
            Operation::Add(b) => {
                if b.value.is_nil() {
                    return Err(ResultCode::ParameterError); // O-ADD-NIL
                }
                let new = match (get_bin(bins, &b.name), &b.value) {
                    (None, v) => v.clone(), // O-ADD-ABSENT, Q-ADD-ANYTYPE
                    (Some(Value::Int(a)), Value::Int(x)) => Value::Int(a.wrapping_add(*x)),
                    (Some(Value::Float(a)), Value::Float(x)) => Value::Float(a + x),
                    _ => return Err(ResultCode::BinTypeError), // O-ADD-*-BAD, O-ADD-OTHER
                };
                set_bin(bins, &b.name, new);
                if all {
                    out.push((Some(b.name.clone()), Value::Nil));
                }
            }
            Operation::Append(b) | Operation::Prepend(b) => {
                let at_end = matches!(op, Operation::Append(_));
                if b.value.is_nil() {
                    return Err(ResultCode::ParameterError); // O-APP-NIL
                }
                let new = match (get_bin(bins, &b.name), &b.value) {
                    (None, v) => v.clone(), // O-APP-ABSENT
                    (Some(Value::String(a)), Value::String(x)) => Value::String(if at_end {
                        format!("{a}{x}")
                    } else {
                        format!("{x}{a}")
                    }),
                    (Some(Value::Blob(a)), Value::Blob(x)) => Value::Blob(if at_end {
                        [a.as_slice(), x.as_slice()].concat()
                    } else {
                        [x.as_slice(), a.as_slice()].concat()
                    }),
                    _ => return Err(ResultCode::BinTypeError), // O-APP-MISMATCH, O-APP-OTHER
                };
                set_bin(bins, &b.name, new);
                if all {
                    out.push((Some(b.name.clone()), Value::Nil));
                }
            }
            Operation::Cdt(_) => return Err(ResultCode::UnsupportedFeature),
        }
        Ok(())
    }

    /// The write path (§7.1) for put / touch / operate with a write op.
    pub fn write(&mut self, k: &ReqKey, p: &WPol, ops: &[Operation]) -> MResult {
        // WP-01
        let req_key = Self::validate_key(k)?;
        // WP-05 … WP-07A
        Self::validate_write_ops(ops, p)?;
        let d = k.digest;
        let mut st = self.state(&d);
        // WP-08
        let must_exist = matches!(
            p.action,
            RecordExistsAction::UpdateOnly | RecordExistsAction::ReplaceOnly
        ) || ops.iter().any(|o| matches!(o, Operation::Touch));
        if must_exist && st != St::Live {
            return Err(ResultCode::KeyNotFoundError);
        }
        // WP-09
        if st == St::Expired {
            self.recs.remove(&d);
            st = St::Missing;
        }
        // WP-10
        if p.action == RecordExistsAction::CreateOnly && st == St::Live {
            return Err(ResultCode::KeyExistsError);
        }
        let old = self.recs.get(&d).cloned();
        // WP-11
        let cmp = match (&old, st) {
            (Some(e), St::Live) => u32::from(e.gen),
            _ => 0,
        };
        let gen_ok = match p.gen_policy {
            GenerationPolicy::None => true,
            GenerationPolicy::ExpectGenEqual => p.gen == cmp,
            GenerationPolicy::ExpectGenGt => p.gen > cmp,
        };
        if !gen_ok {
            return Err(ResultCode::GenerationError);
        }
        // WP-12 (live or tombstone; "" vs a set differs)
        if let Some(e) = &old {
            if e.set != k.set {
                return Err(ResultCode::ParameterError);
            }
        }
        // WP-13: only for a live record.
        if let (Some(e), St::Live) = (&old, st) {
            if !Self::filter_passes(&p.filter, &e.bins) {
                return Err(ResultCode::FilteredOut);
            }
        }
        // WP-14
        if let Some(e) = &old {
            if Self::key_mismatch(e, &req_key) {
                return Err(ResultCode::KeyMismatch);
            }
        }
        // WP-15
        let ttl = if p.ttl == -2 && st != St::Live {
            0
        } else {
            p.ttl
        };
        if !(-2..=MAX_TTL).contains(&ttl) {
            return Err(ResultCode::ParameterError);
        }
        let positive = ttl > 0 || (ttl == 0 && self.cfg.default_ttl != 0);
        if positive && self.cfg.sweep_interval == 0 && !self.cfg.allow_ttl_without_sweep {
            return Err(ResultCode::FailForbidden);
        }
        let now_s = self.now_s();
        let void_time = match ttl {
            -1 => 0,
            -2 => old.as_ref().map_or(0, |e| e.void_time),
            0 if self.cfg.default_ttl == 0 => 0,
            0 => now_s.saturating_add(self.cfg.default_ttl),
            t => now_s.saturating_add(u32::try_from(t).unwrap_or(u32::MAX)),
        };
        // WP-16
        let base = old.as_ref().map_or(0, |e| e.gen);
        let new_gen = inc(base);
        let lut = old.as_ref().map_or(0, |e| e.lut).max(self.now_ms);
        let merge = matches!(
            p.action,
            RecordExistsAction::Update
                | RecordExistsAction::UpdateOnly
                | RecordExistsAction::CreateOnly
        );
        let mut working = match (&old, st == St::Live && merge) {
            (Some(e), true) => e.bins.clone(),
            _ => Vec::new(),
        };
        // WP-17
        let mut entries = Vec::new();
        for op in ops {
            Self::apply_op(&mut working, op, p.respond_all_ops, &mut entries)?;
        }
        // WP-18
        if working.len() > BINS_MAX {
            return Err(ResultCode::ParameterError);
        }
        // §18: a stored key is kept; otherwise send_key stores the request's.
        let stored_key = match &old {
            Some(e) if e.key.is_some() => e.key.clone(),
            _ if p.send_key => req_key.clone(),
            _ => None,
        };
        // WP-19, §13
        if working.is_empty() {
            if st != St::Live {
                return Err(ResultCode::KeyNotFoundError);
            }
            let e = old.expect("live record has an entry");
            if p.durable_delete {
                self.recs.insert(
                    d,
                    Entry {
                        gen: new_gen,
                        void_time: 0,
                        lut,
                        bins: Vec::new(),
                        tomb: true,
                        key: e.key.clone(),
                        set: e.set.clone(),
                    },
                );
            } else {
                self.recs.remove(&d);
            }
            return Ok(Reply {
                entries,
                gen: 0,
                void_time: 0,
                lut: None,
            });
        }
        // WP-21, WP-22
        self.recs.insert(
            d,
            Entry {
                gen: new_gen,
                void_time,
                lut,
                bins: working,
                tomb: false,
                key: stored_key,
                set: k.set.clone(),
            },
        );
        Ok(Reply {
            entries,
            gen: u32::from(new_gen),
            void_time,
            lut: Some(lut),
        })
    }

    /// The delete path (§7.3).
    pub fn delete(&mut self, k: &ReqKey, p: &WPol) -> MResult {
        // DP-01
        let req_key = Self::validate_key(k)?;
        let d = k.digest;
        let st = self.state(&d);
        // DP-04
        let Some(e) = self.recs.get(&d).cloned() else {
            return Err(ResultCode::KeyNotFoundError);
        };
        // DP-05
        if !k.set.is_empty() && k.set != e.set {
            return Err(ResultCode::ParameterError);
        }
        // DP-06
        if st == St::Tomb {
            return Err(ResultCode::KeyNotFoundError);
        }
        // DP-07: against G or G_old.
        let g = u32::from(e.gen);
        let gen_ok = match p.gen_policy {
            GenerationPolicy::None => true,
            GenerationPolicy::ExpectGenEqual => p.gen == g,
            GenerationPolicy::ExpectGenGt => p.gen > g,
        };
        if !gen_ok {
            return Err(ResultCode::GenerationError);
        }
        // DP-08
        if !Self::filter_passes(&p.filter, &e.bins) {
            return Err(ResultCode::FilteredOut);
        }
        // DP-09
        if Self::key_mismatch(&e, &req_key) {
            return Err(ResultCode::KeyMismatch);
        }
        // DP-10
        if p.durable_delete {
            let lut = e.lut.max(self.now_ms);
            self.recs.insert(
                d,
                Entry {
                    gen: inc(e.gen),
                    void_time: 0,
                    lut,
                    bins: Vec::new(),
                    tomb: true,
                    key: e.key,
                    set: e.set,
                },
            );
        } else {
            self.recs.remove(&d);
        }
        // DP-11
        Ok(Reply {
            entries: Vec::new(),
            gen: 0,
            void_time: 0,
            lut: None,
        })
    }

    /// The read path (§7.2) with read-touch (§14.1). `ops` = None for get/get_header/exists.
    pub fn read(
        &mut self,
        k: &ReqKey,
        rtt_pct: i32,
        filter: &Option<MFilter>,
        what: ReadWhat<'_>,
    ) -> MResult {
        // RP-01
        let req_key = Self::validate_key(k)?;
        let d = k.digest;
        let st = self.state(&d);
        // RP-02
        let Some(e) = self.recs.get(&d).cloned() else {
            return Err(ResultCode::KeyNotFoundError);
        };
        // RP-03
        if !k.set.is_empty() && k.set != e.set {
            return Err(ResultCode::ParameterError);
        }
        // RP-04, RP-05
        if st != St::Live {
            return Err(ResultCode::KeyNotFoundError);
        }
        // RP-05A
        if e.void_time != 0 && !(rtt_pct == -1 || (0..=100).contains(&rtt_pct)) {
            return Err(ResultCode::ParameterError);
        }
        // RP-06
        if !Self::filter_passes(filter, &e.bins) {
            return Err(ResultCode::FilteredOut);
        }
        // RP-07
        if Self::key_mismatch(&e, &req_key) {
            return Err(ResultCode::KeyMismatch);
        }
        // RP-08
        let entries = match what {
            ReadWhat::Bins(GetBins::All) => e
                .bins
                .iter()
                .map(|(n, v)| (Some(n.clone()), v.clone()))
                .collect(),
            ReadWhat::Bins(GetBins::Header) => Vec::new(),
            ReadWhat::Bins(GetBins::Names(names)) => {
                if names.is_empty() {
                    return Err(ResultCode::ParameterError);
                }
                let mut out = Vec::new();
                for n in names {
                    if !bin_name_ok(n) {
                        return Err(ResultCode::BinNameTooLong);
                    }
                    if let Some(v) = get_bin(&e.bins, n) {
                        out.push((Some(n.clone()), v.clone()));
                    }
                }
                out
            }
            ReadWhat::Ops(ops, all) => {
                if ops.len() > OPS_MAX {
                    return Err(ResultCode::ParameterError);
                }
                for op in ops {
                    if let Operation::Read(n) = op {
                        if !bin_name_ok(n) {
                            return Err(ResultCode::BinNameTooLong);
                        }
                    }
                }
                if ops.iter().all(|o| matches!(o, Operation::ReadHeader)) {
                    Vec::new() // O-READHEADER: metadata only
                } else {
                    let mut working = e.bins.clone();
                    let mut out = Vec::new();
                    for op in ops {
                        Self::apply_op(&mut working, op, all, &mut out)?;
                    }
                    out
                }
            }
        };
        // RP-09 (metadata from before the read-touch, RTT-REPORT)
        let reply = Reply {
            entries,
            gen: u32::from(e.gen),
            void_time: e.void_time,
            lut: Some(e.lut),
        };
        self.read_touch(&d, rtt_pct);
        Ok(reply)
    }

    /// RTT-WHEN / RTT-EFFECT, after a read that returned 0.
    fn read_touch(&mut self, d: &[u8; 20], rtt_pct: i32) {
        let p = match rtt_pct {
            0 => i64::from(self.cfg.default_rtt_pct),
            -1 => 0,
            p => i64::from(p),
        };
        let now_s = i64::from(self.now_s());
        let now_ms = self.now_ms;
        let Some(e) = self.recs.get_mut(d) else {
            return;
        };
        if p == 0 || e.void_time == 0 {
            return;
        }
        let void = i64::from(e.void_time);
        let write_ttl = void - i64::try_from(e.lut / 1000).unwrap_or(i64::MAX);
        let threshold = (write_ttl * p).div_euclid(100);
        if now_s < void - threshold {
            return;
        }
        let new_void = now_s + write_ttl;
        if new_void <= void {
            return;
        }
        e.void_time = u32::try_from(new_void).unwrap_or(u32::MAX);
        e.lut = e.lut.max(now_ms);
    }
}

/// What a read-path request asks for.
#[derive(Debug, Clone, Copy)]
pub enum ReadWhat<'a> {
    /// get / get_header / exists.
    Bins(&'a GetBins),
    /// A read-only operate, with respond_all_ops.
    Ops(&'a [Operation], bool),
}
