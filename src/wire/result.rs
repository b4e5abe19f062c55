//! Result codes on the wire: the byte at offset 5 of a reply's `as_msg` (server `proto.h`
//! `AS_ERR_*`; C client `as_status.h`; Rust `aerospike-core/src/result_code.rs`).
//!
//! aerolite's [`ResultCode`] numbers are Aerospike's, so the mapping is the number itself except
//! for ClientError (−1, a local failure such as a closed database), which a server reports as
//! 1 (server error). Codes aerolite's engine never produces but the server must answer for
//! features it lacks are constants here.
//!
//! Invariant: `wire_code` is total and returns the Aerospike number for every engine code ≥ 0.

use crate::error::ResultCode;

/// AS_ERR_ENTERPRISE_ONLY: what the CE server answers for enterprise features (compression).
pub const ENTERPRISE_ONLY: u8 = 25;
/// AS_ERR_UNSUPPORTED_FEATURE.
pub const UNSUPPORTED_FEATURE: u8 = 16;
/// AS_ERR_PARAMETER.
pub const PARAMETER: u8 = 4;
/// AS_ERR_UDF: a UDF failed (aerolite executes none).
pub const UDF: u8 = 100;
/// AS_ERR_SINDEX_NOT_FOUND.
pub const INDEX_NOT_FOUND: u8 = 201;

/// The byte a reply carries for `code`.
pub fn wire_code(code: ResultCode) -> u8 {
    u8::try_from(code.code()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every engine code maps to its own number; −1 becomes 1 (server error).
    #[test]
    fn codes_map_to_their_numbers() {
        for c in ResultCode::ALL {
            let want = if c.code() < 0 { 1 } else { c.code() as u8 };
            assert_eq!(wire_code(c), want, "{c}");
        }
        assert_eq!(wire_code(ResultCode::GenerationError), 3);
        assert_eq!(wire_code(ResultCode::FilteredOut), 27);
    }
}
