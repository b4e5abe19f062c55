//! Model test: random request sequences on a few keys, run against the engine and against a
//! small reference model written straight from the spec tables (record-model.md §7.1 WP-*,
//! §7.3 DP-*, §8, §9, §10, §12, §13, §16, §17), comparing every result code, reported
//! generation and void-time, and every record after every step (bins in order, generation,
//! void-time, LUT). The clock jumps forwards and backwards (MD-LUT-MONO, S-EXPIRY-EDGE) and the
//! sweeper runs at random points (EX-SWEEP, GC-NONDURABLE).
//!
//! Cases: `PROPTEST_CASES` (default 64 here).

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    operations as op, Bins, Expiration, GenerationPolicy as GP, Operation, RecordExistsAction as A,
    ResultCode as RC, Value, WritePolicy,
};
use proptest::prelude::*;
use sem::*;

const KEYS: i64 = 3;
const NAMES: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum MOp {
    Write(usize, Option<i64>),
    Add(usize, i64),
    Read(usize),
    DeleteAll,
    Touch,
}

#[derive(Debug, Clone)]
struct Pol {
    action: A,
    gen_policy: GP,
    n: u32,
    ttl: i32,
    durable: bool,
}

#[derive(Debug, Clone)]
enum Req {
    Operate(i64, Pol, Vec<MOp>),
    Delete(i64, Pol),
    Advance(i64),
    Sweep,
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Live {
        gen: u16,
        bins: Vec<(String, i64)>,
        void: u32,
        lut: u64,
    },
    Tomb {
        gen: u16,
        lut: u64,
    },
}

fn inc(g: u16) -> u16 {
    if g == u16::MAX {
        1
    } else {
        g + 1
    }
}

/// A visible record: bins in order, generation, void-time, LUT.
type Visible = (Vec<(String, i64)>, u32, u32, u64);

/// The reference model: one `Option<Entry>` per key.
struct Model {
    keys: Vec<Option<Entry>>,
}

fn expired(e: &Entry, now_s: u32) -> bool {
    matches!(e, Entry::Live { void, .. } if *void != 0 && *void < now_s)
}

impl Model {
    /// Returns (code, reported generation, reported void-time).
    fn operate(&mut self, k: usize, p: &Pol, ops: &[MOp], now_ms: u64) -> (RC, u32, u32) {
        let now_s = (now_ms / 1000) as u32;
        if ops.is_empty() {
            return (RC::ParameterError, 0, 0);
        }
        let replace = matches!(p.action, A::Replace | A::ReplaceOnly);
        for o in ops {
            let forbidden = matches!(
                o,
                MOp::Touch | MOp::Write(_, None) | MOp::Add(..) | MOp::DeleteAll
            );
            if replace && forbidden {
                return (RC::ParameterError, 0, 0);
            }
        }
        let all_reads = ops.iter().all(|o| matches!(o, MOp::Read(_)));
        if all_reads {
            // OP-PATH: the read path ignores the write policy.
            return match &self.keys[k] {
                Some(Entry::Live { gen, void, .. })
                    if !expired(self.keys[k].as_ref().expect("some"), now_s) =>
                {
                    (RC::Ok, u32::from(*gen), *void)
                }
                _ => (RC::KeyNotFoundError, 0, 0),
            };
        }
        let must_exist = matches!(p.action, A::UpdateOnly | A::ReplaceOnly)
            || ops.iter().any(|o| matches!(o, MOp::Touch));
        let mut state = self.keys[k].clone();
        let live =
            |s: &Option<Entry>| matches!(s, Some(e @ Entry::Live { .. }) if !expired(e, now_s));
        if must_exist && !live(&state) {
            return (RC::KeyNotFoundError, 0, 0);
        }
        if let Some(e) = &state {
            if expired(e, now_s) {
                state = None;
                self.keys[k] = None; // WP-09: discarded even if a later step fails
            }
        }
        let is_live = live(&state);
        if p.action == A::CreateOnly && is_live {
            return (RC::KeyExistsError, 0, 0);
        }
        let cmp = match &state {
            Some(Entry::Live { gen, .. }) => u32::from(*gen),
            _ => 0,
        };
        let pass = match p.gen_policy {
            GP::None => true,
            GP::ExpectGenEqual => p.n == cmp,
            GP::ExpectGenGt => p.n > cmp,
        };
        if !pass {
            return (RC::GenerationError, 0, 0);
        }
        let ttl = if p.ttl == -2 && !is_live { 0 } else { p.ttl };
        if !(-2..=315_360_000).contains(&ttl) {
            return (RC::ParameterError, 0, 0);
        }
        let void = match (ttl, &state) {
            (-1, _) | (0, _) => 0,
            (-2, Some(Entry::Live { void, .. })) => *void,
            (-2, _) => 0,
            (n, _) => now_s + n as u32,
        };
        let (base, lut_old) = match &state {
            Some(Entry::Live { gen, lut, .. }) | Some(Entry::Tomb { gen, lut }) => (*gen, *lut),
            None => (0, 0),
        };
        let gen = inc(base);
        let lut = lut_old.max(now_ms);
        let merge = matches!(p.action, A::Update | A::UpdateOnly | A::CreateOnly);
        let mut bins = match &state {
            Some(Entry::Live { bins, .. }) if merge => bins.clone(),
            _ => Vec::new(),
        };
        for o in ops {
            match o {
                MOp::Write(i, Some(v)) | MOp::Add(i, v)
                    if !bins.iter().any(|(n, _)| n == NAMES[*i]) =>
                {
                    bins.push((NAMES[*i].to_string(), *v));
                }
                MOp::Write(i, Some(v)) => {
                    if let Some(s) = bins.iter_mut().find(|(n, _)| n == NAMES[*i]) {
                        s.1 = *v;
                    }
                }
                MOp::Add(i, v) => {
                    if let Some(s) = bins.iter_mut().find(|(n, _)| n == NAMES[*i]) {
                        s.1 = s.1.wrapping_add(*v);
                    }
                }
                MOp::Write(i, None) => bins.retain(|(n, _)| n != NAMES[*i]),
                MOp::DeleteAll => bins.clear(),
                MOp::Read(_) | MOp::Touch => {}
            }
        }
        if bins.is_empty() {
            if !is_live {
                return (RC::KeyNotFoundError, 0, 0);
            }
            self.keys[k] = if p.durable {
                Some(Entry::Tomb { gen, lut })
            } else {
                None
            };
            return (RC::Ok, 0, 0);
        }
        self.keys[k] = Some(Entry::Live {
            gen,
            bins,
            void,
            lut,
        });
        (RC::Ok, u32::from(gen), void)
    }

    /// Delete: Ok(existed) or the error code.
    fn delete(&mut self, k: usize, p: &Pol, now_ms: u64) -> Result<bool, RC> {
        let Some(e) = self.keys[k].clone() else {
            return Ok(false);
        };
        let (gen, lut) = match e {
            Entry::Tomb { .. } => return Ok(false),
            Entry::Live { gen, lut, .. } => (gen, lut),
        };
        let pass = match p.gen_policy {
            GP::None => true,
            GP::ExpectGenEqual => p.n == u32::from(gen),
            GP::ExpectGenGt => p.n > u32::from(gen),
        };
        if !pass {
            return Err(RC::GenerationError);
        }
        self.keys[k] = if p.durable {
            Some(Entry::Tomb {
                gen: inc(gen),
                lut: lut.max(now_ms),
            })
        } else {
            None
        };
        Ok(true)
    }

    fn sweep(&mut self, now_ms: u64) {
        let now_s = (now_ms / 1000) as u32;
        for e in &mut self.keys {
            if e.as_ref().is_some_and(|x| expired(x, now_s)) {
                *e = None;
            }
        }
    }

    /// What a full get must return: (bins, generation, void-time, LUT) or not found.
    fn visible(&self, k: usize, now_ms: u64) -> Option<Visible> {
        match &self.keys[k] {
            Some(
                e @ Entry::Live {
                    gen,
                    bins,
                    void,
                    lut,
                },
            ) if !expired(e, (now_ms / 1000) as u32) => {
                Some((bins.clone(), u32::from(*gen), *void, *lut))
            }
            _ => None,
        }
    }
}

fn policy(p: &Pol) -> WritePolicy {
    WritePolicy {
        record_exists_action: p.action,
        generation_policy: p.gen_policy,
        generation: p.n,
        expiration: Expiration::Raw(p.ttl),
        durable_delete: p.durable,
        ..WritePolicy::default()
    }
}

fn to_op(o: &MOp) -> Operation {
    match o {
        MOp::Write(i, Some(v)) => op::put(&bin(NAMES[*i], *v)),
        MOp::Write(i, None) => op::delete_bin(NAMES[*i]),
        MOp::Add(i, v) => op::add(&bin(NAMES[*i], *v)),
        MOp::Read(i) => op::get_bin(NAMES[*i]),
        MOp::DeleteAll => op::delete(),
        MOp::Touch => op::touch(),
    }
}

fn arb_op() -> impl Strategy<Value = MOp> {
    prop_oneof![
        4 => (0..3usize, prop::option::weighted(0.8, -3i64..100)).prop_map(|(i, v)| MOp::Write(i, v)),
        2 => (0..3usize, -5i64..5).prop_map(|(i, v)| MOp::Add(i, v)),
        1 => (0..3usize).prop_map(MOp::Read),
        1 => Just(MOp::DeleteAll),
        1 => Just(MOp::Touch),
    ]
}

fn arb_pol() -> impl Strategy<Value = Pol> {
    (
        prop_oneof![
            4 => Just(A::Update),
            1 => Just(A::UpdateOnly),
            1 => Just(A::Replace),
            1 => Just(A::ReplaceOnly),
            1 => Just(A::CreateOnly),
        ],
        prop_oneof![3 => Just(GP::None), 2 => Just(GP::ExpectGenEqual), 1 => Just(GP::ExpectGenGt)],
        0u32..6,
        prop_oneof![3 => Just(0i32), 1 => Just(-1), 1 => Just(-2), 2 => 1i32..20, 1 => Just(-3)],
        any::<bool>(),
    )
        .prop_map(|(action, gen_policy, n, ttl, durable)| Pol {
            action,
            gen_policy,
            n,
            ttl,
            durable,
        })
}

fn arb_req() -> impl Strategy<Value = Req> {
    prop_oneof![
        8 => (0..KEYS, arb_pol(), prop::collection::vec(arb_op(), 0..4))
            .prop_map(|(k, p, ops)| Req::Operate(k, p, ops)),
        2 => (0..KEYS, arb_pol()).prop_map(|(k, p)| Req::Delete(k, p)),
        2 => (-3i64..25).prop_map(Req::Advance),
        1 => Just(Req::Sweep),
    ]
}

fn check_all(t: &common::TestDb, m: &Model, step: usize) {
    let now = now_ms(t);
    for k in 0..KEYS {
        let got = t.db.get(&rp(), &key(k), Bins::All);
        match m.visible(k as usize, now) {
            None => assert_eq!(
                rc(&got),
                RC::KeyNotFoundError,
                "step {step} key {k}: {got:?}"
            ),
            Some((bins, gen, void, lut)) => {
                let r = got.unwrap_or_else(|e| panic!("step {step} key {k}: {e}"));
                let want: Vec<(String, Value)> =
                    bins.into_iter().map(|(n, v)| (n, Value::Int(v))).collect();
                assert_eq!(bins_of(&r), want, "step {step} key {k} bins");
                assert_eq!(
                    (r.generation, r.expiration, r.last_update_time),
                    (gen, void, lut),
                    "step {step} key {k} metadata"
                );
            }
        }
    }
    let tombs = m
        .keys
        .iter()
        .filter(|e| matches!(e, Some(Entry::Tomb { .. })))
        .count();
    assert_eq!(
        t.db.stats().tombstones,
        tombs as u64,
        "step {step} tombstones"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn engine_matches_spec_model(reqs in prop::collection::vec(arb_req(), 1..60)) {
        let t = common::open();
        let mut m = Model { keys: vec![None; KEYS as usize] };
        for (step, r) in reqs.iter().enumerate() {
            let now = now_ms(&t);
            match r {
                Req::Operate(k, p, ops) => {
                    let real: Vec<Operation> = ops.iter().map(to_op).collect();
                    let got = t.db.operate(&policy(p), &key(*k), &real);
                    let want = m.operate(*k as usize, p, ops, now);
                    let got_meta = got.as_ref().map(|r| (r.generation, r.expiration)).unwrap_or((0, 0));
                    prop_assert_eq!((rc(&got), got_meta.0, got_meta.1), want, "step {} {:?}", step, r);
                }
                Req::Delete(k, p) => {
                    let got = t.db.delete(&policy(p), &key(*k)).map_err(|e| e.code());
                    prop_assert_eq!(got, m.delete(*k as usize, p, now), "step {} {:?}", step, r);
                }
                Req::Advance(s) => t.clock.advance_ms(s * 1000 + 1),
                Req::Sweep => {
                    t.db.sweep_expired();
                    m.sweep(now);
                }
            }
            check_all(&t, &m, step);
        }
        let integrity = t.db.check_integrity_full().map(drop).map_err(|e| e.to_string());
        prop_assert_eq!(integrity, Ok(()), "index against storage at the end");
    }
}
