//! Request policies, named after the official Aerospike client's (record-model.md §8, §9, §16,
//! §21): exists action, generation policy, expiration, commit level, read and write policies.

pub mod read;
pub mod write;

pub use read::ReadPolicy;
pub use write::{CommitLevel, Expiration, GenerationPolicy, RecordExistsAction, WritePolicy};
