//! The expression of an expression index (SIDX-EXP-1, Aerospike 8.1): the index holds, per
//! record, the keys of the value the expression evaluates to on the record's bins, taken as a
//! bin index of the same type and collection takes a bin's value; a record where the value is
//! unknown or of another type is not in the index.
//!
//! The expression is kept as the msgpack bytes the client sent (or `Expression::to_bytes` of
//! an embedded one) beside its decoded tree; two index expressions are equal when their bytes
//! are, which is also how a query names its index (the server compares the buffers).
//!
//! SIDX-EXP-BAD (ParameterError 4, the server's "bad 'exp'"): bytes that do not decode or do
//! not type-check; a result type that is not the index's (the key type for `Default`, a list
//! for `List`, a map for `MapKeys` / `MapValues`); record metadata other than the digest
//! modulo (ttl, void time, last update, set name, sizes, key-exists, tombstone) or the record
//! key, which can change without a bin changing; neither a bin nor the digest modulo; more
//! than `MAX_PACKED` bytes.
//!
//! Invariants: `packed` decodes to `exp` (asserted in `from_packed` / `of`); an expression that
//! passed `validate` evaluates without error on any record, and only from its bins and digest,
//! so its keys change only when the record's bins do (what makes the commit hooks exact).

use crate::error::{Error, Result, ResultCode};
use crate::expressions::{check, ExpType, Expression, RecordView};
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::record::value::Value;
use crate::sindex::definition::{CollectionIndexType, IndexType};

/// Most bytes of an index expression (Aerospike takes at most 16 KiB of base64).
pub const MAX_PACKED: usize = 12 * 1024;

/// The expression of an index; equality is equality of the packed bytes.
#[derive(Debug, Clone)]
pub struct IndexExp {
    exp: Expression,
    packed: Vec<u8>,
}

impl PartialEq for IndexExp {
    fn eq(&self, other: &IndexExp) -> bool {
        self.packed == other.packed
    }
}

impl Eq for IndexExp {}

fn bad(what: impl Into<String>) -> Error {
    Error::new(
        ResultCode::ParameterError,
        format!("bad index expression: {} (SIDX-EXP-BAD)", what.into()),
    )
}

/// A decode or check error of the expression, its code kept: 4 when malformed, 16 for a form
/// aerolite decodes but does not evaluate.
fn refused(e: &Error) -> Error {
    Error::new(
        e.code(),
        format!("bad index expression: {} (SIDX-EXP-BAD)", e.detail()),
    )
}

/// What an expression reads of a record, as far as an index cares.
#[derive(Default)]
struct Reads {
    bins: bool,
    digest: bool,
    /// The first metadata op (or the key) it reads, by name.
    meta: Option<&'static str>,
}

/// The metadata ops an index expression may not read, by wire code (the clients' numbers:
/// 64 digest_modulo is allowed, 65 … 74 are not; the key is its own node).
const META_OPS: [(u8, &str); 10] = [
    (65, "device_size"),
    (66, "last_update"),
    (67, "since_update"),
    (68, "void_time"),
    (69, "ttl"),
    (70, "set_name"),
    (71, "key_exists"),
    (72, "is_tombstone"),
    (73, "memory_size"),
    (74, "record_size"),
];

fn meta_name(code: u8) -> Option<&'static str> {
    META_OPS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Walk `e` (already checked, so its depth is bounded) and note what it reads.
fn reads(e: &Expression, r: &mut Reads) {
    match e {
        Expression::Bin(..) | Expression::BinType(_) => r.bins = true,
        Expression::DigestModulo(_) => r.digest = true,
        Expression::Key(_) => r.meta = r.meta.or(Some("key")),
        Expression::Regex(_, _, inner) | Expression::Def(_, inner) => reads(inner, r),
        Expression::Let(items) => items.iter().for_each(|i| reads(i, r)),
        Expression::Call(c) => {
            c.args.iter().for_each(|a| reads(a, r));
            reads(&c.bin, r);
        }
        Expression::Op(code, args) => {
            r.meta = r.meta.or(meta_name(*code));
            args.iter().for_each(|a| reads(a, r));
        }
        Expression::Val(_) | Expression::Infinity | Expression::Wildcard | Expression::Var(_) => {}
    }
}

/// The expression type an index of `t` and `c` takes.
fn expected(t: IndexType, c: CollectionIndexType) -> ExpType {
    match (c, t) {
        (CollectionIndexType::List, _) => ExpType::LIST,
        (CollectionIndexType::MapKeys | CollectionIndexType::MapValues, _) => ExpType::MAP,
        (CollectionIndexType::Default, IndexType::Numeric) => ExpType::INT,
        (CollectionIndexType::Default, IndexType::String) => ExpType::STRING,
        (CollectionIndexType::Default, IndexType::Blob) => ExpType::BLOB,
        (CollectionIndexType::Default, IndexType::Geo2DSphere) => ExpType::GEO,
    }
}

impl IndexExp {
    /// The index expression of an embedded `Expression` (validated by `validate`).
    pub fn of(exp: &Expression) -> IndexExp {
        let packed = exp.to_bytes();
        debug_assert!(
            Expression::from_bytes(&packed).is_ok_and(|d| d == *exp),
            "an encoded expression decodes to itself"
        );
        IndexExp {
            exp: exp.clone(),
            packed,
        }
    }

    /// The index expression sent (or stored) as `packed`; 4 when it does not decode.
    pub fn from_packed(packed: &[u8]) -> Result<IndexExp> {
        if packed.len() > MAX_PACKED {
            return Err(bad(format!(
                "{} bytes exceed {MAX_PACKED}; index a shorter expression",
                packed.len()
            )));
        }
        let exp = Expression::from_bytes(packed).map_err(|e| refused(&e))?;
        Ok(IndexExp {
            exp,
            packed: packed.to_vec(),
        })
    }

    /// The packed bytes (what a query's INDEX_EXPRESSION field must equal).
    pub fn packed(&self) -> &[u8] {
        &self.packed
    }

    /// The decoded expression.
    pub fn expression(&self) -> &Expression {
        &self.exp
    }

    /// SIDX-EXP-BAD for an index of type `t` and collection `c`.
    pub fn validate(&self, t: IndexType, c: CollectionIndexType) -> Result<()> {
        if self.packed.is_empty() || self.packed.len() > MAX_PACKED {
            return Err(bad(format!(
                "{} bytes, 1 … {MAX_PACKED} expected",
                self.packed.len()
            )));
        }
        let ty = check::check(&self.exp).map_err(|e| refused(&e))?;
        let want = expected(t, c);
        if ty != Some(want) {
            return Err(bad(format!(
                "its type is {ty:?}, a {t:?} {c:?} index takes {want:?}"
            )));
        }
        let mut r = Reads::default();
        reads(&self.exp, &mut r);
        if let Some(m) = r.meta {
            return Err(bad(format!(
                "it reads {m}, which changes without the bins changing; index bins or \
                 digest_modulo only"
            )));
        }
        if !r.bins && !r.digest {
            return Err(bad("it reads no bin and no digest_modulo"));
        }
        Ok(())
    }

    /// The expression's value on a record of `digest` with `bins`; `None` when unknown.
    pub fn value(&self, digest: &Digest, bins: &BinList) -> Option<Value> {
        let view = RecordView {
            bins,
            digest: &digest.0,
            set_name: "",
            key: None,
            generation: 0,
            void_time: 0,
            last_update_ms: 0,
            now_ms: 0,
            tombstone: false,
            record_size: 0,
            memory_only: false,
        };
        // Validated: it type-checks, so evaluation cannot fail (the metadata above is never
        // read: `validate` refused every expression that reads it).
        self.exp.evaluate(&view).ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expressions as x;

    /// `META_OPS` are the builders' codes.
    #[test]
    fn meta_ops_match_the_builders() {
        for (e, name) in [(x::ttl(), "ttl"), (x::record_size(), "record_size")] {
            let Expression::Op(code, _) = e else {
                panic!("a metadata op is an Op node")
            };
            assert_eq!(meta_name(code), Some(name));
        }
        let Expression::Op(code, _) = x::device_size() else {
            panic!("an Op node")
        };
        assert_eq!(code, META_OPS[0].0);
    }

    #[test]
    fn sidx_exp_bad_reads_and_types() {
        let n = IndexType::Numeric;
        let d = CollectionIndexType::Default;
        let ok = IndexExp::of(&x::num_add(vec![x::int_bin("a"), x::int_val(1)]));
        ok.validate(n, d).expect("valid");
        assert_eq!(IndexExp::from_packed(ok.packed()).as_ref().ok(), Some(&ok));
        let code = |e: &Expression, t, c| IndexExp::of(e).validate(t, c).map_err(|e| e.code());
        let p = Err(ResultCode::ParameterError);
        assert_eq!(code(&x::int_bin("a"), IndexType::String, d), p);
        assert_eq!(code(&x::list_bin("l"), n, d), p);
        assert_eq!(code(&x::list_bin("l"), n, CollectionIndexType::List), Ok(()));
        assert_eq!(code(&x::map_bin("m"), n, CollectionIndexType::MapKeys), Ok(()));
        assert_eq!(code(&x::last_update(), n, d), p);
        assert_eq!(code(&x::key(ExpType::INT), n, d), p);
        assert_eq!(code(&x::int_val(1), n, d), p);
        assert_eq!(code(&x::digest_modulo(4), n, d), Ok(()));
        assert!(IndexExp::from_packed(&[0xc1]).is_err(), "not msgpack");
        assert!(IndexExp::from_packed(&vec![0; MAX_PACKED + 1]).is_err());
    }

    #[test]
    fn value_of_a_record() {
        let e = IndexExp::of(&x::num_add(vec![x::int_bin("a"), x::int_bin("b")]));
        let mut bins = BinList::new();
        bins.push("a", Value::Int(2));
        let d = Digest([7; 20]);
        assert_eq!(e.value(&d, &bins), None, "b missing: unknown");
        bins.push("b", Value::Int(3));
        assert_eq!(e.value(&d, &bins), Some(Value::Int(5)));
    }
}
