//! The wire form of filter expressions: each builder's tree encodes to the bytes the official
//! clients send (vectors worked out by hand from their packing rules: `[op, args…]` arrays,
//! particle-typed strings for values, plain strings for names), decodes back to the same tree,
//! and the decoder refuses malformed input with ParameterError without panicking (EXP-WIRE-1,
//! EXP-WIRE-2).

use aerolite::expressions::{self as exp, lists, maps, ExpType, Expression};
use aerolite::{ListReturnType, MapReturnType, ResultCode, Value, CTX};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test vector is hex"))
        .collect()
}

/// Encodes to `bytes`, decodes back to the same tree, and passes the static check.
fn vector(e: Expression, bytes: &str) {
    let want = hex(bytes);
    assert_eq!(e.to_bytes(), want, "encoding of {e:?}");
    assert_eq!(
        Expression::from_bytes(&want).expect("decodes"),
        e,
        "decoding of {bytes}"
    );
}

#[test]
fn exp_wire_1_comparisons_bins_and_values() {
    vector(
        exp::eq(exp::int_bin("a"), exp::int_val(500)),
        "93 01 93 51 02 a1 61 cd 01 f4",
    );
    vector(
        exp::eq(exp::string_bin("s"), exp::string_val("hi")),
        "93 01 93 51 03 a1 73 a3 03 68 69",
    );
    vector(
        exp::eq(exp::float_bin("f"), exp::float_val(1.5)),
        "93 01 93 51 07 a1 66 cb 3ff8000000000000",
    );
    vector(
        exp::ne(exp::blob_bin("b"), exp::blob_val(vec![1, 2])),
        "93 02 93 51 06 a1 62 a3 04 01 02",
    );
    vector(
        exp::eq(exp::list_bin("l"), exp::list_val(vec![1.into(), 2.into()])),
        "93 01 93 51 04 a1 6c 92 7e 92 01 02",
    );
    vector(
        exp::eq(exp::bool_bin("t"), exp::bool_val(true)),
        "93 01 93 51 01 a1 74 c3",
    );
    vector(exp::bin_exists("a"), "93 02 92 52 a1 61 00");
    vector(exp::nil(), "c0");
    vector(
        exp::num_add(vec![exp::int_bin("a"), exp::int_val(-1)]),
        "93 14 93 51 02 a1 61 ff",
    );
}

#[test]
fn exp_wire_1_logic_metadata_and_scoping() {
    vector(
        exp::and(vec![
            exp::gt(exp::int_bin("age"), exp::int_val(18)),
            exp::lt(exp::int_bin("age"), exp::int_val(65)),
        ]),
        "93 10 93 03 93 51 02 a3 616765 12 93 05 93 51 02 a3 616765 41",
    );
    vector(
        exp::gt(exp::last_update(), exp::int_val(0)),
        "93 03 91 42 00",
    );
    vector(exp::ttl(), "91 45");
    vector(exp::digest_modulo(3), "92 40 03");
    vector(exp::key(ExpType::STRING), "92 50 03");
    vector(exp::set_name(), "91 46");
    vector(
        exp::regex_compare("prefix.*", 2, exp::string_bin("s")),
        "94 07 02 a8 7072656669782e2a 93 51 03 a1 73",
    );
    vector(
        exp::exp_let(vec![
            exp::def("x", exp::int_bin("a")),
            exp::gt(exp::var("x"), exp::int_val(1)),
        ]),
        "94 7d a1 78 93 51 02 a1 61 93 03 92 7c a1 78 01",
    );
    vector(
        exp::cond(vec![exp::bool_val(true), exp::int_val(1), exp::int_val(2)]),
        "94 7b c3 01 02",
    );
    vector(exp::unknown(), "91 00");
}

#[test]
fn exp_wire_1_list_and_map_reads() {
    vector(
        lists::size(exp::list_bin("l"), &[]),
        "95 7f 02 00 91 10 93 51 04 a1 6c",
    );
    vector(
        lists::size(exp::list_bin("l"), &[CTX::list_index(0)]),
        "95 7f 02 00 93 ccff 92 10 00 91 10 93 51 04 a1 6c",
    );
    vector(
        maps::get_by_key(
            MapReturnType::Value,
            ExpType::INT,
            exp::string_val("k"),
            exp::map_bin("m"),
            &[],
        ),
        "95 7f 02 00 93 61 07 a2 03 6b 93 51 05 a1 6d",
    );
    vector(
        lists::get_by_value_range(
            ListReturnType::Value,
            Some(exp::int_val(1)),
            Some(exp::infinity()),
            exp::list_bin("l"),
            &[],
        ),
        "95 7f 04 00 94 19 07 01 d4ff01 93 51 04 a1 6c",
    );
    vector(
        lists::get_by_index_range_count(
            ListReturnType::Count,
            exp::int_val(1),
            exp::int_val(2),
            exp::list_bin("l"),
            &[],
        ),
        "95 7f 02 00 94 18 05 01 02 93 51 04 a1 6c",
    );
}

#[test]
fn exp_wire_1_map_literal_is_a_bare_msgpack_map() {
    let m = Value::map(vec![("k".into(), 1.into())]);
    vector(
        exp::eq(exp::map_bin("m"), exp::map_val(m)),
        "93 01 93 51 05 a1 6d 81 a2 03 6b 01",
    );
}

#[test]
fn exp_wire_1_key_ordered_map_literal_carries_the_clients_order_header() {
    // The Rust crate 3.x packs a K-ordered map (`map_val` of a BTreeMap) as a map counting one
    // extra pair whose key is the ext8 order header `c7 00 01` and whose value is nil; issue 15
    // point 1 (this was refused with 4).
    let m = Value::Map(aerolite::Map {
        order: aerolite::MapOrder::KeyOrdered,
        entries: vec![("a".into(), 1.into()), ("b".into(), 2.into())],
    });
    vector(
        exp::eq(exp::map_bin("m"), exp::map_val(m)),
        "93 01 93 51 05 a1 6d 83 c7 00 01 c0 a2 03 61 01 a2 03 62 02",
    );
    // An ordered list literal inside a quoted value carries `c7 00 01` as its first element.
    let l = Value::List(aerolite::List {
        order: aerolite::ListOrderType::Ordered,
        items: vec![1.into(), 2.into()],
    });
    vector(
        exp::eq(exp::list_bin("l"), Expression::Val(l)),
        "93 01 93 51 04 a1 6c 92 7e 93 c7 00 01 01 02",
    );
}

fn bad(bytes: &[u8]) {
    match Expression::from_bytes(bytes) {
        Err(e) => assert_eq!(e.code(), ResultCode::ParameterError, "{bytes:02x?}: {e}"),
        Ok(e) => panic!("{bytes:02x?} decoded to {e:?}"),
    }
}

#[test]
fn exp_wire_2_malformed_input_is_a_parameter_error() {
    bad(&[]);
    bad(&hex("90")); // empty op array
    bad(&hex("91 cc 99")); // unknown op code 153
    bad(&hex("93 01 93 51 02")); // truncated bin
    bad(&hex("93 01 93 51 02 a1 61 05 06")); // trailing bytes
    bad(&hex("93 51 0f a1 61")); // unknown type number
    bad(&hex("dd ffffffff 01")); // count beyond the input
    bad(&hex("92 7e 05")); // quoted non-list
    bad(&hex("93 7d a1 78")); // let with an odd count
    bad(&hex("a2 09 61")); // string value with an unknown particle type
                           // Nesting beyond MAX_EXP_DEPTH: not(not(…)) 200 deep.
    let mut deep = Vec::new();
    for _ in 0..200 {
        deep.extend_from_slice(&[0x92, 0x12]);
    }
    deep.push(0xc3);
    bad(&deep);
}

#[test]
fn exp_wire_2_decoder_never_panics_on_mutations() {
    // Every single-byte mutation and every truncation of a rich expression decodes or fails
    // with a ParameterError; none panics.
    let e = exp::and(vec![
        exp::regex_compare("a.c", 0, exp::string_bin("s")),
        exp::exp_let(vec![
            exp::def("x", lists::size(exp::list_bin("l"), &[CTX::map_key("k")])),
            exp::gt(exp::var("x"), exp::int_val(1)),
        ]),
    ]);
    let bytes = e.to_bytes();
    for cut in 0..bytes.len() {
        let _ = Expression::from_bytes(&bytes[..cut]);
    }
    for i in 0..bytes.len() {
        for b in [0x00, 0x7f, 0x90, 0x9f, 0xc0, 0xcc, 0xd4, 0xdc, 0xdd, 0xff] {
            let mut m = bytes.clone();
            m[i] = b;
            if let Err(err) = Expression::from_bytes(&m) {
                assert_eq!(err.code(), ResultCode::ParameterError);
            }
        }
    }
}
