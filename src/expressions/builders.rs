//! Builders named as the official Aerospike Rust client's `aerospike::expressions` functions.
//! Names take `impl Into<String>` so both `int_bin("a")` and ported `int_bin("a".to_string())`
//! compile. Each builder only assembles the tree; `check` judges it.

use crate::expressions::tree::{op, ExpType, Expression};
use crate::record::value::{ParticleType, Value};

fn op0(code: u8) -> Expression {
    Expression::Op(code, Vec::new())
}

fn op1(code: u8, a: Expression) -> Expression {
    Expression::Op(code, vec![a])
}

fn op2(code: u8, a: Expression, b: Expression) -> Expression {
    Expression::Op(code, vec![a, b])
}

macro_rules! bins {
    ($($(#[$doc:meta])* $name:ident => $t:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(name: impl Into<String>) -> Expression {
            Expression::Bin(name.into(), ExpType::$t)
        }
    )*};
}

bins! {
    /// Integer bin value (unknown when absent or not an integer).
    int_bin => INT;
    /// Double bin value.
    float_bin => FLOAT;
    /// String bin value.
    string_bin => STRING;
    /// Bytes bin value.
    blob_bin => BLOB;
    /// Boolean bin value.
    bool_bin => BOOL;
    /// List bin value.
    list_bin => LIST;
    /// Map bin value.
    map_bin => MAP;
    /// GeoJSON bin value.
    geo_bin => GEO;
    /// HyperLogLog bin value (HLL bins do not exist in aerolite: always unknown).
    hll_bin => HLL;
}

/// Whether the bin exists: `bin_type(name) != 0`, as the official client builds it.
pub fn bin_exists(name: impl Into<String>) -> Expression {
    ne(bin_type(name), int_val(ParticleType::Null as i64))
}

/// The bin's particle type number (0 when absent).
pub fn bin_type(name: impl Into<String>) -> Expression {
    Expression::BinType(name.into())
}

/// The stored user key, when it has type `exp_type` (INT, STRING or BLOB).
pub fn key(exp_type: ExpType) -> Expression {
    Expression::Key(exp_type)
}

macro_rules! meta {
    ($($(#[$doc:meta])* $name:ident => $code:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name() -> Expression {
            op0(op::$code)
        }
    )*};
}

meta! {
    /// Whether the record has a stored user key.
    key_exists => KEY_EXISTS;
    /// The record's set name ("" without a set).
    set_name => SET_NAME;
    /// The stored size of the record in bytes.
    record_size => RECORD_SIZE;
    /// Deprecated: the record's size on the device (0 in a memory namespace).
    device_size => DEVICE_SIZE;
    /// Deprecated: the record's size in memory (0 on a device namespace).
    memory_size => MEMORY_SIZE;
    /// Last-update-time in nanoseconds since the Unix epoch.
    last_update => LAST_UPDATE;
    /// Milliseconds since the last update.
    since_update => SINCE_UPDATE;
    /// Void-time in nanoseconds since the Unix epoch; −1 when the record never expires.
    void_time => VOID_TIME;
    /// Seconds until the record expires; −1 when it never expires.
    ttl => TTL;
    /// Whether the record is a tombstone.
    is_tombstone => IS_TOMBSTONE;
    /// An expression that evaluates to unknown (e.g. the default of a `cond`).
    unknown => UNKNOWN;
}

/// The low 32 bits of the digest's bytes 16…20 (little-endian) modulo `modulo`.
pub fn digest_modulo(modulo: i64) -> Expression {
    Expression::DigestModulo(modulo)
}

/// POSIX regular expression match of a string expression (flags: `regex_flag`).
pub fn regex_compare(regex: impl Into<String>, flags: i64, bin: Expression) -> Expression {
    Expression::Regex(flags, regex.into(), Box::new(bin))
}

/// Geospatial compare: a point within a region, or a region containing a point (EXP-GEO-1).
pub fn geo_compare(left: Expression, right: Expression) -> Expression {
    op2(op::GEO, left, right)
}

/// Integer literal.
pub fn int_val(val: i64) -> Expression {
    Expression::Val(Value::Int(val))
}
/// Boolean literal.
pub fn bool_val(val: bool) -> Expression {
    Expression::Val(Value::Bool(val))
}
/// String literal.
pub fn string_val(val: impl Into<String>) -> Expression {
    Expression::Val(Value::String(val.into()))
}
/// Double literal.
pub fn float_val(val: f64) -> Expression {
    Expression::Val(Value::Float(val))
}
/// Bytes literal.
pub fn blob_val(val: Vec<u8>) -> Expression {
    Expression::Val(Value::Blob(val))
}
/// List literal (quoted on the wire).
pub fn list_val(val: Vec<Value>) -> Expression {
    Expression::Val(Value::list(val))
}
/// Map literal (a `Value::Map`; anything else fails `check` with 4).
pub fn map_val(val: impl Into<Value>) -> Expression {
    Expression::Val(val.into())
}
/// GeoJSON literal.
pub fn geo_val(val: impl Into<String>) -> Expression {
    Expression::Val(Value::GeoJSON(val.into()))
}
/// Nil literal.
pub fn nil() -> Expression {
    Expression::Val(Value::Nil)
}
/// INFINITY, for CDT range ends.
pub fn infinity() -> Expression {
    Expression::Infinity
}
/// WILDCARD, for CDT value selectors.
pub fn wildcard() -> Expression {
    Expression::Wildcard
}

macro_rules! binary {
    ($($(#[$doc:meta])* $name:ident($a:ident, $b:ident) => $code:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name($a: Expression, $b: Expression) -> Expression {
            op2(op::$code, $a, $b)
        }
    )*};
}

binary! {
    /// `left == right` (same types; unknown when either side is).
    eq(left, right) => EQ;
    /// `left != right`.
    ne(left, right) => NE;
    /// `left > right`.
    gt(left, right) => GT;
    /// `left >= right`.
    ge(left, right) => GE;
    /// `left < right`.
    lt(left, right) => LT;
    /// `left <= right`.
    le(left, right) => LE;
    /// `base ^ exponent` (doubles).
    num_pow(base, exponent) => POW;
    /// `log_base(num)` (doubles).
    num_log(num, base) => LOG;
    /// `numerator % denominator` (integers; unknown when the denominator is 0).
    num_mod(numerator, denominator) => MOD;
    /// `value << shift`.
    int_lshift(value, shift) => INT_LSHIFT;
    /// Logical `value >> shift`.
    int_rshift(value, shift) => INT_RSHIFT;
    /// Arithmetic `value >> shift`.
    int_arshift(value, shift) => INT_ARSHIFT;
    /// Position of the most significant bit equal to `search` (−1 when none).
    int_lscan(value, search) => INT_LSCAN;
    /// Position of the least significant bit equal to `search` (−1 when none).
    int_rscan(value, search) => INT_RSCAN;
}

macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident => $code:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(exp: Expression) -> Expression {
            op1(op::$code, exp)
        }
    )*};
}

unary! {
    /// Logical not (unknown stays unknown).
    not => NOT;
    /// Absolute value.
    num_abs => ABS;
    /// Floor of a double.
    num_floor => FLOOR;
    /// Ceiling of a double.
    num_ceil => CEIL;
    /// Double to integer (truncating; saturating outside the integer range).
    to_int => TO_INT;
    /// Integer to double.
    to_float => TO_FLOAT;
    /// Bitwise not.
    int_not => INT_NOT;
    /// Number of set bits.
    int_count => INT_COUNT;
}

macro_rules! variadic {
    ($($(#[$doc:meta])* $name:ident => $code:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(exps: Vec<Expression>) -> Expression {
            Expression::Op(op::$code, exps)
        }
    )*};
}

variadic! {
    /// Logical and (false wins over unknown).
    and => AND;
    /// Logical or (true wins over unknown).
    or => OR;
    /// Exactly one argument true (unknown when any is).
    xor => XOR;
    /// Sum.
    num_add => ADD;
    /// Difference; one argument = negation.
    num_sub => SUB;
    /// Product.
    num_mul => MUL;
    /// Quotient; one argument = reciprocal. Integer division by 0 is unknown.
    num_div => DIV;
    /// Bitwise and.
    int_and => INT_AND;
    /// Bitwise or.
    int_or => INT_OR;
    /// Bitwise xor.
    int_xor => INT_XOR;
    /// Minimum.
    min => MIN;
    /// Maximum.
    max => MAX;
    /// `cond(c1, a1, c2, a2, …, default)`: the action of the first true condition.
    cond => COND;
}

/// `let`: definitions (`def`) followed by the scope expression.
pub fn exp_let(exps: Vec<Expression>) -> Expression {
    Expression::Let(exps)
}

/// A variable definition for `exp_let`.
pub fn def(name: impl Into<String>, value: Expression) -> Expression {
    Expression::Def(name.into(), Box::new(value))
}

/// The value of a variable defined by an enclosing `exp_let`.
pub fn var(name: impl Into<String>) -> Expression {
    Expression::Var(name.into())
}

/// POSIX regex flags for `regex_compare` (`RegexFlag::ICASE as i64`), as in the official client.
pub mod regex_flag {
    /// Regex flag bits.
    #[allow(clippy::upper_case_acronyms)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RegexFlag {
        /// No flags.
        NONE = 0,
        /// POSIX extended syntax (aerolite always reads the pattern as extended).
        EXTENDED = 1,
        /// Case-insensitive.
        ICASE = 2,
        /// No position reports (no effect on a match test).
        NOSUB = 4,
        /// `.` does not match a newline; `^` and `$` also match at line ends.
        NEWLINE = 8,
    }
}
