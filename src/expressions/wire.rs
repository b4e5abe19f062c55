//! The msgpack wire form of expressions: exactly the bytes the official clients send (field
//! FILTER_EXP of a command, and the payload of an expression op), and the decoder a wire
//! server uses for them.
//!
//! Invariants: `decode` never panics on any input; it reads at most `MAX_EXP_BYTES` bytes and
//! nests at most `MAX_EXP_DEPTH` expressions deep; it consumes the whole input; `encode` of what
//! `decode` returns gives back the input when the input used the encoder's (shortest) widths.
//! Literal values use the CDT particle msgpack of `format::pack` (strings, bytes and GeoJSON carry
//! their particle type as first byte); names (bins, variables) and regex patterns are plain
//! msgpack strings.

use crate::error::{Error, Result, ResultCode};
use crate::expressions::tree::{op, Call, ExpType, Expression};
use crate::format::msgpack;
use crate::format::pack;
use crate::format::particle::{DecodeError, Reader};
use crate::record::value::Value;

/// Deepest nesting of expressions `decode` accepts (and `check` allows for built trees).
pub const MAX_EXP_DEPTH: usize = 64;
/// Largest encoded expression `decode` accepts (the server's limit: 1 MiB).
pub const MAX_EXP_BYTES: usize = 1 << 20;
/// Context marker of a CDT call's argument list.
const CTX_EVAL: i64 = 0xff;

fn array_header(n: usize, out: &mut Vec<u8>) {
    crate::format::pack::container_header(out, n, 0x90, 0xdc, 0xdd);
}

fn raw_str(s: &str, out: &mut Vec<u8>) {
    crate::format::pack::str_header(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn int(i: i64, out: &mut Vec<u8>) {
    pack::pack(&Value::Int(i), out);
}

/// The wire bytes of `e`.
pub fn encode(e: &Expression) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(e, &mut out);
    out
}

/// Append the wire bytes of `e`.
pub fn encode_into(e: &Expression, out: &mut Vec<u8>) {
    match e {
        Expression::Val(v @ Value::List(_)) => {
            array_header(2, out);
            int(i64::from(op::QUOTED), out);
            msgpack::encode(v, out);
        }
        Expression::Val(v) => msgpack::encode(v, out),
        Expression::Infinity => out.extend_from_slice(&[0xd4, 0xff, 0x01]),
        Expression::Wildcard => out.extend_from_slice(&[0xd4, 0xff, 0x00]),
        Expression::Bin(name, t) => {
            array_header(3, out);
            int(i64::from(op::BIN), out);
            int(*t as i64, out);
            raw_str(name, out);
        }
        Expression::BinType(name) | Expression::Var(name) => {
            array_header(2, out);
            let code = if matches!(e, Expression::Var(_)) {
                op::VAR
            } else {
                op::BIN_TYPE
            };
            int(i64::from(code), out);
            raw_str(name, out);
        }
        Expression::Key(t) => encode_static(op::KEY, *t as i64, out),
        Expression::DigestModulo(m) => encode_static(op::DIGEST_MODULO, *m, out),
        Expression::Regex(flags, pattern, target) => {
            array_header(4, out);
            int(i64::from(op::REGEX), out);
            int(*flags, out);
            raw_str(pattern, out);
            encode_into(target, out);
        }
        Expression::Let(items) => {
            array_header(items.len().saturating_sub(1) * 2 + 2, out);
            int(i64::from(op::LET), out);
            items.iter().for_each(|i| encode_into(i, out));
        }
        Expression::Def(name, value) => {
            raw_str(name, out);
            encode_into(value, out);
        }
        Expression::Call(call) => encode_call(call, out),
        Expression::Op(code, args) => {
            array_header(args.len() + 1, out);
            int(i64::from(*code), out);
            args.iter().for_each(|a| encode_into(a, out));
        }
    }
}

fn encode_static(code: u8, param: i64, out: &mut Vec<u8>) {
    array_header(2, out);
    int(i64::from(code), out);
    int(param, out);
}

fn encode_call(c: &Call, out: &mut Vec<u8>) {
    array_header(5, out);
    int(i64::from(op::CALL), out);
    int(c.return_type as i64, out);
    int(c.module, out);
    if !c.ctx.is_empty() {
        array_header(3, out);
        int(CTX_EVAL, out);
        array_header(c.ctx.len() * 2, out);
        for (id, v) in &c.ctx {
            int(*id, out);
            pack::pack(v, out);
        }
    }
    array_header(c.args.len() + 1, out);
    int(c.cdt_op, out);
    c.args.iter().for_each(|a| encode_into(a, out));
    encode_into(&c.bin, out);
}

/// Decode one expression from the whole of `bytes` (a FILTER_EXP field or an exp op's
/// expression). Bad input → ParameterError (4) naming the offset and the problem.
pub fn decode(bytes: &[u8]) -> Result<Expression> {
    if bytes.len() > MAX_EXP_BYTES {
        return Err(bad(0, "expression larger than 1 MiB (MAX_EXP_BYTES)"));
    }
    let mut d = Decoder {
        r: Reader::new(bytes),
    };
    let e = d.exp(0)?;
    if d.r.remaining() != 0 {
        return Err(bad(d.r.position(), "bytes after the expression"));
    }
    Ok(e)
}

fn bad(at: usize, what: &str) -> Error {
    Error::new(
        ResultCode::ParameterError,
        format!("filter expression bytes, offset {at}: {what}"),
    )
}

/// Read with `$e` and turn a decode error into a ParameterError at the current offset.
macro_rules! w {
    ($s:ident, $e:expr) => {{
        let res = $e;
        $s.wrap(res)
    }};
}

struct Decoder<'a> {
    r: Reader<'a>,
}

impl Decoder<'_> {
    fn fail(&self, what: &str) -> Error {
        bad(self.r.position(), what)
    }

    fn wrap<T>(&self, res: std::result::Result<T, DecodeError>) -> Result<T> {
        res.map_err(|DecodeError(what)| self.fail(what))
    }

    /// A literal in the clients' msgpack form: an ordered list or map carries the ext8 order
    /// header `c7 00 <flags>` (issue 15), not the stored form's `d4 ff <flags>`.
    fn value(&mut self, depth: usize) -> Result<Value> {
        let at = self.r.position();
        msgpack::unpack(&mut self.r, depth).map_err(|e| bad(at, e.detail()))
    }

    fn int(&mut self) -> Result<i64> {
        match self.value(0)? {
            Value::Int(i) => Ok(i),
            _ => Err(self.fail("expected an integer")),
        }
    }

    fn array(&mut self) -> Result<usize> {
        let b = w!(self, self.r.u8())?;
        let n = match b {
            0x90..=0x9f => usize::from(b & 0x0f),
            0xdc => usize::from(u16::from_be_bytes(w!(self, self.r.array())?)),
            0xdd => u32::from_be_bytes(w!(self, self.r.array())?) as usize,
            _ => return Err(self.fail("expected an array")),
        };
        // Every element takes at least one byte: a count beyond the bytes left is malformed.
        if n > self.r.remaining() {
            return Err(self.fail("array count beyond the end of the input"));
        }
        Ok(n)
    }

    fn name(&mut self) -> Result<String> {
        let b = w!(self, self.r.u8())?;
        let n = match b {
            0xa0..=0xbf => usize::from(b & 0x1f),
            0xd9 | 0xc4 => usize::from(w!(self, self.r.u8())?),
            0xda | 0xc5 => usize::from(u16::from_be_bytes(w!(self, self.r.array())?)),
            0xdb | 0xc6 => u32::from_be_bytes(w!(self, self.r.array())?) as usize,
            _ => return Err(self.fail("expected a name string")),
        };
        let bytes = w!(self, self.r.take(n))?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.fail("name is not UTF-8"))
    }

    fn exp(&mut self, depth: usize) -> Result<Expression> {
        if depth > MAX_EXP_DEPTH {
            return Err(self.fail("expression nested deeper than 64 (MAX_EXP_DEPTH)"));
        }
        match self.r.peek() {
            Some(0x90..=0x9f | 0xdc | 0xdd) => self.op(depth),
            Some(0xd4) => {
                let ext = w!(self, self.r.take(3))?;
                match ext {
                    [0xd4, 0xff, 0x01] => Ok(Expression::Infinity),
                    [0xd4, 0xff, 0x00] => Ok(Expression::Wildcard),
                    _ => Err(self.fail("unknown msgpack extension value")),
                }
            }
            Some(_) => Ok(Expression::Val(self.value(depth)?)),
            None => Err(self.fail("truncated: expected an expression")),
        }
    }

    fn subs(&mut self, n: usize, depth: usize) -> Result<Vec<Expression>> {
        (0..n).map(|_| self.exp(depth + 1)).collect()
    }

    fn exp_type(&mut self) -> Result<ExpType> {
        let t = self.int()?;
        ExpType::from_wire(t).ok_or_else(|| self.fail("unknown expression type number"))
    }

    fn op(&mut self, depth: usize) -> Result<Expression> {
        let n = self.array()?;
        if n == 0 {
            return Err(self.fail("empty expression array"));
        }
        let code = self.int()?;
        let code = u8::try_from(code).map_err(|_| self.fail("unknown op code"))?;
        let expect = |d: &Self, want: usize| {
            if n == want {
                Ok(())
            } else {
                Err(d.fail(&format!(
                    "op {code} takes {} arguments, found {}",
                    want - 1,
                    n - 1
                )))
            }
        };
        Ok(match code {
            op::QUOTED => {
                expect(self, 2)?;
                match self.value(depth)? {
                    v @ Value::List(_) => Expression::Val(v),
                    _ => return Err(self.fail("quoted value is not a list")),
                }
            }
            op::BIN => {
                expect(self, 3)?;
                let t = self.exp_type()?;
                Expression::Bin(self.name()?, t)
            }
            op::BIN_TYPE | op::VAR => {
                expect(self, 2)?;
                let name = self.name()?;
                if code == op::VAR {
                    Expression::Var(name)
                } else {
                    Expression::BinType(name)
                }
            }
            op::KEY => {
                expect(self, 2)?;
                Expression::Key(self.exp_type()?)
            }
            op::DIGEST_MODULO => {
                expect(self, 2)?;
                Expression::DigestModulo(self.int()?)
            }
            op::REGEX => {
                expect(self, 4)?;
                let flags = self.int()?;
                let pattern = self.name()?;
                Expression::Regex(flags, pattern, Box::new(self.exp(depth + 1)?))
            }
            op::LET => self.let_(n, depth)?,
            op::CALL => {
                expect(self, 5)?;
                self.call(depth)?
            }
            c if is_generic(c) => Expression::Op(c, self.subs(n - 1, depth)?),
            _ => return Err(self.fail(&format!("unknown op code {code}"))),
        })
    }

    fn let_(&mut self, n: usize, depth: usize) -> Result<Expression> {
        if !n.is_multiple_of(2) {
            return Err(self.fail("let needs name/value pairs and a scope"));
        }
        let mut items = Vec::with_capacity(n / 2);
        for _ in 0..(n - 2) / 2 {
            let name = self.name()?;
            items.push(Expression::Def(name, Box::new(self.exp(depth + 1)?)));
        }
        items.push(self.exp(depth + 1)?);
        Ok(Expression::Let(items))
    }

    fn call(&mut self, depth: usize) -> Result<Expression> {
        let return_type = self.exp_type()?;
        let module = self.int()?;
        let mut n = self.array()?;
        let mut cdt_op = if n == 0 {
            return Err(self.fail("empty CDT call"));
        } else {
            self.int()?
        };
        let mut ctx = Vec::new();
        if cdt_op == CTX_EVAL {
            if n != 3 {
                return Err(self.fail("CDT context call needs [0xff, context, op]"));
            }
            let m = self.array()?;
            if m == 0 || m % 2 != 0 {
                return Err(self.fail("context needs (type, value) pairs"));
            }
            for _ in 0..m / 2 {
                let id = self.int()?;
                ctx.push((id, self.value(depth + 1)?));
            }
            n = self.array()?;
            if n == 0 {
                return Err(self.fail("empty CDT call"));
            }
            cdt_op = self.int()?;
        }
        let args = self.subs(n - 1, depth)?;
        let bin = self.exp(depth + 1)?;
        Ok(Expression::Call(Box::new(Call {
            return_type,
            module,
            ctx,
            cdt_op,
            args,
            bin,
        })))
    }
}

/// Ops whose arguments are all sub-expressions (`Expression::Op`).
pub fn is_generic(code: u8) -> bool {
    matches!(code, op::UNKNOWN..=op::LE | op::GEO | op::AND..=op::INT_RSCAN | op::MIN | op::MAX
        | op::DEVICE_SIZE..=op::RECORD_SIZE | op::COND)
}
