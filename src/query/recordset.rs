//! `Recordset`: a query's stream of records, read one partition at a time (docs/multi-record.md
//! SCAN-*). Each partition's matching entries are copied under its index lock and sorted by
//! digest; records are then read in batches (one `Storage::read_many` submission per batch) and
//! each is re-checked and answered under its own record lock; the prefetched images a batch used
//! are then checked current with one storage call (`Storage::prefetch_current_many`).

use crate::engine::namespace::{undecodable, Namespace};
use crate::engine::read::Bins;
use crate::error::{err, Error, Result, ResultCode};
use crate::index::{IndexEntry, Location};
use crate::query::partition_filter::PartitionFilter;
use crate::query::policy::QueryPolicy;
use crate::query::predicate::{RecordPredicate, RecordView};
use crate::query::statement::Statement;
use crate::record::bin::BinList;
use crate::record::key::{Digest, Key};
use crate::record::record::Record;
use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Records read per device submission.
pub const READ_BATCH: usize = 64;

/// One record of a query: its key (namespace, set, stored user key if any, digest) and record.
pub type KeyedRecord = (Key, Record);

/// Whether the database that started a query is still open.
pub type AliveFn = Box<dyn Fn() -> bool + Send>;

/// The stream of a query. Iterate it; [`Recordset::partition_filter`] is the cursor to resume.
pub struct Recordset {
    ns: Arc<Namespace>,
    alive: AliveFn,
    statement: Statement,
    policy: QueryPolicy,
    filter: PartitionFilter,
    set_id: Option<Option<u16>>,
    /// Index into `filter.partitions` of the partition being read.
    current: usize,
    loaded: bool,
    entries: VecDeque<(Digest, IndexEntry)>,
    ready: VecDeque<(Digest, Result<KeyedRecord>)>,
    returned: u64,
    finished: bool,
    /// The index query's candidates per partition (SIDX-QUERY-1), `None` for a scan.
    by_index: Option<IndexCandidates>,
}

/// An index query: its index, filter, and the matching digests per partition, sorted.
struct IndexCandidates {
    index: Arc<crate::sindex::registry::SIndex>,
    filter: crate::sindex::Filter,
    digests: BTreeMap<u16, Vec<Digest>>,
}

impl IndexCandidates {
    /// SIDX-QUERY-1: the digests of `statement`'s filter, read from its index at query start.
    fn of(ns: &Namespace, statement: &Statement) -> Result<Option<IndexCandidates>> {
        let Some(f) = &statement.filter else {
            return Ok(None);
        };
        let index = ns.sindexes.for_filter(f, &statement.set_name)?;
        let mut digests: BTreeMap<u16, Vec<Digest>> = BTreeMap::new();
        let ranges = f.key_ranges()?;
        for (b, e) in &ranges {
            for d in index.tree.range(b, e) {
                digests.entry(d.partition_id()).or_default().push(d);
            }
        }
        if ranges.len() > 1 {
            // A geo filter reads several cells: a record keyed in two of them is listed once.
            for list in digests.values_mut() {
                list.sort_unstable();
                list.dedup();
            }
        }
        Ok(Some(IndexCandidates {
            index,
            filter: f.clone(),
            digests,
        }))
    }
}

impl Recordset {
    /// A query over `ns` (the statement's namespace), checked for a valid partition range.
    pub(crate) fn new(
        ns: Arc<Namespace>,
        alive: AliveFn,
        policy: &QueryPolicy,
        mut filter: PartitionFilter,
        statement: Statement,
    ) -> Result<Recordset> {
        filter.prepare()?;
        crate::engine::sets::validate_set_name(&statement.set_name)?;
        if let Bins::Some(names) = &statement.bins {
            if names.is_empty() {
                return err(
                    ResultCode::ParameterError,
                    "statement bin list is empty; use Bins::None for metadata only (RP-08)",
                );
            }
        }
        let by_index = IndexCandidates::of(&ns, &statement)?;
        // None = whole namespace; Some(None) = a set with no records yet.
        let set_id = (!statement.set_name.is_empty()).then(|| ns.sets.id(&statement.set_name));
        Ok(Recordset {
            ns,
            alive,
            statement,
            policy: policy.clone(),
            filter,
            set_id,
            current: 0,
            loaded: false,
            entries: VecDeque::new(),
            ready: VecDeque::new(),
            returned: 0,
            finished: false,
            by_index,
        })
    }

    /// The cursor: every partition's status after the records returned so far. A query with
    /// it returns the records after them (SCAN-RESUME-1).
    pub fn partition_filter(&self) -> PartitionFilter {
        self.filter.clone()
    }

    /// Records returned so far.
    pub fn records_returned(&self) -> u64 {
        self.returned
    }

    /// Copy the current partition's candidate entries (SCAN-LOCK-1), sorted by digest, after the
    /// partition's cursor.
    fn load_partition(&mut self) {
        let status = &self.filter.partitions[self.current];
        let after = status.digest;
        let now_s = self.ns.clock.now_s();
        let want_set = self.set_id;
        let keep = |d: &Digest, e: &IndexEntry| {
            after.is_none_or(|a| *d > a)
                && want_set.is_none_or(|s| s == Some(e.set_id))
                && !e.is_tombstone()
                && !e.is_expired(now_s)
        };
        let pid = status.id;
        let mut v: Vec<(Digest, IndexEntry)> = match &mut self.by_index {
            Some(c) => c
                .digests
                .remove(&pid)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|d| self.ns.index.get(&d).map(|e| (d, e)))
                .filter(|(d, e)| keep(d, e))
                .collect(),
            None => {
                let part = self.ns.index.partition(usize::from(pid));
                part.iter()
                    .filter(|(d, e)| keep(d, e))
                    .map(|(d, e)| (*d, *e))
                    .collect()
            }
        };
        v.sort_unstable_by_key(|x| x.0);
        debug_assert!(v.windows(2).all(|w| w[0].0 < w[1].0));
        debug_assert!(
            v.iter().all(|(d, _)| d.partition_id() == pid),
            "a partition's load holds only its own digests"
        );
        self.entries = v.into();
        self.loaded = true;
    }

    /// Read the next batch of the current partition into `ready`: one `read_many` submission,
    /// each record answered under its lock from its prefetched image while its entry is
    /// unchanged, then the images used checked together (`prefetch_current_many`: one storage
    /// lock per batch, not per record); a record whose image was replaced meanwhile is answered
    /// again from a fresh read.
    fn read_batch(&mut self) {
        let n = self.entries.len().min(READ_BATCH);
        let batch: Vec<(Digest, IndexEntry)> = self.entries.drain(..n).collect();
        let reqs: Vec<(Location, u32)> = batch.iter().map(|(_, e)| (e.location, e.size)).collect();
        let pre = self.ns.storage.read_many(&reqs);
        assert_eq!(pre.len(), reqs.len(), "read_many answers every request");
        touch(&pre);
        let mut answers: Vec<(Option<Result<KeyedRecord>>, bool)> = batch
            .iter()
            .zip(&pre)
            .map(|((d, hint), bytes)| self.answer(d, hint, bytes.as_ref().ok()))
            .collect();
        let used: Vec<(usize, (Location, &[u8]))> = answers
            .iter()
            .enumerate()
            .filter(|(_, (_, used))| *used)
            .filter_map(|(i, _)| match &pre[i] {
                Ok(b) => Some((i, (reqs[i].0, b.as_ref()))),
                Err(_) => None,
            })
            .collect();
        let images: Vec<(Location, &[u8])> = used.iter().map(|(_, img)| *img).collect();
        let current = self.ns.storage.prefetch_current_many(&images);
        assert_eq!(
            current.len(),
            images.len(),
            "one answer per prefetched image"
        );
        for ((i, _), ok) in used.iter().zip(current) {
            if !ok {
                let (d, hint) = &batch[*i];
                answers[*i] = self.answer(d, hint, None);
                debug_assert!(!answers[*i].1, "a fresh read uses no prefetched image");
            }
        }
        for ((d, _), (r, _)) in batch.into_iter().zip(answers) {
            if let Some(r) = r {
                self.ready.push_back((d, r));
            }
        }
    }

    /// One record under its lock: `None` when it is no longer visible, in another set, or
    /// rejected by the filter (SCAN-VISIBLE-1, SCAN-FILTER-1). The answer comes from `pre`, the
    /// image prefetched for `hint`, when the entry is still `hint` (then `true`: the caller
    /// must check that image is current before using the answer), else from a fresh read.
    fn answer(
        &self,
        d: &Digest,
        hint: &IndexEntry,
        pre: Option<&Bytes>,
    ) -> (Option<Result<KeyedRecord>>, bool) {
        let deadline = self
            .policy
            .total_timeout
            .map(|t| self.ns.clock.deadline_us(t));
        let _guard = match self.ns.locks.acquire(*d, 0, deadline) {
            Ok(g) => g,
            Err(e) => return (Some(Err(e)), false),
        };
        let Some(e) = self.ns.index.get(d) else {
            return (None, false);
        };
        let now_s = self.ns.clock.now_s();
        if e.is_tombstone() || e.is_expired(now_s) || self.ns.truncated(&e) {
            return (None, false);
        }
        if self.set_id.is_some_and(|s| s != Some(e.set_id)) {
            return (None, false);
        }
        match pre {
            Some(b) if e == *hint => (self.decode(d, &e, b), true),
            _ => match self.ns.storage.read(e.location, e.size) {
                Ok(b) => (self.decode(d, &e, &b), false),
                Err(err) => (Some(Err(err)), false),
            },
        }
    }

    fn decode(&self, d: &Digest, e: &IndexEntry, bytes: &[u8]) -> Option<Result<KeyedRecord>> {
        let v = match Namespace::verified_view(bytes, d, e) {
            Ok(v) => v,
            Err(err) => return Some(Err(err)),
        };
        let pred: Option<&dyn RecordPredicate> = self
            .policy
            .filter_expression
            .as_ref()
            .map(|f| f as &dyn RecordPredicate);
        let all = pred.is_some() || self.by_index.is_some() || self.statement.bins == Bins::All;
        let bins = if all {
            v.bins()
        } else {
            match &self.statement.bins {
                Bins::Some(names) if self.policy.include_bin_data => v.named_bins(names),
                _ => Ok(BinList::new()),
            }
        };
        let bins = match bins.map_err(undecodable) {
            Ok(b) => b,
            Err(err) => return Some(Err(err)),
        };
        let mut record = Record {
            bins,
            generation: u32::from(v.generation),
            expiration: v.void_time,
            last_update_time: v.lut,
            key: v.key.and_then(|k| k.to_owned().to_value()),
        };
        if let Some(c) = &self.by_index {
            // SIDX-RECHECK-1: the record's current value, under its lock, must match.
            if !c.filter.matches(&c.index.def, d, &record.bins) {
                return None;
            }
        }
        if let Some(p) = pred {
            let view = RecordView {
                digest: d,
                set_name: v.set_name,
                record: &record,
                device_size: e.size,
                now_ms: self.ns.clock.now_ms(),
                memory_only: matches!(self.ns.config.storage, crate::StorageConfig::Memory { .. }),
            };
            if !p.keep(&view) {
                return None;
            }
        }
        if all {
            record.bins = select(std::mem::take(&mut record.bins), &self.statement.bins);
        }
        if !self.policy.include_bin_data {
            record.bins = BinList::new();
        }
        let key = Key {
            namespace: self.statement.namespace.clone(),
            set_name: v.set_name.to_string(),
            user_key: record.key.clone(),
            digest: *d,
        };
        Some(Ok((key, record)))
    }

    fn pace(&self) {
        if self.policy.records_per_second > 0 {
            std::thread::sleep(Duration::from_secs(1) / self.policy.records_per_second);
        }
    }
}

/// Read one byte of every cache line of the batch's images, all before any is decoded: the
/// images lie scattered over their blocks, so each is a cache miss, and misses issued together
/// overlap instead of stalling the scan once per record.
fn touch(images: &[Result<Bytes>]) {
    const LINE: usize = 64;
    let sum = images
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|b| b.iter().step_by(LINE))
        .fold(0u8, |acc, x| acc ^ x);
    std::hint::black_box(sum);
}

/// The bins of `all` a statement asks for.
fn select(all: BinList, bins: &Bins) -> BinList {
    match bins {
        Bins::All => all,
        Bins::None => BinList::new(),
        Bins::Some(names) => {
            let mut out = BinList::new();
            for n in names {
                if let Some(v) = all.get(n) {
                    out.push(n, v.clone());
                }
            }
            out
        }
    }
}

impl Iterator for Recordset {
    type Item = Result<KeyedRecord>;

    fn next(&mut self) -> Option<Result<KeyedRecord>> {
        loop {
            if self.finished {
                return None;
            }
            if !(self.alive)() {
                self.finished = true;
                return Some(Err(Error::new(
                    ResultCode::ClientError,
                    "database closed during the query",
                )));
            }
            if self.policy.max_records > 0 && self.returned >= self.policy.max_records {
                self.finished = true;
                return None;
            }
            if let Some((d, r)) = self.ready.pop_front() {
                let status = &mut self.filter.partitions[self.current];
                // SCAN-ORDER-1: the cursor only moves forward, within its own partition.
                assert!(
                    status.digest.is_none_or(|prev| prev < d),
                    "scan cursor went back"
                );
                assert_eq!(d.partition_id(), status.id, "record of another partition");
                status.digest = Some(d);
                if r.is_ok() {
                    self.returned += 1;
                    assert!(
                        self.policy.max_records == 0 || self.returned <= self.policy.max_records,
                        "a query returns at most max_records records"
                    );
                    self.pace();
                }
                return Some(r);
            }
            if self.current >= self.filter.partitions.len() {
                self.finished = true;
                return None;
            }
            if !self.loaded {
                self.load_partition();
            }
            if self.entries.is_empty() {
                self.filter.partitions[self.current].retry = false;
                self.current += 1;
                self.loaded = false;
                continue;
            }
            self.read_batch();
        }
    }
}
