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

// The public surface is the curated `pub use` block below plus `operations`, `device`,
// `replication` and `progress`.

/// The engine's own modules: private, except that the non-default `testing` feature (turned on
/// for this crate's own tests by its dev-dependency on itself) makes them reachable, hidden from
/// the docs, for white-box tests.
macro_rules! internal_modules {
    ($($name:ident),* $(,)?) => {$(
        #[cfg(feature = "testing")]
        #[doc(hidden)]
        pub mod $name;
        #[cfg(not(feature = "testing"))]
        mod $name;
    )*};
}

internal_modules!(
    batch, cdt, clock, config, database, engine, error, format, geo, huge_pages, index, ops,
    policy, prefetch, query, rng, sindex, storage,
);
// Declared outside the macro: it defines the exported `as_bin!`, which a macro-expanded module
// could not export by path.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod record;
#[cfg(not(feature = "testing"))]
mod record;

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod bench;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod expressions;
pub mod progress;
pub mod replication;
#[cfg(feature = "server")]
#[doc(hidden)] // `aerolite serve`; reached through the binary
pub mod server;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
#[cfg(feature = "server")]
#[doc(hidden)] // Aerospike's wire protocol codec, for `aerolite serve`
pub mod wire;

/// Block devices under the device store: the `Device` trait is an extension point (custom and
/// fault-injecting devices, handed over with [`DeviceConfig::with_devices`]).
pub mod device {
    pub use crate::storage::device::faulty::{FaultPlan, FaultyDevice};
    pub use crate::storage::device::memory::MemoryDevice;
    pub use crate::storage::device::{AlignedBuf, Device, ALIGN};
}

/// Operation builders, as in the official client's `aerospike::operations`.
pub mod operations {
    pub use crate::cdt::builders::{lists, maps};
    pub use crate::ops::operation::{
        add, append, delete, delete_bin, exp, exp_read, exp_write, get, get_bin, get_header,
        prepend, put, touch,
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
pub use config::{DatabaseConfig, DeviceConfig, IoBackend, NamespaceConfig, StorageConfig};
pub use database::{AdminPolicy, Database, Stats};
pub use engine::defrag::DefragStats;
pub use engine::integrity::IntegrityReport;
pub use engine::read::Bins;
pub use engine::recovery::RecoveryStats;
pub use engine::sweep::SweepStats;
pub use engine::tombstones::TombStats;
pub use error::{Error, Result, ResultCode};
pub use format::record_ref::RecordRef;
pub use ops::Operation;
pub use policy::{
    CommitLevel, Expiration, GenerationPolicy, ReadPolicy, RecordExistsAction, WritePolicy,
};
pub use query::{
    ExecuteTask, KeyedRecord, PartitionFilter, PartitionStatus, QueryPolicy, Recordset, Statement,
    TaskCounts, TaskStatus,
};
pub use record::bin::{Bin, BinList};
pub use record::key::{Digest, Key};
pub use record::record::Record;
pub use record::value::{List, ListOrderType, Map, MapOrder, Value};
pub use record::value_ref::ValueRef;
pub use sindex::{CollectionIndexType, Filter, IndexTask, IndexType};
