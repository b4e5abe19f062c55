//! `aerolite serve` with expressions through the official Rust client (`aerospike` 3.x): filter
//! expressions (FILTER field 43) on get / put / operate / delete answer 27 when the record is
//! filtered out and act normally when it passes; `read_exp` / `write_exp` operate ops (wire ops
//! 7 / 8) compute values and store them, with their flags (EXP-OP-*).

mod serve_support;

use aerospike::expressions::{eq, gt, int_bin, int_val, num_add};
use aerospike::operations::exp::{read_exp, write_exp, ExpReadFlags, ExpWriteFlags};
use aerospike::operations::{self};
use aerospike::{as_bin, as_key, as_val, Bins, Client, ClientPolicy, ReadPolicy, WritePolicy};

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_expressions_on_single_record_commands() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let key = as_key!("test", "demo", "f1");
    let w = WritePolicy::default();
    client.put(&w, &key, &[as_bin!("a", 5)]).await.expect("put");
    let mut pass = ReadPolicy::default();
    pass.base_policy.filter_expression = Some(eq(int_bin("a"), int_val(5)));
    let mut fail = ReadPolicy::default();
    fail.base_policy.filter_expression = Some(gt(int_bin("a"), int_val(5)));
    let rec = client.get(&pass, &key, Bins::All).await.expect("passes");
    assert_eq!(rec.bins.get("a"), Some(&as_val!(5)));
    let e = client
        .get(&fail, &key, Bins::All)
        .await
        .expect_err("filtered");
    assert_eq!(e.result_code(), 27, "{e:?}");
    let mut wfail = WritePolicy::default();
    wfail.base_policy.filter_expression = Some(gt(int_bin("a"), int_val(5)));
    let e = client
        .put(&wfail, &key, &[as_bin!("a", 6)])
        .await
        .expect_err("write filtered");
    assert_eq!(e.result_code(), 27);
    let e = client
        .delete(&wfail, &key)
        .await
        .expect_err("delete filtered");
    assert_eq!(e.result_code(), 27);
    let mut wpass = WritePolicy::default();
    wpass.base_policy.filter_expression = Some(eq(int_bin("a"), int_val(5)));
    client
        .operate(&wpass, &key, &[operations::add(&as_bin!("a", 1))])
        .await
        .expect("operate passes");
    let rec = client
        .get(&ReadPolicy::default(), &key, Bins::All)
        .await
        .expect("get");
    assert_eq!((rec.bins.get("a"), rec.generation), (Some(&as_val!(6)), 2));
    assert!(
        client.delete(&wpass, &key).await.is_err(),
        "a is 6 now: filtered"
    );
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_exp_and_write_exp_operations() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let key = as_key!("test", "demo", "e1");
    let w = WritePolicy::default();
    client.put(&w, &key, &[as_bin!("a", 5)]).await.expect("put");
    let sum = num_add(vec![int_bin("a"), int_val(10)]);
    let ops = [
        write_exp("b", sum.clone(), ExpWriteFlags::DEFAULT),
        read_exp("r", sum, ExpReadFlags::DEFAULT),
    ];
    let rec = client.operate(&w, &key, &ops).await.expect("operate");
    assert_eq!(rec.bins.get("r"), Some(&as_val!(15)));
    let rec = client
        .get(&ReadPolicy::default(), &key, Bins::All)
        .await
        .expect("get");
    assert_eq!(rec.bins.get("b"), Some(&as_val!(15)));
    let create = [write_exp("b", int_val(1), ExpWriteFlags::CREATE_ONLY)];
    let e = client
        .operate(&w, &key, &create)
        .await
        .expect_err("bin exists");
    assert_eq!(e.result_code(), 6);
    let unknown = [read_exp("x", int_bin("missing"), ExpReadFlags::DEFAULT)];
    let e = client
        .operate(&w, &key, &unknown)
        .await
        .expect_err("unknown");
    assert_eq!(e.result_code(), 26);
    client.close().await.expect("close");
}

/// Issue 15 point 1: `map_val` of a key-ordered map (a `BTreeMap`, sent with the ext8 order
/// header `c7 00 01`) inside a filter is decoded, not refused with 4, and compares by content,
/// entry count first (VO-MAP), against a K-ordered map bin.
#[tokio::test(flavor = "multi_thread")]
async fn key_ordered_map_value_in_a_filter_compares_by_content() {
    use aerospike::expressions::{ge, lt, map_bin, map_val, ne, Expression};
    use aerospike::{as_sorted_map, Value};
    use std::collections::BTreeMap;
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let key = as_key!("test", "demo", "om1");
    let w = WritePolicy::default();
    let bin = as_bin!("m", as_sorted_map!("a" => 1, "b" => 2, "c" => 3));
    client.put(&w, &key, &[bin]).await.expect("put");
    let pair = |k: &str, v: i64| (as_val!(k), as_val!(v));
    let same: BTreeMap<Value, Value> = [pair("a", 1), pair("b", 2), pair("c", 3)].into();
    let smaller: BTreeMap<Value, Value> = [pair("a", 1), pair("b", 2)].into();
    let cases: Vec<(Expression, bool)> = vec![
        (eq(map_bin("m"), map_val(same.clone())), true),
        (ne(map_bin("m"), map_val(same.clone())), false),
        (gt(map_bin("m"), map_val(smaller.clone())), true),
        (lt(map_bin("m"), map_val(smaller)), false),
        (ge(map_bin("m"), map_val(same)), true),
    ];
    for (i, (filter, matches)) in cases.into_iter().enumerate() {
        let mut p = WritePolicy::default();
        p.base_policy.filter_expression = Some(filter);
        let got = client.operate(&p, &key, &[operations::get_bin("m")]).await;
        match (got, matches) {
            (Ok(_), true) => {}
            (Err(e), false) => assert_eq!(e.result_code(), 27, "case {i}: {e:?}"),
            (got, _) => panic!("case {i}: expected match {matches}, got {got:?}"),
        }
    }
    client.close().await.expect("close");
}

/// Issue 15 (official suite `exp_list::expression_list`, `exp_map::expression_map`): CDT modify
/// expressions (module 0x40) from the official client are evaluated on a copy of the container
/// (EXP-CDT-MODIFY): in a query filter and a get filter (`size(append(…))`), in `read_exp`
/// (the whole modified list or map), through a context; a failing op is unknown (26 in
/// `read_exp`); the stored record never changes.
#[tokio::test(flavor = "multi_thread")]
async fn cdt_modify_expressions_evaluate_on_a_copy() {
    use aerospike::expressions::{list_bin, lists, map_bin, maps, string_val};
    use aerospike::operations::cdt_context::ctx_map_key;
    use aerospike::operations::lists::{ListOrderType, ListPolicy, ListWriteFlags};
    use aerospike::{as_list, as_map, MapPolicy, PartitionFilter, QueryPolicy, Statement};
    use futures::stream::StreamExt;
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    for i in 0..3i64 {
        let key = as_key!("test", "cm", i);
        let bins = [
            as_bin!("l", as_list!(1, 2, 3, i)),
            as_bin!("m", as_map!("test" => i, "n" => as_list!(i))),
        ];
        client.put(&w, &key, &bins).await.expect("put");
    }
    let appended = lists::append(ListPolicy::default(), int_val(999), list_bin("l"), &[]);
    let mut qp = QueryPolicy::default();
    qp.base_policy.filter_expression = Some(eq(lists::size(appended.clone(), &[]), int_val(5)));
    let stmt = Statement::new("test", "cm", Bins::All);
    let rs = client.query(&qp, PartitionFilter::all(), stmt).await;
    let mut stream = rs.expect("query starts").into_stream();
    let mut n = 0;
    while let Some(r) = stream.next().await {
        r.expect("record");
        n += 1;
    }
    assert_eq!(n, 3, "every record passes size(append(l)) == 5");
    let key = as_key!("test", "cm", 1);
    let mut rp = ReadPolicy::default();
    let put = maps::put(
        &MapPolicy::default(),
        string_val("test".to_string()),
        int_val(7),
        map_bin("m"),
        &[],
    );
    rp.base_policy.filter_expression = Some(eq(maps::size(put.clone(), &[]), int_val(2)));
    client
        .get(&rp, &key, Bins::All)
        .await
        .expect("put of an existing key: 2 entries");
    let in_ctx = lists::append(
        ListPolicy::default(),
        int_val(5),
        map_bin("m"),
        &[ctx_map_key(as_val!("n"))],
    );
    let ops = [
        read_exp("a", appended, ExpReadFlags::DEFAULT),
        read_exp("p", put, ExpReadFlags::DEFAULT),
        read_exp("c", in_ctx, ExpReadFlags::DEFAULT),
    ];
    let rec = client.operate(&w, &key, &ops).await.expect("read_exp");
    assert_eq!(rec.bins.get("a"), Some(&as_list!(1, 2, 3, 1, 999)));
    let want_p = as_map!("n" => as_list!(1), "test" => 7);
    assert_eq!(rec.bins.get("p"), Some(&want_p));
    let want_c = as_map!("n" => as_list!(1, 5), "test" => 1);
    assert_eq!(rec.bins.get("c"), Some(&want_c));
    let unique = ListPolicy::new(ListOrderType::Unordered, ListWriteFlags::ADD_UNIQUE);
    let failing = lists::append(unique, int_val(2), list_bin("l"), &[]);
    let e = client
        .operate(&w, &key, &[read_exp("f", failing, ExpReadFlags::DEFAULT)])
        .await
        .expect_err("AddUnique violation: unknown");
    assert_eq!(e.result_code(), 26, "{e:?}");
    let rec = client.get(&ReadPolicy::default(), &key, Bins::All).await;
    let rec = rec.expect("get");
    assert_eq!(rec.bins.get("l"), Some(&as_list!(1, 2, 3, 1)));
    assert_eq!(rec.generation, 1, "nothing written");
    client.close().await.expect("close");
}

/// EXP-WIRE-1 for CDT modify calls: aerolite's builders produce the bytes the official Rust
/// client sends for the same expression (module 0x40, the operate op codes and argument orders,
/// default map write flags omitted, context create flags kept).
#[test]
fn cdt_modify_builders_send_the_official_clients_bytes() {
    use aerolite::expressions::{self as ax, lists as al, maps as am};
    use aerospike::expressions::{self as cx, lists as cl, maps as cm};
    use aerospike::operations::cdt_context::{ctx_list_index, ctx_map_key_create};
    use aerospike::operations::lists::{ListPolicy, ListReturnType, ListSortFlags};
    use aerospike::operations::maps::{MapOrder, MapWriteFlags};
    use aerospike::{MapPolicy, MapReturnType, Value};
    let alp = aerolite::ListPolicy::default;
    let amp = aerolite::MapPolicy::default();
    let amp_co = aerolite::MapPolicy::new(Default::default(), aerolite::MapWriteFlags::CreateOnly);
    let cmp = MapPolicy::default();
    let cmp_co = MapPolicy::new(MapOrder::Unordered, MapWriteFlags::CREATE_ONLY);
    let (lb, ml) = (|| ax::list_bin("bin"), || cx::list_bin("bin".to_string()));
    let (mb, mm) = (|| ax::map_bin("bin"), || cx::map_bin("bin".to_string()));
    let (ai, ci) = (ax::int_val, cx::int_val);
    let a_ctx = [aerolite::CTX::map_key_create(
        "k",
        aerolite::MapOrder::KeyOrdered,
    )];
    let c_ctx = [ctx_map_key_create(Value::from("k"), MapOrder::KeyOrdered)];
    let pairs: Vec<(ax::Expression, cx::Expression)> = vec![
        (
            al::append(alp(), ai(999), lb(), &[]),
            cl::append(ListPolicy::default(), ci(999), ml(), &[]),
        ),
        (
            al::append_items(alp(), ax::list_val(vec![555.into(), "a".into()]), lb(), &[]),
            cl::append_items(
                ListPolicy::default(),
                cx::list_val(vec![Value::from(555), Value::from("a")]),
                ml(),
                &[],
            ),
        ),
        (
            al::increment(alp(), ai(3), ai(100), lb(), &[]),
            cl::increment(ListPolicy::default(), ci(3), ci(100), ml(), &[]),
        ),
        (
            al::insert(alp(), ai(1), ai(2), lb(), &[aerolite::CTX::list_index(0)]),
            cl::insert(
                ListPolicy::default(),
                ci(1),
                ci(2),
                ml(),
                &[ctx_list_index(0)],
            ),
        ),
        (
            al::sort(aerolite::ListSortFlags::Descending, lb(), &[]),
            cl::sort(ListSortFlags::DESCENDING, ml(), &[]),
        ),
        (
            al::remove_by_value_range(aerolite::ListReturnType::None, Some(ai(1)), None, lb(), &[]),
            cl::remove_by_value_range(ListReturnType::NONE, Some(ci(1)), None, ml(), &[]),
        ),
        (
            al::remove_by_rank_range_count(
                aerolite::ListReturnType::Count,
                ai(2),
                ai(1),
                lb(),
                &[],
            ),
            cl::remove_by_rank_range_count(ListReturnType::COUNT, ci(2), ci(1), ml(), &[]),
        ),
        (
            am::put(&amp, ax::string_val("t"), ai(9), mb(), &[]),
            cm::put(&cmp, cx::string_val("t".to_string()), ci(9), mm(), &[]),
        ),
        (
            am::put(&amp_co, ax::string_val("t"), ai(9), mb(), &a_ctx),
            cm::put(
                &cmp_co,
                cx::string_val("t".to_string()),
                ci(9),
                mm(),
                &c_ctx,
            ),
        ),
        (
            am::increment(&amp, ax::string_val("t"), ai(1), mb(), &[]),
            cm::increment(&cmp, cx::string_val("t".to_string()), ci(1), mm(), &[]),
        ),
        (am::clear(mb(), &[]), cm::clear(mm(), &[])),
        (
            am::remove_by_key_relative_index_range_count(
                aerolite::MapReturnType::None,
                ax::string_val("a"),
                ai(0),
                ai(1),
                mb(),
                &[],
            ),
            cm::remove_by_key_relative_index_range_count(
                MapReturnType::NONE,
                cx::string_val("a".to_string()),
                ci(0),
                ci(1),
                mm(),
                &[],
            ),
        ),
    ];
    for (n, (ours, theirs)) in pairs.iter().enumerate() {
        let want = theirs.base64().expect("the client packs it");
        let got = aerolite::wire::base64::encode(&ours.to_bytes());
        assert_eq!(got, want, "pair {n}");
    }
}
