//! Run a step against aerolite and the model and compare, step by step: result code, in-doubt
//! flag, result entries / bins, generation, void-time, LUT, returned stored key; then the whole
//! state of every record (index entry: presence, tombstone flag, generation, void-time, LUT; image:
//! bins in order, set name, stored key) — so hidden state (tombstone generations, expired records
//! not yet reaped) is compared too, not only what reads show.

use super::steps::{record_base_keys, Step};
use super::{Cfg, MResult, Model, ReadWhat, Reply};
use aerolite::expressions::{self as exp, Expression};
use aerolite::{
    Bins, Clock, Database, DatabaseConfig, Error, ManualClock, NamespaceConfig, ReadPolicy, Record,
    ResultCode, Value, WritePolicy,
};
use std::sync::Arc;

/// Largest 40-bit LUT.
const LUT_MAX: u64 = (1 << 40) - 1;

use super::steps::StepPolicy;
use super::{GetBins, MFilter};

/// aerolite + model side by side.
pub struct Harness {
    /// The database under test.
    pub db: Database,
    /// Its clock.
    pub clock: ManualClock,
    /// The model.
    pub model: Model,
    /// How often each result code was expected (coverage evidence).
    pub codes: std::collections::BTreeMap<i32, u64>,
    /// Sweep with `Database::sweep_expired` (all 4096 partitions); when false, run the engine's
    /// `sweep_step` only on the partitions of the fixed records (the fuzzer's choice: same
    /// semantics for these records, 1000× cheaper).
    pub full_sweep: bool,
    /// The engine's result code of the last request step (0 = Ok), for fault-aware callers.
    pub last_code: Option<i32>,
}

fn filter_of(f: &Option<MFilter>) -> Option<Expression> {
    // No bin can have an invalid name, so a predicate on one is false; an expression naming
    // it would be a ParameterError (EXP-TYPE-1), so the harness sends the constant instead.
    let valid = |n: &str| n.len() <= 15 && !n.contains('\0');
    match f {
        None => None,
        Some(MFilter::BinExists(n) | MFilter::BinEq(n, _)) if !valid(n) => {
            Some(exp::bool_val(false))
        }
        Some(MFilter::BinExists(n)) => Some(exp::bin_exists(n.as_str())),
        Some(MFilter::BinEq(n, v)) => Some(bin_eq(n, v)),
    }
}

/// The filter expression true exactly when bin `n` equals `v` as the model compares values
/// (cdt.md §1 equality): a comparison on the bin read with `v`'s type, so another type is
/// unknown and filters out like inequality.
fn bin_eq(n: &str, v: &Value) -> Expression {
    match v {
        // Bins are never nil, WILDCARD or INFINITY (ORD-SELECTOR-ONLY): always false.
        Value::Nil | Value::Wildcard | Value::Infinity => exp::bool_val(false),
        Value::Int(i) => exp::eq(exp::int_bin(n), exp::int_val(*i)),
        // CH-NAN: NaN equals NaN in the model; in an expression only NaN is unequal to itself.
        Value::Float(x) if x.is_nan() => exp::ne(exp::float_bin(n), exp::float_bin(n)),
        Value::Float(x) => exp::eq(exp::float_bin(n), exp::float_val(*x)),
        Value::String(s) => exp::eq(exp::string_bin(n), exp::string_val(s.as_str())),
        Value::Blob(b) => exp::eq(exp::blob_bin(n), exp::blob_val(b.clone())),
        Value::Bool(b) => exp::eq(exp::bool_bin(n), exp::bool_val(*b)),
        Value::List(l) => exp::eq(exp::list_bin(n), exp::list_val(l.items.clone())),
        Value::Map(_) => exp::eq(exp::map_bin(n), exp::map_val(v.clone())),
        // Expressions cannot compare GeoJSON; the model writes one GeoJSON value only, so
        // "is GeoJSON" is "equals it" (bytes.rs::value).
        Value::GeoJSON(_) => exp::eq(exp::bin_type(n), exp::int_val(23)),
        Value::Other { particle_type, .. } => {
            exp::eq(exp::bin_type(n), exp::int_val(i64::from(*particle_type)))
        }
    }
}

fn write_policy(p: &StepPolicy) -> WritePolicy {
    WritePolicy {
        record_exists_action: p.pol.action,
        generation_policy: p.pol.gen_policy,
        generation: p.pol.gen,
        expiration: p.expiration,
        durable_delete: p.pol.durable_delete,
        send_key: p.pol.send_key,
        respond_all_ops: p.pol.respond_all_ops,
        filter_expression: filter_of(&p.pol.filter),
        ..WritePolicy::default()
    }
}

fn read_policy(rtt: i32, f: &Option<MFilter>) -> ReadPolicy {
    ReadPolicy {
        read_touch_ttl_percent: rtt,
        filter_expression: filter_of(f),
        total_timeout: None,
    }
}

/// What part of a reply a step compares.
#[derive(Clone, Copy)]
struct Cmp {
    entries: bool,
    meta: bool,
    key: bool,
}

fn compare(
    what: &str,
    got: Result<Record, Error>,
    want: &MResult,
    c: Cmp,
    model_key: Option<Value>,
) -> Result<(), String> {
    match (got, want) {
        (Err(e), Err(code)) => {
            if e.code() != *code {
                return Err(format!("{what}: code {:?}, model {code:?} ({e})", e.code()));
            }
            // ID-DEFINITIVE: a single attempt with a positive code other than 9 is not in doubt.
            if e.in_doubt() {
                return Err(format!("{what}: in_doubt set on {e} (ID-DEFINITIVE)"));
            }
            Ok(())
        }
        (Err(e), Ok(_)) => Err(format!("{what}: error {e}, model Ok")),
        (Ok(r), Err(code)) => Err(format!("{what}: Ok {r:?}, model {code:?}")),
        (Ok(r), Ok(m)) => compare_ok(what, &r, m, c, model_key),
    }
}

fn compare_ok(
    what: &str,
    r: &Record,
    m: &Reply,
    c: Cmp,
    model_key: Option<Value>,
) -> Result<(), String> {
    if c.meta {
        if r.generation != m.gen || r.expiration != m.void_time {
            return Err(format!(
                "{what}: gen/void {}/{}, model {}/{}",
                r.generation, r.expiration, m.gen, m.void_time
            ));
        }
        if let Some(lut) = m.lut {
            if r.last_update_time != lut {
                return Err(format!("{what}: LUT {}, model {lut}", r.last_update_time));
            }
        }
    }
    if c.entries {
        let got: Vec<(&str, &Value)> = r.bins.iter().collect();
        let ok = got.len() == m.entries.len()
            && got
                .iter()
                .zip(m.entries.iter())
                .all(|((gn, gv), (mn, mv))| {
                    *gv == mv && mn.as_deref().into_iter().all(|n| n == *gn)
                });
        if !ok {
            return Err(format!("{what}: entries {got:?}, model {:?}", m.entries));
        }
    }
    if c.key && r.key != model_key {
        return Err(format!(
            "{what}: stored key {:?}, model {model_key:?} (SK-RETURN)",
            r.key
        ));
    }
    Ok(())
}

fn key_value((t, b): &(u8, Vec<u8>)) -> Option<Value> {
    match t {
        1 => Some(Value::Int(i64::from_be_bytes(
            b.as_slice().try_into().ok()?,
        ))),
        2 => Some(Value::Float(f64::from_bits(u64::from_be_bytes(
            b.as_slice().try_into().ok()?,
        )))),
        3 => String::from_utf8(b.clone()).ok().map(Value::String),
        4 => Some(Value::Blob(b.clone())),
        _ => None,
    }
}

impl Harness {
    /// Open an in-memory database with `cfg`, `backend` applied to its namespace config.
    pub fn open(cfg: Cfg, backend: impl FnOnce(NamespaceConfig) -> NamespaceConfig) -> Harness {
        let clock = ManualClock::at_2026();
        let ns = backend(
            NamespaceConfig::new("test")
                .default_ttl(cfg.default_ttl)
                .expiry_sweep_interval(cfg.sweep_interval)
                .allow_ttl_without_sweep(cfg.allow_ttl_without_sweep)
                .default_read_touch_ttl_pct(cfg.default_rtt_pct),
        );
        let config = DatabaseConfig::with_namespaces(vec![ns])
            .clock(Arc::new(clock.clone()))
            .background_threads(false);
        let db = Database::open(config).expect("open the database under test");
        let model = Model::new(cfg, clock.now_ms());
        Harness {
            db,
            clock,
            model,
            codes: Default::default(),
            full_sweep: true,
            last_code: None,
        }
    }

    /// Forget every record and reset the clock, so that one database serves many inputs (the
    /// fuzzer's per-input setup would otherwise dominate). Uses the engine's own removal step.
    pub fn reset(&mut self) {
        let ns = aerolite::testing::namespace(&self.db, "test").expect("namespace test exists");
        for key in record_base_keys() {
            let d = key.digest;
            // A removal holds the record lock (OP-ISOLATION, asserted by Namespace::remove).
            let _guard = ns.locks.acquire(d, 0, None).expect("an idle record lock");
            if let Some(e) = ns.index.get(&d) {
                ns.remove(&d, &e);
            }
        }
        let start = ManualClock::at_2026().now_ms();
        self.clock.set_ms(start);
        self.model = Model::new(self.model.cfg, start);
        self.codes.clear();
    }

    fn note_got<T>(&mut self, got: &Result<T, Error>) {
        self.last_code = Some(got.as_ref().map_or_else(|e| e.code().code(), |_| 0));
    }

    fn note(&mut self, want: &MResult) {
        let code = want.as_ref().map_or_else(|c| c.code(), |_| 0);
        *self.codes.entry(code).or_default() += 1;
    }

    fn stored_key(&self, d: &[u8; 20]) -> Option<Value> {
        self.model
            .recs
            .get(d)
            .and_then(|e| e.key.as_ref())
            .and_then(key_value)
    }

    /// Run one step on both sides; Err describes the first disagreement.
    pub fn step(&mut self, s: &Step) -> Result<(), String> {
        self.last_code = None;
        let all = Cmp {
            entries: true,
            meta: true,
            key: false,
        };
        match s {
            Step::Put(k, p, bins) => {
                let (key, rk) = k.build();
                let b: Vec<aerolite::Bin> = bins
                    .iter()
                    .map(|(n, v)| aerolite::Bin {
                        name: n.clone(),
                        value: v.clone(),
                    })
                    .collect();
                let ops: Vec<aerolite::Operation> =
                    b.iter().cloned().map(aerolite::Operation::Write).collect();
                let got = self.db.put(&write_policy(p), &key, &b);
                let want = self.model.write(&rk, &p.model(), &ops);
                // A put's result bins are not specified; only its metadata is compared.
                let c = Cmp {
                    entries: false,
                    ..all
                };
                self.note(&want);
                self.note_got(&got);
                compare("put", got, &want, c, None)?;
            }
            Step::Operate(k, p, ops) => {
                let (key, rk) = k.build();
                let got = self.db.operate(&write_policy(p), &key, ops);
                let mp = p.model();
                let want = if ops.is_empty() || ops.iter().any(aerolite::Operation::is_write) {
                    self.model.write(&rk, &mp, ops)
                } else {
                    // OP-PATH: a read-only operate takes the read path with the namespace's
                    // read-touch default and the policy's filter.
                    self.model
                        .read(&rk, 0, &mp.filter, ReadWhat::Ops(ops, mp.respond_all_ops))
                };
                self.note(&want);
                self.note_got(&got);
                compare("operate", got, &want, all, None)?;
            }
            Step::Delete(k, p) => {
                let (key, rk) = k.build();
                let got = self.db.delete(&write_policy(p), &key);
                let want = self.model.delete(&rk, &p.model());
                let got = match got {
                    Ok(true) => Ok(Record::default()),
                    Ok(false) => Err(Error::new(ResultCode::KeyNotFoundError, "delete: false")),
                    Err(e) => Err(e),
                };
                self.note(&want);
                self.note_got(&got);
                compare("delete", got, &want, all, None)?;
            }
            Step::Touch(k, p) => {
                let (key, rk) = k.build();
                let got = self.db.touch(&write_policy(p), &key);
                let want = self
                    .model
                    .write(&rk, &p.model(), &[aerolite::Operation::Touch]);
                let c = Cmp {
                    entries: false,
                    ..all
                };
                self.note(&want);
                self.note_got(&got);
                compare("touch", got, &want, c, None)?;
            }
            Step::Get(k, bins, rtt, f) => {
                let (key, rk) = k.build();
                let b = match bins {
                    GetBins::All => Bins::All,
                    GetBins::Header => Bins::None,
                    GetBins::Names(n) => Bins::Some(n.clone()),
                };
                let got = self.db.get(&read_policy(*rtt, f), &key, b);
                let model_key = self.stored_key(&rk.digest);
                let want = self.model.read(&rk, *rtt, f, ReadWhat::Bins(bins));
                let c = Cmp { key: true, ..all };
                self.note(&want);
                self.note_got(&got);
                compare("get", got, &want, c, model_key)?;
            }
            Step::Exists(k, rtt) => {
                let (key, rk) = k.build();
                let got = match self.db.exists(&read_policy(*rtt, &None), &key) {
                    Ok(true) => Ok(Record::default()),
                    Ok(false) => Err(Error::new(ResultCode::KeyNotFoundError, "exists: false")),
                    Err(e) => Err(e),
                };
                let want = self
                    .model
                    .read(&rk, *rtt, &None, ReadWhat::Bins(&GetBins::Header));
                let c = Cmp {
                    entries: false,
                    meta: false,
                    key: false,
                };
                self.note(&want);
                self.note_got(&got);
                compare("exists", got, &want, c, None)?;
            }
            Step::OperateRead(k, ops, rtt, all_ops) => {
                let (key, rk) = k.build();
                let got = self
                    .db
                    .operate_read(&read_policy(*rtt, &None), &key, ops, *all_ops);
                let want = if ops.iter().any(aerolite::Operation::is_write) {
                    Err(ResultCode::ParameterError)
                } else {
                    self.model
                        .read(&rk, *rtt, &None, ReadWhat::Ops(ops, *all_ops))
                };
                let c = Cmp { ..all };
                self.note(&want);
                self.note_got(&got);
                compare("operate_read", got, &want, c, None)?;
            }
            Step::Advance(ms) => {
                // The LUT is 40 bits of ms (MD-LUT-UNIT, until 2044-11): the engine asserts on a
                // clock beyond that, so the clock stays below it (reported, not tested here).
                let room = (LUT_MAX - 86_400_000).saturating_sub(self.model.now_ms);
                let ms = (*ms)
                    .max(-i64::try_from(self.model.now_ms).unwrap_or(i64::MAX))
                    .min(i64::try_from(room).unwrap_or(i64::MAX));
                self.clock.advance_ms(ms);
                self.model.advance_ms(ms);
            }
            Step::Sweep => {
                let got = if self.full_sweep {
                    self.db.sweep_expired().reaped
                } else {
                    let ns = aerolite::testing::namespace(&self.db, "test")
                        .expect("namespace test exists");
                    record_base_keys()
                        .iter()
                        .map(|k| ns.sweep_step(usize::from(k.partition_id()), 1).reaped)
                        .sum()
                };
                let want = self.model.sweep();
                if got != want {
                    return Err(format!("sweep reaped {got}, model {want}"));
                }
            }
        }
        self.check_state()
    }

    /// The engine's full stored state of record `d` as a model entry (None = no index entry);
    /// Err when its image does not load (a corrupt record would be served).
    pub fn engine_entry(&self, d: &aerolite::Digest) -> Result<Option<super::Entry>, String> {
        let ns = aerolite::testing::namespace(&self.db, "test")
            .ok_or_else(|| "namespace test is gone".to_string())?;
        let Some(e) = ns.index.get(d) else {
            return Ok(None);
        };
        let img = ns
            .load(d, &e)
            .map_err(|err| format!("record {d:?}: stored image does not load: {err}"))?;
        Ok(Some(super::Entry {
            gen: e.generation,
            void_time: e.void_time,
            lut: e.lut(),
            bins: img
                .bins
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
            tomb: e.is_tombstone(),
            key: img
                .meta
                .key
                .as_ref()
                .map(|k| (k.type_byte, k.bytes.clone())),
            set: img.meta.set_name.clone(),
        }))
    }

    /// Compare every record's full stored state with the model.
    pub fn check_state(&self) -> Result<(), String> {
        let ns = aerolite::testing::namespace(&self.db, "test")
            .ok_or_else(|| "namespace test is gone".to_string())?;
        for key in record_base_keys() {
            let d = key.digest;
            let set = &key.set_name;
            let m = self.model.recs.get(&d.0);
            let e = ns.index.get(&d);
            let (m, e) = match (m, e) {
                (None, None) => continue,
                (Some(m), Some(e)) => (m, e),
                (m, e) => {
                    return Err(format!(
                        "record {}/{:?}: engine entry {e:?}, model {m:?}",
                        set, key.user_key
                    ))
                }
            };
            let img = ns
                .load(&d, &e)
                .map_err(|err| format!("record {set}: stored image does not load: {err}"))?;
            let bins: Vec<(String, Value)> = img
                .bins
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect();
            let key_bytes = img
                .meta
                .key
                .as_ref()
                .map(|k| (k.type_byte, k.bytes.clone()));
            if e.generation != m.gen
                || e.void_time != m.void_time
                || e.lut() != m.lut
                || e.is_tombstone() != m.tomb
                || bins != m.bins
                || img.meta.set_name != m.set
                || key_bytes != m.key
            {
                return Err(format!(
                    "record {set}/{:?} state differs:\n engine gen {} void {} lut {} tomb {} set {:?} key {:?} bins {:?}\n model  {m:?}",
                    key.user_key,
                    e.generation,
                    e.void_time,
                    e.lut(),
                    e.is_tombstone(),
                    img.meta.set_name,
                    key_bytes,
                    bins
                ));
            }
        }
        Ok(())
    }

    /// Run steps, then check the index against storage (`check_integrity_full`); on the first
    /// disagreement return the step index and the message.
    pub fn run(&mut self, steps: &[Step]) -> Result<(), String> {
        for (i, s) in steps.iter().enumerate() {
            self.step(s)
                .map_err(|e| format!("step {i} {s:?}:\n  {e}"))?;
        }
        self.db
            .check_integrity_full()
            .map(drop)
            .map_err(|e| format!("after {} steps: {e}", steps.len()))
    }
}
