//! The driver: runs each engine in its own child process (this binary with `--engine NAME`),
//! round after round with the engines interleaved, parses the children's result lines, and
//! prints per round a Markdown table of ops/s per engine per workload with the ratio of each
//! aerolite configuration to the best peer, plus the 50:50 latencies, and with several rounds a
//! summary of the per-round ratios (median, range, rounds at ≥ 1.2×); `--json` keeps every row.
//!
//! Invariants: every ratio divides numbers of one round (one pass over the engines, run back to
//! back); a peer that failed or skipped a workload has no number there and is never the "best
//! peer"; a child that fails makes the driver's exit code non-zero but the other engines still run.

use crate::child::{self, SEP};
use crate::{Args, ENGINES};
use aerolite::bench::json::Json;
use aerolite::bench::keys::KeyChooser;
use std::process::{Command, Stdio};

/// One phase of one engine in one round.
#[derive(Debug, Clone)]
pub struct Row {
    /// Round, from 1.
    pub round: usize,
    /// Engine name (`ENGINES`).
    pub engine: String,
    /// The engine's own description (version, backend).
    pub label: String,
    /// Workload name.
    pub workload: String,
    /// Operations (records, for a scan) per second.
    pub ops_per_s: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
    /// Failed operations.
    pub errors: u64,
    /// One-minute load average when the engine's process started (Linux).
    pub load_avg: Option<f64>,
}

fn is_aerolite(engine: &str) -> bool {
    engine.starts_with("aerolite")
}

fn load_avg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
}

fn parse_line(line: &str, round: usize, load_avg: Option<f64>) -> Option<Row> {
    let f: Vec<&str> = line.split(SEP).collect();
    if f.len() != 9 || f[0] != "result" {
        return None;
    }
    Some(Row {
        round,
        engine: f[1].to_string(),
        label: f[2].to_string(),
        workload: f[3].to_string(),
        ops_per_s: f[4].parse().ok()?,
        p50_us: f[5].parse().ok()?,
        p99_us: f[6].parse().ok()?,
        errors: f[8].parse().ok()?,
        load_avg,
    })
}

fn child_args(args: &Args, engine: &str) -> Vec<String> {
    vec![
        format!("--engine={engine}"),
        format!("--workload={}", args.workload.join(",")),
        format!("--records={}", args.records),
        format!("--value-size={}", args.value_size),
        format!("--distribution={}", args.distribution),
        format!("--threads={}", args.threads),
        format!("--duration={}", args.duration),
        format!("--durability={}", args.durability),
        format!("--dir={}", args.dir.display()),
    ]
}

/// Run one engine's process; its rows, or why it failed.
fn run_child(args: &Args, engine: &str, round: usize) -> Result<Vec<Row>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let load = load_avg();
    let shown = load.map_or("unknown".to_string(), |l| format!("{l:.1}"));
    eprintln!("== round {round}: {engine} (load average {shown})");
    let out = Command::new(exe)
        .args(child_args(args, engine))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("starting {engine}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Row> = text
        .lines()
        .filter_map(|l| parse_line(l, round, load))
        .collect();
    if !out.status.success() {
        return Err(format!("{engine} exited with {}", out.status));
    }
    Ok(rows)
}

/// Run every engine `--rounds` times, interleaved; print the tables; exit code 1 on any failure.
pub fn run(args: &Args) -> Result<i32, String> {
    child::mode(args)?;
    child::workloads(args)?;
    let mut engines: Vec<&str> = args.engines.iter().map(String::as_str).collect();
    if let Some(bad) = engines.iter().find(|e| !ENGINES.contains(e)) {
        return Err(format!(
            "unknown engine {bad:?} (known: {})",
            ENGINES.join(", ")
        ));
    }
    if !cfg!(feature = "rocksdb") && engines.contains(&"rocksdb") {
        eprintln!("aerolite-compare: rocksdb skipped (build with --features rocksdb)");
        engines.retain(|e| *e != "rocksdb");
    }
    let mut rows = Vec::new();
    let mut failed = 0;
    for round in 1..=args.rounds.max(1) {
        for e in running_order(&engines, round) {
            match run_child(args, e, round) {
                Ok(r) => rows.extend(r),
                Err(err) => {
                    eprintln!("aerolite-compare: {err}");
                    failed += 1;
                }
            }
        }
    }
    print_tables(args, &engines, &rows);
    if let Some(path) = &args.json {
        std::fs::write(path, format!("{}\n", to_json(args, &rows)))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let errors: u64 = rows.iter().map(|r| r.errors).sum();
    Ok(if failed > 0 || errors > 0 { 1 } else { 0 })
}

/// Round `round`'s running order: round 1 as given, later rounds a permutation drawn from the
/// round number (Fisher–Yates with the bench's seeded generator, `KeyChooser::rng`, so a run
/// can be repeated), so no engine always runs right after the same one. A process inherits the
/// machine as the one before left it: on a VM, memory that process just freed is probably
/// still backed by the host and faults in much faster than memory the host has taken back
/// (BENCHMARKS.md "Session 20": with a fixed order, `aerolite-dim` always followed `aerolite`
/// and zeroed its fresh pages in a third of the time).
fn running_order<'a>(engines: &[&'a str], round: usize) -> Vec<&'a str> {
    let mut order = engines.to_vec();
    if round <= 1 {
        return order;
    }
    let mut draw = KeyChooser::uniform(1, round as u64);
    for i in (1..order.len()).rev() {
        let j = draw.rng().below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    assert_eq!(order.len(), engines.len(), "every engine runs once a round");
    order
}

fn find<'a>(rows: &'a [Row], round: usize, engine: &str, w: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.round == round && r.engine == engine && r.workload == w)
}

/// The best peer (not aerolite) of `w` in `round`: (engine, ops/s).
pub fn best_peer<'a>(rows: &'a [Row], round: usize, w: &str) -> Option<&'a Row> {
    rows.iter()
        .filter(|r| r.round == round && r.workload == w && !is_aerolite(&r.engine))
        .filter(|r| r.errors == 0)
        .max_by(|a, b| a.ops_per_s.total_cmp(&b.ops_per_s))
}

fn workload_title(w: &str) -> &str {
    match w {
        "load" => "load (insert)",
        "ycsb-c" => "point read",
        "ycsb-a" => "50:50 read / overwrite",
        "update" => "update (overwrite)",
        "scan" => "full scan (records/s)",
        other => other,
    }
}

fn print_tables(args: &Args, engines: &[&str], rows: &[Row]) {
    println!(
        "{} records × {} B values, 16 B keys · {} keys · {} thread(s) · {} s per workload · {}",
        args.records,
        args.value_size,
        args.distribution,
        args.threads,
        args.duration,
        args.durability
    );
    let workloads: Vec<String> = child::workloads(args)
        .map(|ws| ws.iter().map(|w| w.name().to_string()).collect())
        .unwrap_or_default();
    let aerolites: Vec<&str> = engines.iter().copied().filter(|e| is_aerolite(e)).collect();
    for round in 1..=args.rounds.max(1) {
        println!("\nround {round}\n");
        let mut head = "| workload |".to_string();
        for e in engines {
            head.push_str(&format!(" {e} |"));
        }
        for a in &aerolites {
            head.push_str(&format!(" {a} ÷ best peer |"));
        }
        println!("{head}");
        println!("|{}", "---|".repeat(1 + engines.len() + aerolites.len()));
        for w in &workloads {
            println!("{}", table_line(rows, round, engines, &aerolites, w));
        }
        latency_lines(rows, round, engines, "ycsb-a");
    }
    if args.rounds > 1 {
        summary(rows, args.rounds, &aerolites, &workloads);
    }
}

/// The ratios of `engine` to the best peer on `w`, one per round that has both, in round order.
fn round_ratios(rows: &[Row], rounds: usize, engine: &str, w: &str) -> Vec<f64> {
    (1..=rounds)
        .filter_map(|round| {
            let x = find(rows, round, engine, w).filter(|r| r.errors == 0)?;
            let b = best_peer(rows, round, w)?;
            Some(x.ops_per_s / b.ops_per_s.max(1e-9))
        })
        .collect()
}

/// Median of a non-empty list (the mean of the two middle values for an even count).
fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What the rounds say together: for each aerolite configuration and workload, the median of
/// the per-round ratios (each within its round), their range, and the rounds at ≥ 1.2×.
fn summary(rows: &[Row], rounds: usize, aerolites: &[&str], workloads: &[String]) {
    println!("\nall {rounds} rounds: ratio to the best peer of the same round, median (min – max), rounds ≥ 1.2×\n");
    let mut head = "| workload |".to_string();
    for a in aerolites {
        head.push_str(&format!(" {a} ÷ best peer |"));
    }
    println!("{head}");
    println!("|{}", "---|".repeat(1 + aerolites.len()));
    for w in workloads {
        let mut line = format!("| {} |", workload_title(w));
        for a in aerolites {
            let r = round_ratios(rows, rounds, a, w);
            if r.is_empty() {
                line.push_str(" – |");
                continue;
            }
            let (lo, hi) = r
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(*x), h.max(*x)));
            let ok = r.iter().filter(|x| **x >= 1.2).count();
            line.push_str(&format!(
                " {:.2} ({lo:.2} – {hi:.2}), {ok} of {} |",
                median(&r),
                r.len()
            ));
        }
        println!("{line}");
    }
}

fn table_line(rows: &[Row], round: usize, engines: &[&str], aerolites: &[&str], w: &str) -> String {
    let mut line = format!("| {} |", workload_title(w));
    for e in engines {
        match find(rows, round, e, w) {
            Some(r) if r.errors == 0 => line.push_str(&format!(" {:.0} |", r.ops_per_s)),
            Some(r) => line.push_str(&format!(" {:.0} ({} errors) |", r.ops_per_s, r.errors)),
            None => line.push_str(" – |"),
        }
    }
    let best = best_peer(rows, round, w);
    for a in aerolites {
        match (find(rows, round, a, w), best) {
            (Some(x), Some(b)) => line.push_str(&format!(
                " {:.2} ({}) |",
                x.ops_per_s / b.ops_per_s.max(1e-9),
                b.engine
            )),
            _ => line.push_str(" – |"),
        }
    }
    line
}

fn latency_lines(rows: &[Row], round: usize, engines: &[&str], w: &str) {
    let mut line = format!("\n{} p50 / p99 µs:", workload_title(w));
    let mut any = false;
    for e in engines {
        if let Some(r) = find(rows, round, e, w) {
            line.push_str(&format!(" {e} {:.1} / {:.1};", r.p50_us, r.p99_us));
            any = true;
        }
    }
    if any {
        println!("{line}");
    }
}

fn to_json(args: &Args, rows: &[Row]) -> Json {
    let arr = rows
        .iter()
        .map(|r| {
            let best = best_peer(rows, r.round, &r.workload);
            let ratio = best
                .filter(|_| is_aerolite(&r.engine))
                .map(|b| r.ops_per_s / b.ops_per_s.max(1e-9));
            Json::obj()
                .with("round", r.round as u64)
                .with("engine", r.engine.as_str())
                .with("engine_setup", r.label.as_str())
                .with("workload", r.workload.as_str())
                .with("ops_per_s", r.ops_per_s)
                .with("p50_us", r.p50_us)
                .with("p99_us", r.p99_us)
                .with("errors", r.errors)
                .with("load_avg_at_start", r.load_avg)
                .with("best_peer", best.map(|b| b.engine.as_str()))
                .with("ratio_to_best_peer", ratio)
        })
        .collect();
    Json::obj()
        .with("durability", args.durability.as_str())
        .with("records", args.records)
        .with("value_size", args.value_size)
        .with("threads", args.threads)
        .with("distribution", args.distribution.as_str())
        .with("rounds", args.rounds as u64)
        .with("results", Json::Arr(arr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_rounds_run_the_engines_in_varying_orders() {
        let e = ["a", "b", "c", "d", "e"];
        assert_eq!(running_order(&e, 1), e, "round 1 as given");
        let mut before_b = std::collections::BTreeSet::new();
        for round in 1..=6 {
            let order = running_order(&e, round);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, e, "round {round} runs every engine once");
            assert_eq!(order, running_order(&e, round), "repeatable");
            let at = order.iter().position(|&x| x == "b").expect("b runs");
            before_b.insert(if at == 0 { "-" } else { order[at - 1] });
        }
        assert!(
            before_b.len() >= 3,
            "b follows different engines: {before_b:?}"
        );
        assert!(running_order(&[], 3).is_empty());
    }

    fn row(round: usize, engine: &str, ops: f64) -> Row {
        Row {
            round,
            engine: engine.into(),
            label: String::new(),
            workload: "load".into(),
            ops_per_s: ops,
            p50_us: 0.0,
            p99_us: 0.0,
            errors: 0,
            load_avg: None,
        }
    }

    /// Each ratio divides numbers of its own round; a round without the engine has none.
    #[test]
    fn ratios_stay_within_their_round() {
        let rows = vec![
            row(1, "aerolite", 120.0),
            row(1, "fjall", 100.0),
            row(1, "heed", 50.0),
            row(2, "aerolite", 300.0),
            row(2, "fjall", 200.0),
            row(3, "fjall", 100.0),
        ];
        assert_eq!(round_ratios(&rows, 3, "aerolite", "load"), vec![1.2, 1.5]);
        assert_eq!(median(&[1.5, 1.2]), 1.35);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
