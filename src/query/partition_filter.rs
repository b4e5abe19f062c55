//! `PartitionFilter` and `PartitionStatus` (the official client's names): which partitions a
//! query visits and, per partition, the last digest it returned — the cursor a later query
//! resumes from (SCAN-RESUME-1). The fields are those of Aerospike's partition-status wire
//! form (id, digest, bval, retry), so a server can stream them back unchanged.

use crate::error::{err, Result, ResultCode};
use crate::record::key::{Digest, Key, PARTITIONS};

/// One partition's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionStatus {
    /// Partition id, 0 … 4095.
    pub id: u16,
    /// The last digest returned from this partition; the next query starts after it.
    pub digest: Option<Digest>,
    /// Secondary-index cursor of the wire protocol; always `None` here (primary-index queries).
    pub bval: Option<u64>,
    /// Whether the partition still has to be (re)visited: `false` once it was read to its end.
    pub retry: bool,
}

impl PartitionStatus {
    fn new(id: u16, digest: Option<Digest>) -> PartitionStatus {
        PartitionStatus {
            id,
            digest,
            bval: None,
            retry: true,
        }
    }
}

/// The partitions a query visits, doubling as its cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionFilter {
    /// First partition id.
    pub begin: usize,
    /// Number of partitions from `begin`.
    pub count: usize,
    /// Start after this digest in partition `begin` (`by_key`).
    pub digest: Option<Digest>,
    /// Per-partition status, filled by the first query that uses the filter.
    pub partitions: Vec<PartitionStatus>,
}

impl PartitionFilter {
    /// Every partition.
    pub fn all() -> PartitionFilter {
        PartitionFilter::by_range(0, PARTITIONS)
    }

    /// One partition (0 … 4095).
    pub fn by_id(partition_id: usize) -> PartitionFilter {
        PartitionFilter::by_range(partition_id, 1)
    }

    /// `count` partitions from `begin`.
    pub fn by_range(begin: usize, count: usize) -> PartitionFilter {
        PartitionFilter {
            begin,
            count,
            digest: None,
            partitions: Vec::new(),
        }
    }

    /// The records after `key`'s digest in `key`'s partition.
    pub fn by_key(key: &Key) -> PartitionFilter {
        PartitionFilter {
            begin: usize::from(key.partition_id()),
            count: 1,
            digest: Some(key.digest),
            partitions: Vec::new(),
        }
    }

    /// Whether every partition of the filter was read to its end.
    pub fn done(&self) -> bool {
        !self.partitions.is_empty() && self.partitions.iter().all(|p| !p.retry)
    }

    /// Check the range (→ 4) and create the per-partition status on first use.
    pub(crate) fn prepare(&mut self) -> Result<()> {
        if self.begin >= PARTITIONS || self.count == 0 || self.count > PARTITIONS - self.begin {
            return err(
                ResultCode::ParameterError,
                format!(
                    "partition range begin {} count {}: begin must be 0 … 4095 and count 1 … {} \
                     (4096 partitions)",
                    self.begin,
                    self.count,
                    PARTITIONS.saturating_sub(self.begin)
                ),
            );
        }
        if self.partitions.is_empty() {
            let first = self.begin as u16;
            self.partitions = (0..self.count)
                .map(|i| {
                    let d = if i == 0 { self.digest } else { None };
                    PartitionStatus::new(first + i as u16, d)
                })
                .collect();
            assert!(
                self.partitions.len() == self.count
                    && usize::from(self.partitions[self.count - 1].id) < PARTITIONS,
                "a built filter covers begin … begin + count - 1"
            );
        }
        for p in &mut self.partitions {
            p.retry = true;
        }
        debug_assert!(!self.partitions.is_empty());
        let ordered = self.partitions.windows(2).all(|w| w[0].id < w[1].id);
        let in_range = self
            .partitions
            .iter()
            .all(|p| usize::from(p.id) < PARTITIONS);
        if !ordered || !in_range {
            return err(
                ResultCode::ParameterError,
                "partition status list must hold distinct ids 0 … 4095 in increasing order",
            );
        }
        Ok(())
    }
}
