//! Whole-version access for replication: read a record's complete stored version (bins, metadata,
//! set name, stored key) and install a version produced elsewhere exactly as given, without running
//! the record model again. A replica never re-executes a master's ops: it installs the master's
//! resulting version (same bins, generation, void-time and LUT), or removes the record when the
//! master's write left it missing.
//!
//! Invariants:
//! - both entry points hold the record lock for their whole access, so a version is never read or
//!   installed halfway (OP-ISOLATION);
//! - `read_version` followed by `apply_replica_version` of its result on another namespace makes
//!   that namespace's `read_version` return an equal version (tested);
//! - these entry points bypass every check of §7 on purpose: they are not client requests.

use crate::engine::namespace::Namespace;
use crate::error::Result;
use crate::format::record_image::ImageMeta;
use crate::record::bin::BinList;
use crate::record::key::{Digest, UserKeyBytes};

/// One complete stored version of a record: what a replica must hold to be identical.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordVersion {
    /// Bins in stored order (empty for a tombstone).
    pub bins: BinList,
    /// Generation, 1 … 65535.
    pub generation: u16,
    /// Void-time, seconds since 2010 (0 = never).
    pub void_time: u32,
    /// Last-update-time, ms since 2010.
    pub lut: u64,
    /// Durable-delete tombstone (S-TOMB).
    pub tombstone: bool,
    /// Set name ("" = none).
    pub set_name: String,
    /// Stored user key, if any.
    pub key: Option<UserKeyBytes>,
}

impl Namespace {
    /// The record's stored version, whatever its state (live, tombstone, expired-not-reaped);
    /// `None` when there is no index entry (S-MISSING).
    pub fn read_version(&self, digest: &Digest) -> Result<Option<RecordVersion>> {
        let _guard = self.locks.acquire(*digest, 0, None)?;
        let Some(e) = self.index.get(digest) else {
            return Ok(None);
        };
        let img = self.load(digest, &e)?;
        debug_assert!(
            !img.meta.tombstone || img.bins.is_empty(),
            "a tombstone image holds no bins"
        );
        Ok(Some(RecordVersion {
            bins: img.bins,
            generation: img.meta.generation,
            void_time: img.meta.void_time,
            lut: img.meta.lut,
            tombstone: img.meta.tombstone,
            set_name: img.meta.set_name,
            key: img.meta.key,
        }))
    }

    /// Install `version` as the record's stored version (replacing any), or remove the record when
    /// `version` is `None`. Storage errors (8, 1, 13) are returned; nothing else is checked.
    pub fn apply_replica_version(
        &self,
        digest: Digest,
        version: Option<&RecordVersion>,
    ) -> Result<()> {
        let guard = self.locks.acquire(digest, 0, None)?;
        let old = self.index.get(&digest);
        let Some(v) = version else {
            if let Some(e) = old {
                self.remove(&digest, &e);
            }
            return Ok(());
        };
        assert!(
            !v.tombstone || (v.bins.is_empty() && v.void_time == 0),
            "a tombstone version has no bins and never expires"
        );
        let set_id = self.sets.intern(&v.set_name)?;
        let meta = ImageMeta {
            digest,
            generation: v.generation,
            lut: v.lut,
            void_time: v.void_time,
            tombstone: v.tombstone,
            set_name: v.set_name.clone(),
            key: v.key.clone(),
            block_seq: 0,
        };
        let (entry, ticket) = self.commit(&meta, &v.bins, set_id, old)?;
        // Replicas install the master's version exactly (module docs of replication).
        assert!(
            entry.generation == v.generation
                && entry.lut() == v.lut
                && entry.void_time == v.void_time
                && self.index.get(&digest) == Some(entry),
            "the index holds the installed version"
        );
        drop(guard);
        self.storage.wait_durable(ticket)
    }
}

#[cfg(test)]
mod tests {
    use crate::record::value::Value;
    use crate::{as_key, Bin, Database, WritePolicy};

    /// A version read on one namespace and installed on another reads back identical, including
    /// generation, void-time, LUT, set and stored key; installing `None` removes the record.
    #[test]
    fn version_round_trips_between_namespaces() {
        let a = Database::open_in_memory().expect("open a");
        let b = Database::open_in_memory().expect("open b");
        let key = as_key!("test", "s", "k");
        let wp = WritePolicy {
            send_key: true,
            ..WritePolicy::default()
        };
        a.put(&wp, &key, &[Bin::new("x", 1), Bin::new("y", "two")])
            .expect("put");
        a.put(&wp, &key, &[Bin::new("x", 3)]).expect("put again");
        let (na, nb) = (
            a.namespace("test").expect("ns a"),
            b.namespace("test").expect("ns b"),
        );
        let v = na
            .read_version(&key.digest)
            .expect("read")
            .expect("present");
        assert_eq!(v.generation, 2);
        nb.apply_replica_version(key.digest, Some(&v))
            .expect("install");
        let w = nb
            .read_version(&key.digest)
            .expect("read b")
            .expect("present");
        assert_eq!(v, w);
        let rec = b
            .get(&Default::default(), &key, crate::Bins::All)
            .expect("get on b");
        assert_eq!(rec.bin("x"), Some(&Value::Int(3)));
        assert_eq!(rec.generation, 2);
        nb.apply_replica_version(key.digest, None).expect("remove");
        assert_eq!(nb.read_version(&key.digest).expect("read b"), None);
    }
}
