//! The one error type: an Aerospike result code, the client-side `in_doubt` flag, and words.
//!
//! Invariants:
//! - every `ResultCode` variant has its explicit Aerospike number (record-model.md §1), declared in
//!   numeric order; `ResultCode::from_i32` is the exact inverse of `as i32` (tested);
//! - `Error::code` is never `Ok`: success is `Result::Ok`, not an error with code 0;
//! - an error made from an I/O failure keeps that `std::io::Error` as its `source()` (kind and OS
//!   error number preserved), next to its result code and in-doubt flag.

use std::fmt;
use std::sync::Arc;

/// Aerospike result codes, with their wire numbers (record-model.md §1, RC-* rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
#[non_exhaustive]
pub enum ResultCode {
    /// RC-NEG1: local failure after submission (engine closed, injected fault).
    ClientError = -1,
    /// RC-0.
    Ok = 0,
    /// RC-1: internal failure, bad checksum, device error.
    ServerError = 1,
    /// RC-2: record missing, tombstone or expired where the operation needs it.
    KeyNotFoundError = 2,
    /// RC-3: generation check failed.
    GenerationError = 3,
    /// RC-4: invalid request.
    ParameterError = 4,
    /// RC-5: `CreateOnly` on a live record.
    KeyExistsError = 5,
    /// RC-6: reserved.
    BinExistsError = 6,
    /// RC-8: out of space (stop-writes, no write block).
    ServerMemError = 8,
    /// RC-9: deadline passed.
    Timeout = 9,
    /// RC-11: write submitted to a node not holding the master role.
    PartitionUnavailable = 11,
    /// RC-12: op does not apply to the bin's type.
    BinTypeError = 12,
    /// RC-13: encoded record image exceeds `max_record_size`.
    RecordTooBig = 13,
    /// RC-14: too many requests queued on one record.
    KeyBusy = 14,
    /// RC-16: operation family not provided.
    UnsupportedFeature = 16,
    /// RC-17: reserved.
    BinNotFound = 17,
    /// RC-18: storage write queue over its limit.
    DeviceOverload = 18,
    /// RC-19: request's user key differs from the stored key.
    KeyMismatch = 19,
    /// RC-20: namespace does not exist.
    InvalidNamespace = 20,
    /// RC-21: bin name too long or contains NUL.
    BinNameTooLong = 21,
    /// RC-22: positive TTL while expiry sweeping is disabled.
    FailForbidden = 22,
    /// RC-23: CDT update-only write found no element.
    ElementNotFound = 23,
    /// RC-24: CDT create-only / add-unique write found an existing element.
    ElementExists = 24,
    /// RC-25: never returned.
    EnterpriseOnly = 25,
    /// RC-26: CDT operation cannot apply.
    OpNotApplicable = 26,
    /// RC-27: filter predicate false.
    FilteredOut = 27,
    /// SIDX-CREATE-CONFLICT-1: an index of that name or on that bin exists, defined otherwise.
    IndexAlreadyExists = 200,
    /// SIDX-DROP-MISSING / SIDX-QUERY-1: no such index.
    IndexNotFound = 201,
    /// SIDX-BUILD-1: the index is still being built.
    IndexNotReadable = 203,
    /// SIDX-BAD-NAME: index name longer than 63 bytes.
    IndexNameMaxLen = 205,
    /// SIDX-BAD-COUNT: more than 256 indexes in a namespace.
    IndexMaxCount = 206,
}

impl ResultCode {
    /// Alias named in record-model.md RC-8.
    #[allow(non_upper_case_globals)]
    pub const OutOfSpace: ResultCode = ResultCode::ServerMemError;

    /// Every code, in numeric order (used to check the table for gaps and round trips).
    pub const ALL: [ResultCode; 31] = [
        ResultCode::ClientError,
        ResultCode::Ok,
        ResultCode::ServerError,
        ResultCode::KeyNotFoundError,
        ResultCode::GenerationError,
        ResultCode::ParameterError,
        ResultCode::KeyExistsError,
        ResultCode::BinExistsError,
        ResultCode::ServerMemError,
        ResultCode::Timeout,
        ResultCode::PartitionUnavailable,
        ResultCode::BinTypeError,
        ResultCode::RecordTooBig,
        ResultCode::KeyBusy,
        ResultCode::UnsupportedFeature,
        ResultCode::BinNotFound,
        ResultCode::DeviceOverload,
        ResultCode::KeyMismatch,
        ResultCode::InvalidNamespace,
        ResultCode::BinNameTooLong,
        ResultCode::FailForbidden,
        ResultCode::ElementNotFound,
        ResultCode::ElementExists,
        ResultCode::EnterpriseOnly,
        ResultCode::OpNotApplicable,
        ResultCode::FilteredOut,
        ResultCode::IndexAlreadyExists,
        ResultCode::IndexNotFound,
        ResultCode::IndexNotReadable,
        ResultCode::IndexNameMaxLen,
        ResultCode::IndexMaxCount,
    ];

    /// The Aerospike number.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// Inverse of [`ResultCode::code`]; `None` for numbers aerolite never returns (RC-UNUSED).
    pub fn from_i32(n: i32) -> Option<ResultCode> {
        ResultCode::ALL.iter().copied().find(|c| c.code() == n)
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self, self.code())
    }
}

/// An operating error: result code, in-doubt flag (docs/semantics.md ID-FORMULA), which check
/// failed in words, and, for I/O failures, the `std::io::Error` underneath (`source()`).
#[derive(Debug, Clone)]
pub struct Error {
    code: ResultCode,
    in_doubt: bool,
    detail: String,
    source: Option<Arc<std::io::Error>>,
}

/// Equal when code, in-doubt flag and words are; an I/O cause compares by its kind.
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.code == other.code
            && self.in_doubt == other.in_doubt
            && self.detail == other.detail
            && self.io_kind() == other.io_kind()
    }
}

impl Eq for Error {}

impl Error {
    /// A definitive (not in-doubt) error.
    pub fn new(code: ResultCode, detail: impl Into<String>) -> Error {
        assert!(code != ResultCode::Ok, "an error never carries code 0");
        Error {
            code,
            in_doubt: false,
            detail: detail.into(),
            source: None,
        }
    }

    /// A definitive error caused by an I/O failure, which stays reachable as `source()`.
    pub fn io(code: ResultCode, detail: impl Into<String>, cause: std::io::Error) -> Error {
        let mut e = Error::new(code, detail);
        e.source = Some(Arc::new(cause));
        e
    }

    /// ServerError 1 for bytes read intact from a device that are not the image they should
    /// be — damaged there (a CRC mismatch): the cause is an I/O error of kind `InvalidData`,
    /// which [`Error::is_damaged`] recognizes. A failed read is not damage (`Error::io`).
    pub fn damaged(detail: impl Into<String>) -> Error {
        let detail = detail.into();
        let cause = std::io::Error::new(std::io::ErrorKind::InvalidData, detail.clone());
        Error::io(ResultCode::ServerError, detail, cause)
    }

    /// Whether this is [`Error::damaged`]: the read succeeded and its bytes are damaged.
    pub fn is_damaged(&self) -> bool {
        self.code == ResultCode::ServerError
            && self.io_kind() == Some(std::io::ErrorKind::InvalidData)
    }

    /// The kind of the I/O failure underneath, if this error came from one.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.source.as_ref().map(|e| e.kind())
    }

    /// The OS error number of the I/O failure underneath (`ENOSPC`, `EIO`, …), if any.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.as_ref().and_then(|e| e.raw_os_error())
    }

    /// The result code.
    pub fn code(&self) -> ResultCode {
        self.code
    }

    /// Whether the write may have been applied (record-model.md §21; also set by storage when
    /// a device write or sync failed after the image reached the device: ID-DEVICE-HANDOFF in
    /// storage-format.md).
    pub fn in_doubt(&self) -> bool {
        self.in_doubt
    }

    /// Which check failed, in words.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The same error with the in-doubt flag set as given.
    pub fn with_in_doubt(mut self, in_doubt: bool) -> Error {
        self.in_doubt = in_doubt;
        self
    }

    /// ID-FORMULA: `is_write && (sent > 1 || (sent == 1 && (code == Timeout || code <= 0)))`.
    pub fn in_doubt_formula(is_write: bool, sent: u32, code: ResultCode) -> bool {
        is_write && (sent > 1 || (sent == 1 && (code == ResultCode::Timeout || code.code() <= 0)))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)?;
        if self.in_doubt {
            write!(f, " (in doubt)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Result alias used throughout aerolite.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for building an error: `err(ResultCode::ParameterError, "why")`.
pub fn err<T>(code: ResultCode, detail: impl Into<String>) -> Result<T> {
    Err(Error::new(code, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A damaged image (`Error::damaged`) is 1, not in doubt, names its cause, and is told apart
    /// from a failed read (an I/O error of another kind) and from a plain 1.
    #[test]
    fn damaged_is_a_server_error_told_apart_from_failed_reads() {
        let d = Error::damaged("image at 3 fails its CRC");
        assert_eq!((d.code(), d.in_doubt()), (ResultCode::ServerError, false));
        assert_eq!(d.detail(), "image at 3 fails its CRC");
        assert!(d.is_damaged());
        let eio = std::io::Error::other("input/output error");
        assert!(!Error::io(ResultCode::ServerError, "read failed", eio).is_damaged());
        assert!(!Error::new(ResultCode::ServerError, "no block").is_damaged());
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "x");
        assert!(!Error::io(ResultCode::ParameterError, "bad", other).is_damaged());
    }

    /// RC-* rows: explicit numbers, strictly increasing, round trip; RC-UNUSED numbers map to None.
    #[test]
    fn rc_numbers_round_trip_and_unused_codes_absent() {
        for w in ResultCode::ALL.windows(2) {
            assert!(w[0].code() < w[1].code(), "declared in numeric order");
        }
        for c in ResultCode::ALL {
            assert_eq!(ResultCode::from_i32(c.code()), Some(c));
        }
        for unused in [7, 10, 15, 28, 29, 100, -2] {
            assert_eq!(ResultCode::from_i32(unused), None);
        }
        assert_eq!(ResultCode::OutOfSpace.code(), 8);
        assert_eq!(ResultCode::KeyNotFoundError.code(), 2);
        assert_eq!(ResultCode::FilteredOut.code(), 27);
    }

    /// An I/O cause survives as `source()` with its kind and errno; the words stay.
    #[test]
    fn io_cause_is_the_source() {
        use std::error::Error as _;
        let e = Error::io(
            ResultCode::ServerError,
            "device write to /x failed",
            std::io::Error::from_raw_os_error(28),
        )
        .with_in_doubt(true);
        assert_eq!(e.code(), ResultCode::ServerError);
        assert!(e.in_doubt());
        assert_eq!(e.raw_os_error(), Some(28));
        let src = e.source().expect("source kept");
        let io = src.downcast_ref::<std::io::Error>().expect("an io::Error");
        assert_eq!(io.raw_os_error(), Some(28));
        assert!(Error::new(ResultCode::ServerError, "x").source().is_none());
        assert_ne!(e.clone().with_in_doubt(false), e);
    }

    /// ID-FORMULA, ID-DEFINITIVE, ID-RETRIED, ID-READS.
    #[test]
    fn id_formula_table() {
        use ResultCode::*;
        assert!(Error::in_doubt_formula(true, 1, Timeout));
        assert!(Error::in_doubt_formula(true, 1, ClientError));
        for c in [
            KeyNotFoundError,
            GenerationError,
            KeyExistsError,
            ServerMemError,
            ElementExists,
        ] {
            assert!(!Error::in_doubt_formula(true, 1, c));
            assert!(Error::in_doubt_formula(true, 2, c));
        }
        assert!(!Error::in_doubt_formula(false, 3, Timeout));
        assert!(!Error::in_doubt_formula(true, 0, ServerError));
    }
}
