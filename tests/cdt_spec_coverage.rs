//! cdt.md coverage: every row id of `../shared/spec/cdt.md` (first column of its tables) must be
//! named, as a whole word, by a test under `tests/cdt_*.rs` or a unit test under `src/cdt/`,
//! `src/record/order.rs` (the value order) or `src/format/{particle,pack}.rs` (their bytes). Prints `cdt.md rows covered N / M`. The repository's restatement,
//! `docs/semantics.md` Part 2, defines the same row ids (checked here when the spec is present)
//! and is the id source when the spec is absent (the repository outside its workspace).

use std::collections::BTreeSet;
use std::path::Path;

fn row_ids(spec: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for line in spec.lines() {
        let Some(rest) = line.strip_prefix('|') else {
            continue;
        };
        // The doc bolds its ids (`**VO-INT**`); the spec does not.
        let cell = rest
            .split('|')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('*');
        let mut parts = cell.split('-');
        let first = parts.next().unwrap_or("");
        let tail: Vec<&str> = parts.collect();
        let ok = !first.is_empty()
            && first
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && first.starts_with(|c: char| c.is_ascii_uppercase())
            && !tail.is_empty()
            && tail.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            });
        if ok && !ids.iter().any(|i| i == cell) {
            ids.push(cell.to_string());
        }
    }
    ids
}

fn names(text: &str, id: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let mut from = 0;
    while let Some(i) = text[from..].find(id) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        if !before.is_some_and(word) && !after.is_some_and(word) {
            return true;
        }
        from = at + id.len();
    }
    false
}

fn read_dir_rs(dir: &Path, pick: &dyn Fn(&Path) -> bool, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            read_dir_rs(&p, pick, out);
        } else if pick(&p) {
            if let Ok(s) = std::fs::read_to_string(&p) {
                // Unit tests only: the text after the first `#[cfg(test)]`.
                let s = match s.find("#[cfg(test)]") {
                    Some(i)
                        if !p.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")) =>
                    {
                        s[i..].to_string()
                    }
                    _ => s,
                };
                out.push_str(&s);
                out.push('\n');
            }
        }
    }
}

/// The row ids of `docs/semantics.md` Part 2 (maps and lists), from its table rows.
fn doc_row_ids(root: &Path) -> Vec<String> {
    let path = root.join("docs/semantics.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = doc
        .find("\n# Part 2.")
        .expect("docs/semantics.md has a Part 2 heading");
    let end = doc
        .find("\n# Part 3.")
        .expect("docs/semantics.md has a Part 3 heading");
    row_ids(&doc[start..end])
}

#[test]
fn every_cdt_row_is_named_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::fs::read_to_string(root.join("../shared/spec/cdt.md")) {
        Ok(spec) => check_named(root, &row_ids(&spec)),
        Err(_) => {
            println!("notice: cdt.md not found; row ids taken from docs/semantics.md");
            check_named(root, &doc_row_ids(root));
        }
    }
}

/// The in-repo restatement is a complete id source: every row it defines is named by a test.
#[test]
fn every_semantics_doc_cdt_row_is_named_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    check_named(root, &doc_row_ids(root));
}

/// With the spec present, docs/semantics.md Part 2 defines exactly cdt.md's row ids.
#[test]
fn semantics_doc_defines_every_cdt_row() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(spec) = std::fs::read_to_string(root.join("../shared/spec/cdt.md")) else {
        println!("notice: cdt.md not found; nothing to compare the doc with");
        return;
    };
    let spec_ids: BTreeSet<String> = row_ids(&spec).into_iter().collect();
    let doc_ids: BTreeSet<String> = doc_row_ids(root).into_iter().collect();
    let missing: Vec<&String> = spec_ids.difference(&doc_ids).collect();
    // Rows aerolite added to the doc beyond the spec (issue 13: selector values, language
    // blobs); any other extra row is drift.
    let additions: BTreeSet<String> = AEROLITE_ROWS.iter().map(|s| s.to_string()).collect();
    let extra: Vec<&String> = doc_ids
        .difference(&spec_ids)
        .filter(|id| !additions.contains(*id))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/semantics.md Part 2 and cdt.md disagree: rows missing from the doc {missing:?}, \
         rows the spec does not have {extra:?}"
    );
}

fn check_named(root: &Path, ids: &[String]) {
    assert!(ids.len() > 250, "parsed only {} row ids", ids.len());
    let mut text = String::new();
    let this = root.join("tests/cdt_spec_coverage.rs");
    read_dir_rs(
        &root.join("tests"),
        &|p| {
            p != this
                && p.extension().is_some_and(|e| e == "rs")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("cdt_"))
        },
        &mut text,
    );
    read_dir_rs(
        &root.join("src/cdt"),
        &|p| p.extension().is_some_and(|e| e == "rs"),
        &mut text,
    );
    read_dir_rs(
        &root.join("src/record"),
        &|p| p.file_name().is_some_and(|n| n == "order.rs"),
        &mut text,
    );
    read_dir_rs(
        &root.join("src/format"),
        &|p| {
            p.file_name()
                .is_some_and(|n| n == "particle.rs" || n == "pack.rs")
        },
        &mut text,
    );
    let missing: Vec<&String> = ids.iter().filter(|id| !names(&text, id)).collect();
    println!(
        "cdt.md rows covered {} / {}",
        ids.len() - missing.len(),
        ids.len()
    );
    assert!(
        missing.is_empty(),
        "cdt.md rows named by no test: {missing:?}"
    );
}

/// Rows docs/semantics.md defines beyond cdt.md: aerolite's own additions.
const AEROLITE_ROWS: &[&str] = &[
    "ORD-BUILDERS",
    "ORD-INFINITY",
    "ORD-SELECTOR-ONLY",
    "ORD-WILDCARD",
    "ORD-WILDCARD-KEY",
];
