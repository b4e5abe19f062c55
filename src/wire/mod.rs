//! Aerospike's client wire protocol, as the official clients speak it: the 8-byte proto header
//! and its framing (`proto`), the 22-byte `as_msg` header (`msg`), fields (`field`), ops and
//! particles (`op`, `particle`), CDT op payloads (`cdt`), the text info protocol (`info`) and the
//! mapping of aerolite's result codes to the byte on the wire (`result`).
//!
//! Byte layouts are the ones the official clients write and parse (C client 7.2.1 inside the
//! Python wheel 19.0.0, Rust crate `aerospike-core` 3.0.0); the unit tests pin them with byte
//! vectors worked out from those clients' packing rules, each citing the client file.
//!
//! Invariants: decoding never panics on any input; every length and count is checked against the
//! bytes left before anything is allocated; a frame body is at most [`MAX_FRAME`] bytes, a
//! message has at most [`MAX_FIELDS`] fields and [`MAX_OPS`] ops. A decoding failure is an
//! `aerolite::Error` with ParameterError (4) saying what was wrong at which offset.

pub mod base64;
pub mod batch;
pub mod cdt;
pub mod exp;
pub mod field;
pub mod index_range;
pub mod info;
pub mod msg;
pub mod op;
pub mod particle;
pub mod proto;
pub mod result;

use crate::error::{Error, ResultCode};
use crate::format::particle::Reader;

/// Largest frame body accepted (the clients' `PROTO_SIZE_MAX`, 128 MiB).
pub const MAX_FRAME: u64 = 128 * 1024 * 1024;
/// Most fields in one message. A single-record command carries at most ~10 (namespace, set,
/// digest, key, filter, transaction fields); the server has 20-odd field types in all.
pub const MAX_FIELDS: u16 = 64;
/// Most ops in one message. No client builds operates near this; far more is an attack or a bug.
pub const MAX_OPS: u16 = 4096;

/// A decoding error: ParameterError with the reason.
pub(crate) fn malformed(what: impl Into<String>) -> Error {
    Error::new(
        ResultCode::ParameterError,
        format!("malformed wire message: {}", what.into()),
    )
}

/// Take `n` bytes or fail with `what`.
pub(crate) fn take<'a>(r: &mut Reader<'a>, n: usize, what: &str) -> Result<&'a [u8], Error> {
    r.take(n).map_err(|_| {
        malformed(format!(
            "{what}: {n} bytes needed at offset {}, {} left",
            r.position(),
            r.remaining()
        ))
    })
}

/// A big-endian u16.
pub(crate) fn be_u16(r: &mut Reader<'_>, what: &str) -> Result<u16, Error> {
    let b = take(r, 2, what)?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

/// A big-endian u32.
pub(crate) fn be_u32(r: &mut Reader<'_>, what: &str) -> Result<u32, Error> {
    let b = take(r, 4, what)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// One byte.
pub(crate) fn byte(r: &mut Reader<'_>, what: &str) -> Result<u8, Error> {
    Ok(take(r, 1, what)?[0])
}
