//! Static checks of an expression tree, the rules the server applies when it builds an
//! expression (EXP-TYPE-1): argument counts, argument types (comparisons of equal types,
//! logic on booleans, arithmetic on all-int or all-float), names, let/var scoping, and the
//! supported CDT calls (reads, and modifies with module flag 0x40). A failed check is
//! ParameterError (4), or UnsupportedFeature (16) for forms aerolite decodes but does not
//! evaluate (bit / HLL modules, CDT op codes it has no op for).
//!
//! Invariant: an expression that passed `check` evaluates without a type error; every value a
//! node produces at run time has the node's static type or is unknown.

use crate::error::{err, Result, ResultCode};
use crate::expressions::cdt_call::MODIFY;
use crate::expressions::tree::{op, Call, ExpType, Expression};
use crate::expressions::wire::MAX_EXP_DEPTH;
use crate::expressions::{lists, maps};
use crate::record::value::Value;

/// A static type; `None` = any (`unknown()`, INFINITY, WILDCARD).
pub type Ty = Option<ExpType>;

/// The static result type of `e`, or the reason it is malformed.
pub fn check(e: &Expression) -> Result<Ty> {
    Checker { scope: Vec::new() }.exp(e, 0)
}

/// `check`, and the result must be a boolean (a filter, EXP-FILTER-BOOL).
pub fn check_filter(e: &Expression) -> Result<()> {
    match check(e)? {
        Some(ExpType::BOOL) | None => Ok(()),
        Some(t) => err(
            ResultCode::ParameterError,
            format!("a filter expression must be boolean, this one is {t:?} (EXP-FILTER-BOOL)"),
        ),
    }
}

fn bad<T>(what: String) -> Result<T> {
    err(
        ResultCode::ParameterError,
        format!("expression: {what} (EXP-TYPE-1)"),
    )
}

/// The type of a literal value. The selector values WILDCARD and INFINITY are typed "any" by
/// the checker (see `Checker::exp`) and report NIL here.
pub fn value_type(v: &Value) -> ExpType {
    match v {
        Value::Nil | Value::Wildcard | Value::Infinity => ExpType::NIL,
        Value::Bool(_) => ExpType::BOOL,
        Value::Int(_) => ExpType::INT,
        Value::Float(_) => ExpType::FLOAT,
        Value::String(_) => ExpType::STRING,
        Value::Blob(_) | Value::Other { .. } => ExpType::BLOB,
        Value::GeoJSON(_) => ExpType::GEO,
        Value::List(_) => ExpType::LIST,
        Value::Map(_) => ExpType::MAP,
    }
}

fn compatible(a: Ty, b: Ty) -> bool {
    a.is_none() || b.is_none() || a == b
}

struct Checker<'e> {
    scope: Vec<(&'e str, Ty)>,
}

impl<'e> Checker<'e> {
    fn exp(&mut self, e: &'e Expression, depth: usize) -> Result<Ty> {
        if depth > MAX_EXP_DEPTH {
            return bad(format!("nested deeper than {MAX_EXP_DEPTH}"));
        }
        Ok(match e {
            Expression::Val(Value::Wildcard | Value::Infinity) => None,
            Expression::Val(v) => Some(value_type(v)),
            Expression::Infinity | Expression::Wildcard => None,
            Expression::Bin(name, t) => {
                bin_name(name)?;
                Some(*t)
            }
            Expression::BinType(name) => {
                bin_name(name)?;
                Some(ExpType::INT)
            }
            Expression::Key(t) => match t {
                ExpType::INT | ExpType::STRING | ExpType::BLOB => Some(*t),
                _ => return bad(format!("key type {t:?}; INT, STRING or BLOB")),
            },
            Expression::DigestModulo(m) => {
                if *m == 0 || i32::try_from(*m).is_err() {
                    return bad(format!("digest_modulo({m}); a non-zero 32-bit integer"));
                }
                Some(ExpType::INT)
            }
            Expression::Regex(flags, pattern, target) => {
                crate::expressions::regex::compile(pattern, *flags)?;
                self.want(target, ExpType::STRING, depth, "regex_compare target")?;
                Some(ExpType::BOOL)
            }
            Expression::Let(items) => self.let_(items, depth)?,
            Expression::Def(name, _) => return bad(format!("def({name:?}) outside exp_let")),
            Expression::Var(name) => match self.scope.iter().rev().find(|(n, _)| n == name) {
                Some((_, t)) => *t,
                None => return bad(format!("var({name:?}) is not defined by an enclosing let")),
            },
            Expression::Call(c) => self.call(c, depth)?,
            Expression::Op(code, args) => self.op(*code, args, depth)?,
        })
    }

    fn want(&mut self, e: &'e Expression, t: ExpType, depth: usize, what: &str) -> Result<()> {
        let got = self.exp(e, depth + 1)?;
        if !compatible(got, Some(t)) {
            return bad(format!("{what} must be {t:?}, is {got:?}"));
        }
        Ok(())
    }

    fn let_(&mut self, items: &'e [Expression], depth: usize) -> Result<Ty> {
        let Some((scope, defs)) = items.split_last() else {
            return bad("exp_let without a scope expression".into());
        };
        let mark = self.scope.len();
        for d in defs {
            let Expression::Def(name, value) = d else {
                return bad("exp_let entries before the last must be def(…)".into());
            };
            let t = self.exp(value, depth + 1)?;
            self.scope.push((name, t));
        }
        let t = self.exp(scope, depth + 1);
        self.scope.truncate(mark);
        t
    }

    fn call(&mut self, c: &'e Call, depth: usize) -> Result<Ty> {
        let modify = c.module == MODIFY;
        if c.module != 0 && !modify {
            return err(
                ResultCode::UnsupportedFeature,
                format!(
                    "expression call module {:#x}: only CDT reads and modifies are supported",
                    c.module
                ),
            );
        }
        let (is_list, is_map) = if modify {
            (lists::is_modify_op(c.cdt_op), maps::is_modify_op(c.cdt_op))
        } else {
            (lists::is_read_op(c.cdt_op), maps::is_read_op(c.cdt_op))
        };
        if !is_list && !is_map {
            let kind = if modify { "modify" } else { "read" };
            return err(
                ResultCode::UnsupportedFeature,
                format!(
                    "CDT op {} in an expression {kind} call: not a list/map {kind} aerolite evaluates",
                    c.cdt_op
                ),
            );
        }
        let mut container = self.exp(&c.bin, depth + 1)?;
        if modify && container == Some(ExpType::NIL) {
            // EXP-CDT-MODIFY: a nil container is an empty bin, as the server builds it.
            container = None;
        }
        let want = if is_list { ExpType::LIST } else { ExpType::MAP };
        if !c.ctx.is_empty() && !matches!(container, Some(ExpType::LIST | ExpType::MAP) | None) {
            return bad(format!("CDT call on {container:?}"));
        }
        // A modify takes any list or map container, as the server builds it (a wrong kind
        // fails when applied: unknown, EXP-CDT-MODIFY); a read wants its own kind here.
        let any_container = modify && matches!(container, Some(ExpType::LIST | ExpType::MAP));
        if c.ctx.is_empty() && !any_container && !compatible(container, Some(want)) {
            return bad(format!("{want:?} call on {container:?}"));
        }
        for a in &c.args {
            self.exp(a, depth + 1)?;
        }
        Ok(Some(c.return_type))
    }

    fn all(&mut self, args: &'e [Expression], depth: usize) -> Result<Vec<Ty>> {
        args.iter().map(|a| self.exp(a, depth + 1)).collect()
    }

    fn op(&mut self, code: u8, args: &'e [Expression], depth: usize) -> Result<Ty> {
        let n = args.len();
        let count = |ok: bool, want: &str| {
            if ok {
                Ok(())
            } else {
                bad(format!("op {code} takes {want} arguments, has {n}"))
            }
        };
        let tys = self.all(args, depth)?;
        let each = |t: ExpType| tys.iter().all(|a| compatible(*a, Some(t)));
        use ExpType::{BOOL, INT, STRING};
        Ok(match code {
            op::UNKNOWN => {
                count(n == 0, "0")?;
                None
            }
            op::EQ..=op::LE => {
                count(n == 2, "2")?;
                if !compatible(tys[0], tys[1])
                    || matches!(tys[0], Some(ExpType::GEO | ExpType::HLL))
                {
                    return bad(format!("cannot compare {:?} with {:?}", tys[0], tys[1]));
                }
                Some(BOOL)
            }
            op::GEO => {
                count(n == 2, "2")?;
                geo_compare(args, &tys)?
            }
            op::AND | op::OR | op::XOR => {
                count(n >= 2, "at least 2")?;
                typed(each(BOOL), "logic arguments must be boolean", BOOL)?
            }
            op::NOT => {
                count(n == 1, "1")?;
                typed(each(BOOL), "not() needs a boolean", BOOL)?
            }
            op::ADD..=op::INT_RSCAN | op::MIN | op::MAX => arith(code, &tys)?,
            op::SET_NAME => meta(n, STRING)?,
            op::KEY_EXISTS | op::IS_TOMBSTONE => meta(n, BOOL)?,
            op::DEVICE_SIZE..=op::RECORD_SIZE => meta(n, INT)?,
            op::COND => cond(&tys)?,
            _ => return bad(format!("unknown op code {code}")),
        })
    }
}

/// EXP-GEO-1: `geo_compare` takes two GeoJSON arguments; a GeoJSON literal must parse.
fn geo_compare(args: &[Expression], tys: &[Ty]) -> Result<Ty> {
    if !tys.iter().all(|t| compatible(*t, Some(ExpType::GEO))) {
        return bad(format!(
            "geo_compare needs two GeoJSON arguments, has {tys:?}"
        ));
    }
    for a in args {
        if let Expression::Val(Value::GeoJSON(text)) = a {
            crate::geo::parse_param(text)?;
        }
    }
    Ok(Some(ExpType::BOOL))
}

/// Arithmetic and integer ops: argument counts and types (EXP-TYPE-1).
fn arith(code: u8, tys: &[Ty]) -> Result<Ty> {
    use ExpType::{BOOL, FLOAT, INT};
    let n = tys.len();
    Ok(match code {
        op::ADD | op::SUB | op::MUL | op::DIV | op::MIN | op::MAX => {
            count(n, code, n >= 1, "at least 1")?;
            numeric(tys)?
        }
        op::ABS => {
            count(n, code, n == 1, "1")?;
            numeric(tys)?
        }
        op::POW | op::LOG => {
            count(n, code, n == 2, "2")?;
            typed(each(tys, FLOAT), "pow/log need doubles", FLOAT)?
        }
        op::FLOOR | op::CEIL => {
            count(n, code, n == 1, "1")?;
            typed(each(tys, FLOAT), "floor/ceil need a double", FLOAT)?
        }
        op::TO_INT => {
            count(n, code, n == 1, "1")?;
            typed(each(tys, FLOAT), "to_int needs a double", INT)?
        }
        op::TO_FLOAT => {
            count(n, code, n == 1, "1")?;
            typed(each(tys, INT), "to_float needs an integer", FLOAT)?
        }
        op::MOD | op::INT_LSHIFT | op::INT_RSHIFT | op::INT_ARSHIFT => {
            count(n, code, n == 2, "2")?;
            typed(each(tys, INT), "integer op on non-integers", INT)?
        }
        op::INT_AND | op::INT_OR | op::INT_XOR => {
            count(n, code, n >= 1, "at least 1")?;
            typed(each(tys, INT), "integer op on non-integers", INT)?
        }
        op::INT_NOT | op::INT_COUNT => {
            count(n, code, n == 1, "1")?;
            typed(each(tys, INT), "integer op on a non-integer", INT)?
        }
        op::INT_LSCAN | op::INT_RSCAN => {
            count(n, code, n == 2, "2")?;
            let ok = compatible(tys[0], Some(INT)) && compatible(tys[1], Some(BOOL));
            typed(ok, "bit scan needs (integer, boolean)", INT)?
        }
        _ => return bad(format!("unknown op code {code}")),
    })
}

fn count(n: usize, code: u8, ok: bool, want: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        bad(format!("op {code} takes {want} arguments, has {n}"))
    }
}

fn each(tys: &[Ty], t: ExpType) -> bool {
    tys.iter().all(|a| compatible(*a, Some(t)))
}

fn typed(ok: bool, what: &str, result: ExpType) -> Result<Ty> {
    if ok {
        Ok(Some(result))
    } else {
        bad(what.to_string())
    }
}

fn meta(n: usize, t: ExpType) -> Result<Ty> {
    typed(n == 0, "metadata ops take no arguments", t)
}

fn numeric(tys: &[Ty]) -> Result<Ty> {
    let mut seen: Ty = None;
    for t in tys.iter().flatten() {
        if !matches!(t, ExpType::INT | ExpType::FLOAT) || !compatible(seen, Some(*t)) {
            return bad(format!("arithmetic on {t:?} mixed with {seen:?}"));
        }
        seen = Some(*t);
    }
    Ok(seen)
}

fn cond(tys: &[Ty]) -> Result<Ty> {
    if tys.len() < 3 || tys.len().is_multiple_of(2) {
        return bad(format!(
            "cond takes condition/action pairs and a default, has {}",
            tys.len()
        ));
    }
    let mut result: Ty = None;
    for (i, t) in tys.iter().enumerate() {
        let is_condition = i % 2 == 0 && i + 1 < tys.len();
        if is_condition {
            if !compatible(*t, Some(ExpType::BOOL)) {
                return bad(format!("cond condition {} is {t:?}, not boolean", i / 2));
            }
        } else if !compatible(result, *t) {
            return bad(format!("cond actions mix {result:?} and {t:?}"));
        } else if t.is_some() {
            result = *t;
        }
    }
    Ok(result)
}

fn bin_name(name: &str) -> Result<()> {
    // aerolite's bin-name rule (B-NAME): at most 15 bytes, no NUL.
    if name.len() > 15 || name.contains('\0') {
        return bad(format!("bin name {name:?}: at most 15 bytes without NUL"));
    }
    Ok(())
}
