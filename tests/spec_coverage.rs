//! Spec coverage: every row id of `../shared/spec/record-model.md` (first column of its tables)
//! must be named somewhere under `tests/` or `src/` (as a whole word: `RC-1` is not found inside
//! `RC-13`), or be listed in [`EXCLUDED`] with the reason it cannot be tested against the
//! engine alone. Prints `covered N / applicable M`, and the ids named only in `src/` (documented
//! in the code but without a test naming them).
//!
//! The spec lives beside the repository (`$CARGO_MANIFEST_DIR/../shared/spec`). The repository's
//! own restatement, `docs/semantics.md` Part 1, defines the same row ids (checked here when the
//! spec is present) and is the id source when the spec is absent, so an embedder with only the
//! clone still checks coverage.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rows not testable against the engine alone, each with its reason.
const EXCLUDED: &[(&str, &str)] = &[
    // Not exposed by the API at all.
    ("V-HLL", "HyperLogLog is not exposed"),
    ("S-NO-TRUNCATE", "there is no truncation API to test"),
];

fn is_row_id(cell: &str) -> bool {
    let mut parts = cell.split('-');
    let first = parts.next().unwrap_or("");
    let mut rest = parts.peekable();
    !first.is_empty()
        && first.starts_with(|c: char| c.is_ascii_uppercase())
        && first
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && rest.peek().is_some()
        && rest.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

/// Row ids: the first cell of every table row that looks like an id.
fn row_ids(spec: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in spec.lines() {
        let Some(rest) = line.strip_prefix('|') else {
            continue;
        };
        // The doc bolds its ids (`**RC-2**`); the spec does not.
        let cell = rest
            .split('|')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('*');
        if is_row_id(cell) && !ids.iter().any(|i| i == cell) {
            ids.push(cell.to_string());
        }
    }
    ids
}

fn collect(dir: &Path, skip: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, skip, out);
        } else if p != skip && p.extension().is_some_and(|e| e == "rs") {
            if let Ok(s) = std::fs::read_to_string(&p) {
                out.push_str(&s);
                out.push('\n');
            }
        }
    }
}

/// Whether `id` occurs in `text` as a whole id (not followed or preceded by `[A-Za-z0-9-]`).
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

/// The row ids of `docs/semantics.md` Part 1 (the record model), from its table rows.
fn doc_row_ids(root: &Path) -> Vec<String> {
    let path = root.join("docs/semantics.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = doc
        .find("\n# Part 1.")
        .expect("docs/semantics.md has a Part 1 heading");
    let end = doc
        .find("\n# Part 2.")
        .expect("docs/semantics.md has a Part 2 heading");
    row_ids(&doc[start..end])
}

#[test]
fn every_record_model_row_is_covered_or_excluded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec_path = root.join("../shared/spec/record-model.md");
    match std::fs::read_to_string(&spec_path) {
        Ok(spec) => check_coverage(root, &row_ids(&spec)),
        Err(_) => {
            println!(
                "notice: {} not found; row ids taken from docs/semantics.md",
                spec_path.display()
            );
            check_coverage(root, &doc_row_ids(root));
        }
    }
}

/// The in-repo restatement is a complete id source: every coverage rule holds over its ids too.
#[test]
fn every_semantics_doc_row_is_covered_or_excluded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    check_coverage(root, &doc_row_ids(root));
}

/// With the spec present, docs/semantics.md Part 1 defines exactly the spec's row ids.
#[test]
fn semantics_doc_defines_every_record_model_row() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(spec) = std::fs::read_to_string(root.join("../shared/spec/record-model.md")) else {
        println!("notice: record-model.md not found; nothing to compare the doc with");
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
        "docs/semantics.md Part 1 and record-model.md disagree: rows missing from the doc \
         {missing:?}, rows the spec does not have {extra:?}"
    );
}

fn check_coverage(root: &Path, ids: &[String]) {
    assert!(ids.len() > 300, "parsed only {} row ids", ids.len());
    let this = root.join("tests/spec_coverage.rs");
    let (mut tests_text, mut src_text) = (String::new(), String::new());
    collect(&root.join("tests"), &this, &mut tests_text);
    collect(&root.join("src"), &this, &mut src_text);

    let excluded: BTreeSet<&str> = EXCLUDED.iter().map(|(id, _)| *id).collect();
    for id in &excluded {
        assert!(
            ids.iter().any(|i| i == id),
            "excluded id {id} is not a row of the spec"
        );
    }
    let applicable: Vec<&String> = ids
        .iter()
        .filter(|i| !excluded.contains(i.as_str()))
        .collect();
    let mut missing = Vec::new();
    let mut src_only = Vec::new();
    let mut covered = 0;
    for id in &applicable {
        if names(&tests_text, id) {
            covered += 1;
        } else if names(&src_text, id) {
            covered += 1;
            src_only.push(id.as_str());
        } else {
            missing.push(id.as_str());
        }
    }
    println!(
        "covered {covered} / applicable {} ({} rows, {} excluded)",
        applicable.len(),
        ids.len(),
        excluded.len()
    );
    let stale: Vec<&str> = excluded
        .iter()
        .copied()
        .filter(|id| names(&tests_text, id))
        .collect();
    if !stale.is_empty() {
        println!(
            "excluded but named by a test (prune EXCLUDED): {}",
            stale.join(", ")
        );
    }
    if !src_only.is_empty() {
        println!("named only in src/: {}", src_only.join(", "));
    }
    assert!(
        missing.is_empty(),
        "rows neither covered nor excluded: {missing:?}"
    );
}

#[test]
fn row_id_parsing() {
    assert!(is_row_id("W-UPD-MISSING"));
    assert!(is_row_id("RC-NEG1"));
    assert!(is_row_id("WP-07A"));
    assert!(!is_row_id("ID"));
    assert!(!is_row_id("---"));
    assert!(!is_row_id("Step"));
    assert!(names("x RC-1 y", "RC-1"));
    assert!(!names("x RC-13 y", "RC-1"));
    assert!(!names("G-EQ-TOMB-0", "G-EQ-TOMB"));
    assert!(names("(WP-07A)", "WP-07A"));
    assert!(!names("WP-07A", "WP-07"));
}

/// Rows docs/semantics.md defines beyond record-model.md: aerolite's own additions.
const AEROLITE_ROWS: &[&str] = &["V-OTHER-BLOB", "V-OTHER-WHERE"];
