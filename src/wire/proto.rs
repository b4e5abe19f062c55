//! The 8-byte proto header that prefixes every message in both directions: version 2, a type
//! byte, and a 48-bit big-endian body size (client `as_proto.h`, `as_command.h:
//! as_command_write_end`; Rust `aerospike-core/src/commands/buffer.rs:end`).
//!
//! Invariants: [`ProtoHeader::decode`] accepts only version 2 and sizes ≤ `MAX_FRAME`;
//! [`frame`] writes exactly what `decode` reads back.

use crate::error::Error;
use crate::wire::{malformed, MAX_FRAME};

/// The protocol version every client sends and checks.
pub const VERSION: u8 = 2;
/// Info: text commands (discovery, tend, admin-like commands).
pub const TYPE_INFO: u8 = 1;
/// Security / admin (login, users); sent only with user and password configured.
pub const TYPE_ADMIN: u8 = 2;
/// An `as_msg` data command.
pub const TYPE_MSG: u8 = 3;
/// A zlib-compressed `as_msg` (client `policy.compress`).
pub const TYPE_COMPRESSED: u8 = 4;
/// Size of the header.
pub const HEADER_LEN: usize = 8;

/// A decoded proto header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoHeader {
    /// Message type (`TYPE_*`; unknown types are reported, not rejected here).
    pub kind: u8,
    /// Body size in bytes (after the header).
    pub size: u64,
}

impl ProtoHeader {
    /// Decode; a version other than 2 or a body above `MAX_FRAME` is an error.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Result<ProtoHeader, Error> {
        if b[0] != VERSION {
            return Err(malformed(format!(
                "proto version {} (only {VERSION} is spoken)",
                b[0]
            )));
        }
        let mut size = [0u8; 8];
        size[2..].copy_from_slice(&b[2..]);
        let size = u64::from_be_bytes(size);
        if size > MAX_FRAME {
            return Err(malformed(format!(
                "frame body of {size} bytes exceeds the {MAX_FRAME}-byte limit"
            )));
        }
        Ok(ProtoHeader { kind: b[1], size })
    }

    /// Encode (the size must fit the frame limit; larger bodies are a bug of the caller).
    pub fn encode(self) -> [u8; HEADER_LEN] {
        assert!(self.size <= MAX_FRAME, "reply body above the frame limit");
        let v = self.size | (u64::from(VERSION) << 56) | (u64::from(self.kind) << 48);
        v.to_be_bytes()
    }
}

/// A whole frame: header then `body`.
pub fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(
        &ProtoHeader {
            kind,
            size: body.len() as u64,
        }
        .encode(),
    );
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked `get` request of wire-protocol.md §1.9: `02 03 00 00 00 00 00 41` is version 2,
    /// type 3, body 65 (C client `as_command.h:as_command_write_end`:
    /// `size | (2 << 56) | (3 << 48)`, big-endian).
    #[test]
    fn header_bytes_match_the_clients_packing() {
        let h = ProtoHeader {
            kind: TYPE_MSG,
            size: 0x41,
        };
        assert_eq!(h.encode(), [2, 3, 0, 0, 0, 0, 0, 0x41]);
        assert_eq!(ProtoHeader::decode(&h.encode()), Ok(h));
        let info = ProtoHeader::decode(&[2, 1, 0, 0, 0, 0, 1, 2]).expect("valid");
        assert_eq!((info.kind, info.size), (TYPE_INFO, 258));
    }

    /// `as_proto.c:as_proto_parse` rejects version ≠ 2 and sizes above 128 MiB.
    #[test]
    fn bad_version_and_oversized_frames_are_errors() {
        assert!(ProtoHeader::decode(&[3, 3, 0, 0, 0, 0, 0, 1]).is_err());
        assert!(ProtoHeader::decode(&[2, 3, 0, 0, 8, 0, 0, 0]).is_ok());
        assert!(ProtoHeader::decode(&[2, 3, 0, 0, 8, 0, 0, 1]).is_err());
        assert!(ProtoHeader::decode(&[2, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert_eq!(frame(TYPE_INFO, b"node\n")[..8], [2, 1, 0, 0, 0, 0, 0, 5]);
    }
}
