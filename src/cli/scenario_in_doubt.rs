//! `aerolite scenario in-doubt`: seed 003 measured. Prints, for `no-retry`, `naive-retry` and
//! `exactly-once` on identical seeded loads and fault mixes: attempts, in-doubt outcomes, in-doubt
//! outcomes resolved, logical writes applied, duplicates, lost writes, and the final counter sum.
//! The logic lives in `replication::scenario`; this module only formats.

use crate::replication::scenario::{run_all, Options, Outcome, Strategy};
use std::io::Write;

fn json_row(s: Strategy, o: &Outcome) -> String {
    format!(
        "{{\"strategy\": \"{}\", \"writes\": {}, \"attempts\": {}, \"in_doubt\": {}, \"in_doubt_writes\": {}, \"in_doubt_resolved\": {}, \"applied\": {}, \"duplicates\": {}, \"lost\": {}, \"applied_unknowingly\": {}, \"counter_sum\": {}, \"failovers\": {}, \"rejoin_lost\": {}, \"diverged\": {}}}",
        s.name(),
        o.writes,
        o.attempts,
        o.in_doubt,
        o.in_doubt_writes,
        o.in_doubt_resolved,
        o.applied,
        o.duplicates,
        o.lost,
        o.applied_unknowingly,
        o.counter_sum,
        o.failovers,
        o.rejoin_lost,
        o.diverged
    )
}

/// Run the experiment and print a table (or JSON). Returns the exit code.
pub fn run<W: Write>(opts: &Options, json: bool, out: &mut W) -> std::io::Result<i32> {
    let rows = match run_all(opts) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "scenario failed: {e}")?;
            return Ok(1);
        }
    };
    if json {
        let body: Vec<String> = rows
            .iter()
            .map(|(s, o)| format!("  {}", json_row(*s, o)))
            .collect();
        writeln!(out, "[\n{}\n]", body.join(",\n"))?;
        return Ok(0);
    }
    writeln!(
        out,
        "in-doubt: {} logical add(+1) writes on {} records, {} replica(s), {}, timeout {} ms, seed {}",
        opts.writes,
        opts.keys,
        opts.replicas,
        if opts.commit_master { "CommitMaster" } else { "CommitAll" },
        opts.timeout_ms,
        opts.seed
    )?;
    writeln!(
        out,
        "faults per mille: drop {}, delay {} (≤ {} ms), duplicate {}, master crash {} (restart after {} ms)",
        opts.drop_per_mille,
        opts.delay_per_mille,
        opts.delay_ms_max,
        opts.duplicate_per_mille,
        opts.crash_per_mille,
        opts.restart_after_ms
    )?;
    writeln!(
        out,
        "{:<13} {:>8} {:>8} {:>9} {:>9} {:>8} {:>6} {:>6} {:>8} {:>7} {:>9}",
        "strategy",
        "attempts",
        "in-doubt",
        "resolved",
        "applied",
        "dups",
        "lost",
        "unseen",
        "sum",
        "fail-ov",
        "rejoin-lost"
    )?;
    for (s, o) in &rows {
        writeln!(
            out,
            "{:<13} {:>8} {:>8} {:>9} {:>9} {:>8} {:>6} {:>6} {:>8} {:>7} {:>9}",
            s.name(),
            o.attempts,
            o.in_doubt_writes,
            o.in_doubt_resolved,
            o.applied,
            o.duplicates,
            o.lost,
            o.applied_unknowingly,
            o.counter_sum,
            o.failovers,
            o.rejoin_lost
        )?;
    }
    for line in [
        "in-doubt = logical writes that met an in-doubt outcome; resolved = of those, ended definitively",
        "applied = logical writes present at the end; dups = extra applications",
        "lost = believed applied but absent; unseen = given up on, yet applied",
        "rejoin-lost = attempts discarded by AP conflict resolution when a node rejoined",
    ] {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "sum = final counter total; exactly once means sum = {}",
        opts.writes
    )?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table and the JSON name every strategy; exactly-once sums to the number of writes.
    #[test]
    fn prints_table_and_json() {
        let opts = Options {
            writes: 150,
            ..Options::default()
        };
        let mut table = Vec::new();
        assert_eq!(run(&opts, false, &mut table).expect("write"), 0);
        let table = String::from_utf8(table).expect("utf-8");
        for s in Strategy::ALL {
            assert!(table.contains(s.name()), "{table}");
        }
        let mut json = Vec::new();
        assert_eq!(run(&opts, true, &mut json).expect("write"), 0);
        let json = String::from_utf8(json).expect("utf-8");
        assert!(
            json.contains("\"strategy\": \"exactly-once\", \"writes\": 150"),
            "{json}"
        );
        let eo = json
            .lines()
            .find(|l| l.contains("exactly-once"))
            .expect("row");
        assert!(
            eo.contains("\"duplicates\": 0") && eo.contains("\"counter_sum\": 150"),
            "{eo}"
        );
    }
}
