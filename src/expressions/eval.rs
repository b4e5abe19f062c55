//! Evaluation of a checked expression against one record (docs/expressions.md).
//!
//! A node's value is `None` when it is *unknown* (EXP-UNKNOWN-1): a bin that is missing or of
//! another type than the expression names, a key that is not stored, an integer division or
//! modulo by zero, a CDT read that fails or returns another type than declared. Unknown
//! propagates through comparisons and arithmetic; `and` is false when any argument is false,
//! else unknown when any is unknown (EXP-UNKNOWN-2); `or` dually; `xor` and `not` stay unknown.
//! Invariants: evaluation never panics and never fails — malformed trees are refused by
//! `check` first; integer arithmetic wraps (as the server's C); values are borrowed from the
//! record and the expression, copied only when an op builds a new value.

use crate::clock::CITRUSLEAF_EPOCH_UNIX_S;
use crate::expressions::check::value_type;
use crate::expressions::tree::{op, ExpType, Expression};
use crate::expressions::{cdt_call, regex};
use crate::record::bin::BinList;
use crate::record::order::compare;
use crate::record::value::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// What an expression sees of a record: its bins and metadata, and the time of the request.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// The bins (for an expression op: the working copy after the ops before it).
    pub bins: &'a BinList,
    /// The record's digest.
    pub digest: &'a [u8; 20],
    /// Set name ("" = no set).
    pub set_name: &'a str,
    /// The stored user key, if any.
    pub key: Option<&'a Value>,
    /// Generation.
    pub generation: u32,
    /// Void-time, seconds since 2010-01-01 (0 = never expires).
    pub void_time: u32,
    /// Last-update-time, ms since 2010-01-01.
    pub last_update_ms: u64,
    /// The request's time, ms since 2010-01-01 (from the namespace `Clock`).
    pub now_ms: u64,
    /// Whether the record is a tombstone.
    pub tombstone: bool,
    /// Stored size of the record in bytes.
    pub record_size: u64,
    /// Whether the namespace keeps records in memory only (device_size is then 0).
    pub memory_only: bool,
}

impl<'a> RecordView<'a> {
    /// The same record seen with other bins (an expression op sees the working copy).
    pub fn with_bins(&self, bins: &'a BinList) -> RecordView<'a> {
        RecordView { bins, ..*self }
    }
}

/// A record's metadata owned, for expression ops: their bins change op by op, the metadata
/// (the record as stored before the request) does not.
#[derive(Debug, Clone, Default)]
pub struct RecordMeta {
    /// Digest.
    pub digest: [u8; 20],
    /// Set name.
    pub set_name: String,
    /// Stored user key.
    pub key: Option<Value>,
    /// Generation (0 for a record being created).
    pub generation: u32,
    /// Void-time, s since 2010 (0 = never).
    pub void_time: u32,
    /// Last-update-time, ms since 2010.
    pub last_update_ms: u64,
    /// Request time, ms since 2010.
    pub now_ms: u64,
    /// Tombstone flag.
    pub tombstone: bool,
    /// Stored size in bytes.
    pub record_size: u64,
    /// Memory-only namespace.
    pub memory_only: bool,
}

impl RecordMeta {
    /// The view of this record with `bins`.
    pub fn view<'a>(&'a self, bins: &'a BinList) -> RecordView<'a> {
        RecordView {
            bins,
            digest: &self.digest,
            set_name: &self.set_name,
            key: self.key.as_ref(),
            generation: self.generation,
            void_time: self.void_time,
            last_update_ms: self.last_update_ms,
            now_ms: self.now_ms,
            tombstone: self.tombstone,
            record_size: self.record_size,
            memory_only: self.memory_only,
        }
    }
}

/// A value or unknown (`None`).
pub type Out<'a> = Option<Cow<'a, Value>>;

fn own<'a>(v: Value) -> Out<'a> {
    Some(Cow::Owned(v))
}

fn boolean<'a>(b: bool) -> Out<'a> {
    own(Value::Bool(b))
}

/// Evaluate `e` (already checked) against `view`.
pub fn eval<'a>(e: &'a Expression, view: &RecordView<'a>) -> Out<'a> {
    let mut ev = Eval {
        view,
        vars: Vec::new(),
    };
    let out = ev.exp(e);
    debug_assert!(ev.vars.is_empty(), "every let scope closed");
    out
}

struct Eval<'v, 'a> {
    view: &'v RecordView<'a>,
    vars: Vec<(&'a str, Out<'a>)>,
}

fn typed(v: &Value, t: ExpType) -> bool {
    value_type(v) == t
}

impl<'a> Eval<'_, 'a> {
    fn exp(&mut self, e: &'a Expression) -> Out<'a> {
        match e {
            Expression::Val(v) => Some(Cow::Borrowed(v)),
            // Only meaningful as CDT call arguments (lists.rs reads them there).
            Expression::Infinity | Expression::Wildcard | Expression::Def(..) => None,
            Expression::Bin(name, t) => {
                let v = self.view.bins.get(name)?;
                typed(v, *t).then_some(Cow::Borrowed(v))
            }
            Expression::BinType(name) => {
                let t = self
                    .view
                    .bins
                    .get(name)
                    .map_or(0, |v| v.particle_type() as i64);
                own(Value::Int(t))
            }
            Expression::Key(t) => {
                let k = self.view.key?;
                typed(k, *t).then_some(Cow::Borrowed(k))
            }
            Expression::DigestModulo(m) => {
                let d = self.view.digest;
                let low = u32::from_le_bytes([d[16], d[17], d[18], d[19]]);
                own(Value::Int(i64::from(low).wrapping_rem(*m)))
            }
            Expression::Regex(flags, pattern, target) => {
                let s = self.exp(target)?;
                let Value::String(s) = s.as_ref() else {
                    return None;
                };
                let re = regex::compile(pattern, *flags).ok()?;
                boolean(re.is_match(s))
            }
            Expression::Let(items) => self.let_(items),
            Expression::Var(name) => {
                let (_, v) = self.vars.iter().rev().find(|(n, _)| n == name)?;
                v.clone()
            }
            Expression::Call(c) => cdt_call::eval_call(c, |a| self.exp(a)),
            Expression::Op(code, args) => self.op(*code, args),
        }
    }

    fn let_(&mut self, items: &'a [Expression]) -> Out<'a> {
        let (scope, defs) = items.split_last()?;
        let mark = self.vars.len();
        for d in defs {
            if let Expression::Def(name, value) = d {
                let v = self.exp(value);
                self.vars.push((name, v));
            }
        }
        // `check` refused lets whose definitions are not all `Def`s; inner lets closed theirs.
        debug_assert_eq!(
            self.vars.len(),
            mark + defs.len(),
            "a checked let binds each of its definitions"
        );
        let out = self.exp(scope);
        debug_assert_eq!(
            self.vars.len(),
            mark + defs.len(),
            "inner scopes closed theirs"
        );
        self.vars.truncate(mark);
        out
    }

    fn op(&mut self, code: u8, args: &'a [Expression]) -> Out<'a> {
        match code {
            op::EQ..=op::LE => {
                let a = self.exp(args.first()?)?;
                let b = self.exp(args.get(1)?)?;
                compare_op(code, &a, &b).map(boolean)?
            }
            op::AND => self.logic(args, false),
            op::OR => self.logic(args, true),
            op::NOT => match self.exp(args.first()?)?.as_ref() {
                Value::Bool(b) => boolean(!b),
                _ => None,
            },
            op::XOR => {
                let mut trues = 0;
                for a in args {
                    if let Value::Bool(true) = self.exp(a)?.as_ref() {
                        trues += 1;
                    }
                }
                boolean(trues == 1)
            }
            op::COND => self.cond(args),
            op::INT_LSCAN | op::INT_RSCAN => {
                let v = self.exp(args.first()?)?.as_int()?;
                match self.exp(args.get(1)?)?.as_ref() {
                    Value::Bool(b) => own(Value::Int(crate::expressions::arith::scan(code, v, *b))),
                    _ => None,
                }
            }
            op::DEVICE_SIZE..=op::RECORD_SIZE => self.meta(code),
            op::GEO => {
                let a = self.exp(args.first()?)?;
                let b = self.exp(args.get(1)?)?;
                geo_compare(&a, &b).map(boolean)?
            }
            _ => {
                let vals: Option<Vec<Cow<'a, Value>>> = args.iter().map(|a| self.exp(a)).collect();
                let vals = vals?;
                let vals: Vec<&Value> = vals.iter().map(|v| v.as_ref()).collect();
                crate::expressions::arith::apply(code, &vals).and_then(own)
            }
        }
    }

    fn logic(&mut self, args: &'a [Expression], decisive: bool) -> Out<'a> {
        let mut unknown = false;
        for a in args {
            match self.exp(a).as_deref() {
                Some(Value::Bool(b)) if *b == decisive => return boolean(decisive),
                Some(Value::Bool(_)) => {}
                _ => unknown = true,
            }
        }
        if unknown {
            None
        } else {
            boolean(!decisive)
        }
    }

    fn cond(&mut self, args: &'a [Expression]) -> Out<'a> {
        let (default, pairs) = args.split_last()?;
        debug_assert!(
            pairs.len() % 2 == 0,
            "a checked cond has condition/action pairs and a default"
        );
        for pair in pairs.chunks(2) {
            let [condition, action] = pair else {
                return None;
            };
            match self.exp(condition)?.as_ref() {
                Value::Bool(true) => return self.exp(action),
                Value::Bool(false) => {}
                _ => return None,
            }
        }
        self.exp(default)
    }

    fn meta(&self, code: u8) -> Out<'a> {
        let v = self.view;
        let ns_per_ms: u64 = 1_000_000;
        let epoch_ms = CITRUSLEAF_EPOCH_UNIX_S * 1000;
        let int = |i: u64| own(Value::Int(i64::try_from(i).unwrap_or(i64::MAX)));
        match code {
            op::SET_NAME => own(Value::String(v.set_name.to_string())),
            op::KEY_EXISTS => boolean(v.key.is_some()),
            op::IS_TOMBSTONE => boolean(v.tombstone),
            op::RECORD_SIZE => int(v.record_size),
            op::DEVICE_SIZE => int(if v.memory_only { 0 } else { v.record_size }),
            op::MEMORY_SIZE => int(if v.memory_only { v.record_size } else { 0 }),
            op::LAST_UPDATE => int((v.last_update_ms + epoch_ms).saturating_mul(ns_per_ms)),
            op::SINCE_UPDATE => int(v.now_ms.saturating_sub(v.last_update_ms)),
            op::VOID_TIME if v.void_time == 0 => own(Value::Int(-1)),
            op::VOID_TIME => {
                int((u64::from(v.void_time) + CITRUSLEAF_EPOCH_UNIX_S) * 1_000_000_000)
            }
            op::TTL if v.void_time == 0 => own(Value::Int(-1)),
            // EXP-TTL-1: as TTL-REPORT, at least 1 while the record is live.
            op::TTL => int(u64::from(v.void_time)
                .saturating_sub(v.now_ms / 1000)
                .max(1)),
            _ => None,
        }
    }
}

/// A comparison of two known values; `None` (unknown) when their types differ.
pub fn compare_op(code: u8, a: &Value, b: &Value) -> Option<bool> {
    debug_assert!((op::EQ..=op::LE).contains(&code), "comparison op {code}");
    let ord = match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            return Some(match code {
                op::EQ => x == y,
                op::NE => x != y,
                op::GT => x > y,
                op::GE => x >= y,
                op::LT => x < y,
                _ => x <= y,
            })
        }
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        (Value::Nil, Value::Nil) => Ordering::Equal,
        (Value::List(_), Value::List(_)) | (Value::Map(_), Value::Map(_)) => compare(a, b),
        _ => return None,
    };
    Some(match code {
        op::EQ => ord == Ordering::Equal,
        op::NE => ord != Ordering::Equal,
        op::GT => ord == Ordering::Greater,
        op::GE => ord != Ordering::Less,
        op::LT => ord == Ordering::Less,
        _ => ord != Ordering::Greater,
    })
}

/// EXP-GEO-1: `geo_compare(a, b)`: `a` a point within region `b`, or a region containing
/// point `b`; unknown when either is not GeoJSON that parses (a stored value never checked).
fn geo_compare(a: &Value, b: &Value) -> Option<bool> {
    let (Value::GeoJSON(a), Value::GeoJSON(b)) = (a, b) else {
        return None;
    };
    let (a, b) = (crate::geo::parse(a).ok()?, crate::geo::parse(b).ok()?);
    Some(crate::geo::matches(&a, &b))
}
