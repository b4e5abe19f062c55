//! `Value`: the particle types of record-model.md §3, and the list and map containers.
//!
//! Invariants:
//! - equality and ordering are exactly cdt.md §1 (implemented once, in `record::order`); `1` and
//!   `1.0` are different values (V-EQUALITY);
//! - a `Map` never holds two equal keys; a key-ordered map (`KeyOrdered`, `KeyValueOrdered`) keeps
//!   its entries sorted by key (the `cdt` module maintains this for every op);
//! - `Wildcard` and `Infinity` are selector operands only: no bin, list or map that reaches
//!   storage holds one (`cdt::normalize` answers 4, ORD-SELECTOR-ONLY);
//! - a stored `Other` is a whole bin value with a language-blob type 7–12 (V-OTHER-WHERE).

use std::cmp::Ordering;
use std::fmt;

/// Map order attribute (cdt.md §5.1). Tag bytes are Aerospike's map flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MapOrder {
    /// Entries kept in insertion order; index/rank ops order by key on demand.
    #[default]
    Unordered = 0,
    /// Entries sorted by key.
    KeyOrdered = 1,
    /// Entries sorted by key, with a value index (behaves as `KeyOrdered` here).
    KeyValueOrdered = 3,
}

/// List order attribute (cdt.md §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ListOrderType {
    /// Insertion order.
    #[default]
    Unordered = 0,
    /// Kept sorted by value.
    Ordered = 1,
}

/// A list value with its order attribute.
#[derive(Debug, Clone, Default)]
pub struct List {
    /// Order attribute.
    pub order: ListOrderType,
    /// Elements.
    pub items: Vec<Value>,
}

/// A map value with its order attribute.
#[derive(Debug, Clone, Default)]
pub struct Map {
    /// Order attribute.
    pub order: MapOrder,
    /// Entries, unique keys; sorted by key when `order` is key-ordered.
    pub entries: Vec<(Value, Value)>,
}

/// A value: bin value or CDT element.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// V-NIL: not a bin value; writing Nil deletes the bin.
    #[default]
    Nil,
    /// V-BOOL.
    Bool(bool),
    /// V-INT.
    Int(i64),
    /// V-DOUBLE: any bit pattern stored as given.
    Float(f64),
    /// V-STRING.
    String(String),
    /// V-BYTES.
    Blob(Vec<u8>),
    /// V-LIST.
    List(List),
    /// V-MAP.
    Map(Map),
    /// V-GEOJSON: text, compared as text.
    GeoJSON(String),
    /// V-OTHER-BLOB: a blob of a particle type aerolite does not interpret (Aerospike's
    /// language blobs 7–12: Java, C#, Python, Ruby, PHP, Erlang), kept with its type so that a
    /// record round-trips. Only a whole bin value (V-OTHER-WHERE); orders as bytes whose first
    /// byte is the type (a `Blob` is type 4).
    Other {
        /// The particle type, 7–12.
        particle_type: u8,
        /// The payload, uninterpreted.
        bytes: Vec<u8>,
    },
    /// ORD-WILDCARD: a selector operand equal to every value; inside a list it ends the
    /// comparison as equal (`[1, Wildcard]` matches `[1, 2]` and `[1, "a", 3]`). Never stored
    /// (ORD-SELECTOR-ONLY); equality with it is not transitive.
    Wildcard,
    /// ORD-INFINITY: a selector operand above every other value, for interval ends. Never
    /// stored (ORD-SELECTOR-ONLY).
    Infinity,
}

/// Aerospike particle type ids (record-model.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ParticleType {
    /// Nil.
    Null = 0,
    /// Integer.
    Integer = 1,
    /// Double.
    Float = 2,
    /// String.
    String = 3,
    /// Blob.
    Blob = 4,
    /// Java blob (V-OTHER-BLOB).
    JavaBlob = 7,
    /// C# blob.
    CSharpBlob = 8,
    /// Python blob.
    PythonBlob = 9,
    /// Ruby blob.
    RubyBlob = 10,
    /// PHP blob.
    PhpBlob = 11,
    /// Erlang blob.
    ErlangBlob = 12,
    /// Boolean.
    Bool = 17,
    /// Map.
    Map = 19,
    /// List.
    List = 20,
    /// GeoJSON.
    GeoJSON = 23,
}

impl ParticleType {
    /// The language-blob type `t` (7–12) that `Value::Other` keeps (V-OTHER-WHERE).
    pub fn language_blob(t: u8) -> Option<ParticleType> {
        Some(match t {
            7 => ParticleType::JavaBlob,
            8 => ParticleType::CSharpBlob,
            9 => ParticleType::PythonBlob,
            10 => ParticleType::RubyBlob,
            11 => ParticleType::PhpBlob,
            12 => ParticleType::ErlangBlob,
            _ => return None,
        })
    }
}

impl Value {
    /// The particle type. `Wildcard` and `Infinity` have none (they are never a bin value,
    /// ORD-SELECTOR-ONLY) and report `Null`.
    pub fn particle_type(&self) -> ParticleType {
        match self {
            Value::Nil | Value::Wildcard | Value::Infinity => ParticleType::Null,
            Value::Bool(_) => ParticleType::Bool,
            Value::Int(_) => ParticleType::Integer,
            Value::Float(_) => ParticleType::Float,
            Value::String(_) => ParticleType::String,
            Value::Blob(_) => ParticleType::Blob,
            Value::Other { particle_type, .. } => {
                ParticleType::language_blob(*particle_type).unwrap_or(ParticleType::Blob)
            }
            Value::List(_) => ParticleType::List,
            Value::Map(_) => ParticleType::Map,
            Value::GeoJSON(_) => ParticleType::GeoJSON,
        }
    }

    /// Whether this is `Wildcard` or `Infinity`, or a list or map holding one at any depth:
    /// a value that may select but never be stored (ORD-SELECTOR-ONLY).
    pub fn has_selector_only(&self) -> bool {
        match self {
            Value::Wildcard | Value::Infinity => true,
            Value::List(l) => l.items.iter().any(Value::has_selector_only),
            Value::Map(m) => m
                .entries
                .iter()
                .any(|(k, v)| k.has_selector_only() || v.has_selector_only()),
            _ => false,
        }
    }

    /// Whether this is Nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// An unordered list.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List {
            order: ListOrderType::Unordered,
            items,
        })
    }

    /// An unordered map from pairs; later duplicates of a key replace earlier ones.
    pub fn map(pairs: Vec<(Value, Value)>) -> Value {
        let mut entries: Vec<(Value, Value)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            if let Some(slot) = entries.iter_mut().find(|(ek, _)| *ek == k) {
                slot.1 = v;
            } else {
                entries.push((k, v));
            }
        }
        Value::Map(Map {
            order: MapOrder::Unordered,
            entries,
        })
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        crate::record::order::compare(self, other) == Ordering::Equal
    }
}
impl Eq for Value {}
impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        crate::record::order::compare(self, other)
    }
}
impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        crate::record::order::compare_lists(&self.items, &other.items) == Ordering::Equal
    }
}
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        crate::record::order::compare_maps(self, other) == Ordering::Equal
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Blob(b) => write!(f, "b{:?}", String::from_utf8_lossy(b)),
            Value::GeoJSON(s) => write!(f, "geo{s:?}"),
            Value::Other {
                particle_type,
                bytes,
            } => write!(f, "blob{particle_type}{:?}", String::from_utf8_lossy(bytes)),
            Value::Wildcard => write!(f, "WILDCARD"),
            Value::Infinity => write!(f, "INFINITY"),
            Value::List(l) => {
                write!(f, "[")?;
                for (i, v) in l.items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Value::Map(m) => {
                write!(f, "{{")?;
                for (i, (k, v)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value { Value::Int(v as i64) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32, isize);

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::String(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::String(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::list(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Nil, Into::into)
    }
}
