//! A blob keeps its particle subtype (V-OTHER-BLOB, V-OTHER-WHERE in docs/semantics.md): a bin
//! of Aerospike's language-blob types 7–12 (`Value::Other`) round-trips with its type through
//! put / get and operate, through the record image on a device file across a clean restart and a
//! crash (cold start), and is refused with 4 inside a list or map or with a type aerolite does
//! not keep.

mod common;
#[path = "common/semantics.rs"]
mod sem;
mod storage_support;

use aerolite::operations;
use aerolite::{Bins, ManualClock, ReadPolicy, Value};
use sem::*;

fn other(particle_type: u8, bytes: Vec<u8>) -> Value {
    Value::Other {
        particle_type,
        bytes,
    }
}

/// V-OTHER-BLOB: type and bytes come back as written, the empty payload too.
#[test]
fn v_other_blob_round_trips_as_a_bin_value() {
    let t = common::open();
    let k = key(1);
    let payload: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
    put_ok(
        &t,
        &wp(),
        &k,
        &[bin("foreign", other(7, payload.clone())), bin("plain", 42)],
    );
    let got = must_get(&t, &k);
    assert!(matches!(
        got.bin("foreign"),
        Some(Value::Other { particle_type: 7, bytes }) if *bytes == payload
    ));
    assert_ne!(
        got.bin("foreign"),
        Some(&Value::Blob(payload)),
        "not a plain blob"
    );
    let op = operations::put(&bin("foreign", other(12, Vec::new())));
    t.db.operate(&wp(), &k, &[op]).expect("operate put");
    let got = must_get(&t, &k);
    assert!(matches!(
        got.bin("foreign"),
        Some(Value::Other { particle_type: 12, bytes }) if bytes.is_empty()
    ));
}

/// V-OTHER-WHERE: only as a whole bin value, only types 7–12 → otherwise 4.
#[test]
fn v_other_where_refused_inside_containers_and_for_other_types() {
    let t = common::open();
    let k = key(2);
    let nested = Value::list(vec![other(7, vec![1])]);
    for v in [
        nested,
        other(4, vec![1]),
        other(18, vec![1]),
        other(99, vec![]),
    ] {
        let e =
            t.db.put(&wp(), &k, &[bin("b", v.clone())])
                .expect_err("refused");
        assert_eq!(e.code().code(), 4, "{v}: {e}");
    }
}

/// V-OTHER-BLOB on a device file: the image keeps tag 7 across a clean restart and a cold start.
#[test]
fn v_other_blob_survives_restarts() {
    use storage_support::{file_config, open_on, tmp};
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let want = other(9, vec![0xc0, 0xff, 0x00]);
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    db.put(&wp(), &key(3), &[bin("py", want.clone())])
        .expect("put");
    db.shutdown().expect("clean shutdown");
    for reopen in ["fast restart", "cold start"] {
        let db = open_on(file_config(dir.path()), &clock).expect(reopen);
        assert_eq!(db.stats().fast_restart, reopen == "fast restart");
        let rec = db
            .get(&ReadPolicy::default(), &key(3), Bins::All)
            .expect(reopen);
        assert!(
            matches!(rec.bin("py"), Some(Value::Other { particle_type: 9, bytes }) if *bytes == [0xc0, 0xff, 0x00]),
            "{reopen}: {:?}",
            rec.bin("py")
        );
        db.abandon();
    }
}
