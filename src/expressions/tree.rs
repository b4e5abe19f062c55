//! The expression tree: Aerospike's filter-expression language as data (docs/expressions.md).
//!
//! One node per wire form. Literal values are `Val`; a list literal is quoted on the wire
//! (`[126, list]`), every other value is a bare msgpack value. Ops whose arguments are all
//! sub-expressions share the generic `Op(code, args)` node (comparisons, logic, arithmetic,
//! metadata, `cond`, `unknown`); the ops with static (non-expression) parameters have their own
//! node. Invariants: a tree built by the builders or accepted by `decode` encodes to the bytes
//! the official clients send for it; `check` (check.rs) decides whether a tree is well typed, and
//! nothing is evaluated before it passed.

use crate::record::value::Value;

/// Result types of expressions, with the official clients' numbers (wire value).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpType {
    /// Nil.
    NIL = 0,
    /// Boolean (a trilean while evaluating: true, false or unknown).
    BOOL = 1,
    /// 64-bit integer.
    INT = 2,
    /// String.
    STRING = 3,
    /// List.
    LIST = 4,
    /// Map.
    MAP = 5,
    /// Bytes.
    BLOB = 6,
    /// Double.
    FLOAT = 7,
    /// GeoJSON.
    GEO = 8,
    /// HyperLogLog (not supported by aerolite's evaluator).
    HLL = 9,
}

impl ExpType {
    /// The type of a wire number; `None` for a number no client sends.
    pub fn from_wire(n: i64) -> Option<ExpType> {
        Some(match n {
            0 => ExpType::NIL,
            1 => ExpType::BOOL,
            2 => ExpType::INT,
            3 => ExpType::STRING,
            4 => ExpType::LIST,
            5 => ExpType::MAP,
            6 => ExpType::BLOB,
            7 => ExpType::FLOAT,
            8 => ExpType::GEO,
            9 => ExpType::HLL,
            _ => return None,
        })
    }
}

/// Wire op codes (the first element of an expression array).
pub mod op {
    #![allow(missing_docs)]
    pub const UNKNOWN: u8 = 0;
    pub const EQ: u8 = 1;
    pub const NE: u8 = 2;
    pub const GT: u8 = 3;
    pub const GE: u8 = 4;
    pub const LT: u8 = 5;
    pub const LE: u8 = 6;
    pub const REGEX: u8 = 7;
    pub const GEO: u8 = 8;
    pub const AND: u8 = 16;
    pub const OR: u8 = 17;
    pub const NOT: u8 = 18;
    pub const XOR: u8 = 19;
    pub const ADD: u8 = 20;
    pub const SUB: u8 = 21;
    pub const MUL: u8 = 22;
    pub const DIV: u8 = 23;
    pub const POW: u8 = 24;
    pub const LOG: u8 = 25;
    pub const MOD: u8 = 26;
    pub const ABS: u8 = 27;
    pub const FLOOR: u8 = 28;
    pub const CEIL: u8 = 29;
    pub const TO_INT: u8 = 30;
    pub const TO_FLOAT: u8 = 31;
    pub const INT_AND: u8 = 32;
    pub const INT_OR: u8 = 33;
    pub const INT_XOR: u8 = 34;
    pub const INT_NOT: u8 = 35;
    pub const INT_LSHIFT: u8 = 36;
    pub const INT_RSHIFT: u8 = 37;
    pub const INT_ARSHIFT: u8 = 38;
    pub const INT_COUNT: u8 = 39;
    pub const INT_LSCAN: u8 = 40;
    pub const INT_RSCAN: u8 = 41;
    pub const MIN: u8 = 50;
    pub const MAX: u8 = 51;
    pub const DIGEST_MODULO: u8 = 64;
    pub const DEVICE_SIZE: u8 = 65;
    pub const LAST_UPDATE: u8 = 66;
    pub const SINCE_UPDATE: u8 = 67;
    pub const VOID_TIME: u8 = 68;
    pub const TTL: u8 = 69;
    pub const SET_NAME: u8 = 70;
    pub const KEY_EXISTS: u8 = 71;
    pub const IS_TOMBSTONE: u8 = 72;
    pub const MEMORY_SIZE: u8 = 73;
    pub const RECORD_SIZE: u8 = 74;
    pub const KEY: u8 = 80;
    pub const BIN: u8 = 81;
    pub const BIN_TYPE: u8 = 82;
    pub const COND: u8 = 123;
    pub const VAR: u8 = 124;
    pub const LET: u8 = 125;
    pub const QUOTED: u8 = 126;
    pub const CALL: u8 = 127;
}

/// A CDT read (or modify) call on a list or map: `[127, type, module, [op, args…], bin]`, with
/// a context as `[0xff, [id, value, …], [op, args…]]` in the fourth place.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The declared result type.
    pub return_type: ExpType,
    /// 0 = CDT read; 0x40 = CDT modify (EXP-CDT-MODIFY); 1 / 2 = bit / HLL (not evaluated).
    pub module: i64,
    /// Context steps as on the wire: (type id, value).
    pub ctx: Vec<(i64, Value)>,
    /// The CDT op code (list 0…63, map 64…127).
    pub cdt_op: i64,
    /// The op's arguments (return type, selectors), each an expression.
    pub args: Vec<Expression>,
    /// The list or map the call reads or modifies a copy of (a bin or another call).
    pub bin: Expression,
}

/// An expression (the official clients' `Expression` / `Exp`).
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// A literal: nil, bool, int, float, string, blob, GeoJSON, list (quoted) or map.
    Val(Value),
    /// The CDT selector value INFINITY (msgpack ext `d4 ff 01`).
    Infinity,
    /// The CDT selector value WILDCARD (msgpack ext `d4 ff 00`).
    Wildcard,
    /// `[81, type, name]`: the bin's value if it has `type`, else unknown.
    Bin(String, ExpType),
    /// `[82, name]`: the bin's particle type (0 when absent).
    BinType(String),
    /// `[80, type]`: the stored user key if it has `type`, else unknown.
    Key(ExpType),
    /// `[64, modulo]`.
    DigestModulo(i64),
    /// `[7, flags, regex, string expression]`.
    Regex(i64, String, Box<Expression>),
    /// `[125, name, exp, …, scope]`: the entries are `Def`s, the last one the scope.
    Let(Vec<Expression>),
    /// A `let` variable definition (only meaningful inside `Let`).
    Def(String, Box<Expression>),
    /// `[124, name]`.
    Var(String),
    /// `[127, …]`: a list or map read or modify.
    Call(Box<Call>),
    /// `[code, args…]` for every op without static parameters.
    Op(u8, Vec<Expression>),
}
