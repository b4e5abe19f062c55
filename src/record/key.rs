//! `Key`: namespace, set, user key, and the RIPEMD-160 digest (record-model.md §2).
//!
//! Invariants:
//! - `digest == RIPEMD-160(set ‖ type byte ‖ key bytes)` whenever `user_key` is `Some`
//!   (K-DIG-ALG, K-DIG-NOSEP, K-DIG-NOSET); a digest-only key (K-DIG-DIRECT) is never recomputed;
//! - the namespace is not part of the digest (K-DIG-NONS).
//!
//! Name validation (K-NS-NAME, K-SET-NAME) happens at request time, so that a bad name is a result
//! code of the request (WP-01), not a panic or an error at construction.

use crate::error::{err, Result, ResultCode};
use crate::record::ripemd160::ripemd160;
use crate::record::value::Value;
use std::fmt;

/// A 20-byte record digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest(pub [u8; 20]);

impl Digest {
    /// K-PID: the low 12 bits of the little-endian u32 of the first bytes.
    pub fn partition_id(&self) -> u16 {
        (u16::from(self.0[0]) | (u16::from(self.0[1]) << 8)) & 0x0FFF
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

/// Number of partitions (K-PID).
pub const PARTITIONS: usize = 4096;

/// Most distinct non-empty set names per namespace.
pub const SETS_MAX: usize = 4095;
/// Longest set name in bytes.
pub const SET_NAME_MAX: usize = 63;

/// K-SET-NAME: 0–63 bytes, no NUL → 4.
pub fn validate_set_name(name: &str) -> Result<()> {
    if name.len() > SET_NAME_MAX || name.as_bytes().contains(&0) {
        return err(
            ResultCode::ParameterError,
            format!("set name {name:?}: at most {SET_NAME_MAX} bytes, no NUL (K-SET-NAME)"),
        );
    }
    Ok(())
}

/// A user key's digest input: type byte and key bytes (K-TYPE-*). This is also the stored key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserKeyBytes {
    /// Key type byte (1 int, 2 double, 3 string, 4 bytes).
    pub type_byte: u8,
    /// Key bytes.
    pub bytes: Vec<u8>,
}

impl UserKeyBytes {
    /// Encode a user key, or `None` for a type that cannot be a key (K-TYPE-OTHER).
    pub fn of(v: &Value) -> Option<UserKeyBytes> {
        UserKeyRef::of(v).map(|k| k.to_owned())
    }

    /// Decode back into a value; `None` for an unknown type byte or bad length.
    pub fn to_value(&self) -> Option<Value> {
        match self.type_byte {
            0x01 => Some(Value::Int(i64::from_be_bytes(
                self.bytes.as_slice().try_into().ok()?,
            ))),
            0x02 => Some(Value::Float(f64::from_bits(u64::from_be_bytes(
                self.bytes.as_slice().try_into().ok()?,
            )))),
            0x03 => String::from_utf8(self.bytes.clone())
                .ok()
                .map(Value::String),
            0x04 => Some(Value::Blob(self.bytes.clone())),
            _ => None,
        }
    }
}

/// A user key's digest input borrowed from its value (K-TYPE-*): what [`UserKeyBytes`] holds,
/// without allocating — every request encodes its key once for the digest and once to compare
/// with the stored key. Numbers are encoded big-endian into `num`; strings and blobs borrow.
#[derive(Clone, Copy, Debug)]
pub struct UserKeyRef<'a> {
    /// Key type byte (1 int, 2 double, 3 string, 4 bytes).
    pub type_byte: u8,
    num: [u8; 8],
    borrowed: Option<&'a [u8]>,
}

impl<'a> UserKeyRef<'a> {
    /// Encode a user key, or `None` for a type that cannot be a key (K-TYPE-OTHER).
    pub fn of(v: &'a Value) -> Option<UserKeyRef<'a>> {
        let (type_byte, num, borrowed) = match v {
            Value::Int(i) => (0x01, i.to_be_bytes(), None),
            Value::Float(x) => (0x02, x.to_bits().to_be_bytes(), None),
            Value::String(s) => (0x03, [0; 8], Some(s.as_bytes())),
            Value::Blob(b) => (0x04, [0; 8], Some(b.as_slice())),
            _ => return None,
        };
        Some(UserKeyRef {
            type_byte,
            num,
            borrowed,
        })
    }

    /// The key bytes (8 for a number).
    pub fn bytes(&self) -> &[u8] {
        self.borrowed.unwrap_or(&self.num)
    }

    /// An owned copy.
    pub fn to_owned(&self) -> UserKeyBytes {
        UserKeyBytes {
            type_byte: self.type_byte,
            bytes: self.bytes().to_vec(),
        }
    }
}

/// Compute the digest of a set name and a user key's type byte and bytes (K-DIG-ALG):
/// RIPEMD-160(set ‖ type byte ‖ key bytes).
pub fn compute_digest(set_name: &str, type_byte: u8, bytes: &[u8]) -> Digest {
    Digest(ripemd160(&[set_name.as_bytes(), &[type_byte], bytes]))
}

/// A record key.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// Namespace name.
    pub namespace: String,
    /// Set name; empty means no set.
    pub set_name: String,
    /// The user key, if the key was built from one (None for digest-only keys).
    pub user_key: Option<Value>,
    /// The digest.
    pub digest: Digest,
}

impl Key {
    /// Build a key from a user key. Returns ParameterError 4 for a value that cannot be a key
    /// (K-TYPE-OTHER).
    pub fn new(namespace: &str, set_name: &str, user_key: impl Into<Value>) -> Result<Key> {
        let user_key = user_key.into();
        let Some(kb) = UserKeyRef::of(&user_key) else {
            return err(
                ResultCode::ParameterError,
                format!(
                    "a {:?} value cannot be a user key (K-TYPE-OTHER)",
                    user_key.particle_type()
                ),
            );
        };
        let digest = compute_digest(set_name, kb.type_byte, kb.bytes());
        Ok(Key {
            namespace: namespace.to_string(),
            set_name: set_name.to_string(),
            user_key: Some(user_key),
            digest,
        })
    }

    /// A key addressed by digest alone (K-DIG-DIRECT); never checked against a stored key.
    pub fn from_digest(namespace: &str, set_name: &str, digest: [u8; 20]) -> Key {
        Key {
            namespace: namespace.to_string(),
            set_name: set_name.to_string(),
            user_key: None,
            digest: Digest(digest),
        }
    }

    /// The stored-key bytes of the user key, if any.
    pub fn user_key_bytes(&self) -> Option<UserKeyBytes> {
        self.user_key.as_ref().and_then(UserKeyBytes::of)
    }

    /// The partition id (K-PID).
    pub fn partition_id(&self) -> u16 {
        self.digest.partition_id()
    }
}

/// `as_key!(ns, set, value)`: shorthand for `Key::new(ns, set, value)?`-style construction that
/// panics on invalid key types (for examples and tests; use `Key::new` for user input).
#[macro_export]
macro_rules! as_key {
    ($ns:expr, $set:expr, $val:expr) => {
        $crate::Key::new($ns, $set, $val).expect("valid key type")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(set: &str, v: Value, hex: &str, pid: u16) {
        let k = Key::new("test", set, v).expect("key");
        assert_eq!(k.digest.to_hex(), hex);
        assert_eq!(k.partition_id(), pid);
        // K-DIG-NONS: namespace does not take part.
        let k2 = Key::new("other", set, k.user_key.clone().expect("uk")).expect("key");
        assert_eq!(k2.digest, k.digest);
    }

    /// K-VEC-01 … K-VEC-15, K-DIG-ALG, K-DIG-NOSEP, K-DIG-NOSET, K-DIG-NONS, K-PID,
    /// K-TYPE-INT, K-TYPE-DOUBLE, K-TYPE-STRING, K-TYPE-BYTES.
    #[test]
    fn k_vec_01_to_15_digest_test_vectors() {
        check(
            "set",
            Value::Int(i64::MIN),
            "7185c2a47fb02c996daed26b4e01b83240aee9d4",
            1393,
        );
        check(
            "set",
            Value::Int(i64::MAX),
            "1698328974afa62c8e069860c1516f780d63dbb8",
            2070,
        );
        check(
            "set",
            Value::Int(-1),
            "22116d253745e29fc63fdf760b6e26f7e197e01d",
            290,
        );
        check(
            "set",
            Value::Int(0),
            "93d943aae37b017ad7e011b0c1d2e2143c2fb37d",
            2451,
        );
        check(
            "set",
            Value::Int(1),
            "82d7213b469812947c109a6d341e3b5b1dedec1f",
            1922,
        );
        check(
            "set",
            Value::from(""),
            "2819b1ff6e346a43b4f5f6b77a88bc3eaac22a83",
            2344,
        );
        check(
            "set",
            Value::from("s"),
            "607cddba7cd111745ef0a3d783d57f0e83c8f311",
            3168,
        );
        check(
            "set",
            Value::from("aaaaaaaaaa"),
            "5979fb32a80da070ff356f7695455592272e36c2",
            2393,
        );
        check(
            "set",
            Value::Blob(vec![]),
            "327e2877b8815c7aeede0d5a8620d4ef8df4a4b4",
            3634,
        );
        check(
            "set",
            Value::Blob(b"s".to_vec()),
            "ca2d96dc9a184d15a7fa2927565e844e9254e001",
            3530,
        );
        check(
            "set",
            Value::Blob(b"aaaaaaaaaa".to_vec()),
            "d10982327b2b04c7360579f252e164a75f83cd99",
            2513,
        );
        check(
            "set",
            Value::Float(1.5),
            "6589f3a56d6dbfa4fbc3865ac3114a2b99d6a9b6",
            2405,
        );
        check(
            "",
            Value::from("k1"),
            "50149955959c2fef0a83613ae80c78bb9c96b269",
            1104,
        );
        check(
            "demo",
            Value::Int(1),
            "b7f4b83889e2da67de683e1df6919a1eacc446c8",
            1207,
        );
        check(
            "demo",
            Value::from("key1"),
            "ec91192d4b7f8ce35d5d78d34bca65cbaaaac960",
            492,
        );
    }

    /// K-TYPE-OTHER: nil, bool, list, map, GeoJSON keys → 4.
    #[test]
    fn k_type_other_rejected() {
        for v in [
            Value::Nil,
            Value::Bool(true),
            Value::list(vec![]),
            Value::map(vec![]),
            Value::GeoJSON("{}".into()),
        ] {
            let e = Key::new("test", "set", v).expect_err("rejected");
            assert_eq!(e.code(), ResultCode::ParameterError);
        }
    }

    /// K-DIG-DIRECT: a digest-only key keeps the given digest.
    #[test]
    fn k_dig_direct() {
        let k = Key::from_digest("test", "set", [7u8; 20]);
        assert_eq!(k.digest.0, [7u8; 20]);
        assert!(k.user_key_bytes().is_none());
    }
}
