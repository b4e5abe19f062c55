//! The record model's data types: keys and digests, values, bins, records, and the particle
//! encoding of values. Nothing here touches storage or time.

pub mod bin;
pub mod key;
pub mod particle;
#[allow(clippy::module_inception)]
pub mod record;
pub mod value;
