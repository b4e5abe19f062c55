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
