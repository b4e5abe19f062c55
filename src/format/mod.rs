//! The on-disk format, one module per structure of storage-format.md: the device header
//! (`header`), the write-block header (`write_block`), the record image (`record_image`) and its
//! zero-copy view (`image_view`), the index snapshot (`snapshot`), and the encoding of values
//! inside an image (`particle`, with `pack`, the msgpack form of lists and maps) — plus `msgpack`,
//! the clients' spelling of the same values (wire protocol and filter expressions). Byte order goes
//! through one reader/writer (`le`) and every checksum through one helper (`checksum`).
//!
//! Invariants: this layer sits on the record model and the error type only — it imports nothing
//! above it (no storage, index, engine or CDT ops; tests/tidy_layers.rs) — so a byte layout has
//! exactly one home and one description (storage-format.md, pinned by each module's tests).
//! Decoding arbitrary bytes never panics: every read goes through the bounds-checked
//! `le::Reader` or checks lengths first, and a bad checksum, magic, version or tag is an error.

pub mod checksum;
pub mod header;
pub mod image_view;
pub mod le;
pub mod msgpack;
pub mod pack;
pub mod particle;
pub mod record_image;
pub mod record_ref;
pub mod snapshot;
pub mod write_block;
