//! CDT modify expressions (EXP-CDT-MODIFY, docs/expressions.md): `lists::append`, `maps::put`,
//! `remove_by_*`, … applied to a copy of the container inside an expression. The call's value
//! is the whole modified container (of the top-level type, also through a context), it feeds
//! reads (`size(append(…))`), a failing op makes it unknown (a filter drops the record, an
//! expression op answers 26), and the stored record never changes. Every expected value is
//! worked out by hand from the CDT rules (cdt.md §5, §6). Runs on both backends
//! (`AEROLITE_BACKEND=device`).

mod common;

use aerolite::expressions::{self as exp, lists, maps, ExpReadFlags, Expression, RecordView};
use aerolite::operations::{exp_read, exp_write};
use aerolite::{
    as_bin, as_key, BinList, Bins, ListPolicy, ListReturnType as LRT, ListSortFlags,
    ListWriteFlags, MapPolicy, MapReturnType as MRT, MapWriteFlags, ReadPolicy, ResultCode as RC,
    Value, WritePolicy, CTX,
};

const DIGEST: [u8; 20] = [0; 20];

fn ints(v: &[i64]) -> Value {
    Value::list(v.iter().map(|i| Value::Int(*i)).collect())
}

fn map(v: &[(&str, i64)]) -> Value {
    Value::map(
        v.iter()
            .map(|(k, i)| ((*k).into(), Value::Int(*i)))
            .collect(),
    )
}

fn bins() -> BinList {
    let mut b = BinList::new();
    b.push("l", ints(&[3, 1, 2]));
    b.push("m", map(&[("a", 1), ("b", 2)]));
    b.push("n", Value::map(vec![("k".into(), ints(&[1]))]));
    b.push("ln", Value::list(vec![map(&[("x", 1)])]));
    b
}

fn view(bins: &BinList) -> RecordView<'_> {
    RecordView {
        bins,
        digest: &DIGEST,
        set_name: "s",
        key: None,
        generation: 1,
        void_time: 0,
        last_update_ms: 0,
        now_ms: 0,
        tombstone: false,
        record_size: 64,
        memory_only: true,
    }
}

fn value(e: &Expression) -> Option<Value> {
    e.evaluate(&view(&bins())).expect("well-typed")
}

fn l() -> Expression {
    exp::list_bin("l")
}

fn m() -> Expression {
    exp::map_bin("m")
}

fn i(v: i64) -> Expression {
    exp::int_val(v)
}

fn s(v: &str) -> Expression {
    exp::string_val(v)
}

const NONE: LRT = LRT::None;

#[test]
fn exp_cdt_modify_list_writes_answer_the_modified_list() {
    let p = ListPolicy::default();
    let cases: Vec<(Expression, Value)> = vec![
        (lists::append(p, i(9), l(), &[]), ints(&[3, 1, 2, 9])),
        (
            lists::append_items(p, exp::list_val(vec![5.into(), 6.into()]), l(), &[]),
            ints(&[3, 1, 2, 5, 6]),
        ),
        (lists::insert(p, i(1), i(7), l(), &[]), ints(&[3, 7, 1, 2])),
        (
            lists::insert_items(p, i(3), exp::list_val(vec![8.into()]), l(), &[]),
            ints(&[3, 1, 2, 8]),
        ),
        (lists::set(p, i(0), i(0), l(), &[]), ints(&[0, 1, 2])),
        (
            lists::increment(p, i(2), i(10), l(), &[]),
            ints(&[3, 1, 12]),
        ),
        (lists::clear(l(), &[]), ints(&[])),
        (
            lists::sort(ListSortFlags::Default, l(), &[]),
            ints(&[1, 2, 3]),
        ),
        (
            lists::sort(ListSortFlags::Descending, l(), &[]),
            ints(&[3, 2, 1]),
        ),
    ];
    for (n, (e, want)) in cases.into_iter().enumerate() {
        assert_eq!(value(&e), Some(want), "case {n}");
    }
}

#[test]
fn exp_cdt_modify_list_removes_answer_the_remaining_list() {
    let cases: Vec<(Expression, Value)> = vec![
        (lists::remove_by_value(NONE, i(1), l(), &[]), ints(&[3, 2])),
        (
            lists::remove_by_value_list(NONE, exp::list_val(vec![1.into(), 3.into()]), l(), &[]),
            ints(&[2]),
        ),
        (
            lists::remove_by_value_range(NONE, Some(i(2)), None, l(), &[]),
            ints(&[1]),
        ),
        (
            lists::remove_by_value_relative_rank_range(NONE, i(2), i(0), l(), &[]),
            ints(&[1]),
        ),
        (
            lists::remove_by_value_relative_rank_range_count(NONE, i(2), i(-1), i(1), l(), &[]),
            ints(&[3, 2]),
        ),
        (lists::remove_by_index(NONE, i(0), l(), &[]), ints(&[1, 2])),
        (
            lists::remove_by_index_range(NONE, i(1), l(), &[]),
            ints(&[3]),
        ),
        (
            lists::remove_by_index_range_count(NONE, i(0), i(2), l(), &[]),
            ints(&[2]),
        ),
        (lists::remove_by_rank(NONE, i(0), l(), &[]), ints(&[3, 2])),
        (
            lists::remove_by_rank_range(NONE, i(1), l(), &[]),
            ints(&[1]),
        ),
        (
            lists::remove_by_rank_range_count(LRT::Value, i(0), i(2), l(), &[]),
            ints(&[3]),
        ),
    ];
    for (n, (e, want)) in cases.into_iter().enumerate() {
        assert_eq!(value(&e), Some(want), "case {n}");
    }
}

#[test]
fn exp_cdt_modify_map_ops_answer_the_modified_map() {
    let p = MapPolicy::default();
    let cases: Vec<(Expression, Value)> = vec![
        (
            maps::put(&p, s("c"), i(3), m(), &[]),
            map(&[("a", 1), ("b", 2), ("c", 3)]),
        ),
        (
            maps::put_items(&p, exp::map_val(map(&[("b", 20), ("z", 26)])), m(), &[]),
            map(&[("a", 1), ("b", 20), ("z", 26)]),
        ),
        (
            maps::increment(&p, s("a"), i(5), m(), &[]),
            map(&[("a", 6), ("b", 2)]),
        ),
        (maps::clear(m(), &[]), map(&[])),
        (
            maps::remove_by_key(MRT::None, s("a"), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_key_list(MRT::None, exp::list_val(vec!["a".into()]), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_key_range(MRT::None, Some(s("b")), None, m(), &[]),
            map(&[("a", 1)]),
        ),
        (
            maps::remove_by_key_relative_index_range(MRT::None, s("a"), i(1), m(), &[]),
            map(&[("a", 1)]),
        ),
        (
            maps::remove_by_key_relative_index_range_count(MRT::None, s("a"), i(0), i(1), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_value(MRT::None, i(2), m(), &[]),
            map(&[("a", 1)]),
        ),
        (
            maps::remove_by_value_list(MRT::None, exp::list_val(vec![1.into()]), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_value_range(MRT::None, Some(i(1)), Some(i(2)), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_value_relative_rank_range(MRT::None, i(2), i(0), m(), &[]),
            map(&[("a", 1)]),
        ),
        (
            maps::remove_by_value_relative_rank_range_count(MRT::None, i(1), i(0), i(1), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_index(MRT::None, i(0), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_index_range(MRT::None, i(1), m(), &[]),
            map(&[("a", 1)]),
        ),
        (
            maps::remove_by_index_range_count(MRT::None, i(0), i(1), m(), &[]),
            map(&[("b", 2)]),
        ),
        (
            maps::remove_by_rank(MRT::None, i(1), m(), &[]),
            map(&[("a", 1)]),
        ),
        (
            maps::remove_by_rank_range(MRT::None, i(0), m(), &[]),
            map(&[]),
        ),
        (
            maps::remove_by_rank_range_count(MRT::None, i(1), i(1), m(), &[]),
            map(&[("a", 1)]),
        ),
    ];
    for (n, (e, want)) in cases.into_iter().enumerate() {
        assert_eq!(value(&e), Some(want), "case {n}");
    }
}

/// The value feeds reads, and through a context the value is the whole top-level container:
/// a list op under a map key answers the map, a map op under a list index answers the list.
#[test]
fn exp_cdt_modify_nested_in_reads_and_through_contexts() {
    let p = ListPolicy::default();
    let appended = lists::append(p, i(999), l(), &[]);
    assert_eq!(value(&lists::size(appended.clone(), &[])), Some(4.into()));
    let rank_last = lists::get_by_index(LRT::Value, exp::ExpType::INT, i(3), appended, &[]);
    assert_eq!(value(&rank_last), Some(999.into()));
    let in_map = lists::append(p, i(5), exp::map_bin("n"), &[CTX::map_key("k")]);
    let want = Value::map(vec![("k".into(), ints(&[1, 5]))]);
    assert_eq!(value(&in_map), Some(want));
    let in_list = maps::put(
        &MapPolicy::default(),
        s("y"),
        i(2),
        exp::list_bin("ln"),
        &[CTX::list_index(0)],
    );
    let want = Value::list(vec![map(&[("x", 1), ("y", 2)])]);
    assert_eq!(value(&in_list), Some(want));
    // The builders pack context ids without create flags, as the Rust client does: a
    // `map_key_create` step addresses like `map_key`, and a missing key is unknown (CTX-NOT-FOUND).
    let ctx = [CTX::map_key_create("new", Default::default())];
    assert_eq!(value(&lists::append(p, i(1), m(), &ctx)), None);
    // A step sent with create flags (0x40 | map key, as other clients send it) creates the level
    // it names (CTX-CREATE), as in operate.
    let Expression::Call(mut call) = lists::append(p, i(1), m(), &[CTX::map_key("new")]) else {
        panic!("a call node");
    };
    call.ctx[0].0 |= 0x40;
    let want = Value::map(vec![
        ("a".into(), 1.into()),
        ("b".into(), 2.into()),
        ("new".into(), ints(&[1])),
    ]);
    assert_eq!(value(&Expression::Call(call)), Some(want));
}

/// A nil container is an empty bin, as in the server's evaluator (`RT_NIL` → an empty bin): a
/// modify creates the container as `operate` does on an absent bin (CDT-ABSENT-CREATE, with
/// the policy's order), a remove leaves nothing and is unknown.
#[test]
fn exp_cdt_modify_nil_container_is_an_absent_bin() {
    let p = ListPolicy::default();
    let built = lists::append(p, i(1), exp::nil(), &[]);
    assert_eq!(value(&built), Some(ints(&[1])));
    let put = maps::put(&MapPolicy::default(), s("k"), i(2), exp::nil(), &[]);
    assert_eq!(value(&put), Some(map(&[("k", 2)])));
    assert_eq!(
        value(&lists::remove_by_index(NONE, i(0), exp::nil(), &[])),
        None
    );
}

/// A failing CDT op makes the call unknown (the server's evaluator: a modify that does not
/// answer OK is unknown); a NoFail policy turns the violation into the unchanged container.
#[test]
fn exp_cdt_modify_failing_op_is_unknown() {
    let unique = ListPolicy::new(Default::default(), ListWriteFlags::AddUnique);
    assert_eq!(value(&lists::append(unique, i(3), l(), &[])), None);
    let no_fail = ListPolicy::new(
        Default::default(),
        ListWriteFlags::AddUnique | ListWriteFlags::NoFail,
    );
    let same = lists::append(no_fail, i(3), l(), &[]);
    assert_eq!(value(&same), Some(ints(&[3, 1, 2])));
    let bounded = ListPolicy::new(Default::default(), ListWriteFlags::InsertBounded);
    assert_eq!(value(&lists::insert(bounded, i(10), i(1), l(), &[])), None);
    let p = ListPolicy::default();
    assert_eq!(value(&lists::increment(p, i(0), s("x"), l(), &[])), None);
    // A list op on the int under "a" (CDT-WRONG-TYPE) and an op on a missing bin.
    let wrong = lists::append(p, i(1), m(), &[CTX::map_key("a")]);
    assert_eq!(value(&wrong), None);
    // A list op on a map bin builds (the server's build takes any list or map container) and
    // fails when applied (CDT-WRONG-TYPE): unknown, not 4.
    assert_eq!(value(&lists::append(p, i(1), m(), &[])), None);
    let on_list = maps::put(&MapPolicy::default(), s("k"), i(1), l(), &[]);
    assert_eq!(value(&on_list), None);
    let missing = lists::append(p, i(1), exp::list_bin("nope"), &[]);
    assert_eq!(value(&missing), None);
    let create_only = MapPolicy::new(Default::default(), MapWriteFlags::CreateOnly);
    assert_eq!(
        value(&maps::put(&create_only, s("a"), i(0), m(), &[])),
        None
    );
}

fn raw(module: i64, cdt_op: i64, args: &[i64]) -> Expression {
    Expression::Call(Box::new(exp::Call {
        return_type: exp::ExpType::LIST,
        module,
        ctx: Vec::new(),
        cdt_op,
        args: args.iter().map(|a| i(*a)).collect(),
        bin: l(),
    }))
}

/// Calls the clients do not build: argument lists of the wrong shape (a bad order attribute,
/// a trailing argument, a missing value) are unknown, as a CDT op the server cannot parse;
/// op codes aerolite has no expression op for, and the bit / HLL modules, are 16 (EXP-TYPE-1).
#[test]
fn exp_cdt_modify_odd_calls_are_unknown_or_unsupported() {
    assert_eq!(value(&raw(0x40, 1, &[9, 0, 0])), Some(ints(&[3, 1, 2, 9])));
    assert_eq!(value(&raw(0x40, 1, &[9, 7, 0])), None, "order attribute 7");
    assert_eq!(
        value(&raw(0x40, 1, &[9, 0, 0, 5])),
        None,
        "trailing argument"
    );
    assert_eq!(value(&raw(0x40, 3, &[0])), None, "insert without a value");
    assert_eq!(value(&raw(0x40, 11, &[1])), None, "clear with an argument");
    for (module, op) in [(0x40, 5), (0x40, 16), (0x41, 1), (0, 1)] {
        let e = raw(module, op, &[0]).evaluate(&view(&bins()));
        assert_eq!(e.expect_err("unsupported").code(), RC::UnsupportedFeature);
    }
}

/// Filters, read_exp and write_exp on a stored record: the filter sees the modified copy,
/// read_exp answers it, the record itself only changes through write_exp.
#[test]
fn exp_cdt_modify_in_filters_and_expression_ops_leaves_the_record() {
    let t = common::open();
    let key = as_key!("test", "s", 1);
    let w = WritePolicy::default();
    t.db.put(&w, &key, &[as_bin!("l", ints(&[3, 1, 2]))])
        .expect("put");
    let appended = lists::append(ListPolicy::default(), i(9), l(), &[]);
    let filter = |n: i64| ReadPolicy {
        filter_expression: Some(exp::eq(lists::size(appended.clone(), &[]), i(n))),
        ..ReadPolicy::default()
    };
    t.db.get(&filter(4), &key, Bins::All)
        .expect("4 after append");
    let e =
        t.db.get(&filter(3), &key, Bins::All)
            .expect_err("3 filtered");
    assert_eq!(e.code(), RC::FilteredOut);
    let rec = t.db.operate(&w, &key, &[exp_read("v", &appended, 0)]);
    assert_eq!(rec.expect("read_exp").bin("v"), Some(&ints(&[3, 1, 2, 9])));
    let stored = t.db.get(&ReadPolicy::default(), &key, Bins::All);
    let stored = stored.expect("get");
    assert_eq!(stored.bin("l"), Some(&ints(&[3, 1, 2])));
    assert_eq!(
        stored.generation, 1,
        "reads of a modify expression write nothing"
    );
    let unique = ListPolicy::new(Default::default(), ListWriteFlags::AddUnique);
    let failing = lists::append(unique, i(3), l(), &[]);
    let e = t.db.operate(&w, &key, &[exp_read("v", &failing, 0)]);
    assert_eq!(e.expect_err("unknown").code(), RC::OpNotApplicable);
    let flags = ExpReadFlags::EvalNoFail as i64;
    let rec = t.db.operate(&w, &key, &[exp_read("v", &failing, flags)]);
    assert_eq!(rec.expect("no-fail").bin("v"), Some(&Value::Nil));
    t.db.operate(&w, &key, &[exp_write("l", &appended, 0)])
        .expect("write_exp");
    let stored = t.db.get(&ReadPolicy::default(), &key, Bins::All);
    assert_eq!(stored.expect("get").bin("l"), Some(&ints(&[3, 1, 2, 9])));
}

/// The wire form: `[127, type, 0x40, [op, args…], container]`, type LIST/MAP of the top-level
/// container (MAP for a list op under a map key); decode ∘ encode is the identity.
#[test]
fn exp_cdt_modify_wire_form_round_trips() {
    let p = ListPolicy::default();
    let e = lists::append(p, i(9), l(), &[]);
    // 95 7f 04 40 94 01 09 00 00 93 51 04 a1 6c
    let want = [
        0x95, 0x7f, 0x04, 0x40, 0x94, 0x01, 0x09, 0x00, 0x00, 0x93, 0x51, 0x04, 0xa1, b'l',
    ];
    assert_eq!(e.to_bytes(), want);
    let ctx = [CTX::map_key("k")];
    let under_map = lists::append(p, i(9), m(), &ctx);
    assert!(matches!(&under_map, Expression::Call(c) if c.return_type == exp::ExpType::MAP));
    for e in [
        lists::append(p, i(9), m(), &ctx),
        maps::put(&MapPolicy::default(), s("k"), i(1), m(), &[]),
        maps::remove_by_key_range(MRT::Count, Some(s("a")), None, m(), &[]),
        lists::sort(ListSortFlags::DropDuplicates, l(), &[]),
    ] {
        let back = Expression::from_bytes(&e.to_bytes()).expect("decodes");
        assert_eq!(back, e);
    }
}
