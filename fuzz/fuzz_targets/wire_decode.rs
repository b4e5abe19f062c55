//! `wire_decode`: the decoders of `aerolite serve` (src/wire) on arbitrary bytes, which is what a
//! client connection delivers. For each input:
//! 1. the first 8 bytes as a proto header: never panics; an accepted header has version 2 and a
//!    body of at most 128 MiB, and re-encodes to the same bytes;
//! 2. the bytes as an `as_msg` body: never panics; an accepted message respects the field and op
//!    limits, re-encodes to the input's length (the layout has no slack; only each op's ignored
//!    flags byte is written as 0) and decodes back to the same message;
//! 3. every op value of an accepted message, and the whole input, as a particle of each type and
//!    as a CDT op payload: never panics; an accepted particle value re-encodes and decodes to an
//!    equal value;
//! 4. the bytes as an info request: never panics; every command line keeps its exact text.
//!
//! Does not cover: the socket loop and the database calls behind a decoded message (the
//! `serve_wire` integration tests send malformed frames to a running server).
#![no_main]

use aerolite::wire::msg::Message;
use aerolite::wire::proto::ProtoHeader;
use aerolite::wire::{cdt, info, particle, MAX_FIELDS, MAX_OPS};
use libfuzzer_sys::fuzz_target;

fn check_particle(t: u8, b: &[u8]) {
    if let Ok(v) = particle::to_value(t, b) {
        let mut out = Vec::new();
        let t2 = particle::from_value(&v, &mut out);
        let back = particle::to_value(t2, &out).expect("a re-encoded value decodes");
        assert!(back == v, "particle round trip: {v} vs {back}");
    }
}

fn check_value_bytes(b: &[u8]) {
    for t in [0u8, 1, 2, 3, 4, 9, 17, 18, 19, 20, 23, 99] {
        check_particle(t, b);
    }
    let _ = cdt::decode("b", b);
}

fuzz_target!(|data: &[u8]| {
    if let Some(h) = data.get(..8).and_then(|s| <&[u8; 8]>::try_from(s).ok()) {
        if let Ok(ph) = ProtoHeader::decode(h) {
            assert_eq!(h[0], 2);
            assert!(ph.size <= aerolite::wire::MAX_FRAME);
            assert_eq!(&ph.encode(), h);
        }
    }
    if let Ok(m) = Message::decode(data) {
        assert!(m.fields.len() <= usize::from(MAX_FIELDS) && m.ops.len() <= usize::from(MAX_OPS));
        let mut out = Vec::new();
        m.encode(&mut out);
        assert_eq!(out.len(), data.len(), "an accepted message re-encodes to its size");
        assert_eq!(Message::decode(&out).as_ref(), Ok(&m), "decode(encode(m)) == m");
        for op in &m.ops {
            check_value_bytes(&op.value);
        }
    }
    check_value_bytes(data);
    let cmds = info::parse_request(data);
    let text = String::from_utf8_lossy(data);
    for c in &cmds {
        assert!(text.contains(c.line.as_str()));
    }
});
