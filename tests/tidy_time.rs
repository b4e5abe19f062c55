//! Deterministic time (issue 12 point 6): engine and storage read time only through `Clock`
//! and start threads only in the runtime, so a simulation can drive every timer. The test scans
//! `src/` and fails naming `file:line` of every `Instant::now`, `SystemTime::now`,
//! `.elapsed()`, `thread::spawn` or `thread::Builder` outside the home modules: `src/clock.rs`
//! (time), `src/rng.rs` (the entropy of random ids), `src/engine/runtime.rs` (threads: the
//! runtime's own and, through `spawn_task`, task, accept and connection threads); the CLI
//! and the benchmark harness (`src/cli`, `src/bench`, `src/bin`) measure real time on purpose.
//! Scoped threads (`std::thread::scope`) borrow the caller's data and end with it, so they are
//! not background threads and not flagged.

mod tidy_support;

use std::path::Path;

/// What may appear only in its home modules.
const RULES: &[(&str, &[&str])] = &[
    ("Instant::now", &["src/clock.rs"]),
    // `Instant::elapsed` / `SystemTime::elapsed` read the clock too.
    (".elapsed()", &["src/clock.rs"]),
    ("SystemTime::now", &["src/clock.rs", "src/rng.rs"]),
    // The engine's background threads start in the runtime; `aerolite serve` (a front end
    // above the engine, like the CLI) starts its accept loop and one thread per connection in
    // the server module.
    (
        "thread::spawn",
        &["src/engine/runtime.rs", "src/server/mod.rs"],
    ),
    (
        "thread::Builder",
        &["src/engine/runtime.rs", "src/server/mod.rs"],
    ),
];

/// Trees outside the rule (they measure real time for people, not for the engine).
const EXEMPT_DIRS: &[&str] = &["src/cli", "src/bench", "src/bin"];

/// Every `file:line: pattern` that breaks a rule in the files under `root`/src.
fn offences(root: &Path) -> Vec<String> {
    let files = tidy_support::rust_files(&root.join("src"));
    let mut found = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if EXEMPT_DIRS
            .iter()
            .any(|d| rel.starts_with(&format!("{d}/")))
        {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        for (no, line) in text.lines().enumerate() {
            for (pattern, homes) in RULES {
                if line.contains(pattern) && !homes.contains(&rel.as_str()) {
                    found.push(format!("{rel}:{}: {pattern}", no + 1));
                }
            }
        }
    }
    found
}

#[test]
fn time_and_threads_only_in_their_home_modules() {
    let found = offences(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        found.is_empty(),
        "read time through `Clock` (src/clock.rs), random ids through src/rng.rs, start \
         threads in src/engine/runtime.rs:\n{}",
        found.join("\n")
    );
}

/// The scan itself finds what it looks for (a test that cannot fail checks nothing).
#[test]
fn the_scan_flags_a_clock_read_outside_its_home() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let engine = dir.path().join("src/engine");
    std::fs::create_dir_all(&engine).expect("mkdir");
    std::fs::write(
        engine.join("x.rs"),
        "fn f() {\n    let t = std::time::Instant::now();\n}\n",
    )
    .expect("write");
    std::fs::write(
        engine.join("runtime.rs"),
        "fn g() { std::thread::spawn(|| ()); }\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.path().join("src/cli")).expect("mkdir");
    std::fs::write(
        dir.path().join("src/cli/y.rs"),
        "fn h() { std::time::Instant::now(); }\n",
    )
    .expect("write");
    assert_eq!(offences(dir.path()), ["src/engine/x.rs:2: Instant::now"]);
}
