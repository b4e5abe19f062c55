//! Output of `aerolite scenario gen-race`: a readable table, or one JSON object with `--json`.
//! Both hold the random-race rows (one per race mode and strategy) and the scan-cleanup runs
//! (totals per strategy, the split by cleanup cycle, and the timeline of buckets).

use super::cleanup::{self, Bucket, CleanupOutcome};
use super::{run_cleanup, run_one, Options, Outcome, RaceMode, Strategy};
use std::collections::BTreeMap;
use std::io::Write;

type RaceRow = (RaceMode, Strategy, Outcome);
type CleanupRow = (Strategy, CleanupOutcome);

/// The cleanup's filter, in words for the report.
const FILTER_WORDS: &str = "since_update() >= stale_ms or not bin_exists(\"audience\")";

/// Run every strategy under the random race modes and against the scan-based cleanup, and print
/// a table (or JSON). Returns the exit code.
pub fn run<W: Write>(opts: &Options, json: bool, out: &mut W) -> std::io::Result<i32> {
    let mut races = Vec::new();
    let mut cleanups = Vec::new();
    let result = (|| {
        for mode in [RaceMode::DurableDelete, RaceMode::TtlExpiry] {
            for s in Strategy::ALL {
                races.push((mode, s, run_one(opts, mode, s)?));
            }
        }
        for s in Strategy::ALL {
            cleanups.push((s, run_cleanup(opts, s)?));
        }
        crate::Result::Ok(())
    })();
    if let Err(e) = result {
        writeln!(out, "scenario failed: {e}")?;
        return Ok(1);
    }
    if json {
        write_json(out, &races, &cleanups)?;
    } else {
        write_table(out, opts, &races, &cleanups)?;
    }
    Ok(0)
}

fn codes_json(codes: &BTreeMap<i32, u64>) -> String {
    let v: Vec<String> = codes.iter().map(|(c, n)| format!("\"{c}\": {n}")).collect();
    format!("{{{}}}", v.join(", "))
}

fn comma(i: usize, len: usize) -> &'static str {
    if i + 1 < len {
        ","
    } else {
        ""
    }
}

fn outcome_json(o: &Outcome) -> String {
    format!(
        "\"updates\": {}, \"applied\": {}, \"dropped\": {}, \"writes_sent\": {}, \"codes\": {}",
        o.updates,
        o.applied,
        o.dropped,
        o.writes_sent,
        codes_json(&o.codes)
    )
}

fn bucket_json(b: &Bucket) -> String {
    let cycle = b.cycle.map_or("null".to_string(), |c| c.to_string());
    format!(
        "{{\"start_ms\": {}, \"cycle\": {cycle}, \"deleted\": {}, \"delete_gen_conflicts\": {}, \"write_codes\": {}, \"reads_not_found\": {}, \"dropped\": {}}}",
        b.start_ms, b.deleted, b.delete_gen_conflicts, codes_json(&b.write_codes), b.reads_not_found, b.dropped
    )
}

fn write_json<W: Write>(
    out: &mut W,
    races: &[RaceRow],
    cleanups: &[CleanupRow],
) -> std::io::Result<()> {
    writeln!(out, "{{\"random_races\": [")?;
    for (i, (mode, s, o)) in races.iter().enumerate() {
        let c = comma(i, races.len());
        writeln!(
            out,
            "  {{\"mode\": \"{mode:?}\", \"strategy\": \"{}\", {}}}{c}",
            s.name(),
            outcome_json(o)
        )?;
    }
    writeln!(out, "], \"scan_cleanup\": {{")?;
    writeln!(
        out,
        "  \"writers\": {}, \"think_ms_max\": {}, \"stale_ms\": {}, \"period_ms\": {}, \"bucket_ms\": {}, \"filter\": \"{}\",",
        cleanup::WRITERS, cleanup::THINK_MS_MAX, cleanup::STALE_MS, cleanup::PERIOD_MS, cleanup::BUCKET_MS,
        FILTER_WORDS.replace('"', "\\\"")
    )?;
    writeln!(out, "  \"strategies\": [")?;
    for (i, (s, o)) in cleanups.iter().enumerate() {
        let [(ein, din), (eout, dout)] = o.split_by_cycle();
        let (deleted, refused) = o.deletes();
        writeln!(
            out,
            "    {{\"strategy\": \"{}\", {}, \"cycles\": {}, \"deleted\": {deleted}, \"delete_gen_conflicts\": {refused}, \"write_errors_in_cycles\": {ein}, \"dropped_in_cycles\": {din}, \"write_errors_outside\": {eout}, \"dropped_outside\": {dout}, \"buckets\": [",
            s.name(), outcome_json(&o.totals), o.cycles
        )?;
        for (j, b) in o.buckets.iter().enumerate() {
            writeln!(out, "      {}{}", bucket_json(b), comma(j, o.buckets.len()))?;
        }
        writeln!(out, "    ]}}{}", comma(i, cleanups.len()))?;
    }
    writeln!(out, "  ]\n}}}}")
}

fn write_table<W: Write>(
    out: &mut W,
    opts: &Options,
    races: &[RaceRow],
    cleanups: &[CleanupRow],
) -> std::io::Result<()> {
    writeln!(
        out,
        "gen-race: {} records, {} updates, race p={}, conflict p={}, seed {}",
        opts.records, opts.updates, opts.race_probability, opts.conflict_probability, opts.seed
    )?;
    writeln!(
        out,
        "\nrandom races (a delete or expiry between a read and its write):"
    )?;
    let head = [
        "race", "strategy", "updates", "applied", "dropped", "writes", "rc0", "rc2", "rc3",
    ];
    writeln!(out, "{:<14} {:<15} {}", head[0], head[1], right(&head[2..]))?;
    for (mode, s, o) in races {
        writeln!(
            out,
            "{:<14} {:<15} {}",
            format!("{mode:?}"),
            s.name(),
            totals(o)
        )?;
    }
    write_cleanup_totals(out, cleanups)?;
    write_timeline(out, cleanups)
}

fn right(cells: &[&str]) -> String {
    let v: Vec<String> = cells.iter().map(|c| format!("{c:>8}")).collect();
    v.join(" ")
}

fn totals(o: &Outcome) -> String {
    let c = |k: i32| o.codes.get(&k).copied().unwrap_or(0).to_string();
    let cells = [
        o.updates.to_string(),
        o.applied.to_string(),
        o.dropped.to_string(),
        o.writes_sent.to_string(),
        c(0),
        c(2),
        c(3),
    ];
    let v: Vec<&str> = cells.iter().map(String::as_str).collect();
    right(&v)
}

fn write_cleanup_totals<W: Write>(out: &mut W, cleanups: &[CleanupRow]) -> std::io::Result<()> {
    writeln!(
        out,
        "\nscan cleanup: every {} ms a scan with filter {} (stale_ms {}), then durable deletes with \
         ExpectGenEqual at the scanned generation; {} writers, 0-{} ms between read and write",
        cleanup::PERIOD_MS, FILTER_WORDS, cleanup::STALE_MS, cleanup::WRITERS, cleanup::THINK_MS_MAX
    )?;
    let head = [
        "updates", "applied", "dropped", "writes", "rc0", "rc2", "rc3",
    ];
    let split = [
        "cycles", "deleted", "del-rc3", "err-in", "drop-in", "err-out", "drop-out",
    ];
    writeln!(out, "{:<15} {} {}", "strategy", right(&head), right(&split))?;
    for (s, o) in cleanups {
        let [(ein, din), (eout, dout)] = o.split_by_cycle();
        let (deleted, refused) = o.deletes();
        let cells = [o.cycles, deleted, refused, ein, din, eout, dout].map(|n| n.to_string());
        let v: Vec<&str> = cells.iter().map(String::as_str).collect();
        writeln!(out, "{:<15} {} {}", s.name(), totals(&o.totals), right(&v))?;
    }
    writeln!(
        out,
        "(del-rc3: cleanup deletes refused because a writer updated the record after the scan \
         (SA-11); err-in / drop-in: failed writes and dropped updates in buckets with a cleanup \
         cycle; -out: the others; rc2 counts writes: a gen-checked Update answers 3, never 2)"
    )
}

fn write_timeline<W: Write>(out: &mut W, cleanups: &[CleanupRow]) -> std::io::Result<()> {
    writeln!(
        out,
        "\ntimeline, {} ms buckets; per strategy: del = cleanup deletes, rc3 = writes refused with 3, \
         r2 = reads answered 2, drop = updates dropped",
        cleanup::BUCKET_MS
    )?;
    let mut names = format!("{:>13}", "");
    let mut head = format!("{:>7} {:>5}", "t_ms", "cycle");
    for (s, _) in cleanups {
        names.push_str(&format!(" | {:^19}", s.name()));
        head.push_str(&format!(
            " | {:>4} {:>4} {:>4} {:>4}",
            "del", "rc3", "r2", "drop"
        ));
    }
    writeln!(out, "{}\n{head}", names.trim_end())?;
    let len = cleanups
        .iter()
        .map(|(_, o)| o.buckets.len())
        .max()
        .unwrap_or(0);
    for i in 0..len {
        let first = cleanups.iter().find_map(|(_, o)| o.buckets.get(i));
        let cycle = first
            .and_then(|b| b.cycle)
            .map_or("-".to_string(), |c| c.to_string());
        let mut line = format!("{:>7} {:>5}", i as u64 * cleanup::BUCKET_MS, cycle);
        for (_, o) in cleanups {
            let cells = o.buckets.get(i).map(|b| {
                let rc3 = b.write_codes.get(&3).copied().unwrap_or(0);
                [b.deleted, rc3, b.reads_not_found, b.dropped].map(|n| n.to_string())
            });
            let [a, b, c, d] = cells.unwrap_or_default();
            line.push_str(&format!(" | {a:>4} {b:>4} {c:>4} {d:>4}"));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
