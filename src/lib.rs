//! # aerolite
//!
//! An embedded storage engine with Aerospike's record model: records of named bins under
//! namespace / set / key, generation counters, TTL, durable-delete tombstones, conditional writes,
//! atomic multi-op `operate`, CDT maps and lists.
//!
//! ```
//! use aerolite::{as_bin, as_key, Bins, Database, GenerationPolicy, ReadPolicy, WritePolicy};
//!
//! let db = Database::open_in_memory()?;
//! let key = as_key!("test", "demo", "user-1");
//! let rec = db.put(&WritePolicy::default(), &key, &[as_bin!("visits", 1)])?;
//! assert_eq!(rec.generation, 1);
//!
//! // Read-modify-write guarded by the generation just read.
//! let read = db.get(&ReadPolicy::default(), &key, Bins::All)?;
//! let wp = WritePolicy::with_generation(GenerationPolicy::ExpectGenEqual, read.generation);
//! db.put(&wp, &key, &[as_bin!("visits", 2)])?;
//! assert_eq!(db.get(&ReadPolicy::default(), &key, Bins::All)?.bin("visits"), Some(&2.into()));
//! # Ok::<(), aerolite::Error>(())
//! ```

#![deny(clippy::unwrap_used)]
#![warn(missing_docs)]

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod batch;
#[cfg(feature = "cli")]
pub mod bench;
pub mod cdt;
#[cfg(feature = "cli")]
pub mod cli;
pub mod clock;
pub mod config;
pub mod database;
pub mod engine;
pub mod error;
pub mod index;
pub mod ops;
pub mod policy;
pub mod progress;
pub mod query;
pub mod record;
pub mod replication;
pub mod rng;
pub mod storage;

/// Operation builders, as in the official client's `aerospike::operations`.
pub mod operations {
    pub use crate::cdt::builders::{lists, maps};
    pub use crate::ops::operation::{
        add, append, delete, delete_bin, get, get_bin, get_header, prepend, put, touch,
    };
    pub use crate::ops::Operation;
}

pub use batch::{
    BatchDeletePolicy, BatchOperation, BatchPolicy, BatchReadPolicy, BatchRecord, BatchWritePolicy,
};
pub use cdt::context::CTX;
pub use cdt::policy::{ListPolicy, ListSortFlags, ListWriteFlags, MapPolicy, MapWriteFlags};
pub use cdt::return_type::{ListReturnType, MapReturnType};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{DatabaseConfig, NamespaceConfig, StorageConfig};
pub use database::{Database, Stats};
pub use engine::read::Bins;
pub use error::{Error, Result, ResultCode};
pub use ops::Operation;
pub use policy::{
    CommitLevel, Expiration, Filter, GenerationPolicy, ReadPolicy, RecordExistsAction, WritePolicy,
};
pub use query::{
    ExecuteTask, PartitionFilter, PartitionStatus, QueryPolicy, Recordset, Statement, TaskStatus,
};
pub use record::bin::{Bin, BinList};
pub use record::key::{Digest, Key};
pub use record::record::Record;
pub use record::value::{List, ListOrderType, Map, MapOrder, Value};
