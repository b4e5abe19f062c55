//! Decode arbitrary bytes into a step sequence, so that proptest (random byte vectors, shrunk by
//! proptest) and cargo-fuzz (coverage-guided bytes) drive the same generator. Every byte string
//! decodes to some valid step list; running out of bytes reads zeros.
//!
//! The choices are weighted toward what finds bugs: few records, few bin names, TTLs near the
//! clock jumps, generation numbers near the current ones, and every policy combination.

use super::steps::{KeyForm, KeyReq, Step, StepPolicy};
use super::{Cfg, GetBins, MFilter, WPol};
use aerolite::{Bin, Expiration, GenerationPolicy, Operation, RecordExistsAction, Value};

/// A byte cursor.
pub struct Src<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Src<'a> {
    /// Over `data`.
    pub fn new(data: &'a [u8]) -> Src<'a> {
        Src { data, pos: 0 }
    }

    /// Whether bytes are left.
    pub fn more(&self) -> bool {
        self.pos < self.data.len()
    }

    /// Next byte (0 once exhausted).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A choice in `0..n` (n ≥ 1).
    pub fn pick(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n.max(1)
    }

    /// True with probability about k/256.
    pub fn chance(&mut self, k: u8) -> bool {
        self.u8() < k
    }

    /// Little-endian u32 from four bytes.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
}

const BIN_NAMES: [&str; 6] = ["a", "b", "c", "", "sixteen-bytes-xx", "n\0l"];

fn bin_name(s: &mut Src<'_>) -> String {
    // Mostly valid names; 1 in 16 invalid (21).
    let i = if s.chance(16) {
        4 + s.pick(2)
    } else {
        s.pick(4)
    };
    BIN_NAMES[i].to_string()
}

/// A value, small enough that no record gets near max_record_size.
pub fn value(s: &mut Src<'_>) -> Value {
    match s.pick(14) {
        0 => Value::Nil,
        1 => Value::Int(i64::from(s.u8() as i8)),
        2 => Value::Int([i64::MAX, i64::MIN, 0, -1][s.pick(4)]),
        3 => Value::Float(f64::from(s.u8() as i8) / 4.0),
        4 => Value::Float([f64::MAX, f64::INFINITY, f64::NAN, -0.0][s.pick(4)]),
        5 | 6 => Value::from(["", "x", "héllo", "zz"][s.pick(4)]),
        7 => Value::Blob(vec![s.u8(); s.pick(4)]),
        8 => Value::Bool(s.chance(128)),
        9 => Value::list(vec![Value::Int(i64::from(s.u8())), Value::from("e")]),
        10 => Value::map(vec![(Value::from("k"), Value::Int(i64::from(s.u8())))]),
        11 => Value::GeoJSON("{\"type\":\"Point\"}".into()),
        12 => Value::Int(i64::from(s.u8())),
        _ => Value::from("s"),
    }
}

fn key(s: &mut Src<'_>) -> KeyReq {
    let rec = s.pick(4);
    let form = match s.pick(40) {
        0..=29 => KeyForm::User,
        30..=33 => KeyForm::Digest(["", "s", "t", "other"][s.pick(4)].to_string()),
        34..=36 => KeyForm::WrongKey,
        37 => KeyForm::BadSet,
        38 => KeyForm::BadKeyType,
        _ => KeyForm::BadNamespace,
    };
    KeyReq { rec, form }
}

fn expiration(s: &mut Src<'_>) -> Expiration {
    match s.pick(12) {
        0..=3 => Expiration::NamespaceDefault,
        4 => Expiration::Never,
        5 => Expiration::DontUpdate,
        6..=8 => Expiration::Seconds(u32::from(s.u8() % 8) + 1),
        9 => Expiration::Seconds([100, 315_360_000, 315_360_001, u32::MAX][s.pick(4)]),
        10 => Expiration::Raw([-3, -2, -1, 0, 5, i32::MIN][s.pick(6)]),
        _ => Expiration::Seconds(u32::from(s.u8())),
    }
}

fn filter(s: &mut Src<'_>) -> Option<MFilter> {
    match s.pick(10) {
        0 => Some(MFilter::BinExists(bin_name(s))),
        1 => Some(MFilter::BinEq(bin_name(s), value(s))),
        _ => None,
    }
}

fn policy(s: &mut Src<'_>) -> StepPolicy {
    let action = match s.pick(8) {
        0..=2 => RecordExistsAction::Update,
        3 => RecordExistsAction::UpdateOnly,
        4 => RecordExistsAction::Replace,
        5 => RecordExistsAction::ReplaceOnly,
        _ => RecordExistsAction::CreateOnly,
    };
    let gen_policy = match s.pick(6) {
        0..=3 => GenerationPolicy::None,
        4 => GenerationPolicy::ExpectGenEqual,
        _ => GenerationPolicy::ExpectGenGt,
    };
    let gen = match s.pick(8) {
        0..=5 => u32::from(s.u8() % 6),
        6 => [65535, 65536, u32::MAX][s.pick(3)],
        _ => u32::from(s.u8()),
    };
    let pol = WPol {
        action,
        gen_policy,
        gen,
        ttl: 0,
        durable_delete: s.chance(96),
        send_key: s.chance(96),
        respond_all_ops: s.chance(64),
        filter: filter(s),
    };
    StepPolicy {
        pol,
        expiration: expiration(s),
    }
}

fn bin(s: &mut Src<'_>) -> Bin {
    Bin {
        name: bin_name(s),
        value: value(s),
    }
}

/// One operate op (no CDT).
pub fn op(s: &mut Src<'_>) -> Operation {
    match s.pick(20) {
        0..=5 => Operation::Write(bin(s)),
        6 | 7 => Operation::Add(bin(s)),
        8 => Operation::Append(bin(s)),
        9 => Operation::Prepend(bin(s)),
        10 => Operation::Touch,
        11 => Operation::DeleteAll,
        12..=15 => Operation::Read(bin_name(s)),
        16 => Operation::ReadAll,
        17 => Operation::ReadHeader,
        18 => Operation::Write(Bin {
            name: bin_name(s),
            value: Value::Nil,
        }),
        _ => Operation::Add(Bin {
            name: bin_name(s),
            value: Value::Int(1),
        }),
    }
}

fn ops(s: &mut Src<'_>, read_only: bool) -> Vec<Operation> {
    let n = s.pick(5) + usize::from(!s.chance(8));
    (0..n)
        .map(|_| {
            if read_only {
                match s.pick(6) {
                    0..=3 => Operation::Read(bin_name(s)),
                    4 => Operation::ReadAll,
                    _ => Operation::ReadHeader,
                }
            } else {
                op(s)
            }
        })
        .collect()
}

fn rtt(s: &mut Src<'_>) -> i32 {
    [0, 0, -1, 50, 100, 1, 101, -2][s.pick(8)]
}

/// One step.
pub fn step(s: &mut Src<'_>) -> Step {
    match s.pick(32) {
        0..=6 => {
            let k = key(s);
            let p = policy(s);
            let n = s.pick(3) + usize::from(!s.chance(8));
            let bins = (0..n).map(|_| (bin_name(s), value(s))).collect();
            Step::Put(k, p, bins)
        }
        7..=13 => {
            let k = key(s);
            let p = policy(s);
            let read_only = s.chance(40);
            Step::Operate(k, p, ops(s, read_only))
        }
        14..=16 => Step::Delete(key(s), policy(s)),
        17 | 18 => Step::Touch(key(s), policy(s)),
        19..=21 => {
            let k = key(s);
            let bins = match s.pick(4) {
                0 | 1 => GetBins::All,
                2 => GetBins::Header,
                _ => GetBins::Names((0..s.pick(3)).map(|_| bin_name(s)).collect()),
            };
            Step::Get(k, bins, rtt(s), filter(s))
        }
        22 => Step::Exists(key(s), rtt(s)),
        23 => {
            let k = key(s);
            let o = ops(s, true);
            Step::OperateRead(k, o, rtt(s), s.chance(64))
        }
        24..=28 => Step::Advance(match s.pick(8) {
            0..=3 => i64::from(s.u8()) * 100,
            4 | 5 => i64::from(s.u8() % 10) * 1000,
            6 => -(i64::from(s.u8()) * 20),
            _ => i64::from(s.u32() % 40_000_000) * 1000,
        }),
        _ => Step::Sweep,
    }
}

/// A namespace configuration that passes TTL-CONFIG.
pub fn cfg(s: &mut Src<'_>) -> Cfg {
    let sweep_interval = [120, 120, 0][s.pick(3)];
    let allow_ttl_without_sweep = s.chance(64);
    let ttl_ok = sweep_interval != 0 || allow_ttl_without_sweep;
    let default_ttl = if ttl_ok {
        [0, 0, 5, 1000][s.pick(4)]
    } else {
        0
    };
    Cfg {
        default_ttl,
        sweep_interval,
        allow_ttl_without_sweep,
        default_rtt_pct: [0, 0, 50, 100][s.pick(4)],
    }
}

/// Decode a configuration and a step list (at most `max` steps).
pub fn scenario(data: &[u8], max: usize) -> (Cfg, Vec<Step>) {
    let mut s = Src::new(data);
    let c = cfg(&mut s);
    let mut out = Vec::new();
    while s.more() && out.len() < max {
        out.push(step(&mut s));
    }
    (c, out)
}
