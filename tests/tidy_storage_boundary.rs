//! The storage boundary stays narrow and honest (issue 12 point 5): no method of a trait declared
//! in `src/storage/mod.rs` has a default body. A default is written for one backend and silently
//! inherited by the other — the old `Storage` trait's defaults slept (`wait_for_work`) or answered
//! a made-up error (`read_many`) for the memory backend. Each backend now says what it does,
//! or does not implement the optional interface at all. The test reads the source text (comments
//! stripped), finds every `trait … { … }` block and fails naming each `Trait::method` whose
//! declaration is followed by a body instead of `;`.

use std::path::Path;

/// `src` without `//` comments (doc comments included), so braces in prose do not count.
fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Byte index just past the `}` that closes the `{` at `open`.
fn block_end(text: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// The name following `keyword` at `at` (identifier characters only).
fn name_after(text: &str, at: usize) -> String {
    text[at..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `Trait::method` in `src` whose method has a default body.
fn defaults(src: &str) -> Vec<String> {
    let text = strip_comments(src);
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("trait ") {
        let start = from + i;
        let starts_item = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        from = start + "trait ".len();
        if !starts_item {
            continue;
        }
        let name = name_after(&text, from);
        let Some(open) = text[from..].find('{').map(|o| from + o) else {
            break;
        };
        let end = block_end(bytes, open);
        found.extend(
            default_methods(&text[open + 1..end - 1])
                .into_iter()
                .map(|m| format!("{name}::{m}")),
        );
        from = end;
    }
    found
}

/// Methods of a trait body (`body` without its outer braces) declared with a body.
fn default_methods(body: &str) -> Vec<String> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'f' if depth == 0
                && body[i..].starts_with("fn ")
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) =>
            {
                let name = name_after(body, i + 3);
                let rest = &body[i..];
                let semi = rest.find(';').unwrap_or(rest.len());
                let brace = rest.find('{').unwrap_or(rest.len());
                if brace < semi {
                    out.push(name);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[test]
fn storage_traits_have_no_default_methods() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/storage/mod.rs");
    let src =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let found = defaults(&src);
    assert!(
        found.is_empty(),
        "trait methods in src/storage/mod.rs with a default body (each backend implements \
         them, or the method moves to the optional `Maintenance` interface): {}",
        found.join(", ")
    );
}

/// The scan finds what it looks for (a test that cannot fail checks nothing).
#[test]
fn the_scan_flags_a_default_body_and_only_that() {
    let src = "/// A trait { with braces in prose }\n\
               pub trait Data: Send {\n\
               \x20   fn read(&self, visit: &mut dyn FnMut(&[u8])) -> Result<()>;\n\
               \x20   fn wait(&self, t: Duration) {\n\
               \x20       std::thread::sleep(t); // { unbalanced in a comment\n\
               \x20   }\n\
               \x20   fn many(&self) -> Vec<u8> { Vec::new() }\n\
               }\n\
               struct NotATrait;\n\
               impl Data for NotATrait {\n\
               \x20   fn read(&self, _: &mut dyn FnMut(&[u8])) -> Result<()> { Ok(()) }\n\
               }\n\
               pub trait Other { fn ok(&self); }\n";
    assert_eq!(defaults(src), ["Data::wait", "Data::many"]);
}
