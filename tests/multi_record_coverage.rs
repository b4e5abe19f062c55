//! Rule coverage for docs/multi-record.md: every rule id (first cell of a table row) must be
//! named as a whole word in some file under `tests/`, so each rule has a test that says it
//! covers it.

use std::path::Path;

fn ids(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(" |").next())
        .map(|c| c.trim_matches('*'))
        .filter(|c| {
            c.contains('-')
                && c.chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '-')
        })
        .map(str::to_string)
        .collect()
}

fn named(text: &str, id: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[test]
fn every_multi_record_rule_is_named_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/multi-record.md")).expect("doc");
    let ids = ids(&doc);
    assert!(ids.len() >= 20, "rule table not found: {ids:?}");
    let mut tests = String::new();
    for entry in std::fs::read_dir(root.join("tests")).expect("tests dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("multi_record_coverage.rs") {
            tests.push_str(&std::fs::read_to_string(&p).expect("test file"));
        }
    }
    let missing: Vec<&String> = ids.iter().filter(|id| !named(&tests, id)).collect();
    assert!(missing.is_empty(), "rules no test names: {missing:?}");
}
