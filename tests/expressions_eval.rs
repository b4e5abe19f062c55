//! Evaluation of filter expressions against a record view (docs/expressions.md): unknowns,
//! three-valued logic, static typing, arithmetic, metadata, cond/let/var, regex and list/map
//! reads. Each test names the rule id it covers; every expected value is worked out by hand
//! from the rule (and the server's evaluator for the edge cases).

use aerolite::expressions::{self as exp, lists, maps, ExpType, Expression, RecordView};
use aerolite::{BinList, ListReturnType, MapReturnType, ResultCode, Value, CTX};

const DIGEST: [u8; 20] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0];

fn bins() -> BinList {
    let mut b = BinList::new();
    b.push("i", Value::Int(7));
    b.push("f", Value::Float(2.5));
    b.push("s", Value::from("hello world"));
    b.push("t", Value::Bool(true));
    b.push("l", Value::list(vec![3.into(), 1.into(), 2.into()]));
    b.push(
        "m",
        Value::map(vec![("a".into(), 1.into()), ("b".into(), 2.into())]),
    );
    b
}

fn view<'a>(bins: &'a BinList, key: Option<&'a Value>) -> RecordView<'a> {
    RecordView {
        bins,
        digest: &DIGEST,
        set_name: "users",
        key,
        generation: 3,
        void_time: 1_000,
        last_update_ms: 500_000,
        now_ms: 600_000,
        tombstone: false,
        record_size: 128,
        memory_only: true,
    }
}

fn value(e: &Expression) -> Option<Value> {
    let b = bins();
    e.evaluate(&view(&b, None)).expect("well-typed")
}

fn matches(e: &Expression) -> bool {
    let b = bins();
    e.matches(&view(&b, None)).expect("well-typed")
}

fn code(e: &Expression) -> ResultCode {
    let b = bins();
    e.matches(&view(&b, None)).expect_err("malformed").code()
}

#[test]
fn exp_unknown_1_missing_bin_or_wrong_type_is_unknown() {
    assert!(matches(&exp::eq(exp::int_bin("i"), exp::int_val(7))));
    assert_eq!(value(&exp::int_bin("nope")), None);
    assert_eq!(value(&exp::string_bin("i")), None);
    assert_eq!(value(&exp::eq(exp::int_bin("nope"), exp::int_val(7))), None);
    // Unknown is not true: the filter does not match, and neither does its negation.
    assert!(!matches(&exp::eq(exp::float_bin("i"), exp::float_val(7.0))));
    assert!(!matches(&exp::not(exp::eq(
        exp::float_bin("i"),
        exp::float_val(7.0)
    ))));
    assert!(matches(&exp::bin_exists("i")));
    assert!(!matches(&exp::bin_exists("nope")));
    assert_eq!(value(&exp::bin_type("l")), Some(Value::Int(20)));
}

#[test]
fn exp_unknown_2_three_valued_logic() {
    let t = || exp::bool_val(true);
    let f = || exp::bool_val(false);
    let u = || exp::eq(exp::int_bin("nope"), exp::int_val(1));
    assert_eq!(value(&exp::and(vec![u(), f()])), Some(Value::Bool(false)));
    assert_eq!(value(&exp::and(vec![u(), t()])), None);
    assert_eq!(value(&exp::or(vec![u(), t()])), Some(Value::Bool(true)));
    assert_eq!(value(&exp::or(vec![u(), f()])), None);
    assert_eq!(value(&exp::not(u())), None);
    assert_eq!(value(&exp::xor(vec![t(), f()])), Some(Value::Bool(true)));
    assert_eq!(value(&exp::xor(vec![t(), t()])), Some(Value::Bool(false)));
    assert_eq!(value(&exp::xor(vec![t(), u()])), None);
}

#[test]
fn exp_type_1_malformed_trees_are_parameter_errors() {
    let four = ResultCode::ParameterError;
    assert_eq!(
        code(&exp::eq(exp::int_bin("i"), exp::string_val("x"))),
        four
    );
    assert_eq!(code(&exp::eq(exp::int_val(1), exp::float_val(1.0))), four);
    assert_eq!(code(&exp::and(vec![exp::bool_val(true)])), four);
    assert_eq!(
        code(&exp::and(vec![exp::int_val(1), exp::bool_val(true)])),
        four
    );
    assert_eq!(
        code(&exp::gt(
            exp::num_add(vec![exp::int_val(1), exp::float_val(1.0)]),
            exp::int_val(0)
        )),
        four
    );
    assert_eq!(
        code(&exp::gt(
            exp::num_mod(exp::float_val(1.0), exp::float_val(2.0)),
            exp::float_val(0.0)
        )),
        four
    );
    assert_eq!(code(&exp::eq(exp::var("x"), exp::int_val(1))), four);
    assert_eq!(
        code(&exp::cond(vec![exp::bool_val(true), exp::int_val(1)])),
        four
    );
    assert_eq!(code(&exp::gt(exp::digest_modulo(0), exp::int_val(0))), four);
    assert_eq!(
        code(&exp::regex_compare("(", 0, exp::string_bin("s"))),
        four
    );
    assert_eq!(
        code(&exp::eq(exp::int_bin("sixteen-bytes-xx"), exp::int_val(1))),
        four
    );
}

#[test]
fn exp_filter_bool_a_filter_must_be_boolean() {
    assert_eq!(code(&exp::int_bin("i")), ResultCode::ParameterError);
    // geo_compare is evaluated since EXP-GEO-1 (it answered 16 before): a boolean filter, its
    // GeoJSON literal checked (an object without a type → 4).
    assert_eq!(
        code(&exp::geo_compare(exp::geo_bin("g"), exp::geo_val("{}"))),
        ResultCode::ParameterError
    );
    let circle = r#"{"type":"AeroCircle","coordinates":[[0,0],10]}"#;
    let b = bins();
    let valid = exp::geo_compare(exp::geo_bin("g"), exp::geo_val(circle));
    assert_eq!(
        valid.matches(&view(&b, None)).ok(),
        Some(false),
        "no bin g: unknown"
    );
}

#[test]
fn exp_arith_1_integer_and_float_arithmetic() {
    let i = exp::int_val;
    let f = exp::float_val;
    assert_eq!(
        value(&exp::num_add(vec![exp::int_bin("i"), i(3)])),
        Some(Value::Int(10))
    );
    assert_eq!(value(&exp::num_sub(vec![i(5)])), Some(Value::Int(-5)));
    assert_eq!(value(&exp::num_div(vec![i(7), i(2)])), Some(Value::Int(3)));
    assert_eq!(
        value(&exp::num_div(vec![i(-7), i(2)])),
        Some(Value::Int(-3))
    );
    assert_eq!(value(&exp::num_div(vec![i(7), i(0)])), None);
    assert_eq!(value(&exp::num_mod(i(-7), i(3))), Some(Value::Int(-1)));
    assert_eq!(value(&exp::num_mod(i(7), i(0))), None);
    assert_eq!(
        value(&exp::num_mul(vec![i(i64::MAX), i(2)])),
        Some(Value::Int(-2))
    );
    assert_eq!(
        value(&exp::num_abs(i(i64::MIN))),
        Some(Value::Int(i64::MIN))
    );
    assert_eq!(
        value(&exp::num_div(vec![f(1.0), f(0.0)])),
        Some(Value::Float(f64::INFINITY))
    );
    assert_eq!(
        value(&exp::num_pow(f(2.0), f(10.0))),
        Some(Value::Float(1024.0))
    );
    assert_eq!(
        value(&exp::num_log(f(8.0), f(2.0))),
        Some(Value::Float(3.0))
    );
    assert_eq!(value(&exp::num_floor(f(-2.5))), Some(Value::Float(-3.0)));
    assert_eq!(value(&exp::to_int(f(-2.9))), Some(Value::Int(-2)));
    assert_eq!(value(&exp::to_float(i(3))), Some(Value::Float(3.0)));
    assert_eq!(
        value(&exp::min(vec![i(3), i(-1), i(2)])),
        Some(Value::Int(-1))
    );
    assert_eq!(
        value(&exp::max(vec![f(3.0), f(4.5)])),
        Some(Value::Float(4.5))
    );
    assert_eq!(
        value(&exp::int_and(vec![i(12), i(10)])),
        Some(Value::Int(8))
    );
    assert_eq!(
        value(&exp::int_xor(vec![i(12), i(10)])),
        Some(Value::Int(6))
    );
    assert_eq!(value(&exp::int_not(i(0))), Some(Value::Int(-1)));
    assert_eq!(value(&exp::int_lshift(i(1), i(65))), Some(Value::Int(2)));
    assert_eq!(value(&exp::int_rshift(i(-1), i(60))), Some(Value::Int(15)));
    assert_eq!(value(&exp::int_arshift(i(-16), i(2))), Some(Value::Int(-4)));
    assert_eq!(value(&exp::int_count(i(255))), Some(Value::Int(8)));
    assert_eq!(
        value(&exp::int_lscan(i(1), exp::bool_val(true))),
        Some(Value::Int(63))
    );
    assert_eq!(
        value(&exp::int_rscan(i(1), exp::bool_val(true))),
        Some(Value::Int(63))
    );
    assert_eq!(
        value(&exp::int_lscan(i(0), exp::bool_val(true))),
        Some(Value::Int(-1))
    );
}

#[test]
fn exp_meta_1_record_metadata() {
    let epoch_s: i64 = 1_262_304_000;
    assert_eq!(value(&exp::set_name()), Some(Value::from("users")));
    assert_eq!(value(&exp::ttl()), Some(Value::Int(400)));
    assert_eq!(
        value(&exp::void_time()),
        Some(Value::Int((1_000 + epoch_s) * 1_000_000_000))
    );
    assert_eq!(
        value(&exp::last_update()),
        Some(Value::Int((500 + epoch_s) * 1_000_000_000))
    );
    assert_eq!(value(&exp::since_update()), Some(Value::Int(100_000)));
    assert_eq!(value(&exp::is_tombstone()), Some(Value::Bool(false)));
    assert_eq!(value(&exp::key_exists()), Some(Value::Bool(false)));
    assert_eq!(value(&exp::record_size()), Some(Value::Int(128)));
    assert_eq!(value(&exp::device_size()), Some(Value::Int(0)));
    // Digest bytes 16…20 little-endian = 10; 10 % 3 = 1.
    assert_eq!(value(&exp::digest_modulo(3)), Some(Value::Int(1)));
    let b = bins();
    let k = Value::from("user-1");
    let v = view(&b, Some(&k));
    let e = exp::eq(exp::key(ExpType::STRING), exp::string_val("user-1"));
    assert!(e.matches(&v).expect("typed"));
    assert_eq!(exp::key(ExpType::INT).evaluate(&v).expect("typed"), None);
}

#[test]
fn exp_cond_let_1_cond_let_and_var() {
    let e = exp::cond(vec![
        exp::gt(exp::int_bin("i"), exp::int_val(10)),
        exp::string_val("big"),
        exp::gt(exp::int_bin("i"), exp::int_val(5)),
        exp::string_val("medium"),
        exp::string_val("small"),
    ]);
    assert_eq!(value(&e), Some(Value::from("medium")));
    let e = exp::cond(vec![exp::bool_val(false), exp::int_val(1), exp::unknown()]);
    assert_eq!(value(&e), None);
    let e = exp::exp_let(vec![
        exp::def("x", exp::num_mul(vec![exp::int_bin("i"), exp::int_val(2)])),
        exp::def("y", exp::num_add(vec![exp::var("x"), exp::int_val(1)])),
        exp::eq(exp::var("y"), exp::int_val(15)),
    ]);
    assert!(matches(&e));
}

#[test]
fn exp_regex_1_posix_regex_compare() {
    let flags = exp::regex_flag::RegexFlag::ICASE as i64;
    assert!(matches(&exp::regex_compare(
        "^hello",
        0,
        exp::string_bin("s")
    )));
    assert!(matches(&exp::regex_compare(
        "WORLD$",
        flags,
        exp::string_bin("s")
    )));
    assert!(!matches(&exp::regex_compare(
        "WORLD$",
        0,
        exp::string_bin("s")
    )));
    assert!(matches(&exp::regex_compare(
        "o [[:alpha:]]+",
        0,
        exp::string_bin("s")
    )));
    // A bin of another type is unknown, not false.
    assert_eq!(
        value(&exp::regex_compare("7", 0, exp::string_bin("i"))),
        None
    );
}

#[test]
fn exp_cdt_1_list_and_map_reads() {
    let l = || exp::list_bin("l");
    let m = || exp::map_bin("m");
    assert_eq!(value(&lists::size(l(), &[])), Some(Value::Int(3)));
    let e = lists::get_by_index(
        ListReturnType::Value,
        ExpType::INT,
        exp::int_val(0),
        l(),
        &[],
    );
    assert_eq!(value(&e), Some(Value::Int(3)));
    let e = lists::get_by_rank(
        ListReturnType::Value,
        ExpType::INT,
        exp::int_val(0),
        l(),
        &[],
    );
    assert_eq!(value(&e), Some(Value::Int(1)));
    let e = lists::get_by_value_range(
        ListReturnType::Count,
        Some(exp::int_val(2)),
        Some(exp::infinity()),
        l(),
        &[],
    );
    assert_eq!(value(&e), Some(Value::Int(2)));
    let e = lists::get_by_index_range_count(
        ListReturnType::Value,
        exp::int_val(1),
        exp::int_val(1),
        l(),
        &[],
    );
    assert_eq!(value(&e), Some(Value::list(vec![1.into()])));
    // Declared type differs from the element: unknown.
    let e = lists::get_by_index(
        ListReturnType::Value,
        ExpType::STRING,
        exp::int_val(0),
        l(),
        &[],
    );
    assert_eq!(value(&e), None);
    assert_eq!(value(&maps::size(m(), &[])), Some(Value::Int(2)));
    let e = maps::get_by_key(
        MapReturnType::Value,
        ExpType::INT,
        exp::string_val("b"),
        m(),
        &[],
    );
    assert!(matches(&exp::eq(e, exp::int_val(2))));
    let e = maps::get_by_key(
        MapReturnType::Exists,
        ExpType::BOOL,
        exp::string_val("z"),
        m(),
        &[],
    );
    assert_eq!(value(&e), Some(Value::Bool(false)));
    // A missing key read as a value is nil: not an INT, so unknown.
    let e = maps::get_by_key(
        MapReturnType::Value,
        ExpType::INT,
        exp::string_val("z"),
        m(),
        &[],
    );
    assert_eq!(value(&e), None);
    // Context: the list nested under key "k" of a map literal bin.
    let mut b = BinList::new();
    b.push(
        "n",
        Value::map(vec![("k".into(), Value::list(vec![5.into(), 6.into()]))]),
    );
    let e = lists::size(exp::map_bin("n"), &[CTX::map_key("k")]);
    assert_eq!(
        e.evaluate(&view(&b, None)).expect("typed"),
        Some(Value::Int(2))
    );
}
