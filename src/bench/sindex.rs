//! `aerolite bench -w sindex` (issue 14 point 5): on `records` records whose integer bin `n` is
//! spread uniformly over `0 … records − 1`, range queries of 1 % selectivity through a
//! secondary index against a scan with a filter expression selecting the same records, in one
//! run, side by side. Both sides run the same seeded sequence of ranges, one query at a time,
//! each until the phase budget (`--duration`, default 3 s, or `--ops` queries) is used; every
//! range both sides ran must return the same number of records (else it counts a mismatch).
//!
//! Invariants: the index is built (task complete) before the first query; each side runs at
//! least one query; the index is dropped at the end, so a kept data file has no definition left.

use crate::bench::json::Json;
use crate::bench::{open, Options, NAMESPACE, SET};
use crate::error::{Error, Result, ResultCode};
use crate::expressions as exp;
use crate::rng::Rng;
use crate::{
    AdminPolicy, Bin, Bins, CollectionIndexType, Database, Filter, IndexType, Key, PartitionFilter,
    QueryPolicy, Statement, Value, WritePolicy,
};
use std::io::Write;
use std::time::{Duration, Instant};

/// The indexed bin.
pub const INDEXED_BIN: &str = "n";
/// The index name.
pub const INDEX_NAME: &str = "bench_n";
/// Selectivity of each range query, in percent of the records.
pub const SELECTIVITY_PCT: u64 = 1;
/// Value bytes per record when `--value-size` is not given.
pub const DEFAULT_VALUE_SIZE: usize = 100;

/// One side of the comparison.
#[derive(Debug, Clone, Default)]
pub struct Side {
    /// Queries run.
    pub queries: u64,
    /// Records returned by all of them.
    pub records: u64,
    /// Wall time of all of them, seconds.
    pub elapsed_s: f64,
    /// Records returned per query, in order (compared between the sides).
    pub per_query: Vec<u64>,
}

impl Side {
    /// Queries per second.
    pub fn queries_per_s(&self) -> f64 {
        self.queries as f64 / self.elapsed_s.max(1e-9)
    }

    /// Mean milliseconds per query.
    pub fn mean_ms(&self) -> f64 {
        self.elapsed_s * 1e3 / (self.queries.max(1) as f64)
    }
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct SindexReport {
    /// Records loaded.
    pub records: u64,
    /// Value bytes per record (besides the indexed integer).
    pub value_size: usize,
    /// Where the data lived.
    pub target: String,
    /// Seconds to build the index over the loaded records.
    pub build_s: f64,
    /// Range queries through the index.
    pub index: Side,
    /// Scans with a filter expression over the same ranges.
    pub scan: Side,
    /// Ranges both sides ran whose record counts differ (must be 0).
    pub mismatches: u64,
}

impl SindexReport {
    /// How many times faster a query through the index is than the scan (mean time per query).
    pub fn ratio(&self) -> f64 {
        self.scan.mean_ms() / self.index.mean_ms().max(1e-9)
    }

    /// Print the report as a table.
    pub fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "sindex: {} records ({}-byte values + integer bin {INDEXED_BIN:?}) on {}; index \
             built in {:.2} s; range queries of {SELECTIVITY_PCT} % selectivity",
            self.records, self.value_size, self.target, self.build_s
        )?;
        writeln!(
            out,
            "{:<26} {:>9} {:>12} {:>12} {:>14}",
            "side", "queries", "queries/s", "ms/query", "records/query"
        )?;
        for (name, s) in [
            ("index range query", &self.index),
            ("scan + filter expression", &self.scan),
        ] {
            writeln!(
                out,
                "{name:<26} {:>9} {:>12.2} {:>12.3} {:>14.1}",
                s.queries,
                s.queries_per_s(),
                s.mean_ms(),
                s.records as f64 / s.queries.max(1) as f64
            )?;
        }
        writeln!(
            out,
            "ratio (scan time / index time per query): {:.1}x; mismatches: {}",
            self.ratio(),
            self.mismatches
        )
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Json {
        let side = |s: &Side| {
            Json::obj()
                .with("queries", s.queries)
                .with("records", s.records)
                .with("elapsed_s", s.elapsed_s)
                .with("queries_per_s", s.queries_per_s())
                .with("ms_per_query", s.mean_ms())
        };
        Json::obj()
            .with("workload", "sindex")
            .with("records", self.records)
            .with("value_size", self.value_size as u64)
            .with("target", self.target.as_str())
            .with("build_s", self.build_s)
            .with("index", side(&self.index))
            .with("scan", side(&self.scan))
            .with("ratio", self.ratio())
            .with("mismatches", self.mismatches)
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ResultCode::ClientError,
        format!("sindex bench: {what}: {e}"),
    )
}

/// Load records `share, share + shares, …` below `records`.
fn load_share(
    db: &Database,
    opts: &Options,
    value_size: usize,
    share: u64,
    shares: u64,
) -> Result<()> {
    let mut rng = Rng::new(opts.seed.wrapping_add(share));
    let blob = Value::Blob(vec![0x5a; value_size]);
    let wp = WritePolicy::default();
    let mut i = share;
    while i < opts.records {
        let key = Key::new(NAMESPACE, SET, i as i64)?;
        let n = Value::Int(rng.below(opts.records) as i64);
        db.put(
            &wp,
            &key,
            &[
                Bin::new(INDEXED_BIN, n),
                Bin::new(crate::bench::BIN, blob.clone()),
            ],
        )?;
        i += shares;
    }
    Ok(())
}

fn load(db: &Database, opts: &Options, value_size: usize) -> Result<()> {
    let shares = opts.threads.max(1) as u64;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..shares)
            .map(|share| s.spawn(move || load_share(db, opts, value_size, share, shares)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| failed("load", "a loader panicked"))?)
    })
}

/// The `q`-th range of the run: `[lo, lo + width − 1]`, `width` = 1 % of the records.
fn range_of(opts: &Options, q: u64) -> (i64, i64) {
    let width = (opts.records * SELECTIVITY_PCT / 100).max(1);
    let mut rng = Rng::new(opts.seed ^ 0x5eed_0000_0000_0000 ^ q);
    let lo = rng.below(opts.records.saturating_sub(width) + 1);
    (lo as i64, (lo + width - 1) as i64)
}

/// Run one side: `query(lo, hi)` returns the records of one range.
fn run_side(opts: &Options, query: &dyn Fn(i64, i64) -> Result<u64>) -> Result<Side> {
    let budget = opts.duration.unwrap_or(Duration::from_secs(3));
    let mut side = Side::default();
    let start = Instant::now();
    loop {
        let (lo, hi) = range_of(opts, side.queries);
        let n = query(lo, hi)?;
        side.queries += 1;
        side.records += n;
        side.per_query.push(n);
        let done = match opts.ops {
            Some(ops) => side.queries >= ops,
            None => start.elapsed() >= budget,
        };
        if done {
            break;
        }
    }
    side.elapsed_s = start.elapsed().as_secs_f64();
    Ok(side)
}

fn count(db: &Database, qp: &QueryPolicy, st: Statement) -> Result<u64> {
    let mut n = 0;
    for r in db.query(qp, PartitionFilter::all(), st)? {
        r?;
        n += 1;
    }
    Ok(n)
}

fn index_query(db: &Database, lo: i64, hi: i64) -> Result<u64> {
    let mut st = Statement::new(NAMESPACE, SET, Bins::All);
    st.set_filter(Filter::range(INDEXED_BIN, lo, hi));
    count(db, &QueryPolicy::default(), st)
}

fn scan_query(db: &Database, lo: i64, hi: i64) -> Result<u64> {
    let n = || exp::int_bin(INDEXED_BIN);
    let qp = QueryPolicy {
        filter_expression: Some(exp::and(vec![
            exp::ge(n(), exp::int_val(lo)),
            exp::le(n(), exp::int_val(hi)),
        ])),
        ..QueryPolicy::default()
    };
    count(db, &qp, Statement::new(NAMESPACE, SET, Bins::All))
}

fn build(db: &Database) -> Result<f64> {
    let start = Instant::now();
    db.create_index_on_bin(
        &AdminPolicy::default(),
        NAMESPACE,
        SET,
        INDEXED_BIN,
        INDEX_NAME,
        IndexType::Numeric,
        CollectionIndexType::Default,
        None,
    )?
    .wait_till_complete()?;
    Ok(start.elapsed().as_secs_f64())
}

/// Run the comparison `opts` describe (records, value size, threads for the load, target,
/// duration or ops per side, seed).
pub fn run(opts: &Options) -> Result<SindexReport> {
    if opts.records == 0 {
        return Err(Error::new(
            ResultCode::ParameterError,
            "sindex bench: records must be ≥ 1",
        ));
    }
    let value_size = opts.value_size.unwrap_or(DEFAULT_VALUE_SIZE);
    let opened = open(&Options {
        value_size: Some(value_size),
        ..opts.clone()
    })?;
    let db = &opened.db;
    load(db, opts, value_size)?;
    let build_s = build(db)?;
    let index = run_side(opts, &|lo, hi| index_query(db, lo, hi))?;
    let scan = run_side(opts, &|lo, hi| scan_query(db, lo, hi))?;
    let mismatches = index
        .per_query
        .iter()
        .zip(&scan.per_query)
        .filter(|(a, b)| a != b)
        .count();
    db.drop_index(&AdminPolicy::default(), NAMESPACE, SET, INDEX_NAME)?;
    let report = SindexReport {
        records: opts.records,
        value_size,
        target: opened.target.clone(),
        build_s,
        index,
        scan,
        mismatches: mismatches as u64,
    };
    drop(opened.db);
    if let (Some(dir), false) = (&opened.created_dir, opts.keep) {
        std::fs::remove_dir_all(dir)
            .map_err(|e| failed(&format!("removing {}", dir.display()), e))?;
    }
    Ok(report)
}

/// `aerolite bench -w sindex`: run and print (`--json`: one JSON object); exit code 1 on a
/// mismatch. A setup error comes back as an I/O error carrying the aerolite error's text.
pub fn run_cli(args: &crate::bench::BenchArgs, out: &mut dyn Write) -> std::io::Result<i32> {
    let as_io = |e: Error| std::io::Error::other(e.to_string());
    let report = run(&args.options().map_err(as_io)?).map_err(as_io)?;
    match args.json {
        true => writeln!(out, "{}", report.to_json())?,
        false => report.write_table(out)?,
    }
    Ok(i32::from(report.mismatches > 0))
}
