//! Expression operations of `operate` (EXP-OP-*): `read_exp` puts an expression's value in the
//! result under a name; `write_exp` stores it in a bin. Flags and outcomes follow the official
//! clients and the server (docs/expressions.md §Operations).

/// Flags of `read_exp`.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpReadFlags {
    /// Default: an unknown value fails the operate with 26.
    Default = 0,
    /// An unknown value is returned as nil instead of failing.
    EvalNoFail = 1 << 4,
}

/// Flags of `write_exp` (OR them as `i64`, as the official clients do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpWriteFlags {
    /// Default: create or update the bin.
    Default = 0,
    /// The bin must not exist; else 6 (BinExistsError).
    CreateOnly = 1 << 0,
    /// The bin must exist; else 17 (BinNotFound).
    UpdateOnly = 1 << 1,
    /// A nil value deletes the bin; without this flag a nil value fails with 26.
    AllowDelete = 1 << 2,
    /// A CreateOnly / UpdateOnly / AllowDelete refusal leaves the bin alone instead of failing.
    PolicyNoFail = 1 << 3,
    /// An unknown value leaves the bin alone instead of failing with 26.
    EvalNoFail = 1 << 4,
}

impl From<ExpReadFlags> for i64 {
    fn from(f: ExpReadFlags) -> i64 {
        f as i64
    }
}

impl From<ExpWriteFlags> for i64 {
    fn from(f: ExpWriteFlags) -> i64 {
        f as i64
    }
}
