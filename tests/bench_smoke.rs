//! Bench smoke: the `aerolite bench` library function runs every workload (load, YCSB A/B/C/F,
//! ACT) with tiny sizes in well under a second of work each, and its report is sane: every
//! phase issued operations without errors, throughput and latency quantiles are positive and
//! ordered, byte counters add up, and the JSON form carries the same fields. Not a performance
//! test: nothing here depends on how fast the machine is.

#![cfg(feature = "cli")]

use aerolite::bench::keys::Distribution;
use aerolite::bench::workload::Workload;
use aerolite::bench::{self, Options, Target};
use std::time::Duration;

fn tiny(workloads: Vec<Workload>) -> Options {
    Options {
        workloads,
        records: 500,
        value_size: Some(100),
        threads: 2,
        duration: Some(Duration::from_millis(150)),
        ops: Some(2_000),
        target: Target::Memory,
        progress: false,
        act_multiple: 1.0,
        act_slice: Duration::from_millis(100),
        ..Options::default()
    }
}

#[test]
fn bench_smoke_every_workload_reports_sane_fields() {
    let mut opts = tiny(vec![
        Workload::YcsbA,
        Workload::YcsbB,
        Workload::YcsbC,
        Workload::YcsbF,
        Workload::Update,
    ]);
    opts.distribution = Distribution::Zipfian;
    let report = bench::run(&opts).expect("bench runs");
    let names: Vec<&str> = report.phases.iter().map(|p| p.workload.as_str()).collect();
    assert_eq!(
        names,
        ["load", "ycsb-a", "ycsb-b", "ycsb-c", "ycsb-f", "update"],
        "load is put first"
    );
    assert_eq!(
        report.errors(),
        0,
        "{:?}",
        report
            .phases
            .iter()
            .map(|p| &p.first_error)
            .collect::<Vec<_>>()
    );
    let load = &report.phases[0];
    assert_eq!(load.ops, 500, "load inserts each record exactly once");
    assert_eq!(load.records, Some(500));
    assert_eq!(load.read.count, 0);
    assert_eq!(load.write.count, 500);
    assert!(
        load.write_amplification.is_some_and(|w| w >= 1.0),
        "images are at least the value: {:?}",
        load.write_amplification
    );
    for p in &report.phases {
        assert!(
            p.ops > 0 && p.ops <= 2_000,
            "{}: {} ops within the budget",
            p.workload,
            p.ops
        );
        assert!(p.ops_per_s > 0.0 && p.mb_per_s > 0.0, "{}", p.workload);
        assert_eq!(p.all.count, p.ops, "{}: every op timed once", p.workload);
        assert!(p.all.p50_us > 0.0, "{}", p.workload);
        assert!(
            p.all.p50_us <= p.all.p99_us
                && p.all.p99_us <= p.all.p999_us
                && p.all.p999_us <= p.all.max_us,
            "{}: {:?}",
            p.workload,
            p.all
        );
        assert!(
            p.index_bytes_per_record.is_some_and(|b| b >= 48.0),
            "{}: a digest + entry is 48 B",
            p.workload
        );
        assert_eq!(p.cdf.first().map(|c| c.0), Some(0.0));
        assert_eq!(p.cdf.last().map(|c| c.0), Some(1.0));
    }
    let c = &report.phases[3];
    assert_eq!(c.write.count, 0, "ycsb-c is read-only");
    assert_eq!(c.device_bytes_written, Some(0), "ycsb-c writes nothing");
    let u = &report.phases[5];
    assert_eq!(u.read.count, 0, "update is write-only");
    assert_eq!(u.write.count, u.ops);
    let a = &report.phases[1];
    assert!(
        a.read.count > 0 && a.write.count > 0,
        "ycsb-a mixes reads and updates"
    );
    assert!(report.peak_rss_bytes.unwrap_or(1) > 0);

    let json = report.to_json().to_string();
    for field in [
        "\"ops_per_s\"",
        "\"p999\"",
        "\"write_amplification\"",
        "\"index_bytes_per_record\"",
        "\"peak_rss_bytes\"",
        "\"latency_cdf_us\"",
    ] {
        assert!(json.contains(field), "JSON has {field}");
    }
}

/// storage-notes.md §9 (SN-REQ-ACT-MODE): the ACT mode issues reads and writes 2:1 at the
/// scheduled rate and gives a verdict per slice.
#[test]
fn bench_smoke_act_rate_and_verdict() {
    let mut opts = tiny(vec![Workload::Act]);
    opts.value_size = None;
    opts.duration = Some(Duration::from_millis(400));
    opts.ops = None;
    let report = bench::run(&opts).expect("bench runs");
    assert_eq!(report.value_size, bench::act_value_size());
    assert!(report.value_size > 1400 && report.value_size <= 1536);
    let act = &report.phases[1];
    assert_eq!(act.workload, "act");
    // 1x = 3000 requests/s; 0.4 s → 1200 requests, every third a write.
    assert_eq!(act.ops, 1200);
    assert_eq!(act.read.count, 800);
    assert_eq!(act.write.count, 400);
    let verdict = act.act.as_ref().expect("ACT result");
    assert_eq!(verdict.slices.len(), 4);
    assert_eq!(verdict.slices.iter().map(|s| s.reads).sum::<u64>(), 800);
    assert!(
        act.duration_s >= 0.39,
        "the schedule paces the run: {}",
        act.duration_s
    );
    assert!(verdict.stress_pass, "an in-memory run is never 10 s behind");
    let mut table = Vec::new();
    report.write_table(&mut table).expect("table");
    let table = String::from_utf8(table).expect("utf-8");
    assert!(table.contains("ACT verdict"), "{table}");
}

#[test]
fn bench_cli_options_parse_and_reject() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: bench::BenchArgs,
    }
    let cli = Cli::try_parse_from([
        "x",
        "--workload",
        "ycsb-a,act",
        "--distribution",
        "uniform",
        "--durability",
        "commit-to-device",
        "--io",
        "portable",
        "--duration",
        "2.5",
        "--target",
        "memory",
        "--prewrite",
    ])
    .expect("parses");
    let o = cli.args.options().expect("valid");
    assert!(o.prewrite, "--prewrite reaches the options");
    assert_eq!(o.workloads, vec![Workload::YcsbA, Workload::Act]);
    assert_eq!(o.distribution, Distribution::Uniform);
    assert_eq!(o.durability, bench::Durability::CommitToDevice);
    assert_eq!(o.io, bench::IoBackend::Portable);
    assert_eq!(o.duration, Some(Duration::from_millis(2500)));
    assert_eq!(o.target, Target::Memory);
    let bad = Cli::try_parse_from(["x", "--workload", "ycsb-z"]).expect("parses");
    assert!(bad.args.options().is_err(), "unknown workload is refused");
    let bad = Cli::try_parse_from(["x", "--duration", "0"]).expect("parses");
    assert!(bad.args.options().is_err(), "zero duration is refused");
    let d = Cli::try_parse_from(["x"])
        .expect("parses")
        .args
        .options()
        .expect("valid");
    assert_eq!(d.workloads.len(), 5, "default: load + A, B, C, F");
    assert_eq!(d.duration, Some(Duration::from_secs(6)));
}

/// The device backend through the bench options: a file target, commit-to-device (group commit),
/// portable I/O; device bytes are counted and the file is replaced on the next run.
#[test]
fn bench_smoke_device_file_commit_to_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.aerolite");
    let mut opts = tiny(vec![Workload::YcsbA]);
    opts.target = Target::Path(path.clone());
    opts.durability = bench::Durability::CommitToDevice;
    opts.io = bench::IoBackend::Portable;
    opts.ops = Some(400);
    let report = bench::run(&opts).expect("bench runs on a file");
    assert_eq!(report.errors(), 0, "{:?}", report.phases[1].first_error);
    assert!(
        report.io_backend.starts_with("portable"),
        "{}",
        report.io_backend
    );
    assert_eq!(report.durability, "commit-to-device");
    let load = &report.phases[0];
    assert!(
        load.device_bytes_written.is_some_and(|b| b >= 500 * 100),
        "{:?}",
        load.device_bytes_written
    );
    assert!(path.exists(), "a path target is not removed");
    let again = bench::run(&opts).expect("second run replaces the file");
    assert_eq!(
        again.phases[0].records,
        Some(500),
        "the second run starts empty"
    );
}

/// `--prewrite`: a file target is first written with zeros at the size the store would have
/// created (replacing an old file), and the run starts empty on it.
#[test]
fn bench_smoke_prewritten_file() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.aerolite");
    std::fs::write(&path, b"an older file").expect("old file");
    let mut opts = tiny(vec![Workload::Update]);
    opts.target = Target::Path(path.clone());
    opts.durability = bench::Durability::CommitToDevice;
    opts.prewrite = true;
    opts.ops = Some(300);
    let report = bench::run(&opts).expect("bench runs on a prewritten file");
    assert_eq!(report.errors(), 0, "{:?}", report.phases[1].first_error);
    assert_eq!(report.phases[0].records, Some(500), "starts empty");
    let m = std::fs::metadata(&path).expect("stat");
    assert_eq!(
        m.len(),
        bench::data_file_bytes(500, 100),
        "the store's file size"
    );
    assert!(m.blocks() * 512 >= m.len(), "written, not sparse");
}

/// `aerolite bench -w scan,batch`: full scans (ops = records: at least one pass over every
/// record) and batch reads (ops = batches of 64) run without errors and report throughput.
#[test]
fn bench_smoke_scan_and_batch() {
    let report = bench::run(&tiny(vec![Workload::Scan, Workload::Batch])).expect("bench runs");
    let names: Vec<&str> = report.phases.iter().map(|p| p.workload.as_str()).collect();
    assert_eq!(names, ["load", "scan", "batch"]);
    assert_eq!(report.errors(), 0, "{:?}", report.phases[1].first_error);
    let (scan, batch) = (&report.phases[1], &report.phases[2]);
    assert!(
        scan.ops >= 500,
        "one pass returns every record: {}",
        scan.ops
    );
    assert_eq!(scan.write.count, 0);
    assert!(scan.mb_per_s > 0.0);
    assert!(batch.ops > 0 && batch.read.count == batch.ops);
    assert!(batch.mb_per_s > 0.0);
}

/// Issue 14 point 5: `aerolite bench -w sindex` with tiny sizes: both sides run the same 1 %
/// ranges, return the same records (no mismatch), and the report prints both rates and the
/// ratio. Not a performance test: the ratio is only required to be positive.
#[test]
fn bench_smoke_sindex_query_vs_scan() {
    let mut opts = tiny(Vec::new());
    opts.records = 3_000;
    opts.duration = None;
    opts.ops = Some(4);
    let report = bench::sindex::run(&opts).expect("sindex bench runs");
    assert_eq!(report.records, 3_000);
    assert_eq!((report.index.queries, report.scan.queries), (4, 4));
    assert_eq!(report.mismatches, 0, "{report:?}");
    assert!(
        report.index.records > 0,
        "1 % ranges of uniform values match records"
    );
    assert_eq!(report.index.records, report.scan.records);
    assert!(report.ratio() > 0.0 && report.index.queries_per_s() > 0.0);
    let mut table = Vec::new();
    report.write_table(&mut table).expect("table");
    let table = String::from_utf8(table).expect("utf-8");
    assert!(
        table.contains("index range query") && table.contains("ratio"),
        "{table}"
    );
    let json = report.to_json().to_string();
    assert!(
        json.contains("\"ratio\"") && json.contains("\"queries_per_s\""),
        "{json}"
    );
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: bench::BenchArgs,
    }
    let cli = Cli::try_parse_from(["x", "-w", "sindex"]).expect("parses");
    let o = cli.args.options().expect("sindex is a workload name");
    assert_eq!(o.records, 1_000_000, "sindex default size");
}
