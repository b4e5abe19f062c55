//! Layers import strictly downward (issue 12 point 4): `src/format/` (the on-disk byte layouts)
//! sits on the record model and the error type only; `src/record/` (values, their order, keys)
//! never imports the CDT ops above it; `src/storage/` never imports the index or the engine that
//! drive it; byte order and checksums have one home (`src/format/le.rs`,
//! `src/format/checksum.rs`). The test scans the production code of `src/` (comments and the
//! unit-test module at a file's end skipped) for `crate::…` paths (braced groups and `super::`
//! chains that climb to the crate root included) and fails naming
//! `file:line` of every import that breaks a rule. A second test feeds the scan offending
//! sources, so the scan itself is known to find what it looks for.

mod tidy_support;

use std::path::Path;

/// A tree and the top-level modules it may not import (`Forbid`) or the only ones it may
/// (`Allow`, its own included).
enum Rule {
    Forbid(&'static str, &'static [&'static str]),
    Allow(&'static str, &'static [&'static str]),
}

const RULES: &[Rule] = &[
    Rule::Allow("src/format", &["format", "record", "error"]),
    Rule::Allow("src/record", &["record", "error", "clock", "rng"]),
    Rule::Forbid("src/storage", &["index", "engine"]),
];

/// Byte-order helpers and checksums outside their home: (pattern, trees where it may not
/// appear). Little-endian slicing belongs to `format::le`; CRC32 to `format::checksum`.
const HOMES: &[(&str, &[&str])] = &[
    (
        "from_le_bytes",
        &["src/storage", "src/record", "src/sindex", "src/cdt"],
    ),
    (
        "to_le_bytes",
        &["src/storage", "src/record", "src/sindex", "src/cdt"],
    ),
    ("crc32fast", &["src/"]),
];

/// The one file allowed to name the CRC crate.
const CHECKSUM_HOME: &str = "src/format/checksum.rs";

/// The file's production code: `//` comments blanked (line structure kept) and the unit-test
/// module at its end (`#[cfg(test)]` then `mod …`) left out — a white-box test may build its
/// fixtures with a layer above (e.g. normalizing a generated value), the build graph of the
/// library does not.
fn code_only(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len())
        .find(|&i| {
            lines[i].trim_end() == "#[cfg(test)]"
                && lines.get(i + 1).is_some_and(|n| n.starts_with("mod "))
        })
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Top-level module names a path starting at `rest` (just after `crate::`) names: one, or each
/// of a braced group's members.
fn roots_after(rest: &str) -> Vec<String> {
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident_at(rest).to_string()];
    };
    let mut depth = 0usize;
    let mut names = Vec::new();
    let mut start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                names.push(ident_at(&group[i..]).to_string());
                start = false;
            }
            _ => {}
        }
    }
    names
}

/// The module path of a file under src/ (`src/storage/ssd/open.rs` → storage, ssd, open).
fn module_path(rel: &str) -> Vec<String> {
    let inner = rel.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Every (line, top-level module) the file's code imports through `crate::` or a `super::`
/// chain that climbs to the crate root.
fn imports(rel: &str, text: &str) -> Vec<(usize, String)> {
    let code = code_only(text);
    let depth = module_path(rel).len();
    let mut out = Vec::new();
    for (no, line) in code.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find("crate::").map(|a| a + from) {
            let before = line[..at].chars().last();
            if !before.is_some_and(|c| c == '$' || c.is_alphanumeric() || c == '_') {
                let rest_of_file = &code[code_offset(&code, no) + at + "crate::".len()..];
                for r in roots_after(rest_of_file) {
                    out.push((no + 1, r));
                }
            }
            from = at + 1;
        }
        let mut from = 0;
        while let Some(at) = line[from..].find("super::").map(|a| a + from) {
            let before = line[..at].chars().last();
            if !before.is_some_and(|c| c == ':' || c.is_alphanumeric() || c == '_') {
                let mut rest = &line[at..];
                let mut ups = 0;
                while let Some(r) = rest.strip_prefix("super::") {
                    ups += 1;
                    rest = r;
                }
                if ups >= depth && !rest.starts_with('*') && !rest.starts_with('{') {
                    out.push((no + 1, ident_at(rest).to_string()));
                }
            }
            from = at + 1;
        }
    }
    out
}

fn code_offset(code: &str, line_no: usize) -> usize {
    code.lines().take(line_no).map(|l| l.len() + 1).sum()
}

fn rel_path(root: &Path, f: &Path) -> String {
    f.strip_prefix(root)
        .expect("under the root")
        .to_string_lossy()
        .replace('\\', "/")
}

fn layer_offences(rel: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for rule in RULES {
        let (tree, bad): (&str, &dyn Fn(&str) -> bool) = match rule {
            Rule::Forbid(t, names) => (t, &|m: &str| names.contains(&m)),
            Rule::Allow(t, names) => (t, &|m: &str| !names.contains(&m)),
        };
        if !rel.starts_with(&format!("{tree}/")) {
            continue;
        }
        for (line, m) in imports(rel, text) {
            if bad(&m) {
                found.push(format!("{rel}:{line}: crate::{m}"));
            }
        }
    }
    found
}

fn home_offences(rel: &str, text: &str) -> Vec<String> {
    let code = code_only(text);
    let mut found = Vec::new();
    for (pattern, trees) in HOMES {
        let in_tree = trees.iter().any(|t| rel.starts_with(t));
        if !in_tree || (*pattern == "crc32fast" && rel == CHECKSUM_HOME) {
            continue;
        }
        for (no, line) in code.lines().enumerate() {
            if line.contains(pattern) {
                found.push(format!("{rel}:{}: {pattern}", no + 1));
            }
        }
    }
    found
}

/// Every `file:line: …` under `root`/src that breaks a rule.
fn offences(root: &Path) -> Vec<String> {
    let files = tidy_support::rust_files(&root.join("src"));
    let mut found = Vec::new();
    for f in files {
        let rel = rel_path(root, &f);
        // A unit-test module in a file of its own (`tests.rs`, `*_tests.rs`) is left out as the
        // test module at a file's end is (code_only).
        if rel.ends_with("/tests.rs") || rel.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        found.extend(layer_offences(&rel, &text));
        found.extend(home_offences(&rel, &text));
    }
    found
}

#[test]
fn layers_import_strictly_downward() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for home in ["src/format/le.rs", CHECKSUM_HOME] {
        assert!(root.join(home).is_file(), "{home} is the one home it names");
    }
    let found = offences(root);
    assert!(
        found.is_empty(),
        "format ← record and error only; record ↛ cdt; storage ↛ index, engine; \
         little-endian through format::le, CRC through format::checksum:\n{}",
        found.join("\n")
    );
}

/// The scan finds what it looks for (a test that cannot fail checks nothing).
#[test]
fn the_scan_flags_upward_imports() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files: &[(&str, &str)] = &[
        ("src/storage/x.rs", "use crate::index::IndexEntry;\n"),
        (
            "src/storage/ssd/y.rs",
            "// crate::engine in a comment is fine\nuse crate::{error::Result,\n    engine::sets};\n",
        ),
        ("src/storage/mod.rs", "fn f() { super::engine::go() }\n"),
        ("src/storage/z.rs", "fn f() { super::blocks::go() }\n"),
        ("src/record/v.rs", "use crate::cdt::order::compare;\n"),
        (
            "src/record/u.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::cdt::normalize;\n}\n",
        ),
        ("src/record/w.rs", "macro_rules! m { () => { $crate::Key }; }\n"),
        ("src/format/a.rs", "use crate::storage::Location;\nuse crate::record::value::Value;\n"),
        ("src/format/b.rs", "fn g(b: [u8; 2]) -> u16 { u16::from_le_bytes(b) }\n"),
        ("src/sindex/p.rs", "fn h(b: &[u8]) -> u32 { crc32fast::hash(b) }\n"),
        ("src/format/checksum.rs", "pub fn c(b: &[u8]) -> u32 { crc32fast::hash(b) }\n"),
    ];
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    assert_eq!(
        offences(dir.path()),
        [
            "src/format/a.rs:1: crate::storage",
            "src/record/v.rs:1: crate::cdt",
            "src/sindex/p.rs:1: crc32fast",
            "src/storage/mod.rs:1: crate::engine",
            "src/storage/ssd/y.rs:2: crate::engine",
            "src/storage/x.rs:1: crate::index",
        ]
    );
}
