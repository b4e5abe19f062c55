//! The record model's data types: keys and digests (their hash, `ripemd160`), values and their
//! one order (`order`), the canonical form a stored value keeps (`canonical`), bins and records
//! (their bytes on disk are `crate::format`'s). Nothing here touches storage or time, and nothing
//! here imports the CDT ops above it (tests/tidy_layers.rs).

pub mod bin;
pub mod canonical;
pub mod key;
pub mod order;
#[allow(clippy::module_inception)]
pub mod record;
pub mod ripemd160;
pub mod value;
pub mod value_ref;
