//! Tidy test: every spec row id cited in the repository's Rust code (`src/`, `tests/`,
//! `examples/`, `benches/`, `fuzz/`) resolves inside the repository, so a reader with only the
//! clone can look it up. An id resolves when `docs/semantics.md` or `storage-format.md` defines
//! it: as a bold `**ID**`, in a heading, or as an `<a id="ID">` anchor. A cited group prefix
//! (`L-APP-*`, `G-EQ-*-N`, "the SA-RETRY loop") resolves when some defined id continues it
//! (`L-APP-UNORD`).
//!
//! An id is a run of `[A-Z0-9-]` (so `O_DIRECT` splits at the underscore and lowercase letters
//! end a run) that starts with a capital letter and has at least two `-`-separated parts:
//! `RC-2`, `WP-07A`, `SN-REQ-ACK-DEVICE`. Hyphenated words that are not ids (`UTF-8`) are listed
//! in [`NOT_IDS`]. The test fails naming each unresolved id and a file citing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Tokens of the id shape that are ordinary names, not spec rows.
const NOT_IDS: &[&str] = &[
    "CRC-32",     // the checksum
    "CRC-32C",    // the Castagnoli checksum
    "UTF-8",      // the text encoding
    "RIPEMD-160", // the digest hash
    "IEEE-754",   // the float format
    "FNV-1",      // the FNV-1a hash
    "A-Z",        // a character range in a pattern
    "YCSB-A",     // benchmark workload names
    "YCSB-B",
    "YCSB-C",
    "YCSB-D",
    "YCSB-E",
    "YCSB-F",
];

/// Trees whose `.rs` files are scanned.
const TREES: &[&str] = &["src", "tests", "examples", "benches", "fuzz"];

/// Candidate ids in `text`, in order of appearance.
fn ids_in(text: &str) -> Vec<&str> {
    let is_id_char = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-';
    text.split(|c: char| !is_id_char(c))
        .map(|run| run.trim_matches('-'))
        .filter(|run| is_id(run))
        .collect()
}

fn is_id(run: &str) -> bool {
    let mut parts = run.split('-');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    first.starts_with(|c: char| c.is_ascii_uppercase())
        && !rest.is_empty()
        && rest.iter().all(|p| !p.is_empty())
}

/// Ids a document defines: bold spans, headings, and `<a id="…">` anchors.
fn defined_ids(doc: &str, out: &mut BTreeSet<String>) {
    for line in doc.lines() {
        if line.starts_with('#') {
            out.extend(ids_in(line).into_iter().map(String::from));
        }
        for (i, span) in line.split("**").enumerate() {
            if i % 2 == 1 {
                out.extend(ids_in(span).into_iter().map(String::from));
            }
        }
        for anchor in line.split("<a id=\"").skip(1) {
            let name = anchor.split('"').next().unwrap_or("");
            if is_id(name) {
                out.insert(name.to_string());
            }
        }
    }
}

fn resolves(id: &str, defined: &BTreeSet<String>) -> bool {
    if defined.contains(id) || NOT_IDS.contains(&id) {
        return true;
    }
    let group = format!("{id}-");
    defined
        .range(group.clone()..)
        .next()
        .is_some_and(|d| d.starts_with(&group))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "corpus" && name != "artifacts" {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; docs/semantics.md and storage-format.md must exist at the \
             repository root",
            path.display()
        )
    })
}

#[test]
fn every_cited_spec_id_resolves_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut defined = BTreeSet::new();
    defined_ids(&read(&root.join("docs/semantics.md")), &mut defined);
    defined_ids(&read(&root.join("storage-format.md")), &mut defined);
    // Feature documents next to semantics.md (expressions, multi-record commands, serve).
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/ exists");
    for entry in docs.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "md") && !path.ends_with("semantics.md") {
            defined_ids(&read(&path), &mut defined);
        }
    }

    let this = root.join("tests/doc_ids_resolve.rs");
    let mut files = Vec::new();
    for tree in TREES {
        rust_files(&root.join(tree), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "found only {} .rs files", files.len());

    let mut cited = 0usize;
    let mut missing: BTreeMap<String, String> = BTreeMap::new();
    for file in files.iter().filter(|f| **f != this) {
        let text = read(file);
        for id in ids_in(&text) {
            cited += 1;
            if !resolves(id, &defined) {
                let at = file
                    .strip_prefix(root)
                    .unwrap_or(file)
                    .display()
                    .to_string();
                missing.entry(id.to_string()).or_insert(at);
            }
        }
    }
    println!(
        "{cited} id citations checked against {} defined ids",
        defined.len()
    );
    let list: Vec<String> = missing
        .iter()
        .map(|(id, file)| format!("{id} (cited in {file})"))
        .collect();
    assert!(
        list.is_empty(),
        "{} cited ids resolve neither in docs/*.md nor in storage-format.md; define \
         each as **ID** there, or add a non-id word to NOT_IDS:\n  {}",
        list.len(),
        list.join("\n  ")
    );
}

#[test]
fn id_shapes() {
    assert_eq!(ids_in("see RC-2 and WP-07A."), vec!["RC-2", "WP-07A"]);
    assert_eq!(ids_in("O_DIRECT and O_DSYNC"), Vec::<&str>::new());
    assert_eq!(ids_in("L-APP-*, G-EQ-*-N"), vec!["L-APP", "G-EQ"]);
    assert_eq!(ids_in("(SN-REQ-ACK-DEVICE)"), vec!["SN-REQ-ACK-DEVICE"]);
    assert_eq!(ids_in("x86-64, 0xAE01, I/O, re-create"), Vec::<&str>::new());
    let mut defined = BTreeSet::new();
    defined_ids(
        "# 1. Codes (RC)\n| **RC-2** | x |\n<a id=\"SA-RETRY-1\"></a>\n",
        &mut defined,
    );
    assert!(resolves("RC-2", &defined));
    assert!(resolves("SA-RETRY", &defined), "a group prefix resolves");
    assert!(!resolves("RC-20", &defined));
    assert!(!resolves("RC-3", &defined));
    assert!(resolves("UTF-8", &defined));
}
