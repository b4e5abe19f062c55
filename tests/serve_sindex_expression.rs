//! SIDX-EXP-1 over the wire, through the official Rust client (`aerospike` 3.x) against
//! `aerolite serve`: `create_index_using_expression` (info `sindex-create` with `exp=<base64>`)
//! and its task's `load_pct` poll, a query naming the index by its expression
//! (`Filter::range(…).expression(exp)`, the INDEX_EXPRESSION field) with and without a
//! `filter_expression` post-filter, a query naming it by name (`range_by_index`), `sindex-list` showing `bin=NULL` and `exp=<base64>`, and the
//! server's refusals: an expression of another type than the index, both `bin` and `exp`, a
//! malformed expression (4), a query by an expression no index has (201).

mod serve_support;

use aerospike::expressions as exp;
use aerospike::query::Filter;
use aerospike::{
    as_bin, as_key, AdminPolicy, Bins, Client, ClientPolicy, CollectionIndexType, IndexType,
    PartitionFilter, QueryPolicy, ResultCode, Statement, Task, WritePolicy,
};
use futures::stream::StreamExt;

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

/// The sorted values of bin `a` a query returns.
async fn query(client: &Client, qp: &QueryPolicy, f: Filter) -> aerospike::Result<Vec<i64>> {
    let mut stmt = Statement::new("test", "xe", Bins::All);
    stmt.set_filter(f);
    let rs = client.query(qp, PartitionFilter::all(), stmt).await?;
    let mut stream = rs.into_stream();
    let mut seen = Vec::new();
    while let Some(r) = stream.next().await {
        let rec = r?;
        seen.push(i64::try_from(rec.bins.get("a").expect("bin a")).expect("int"));
    }
    seen.sort_unstable();
    Ok(seen)
}

async fn info(client: &Client, cmd: &str) -> String {
    let node = client.random_node().expect("one node");
    let mut answer = node
        .info(&AdminPolicy::default(), &[cmd])
        .await
        .expect("info");
    answer.swap_remove(cmd).expect("answer echoes the command")
}

#[tokio::test(flavor = "multi_thread")]
async fn expression_index_created_listed_and_queried_through_the_client() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    for i in 0..50_i64 {
        let bins = [as_bin!("a", i), as_bin!("b", i % 2)];
        client
            .put(&w, &as_key!("test", "xe", i), &bins)
            .await
            .expect("put");
    }
    let plus = exp::num_add(vec![exp::int_bin("a".to_string()), exp::int_val(100)]);
    let task = client
        .create_index_using_expression(
            &AdminPolicy::default(),
            "test",
            "xe",
            "xe_plus",
            IndexType::Numeric,
            CollectionIndexType::Default,
            &plus,
        )
        .await
        .expect("sindex-create with exp= answers ok");
    task.wait_till_complete(None).await.expect("built");

    let f = Filter::range("a", 105_i64, 109_i64).expression(plus.clone());
    let qp = QueryPolicy::default();
    assert_eq!(
        query(&client, &qp, f.clone()).await.expect("query"),
        vec![5, 6, 7, 8, 9]
    );
    let mut even = QueryPolicy::default();
    even.base_policy.filter_expression =
        Some(exp::eq(exp::int_bin("b".to_string()), exp::int_val(0)));
    assert_eq!(query(&client, &even, f).await.expect("query"), vec![6, 8]);
    // Named by its index name (INDEX_NAME) instead of its expression.
    let by_name = Filter::range_by_index("xe_plus", 148_i64, 200_i64);
    assert_eq!(
        query(&client, &qp, by_name).await.expect("query"),
        vec![48, 49]
    );

    let list = info(&client, "sindex-list:namespace=test").await;
    let b64 = plus.base64().expect("base64");
    let row = format!("ns=test:indexname=xe_plus:set=xe:bin=NULL:type=numeric:indextype=default:context=NULL:exp={b64}:");
    assert!(list.contains(&row), "{list}");

    // No index on this expression: 201.
    let other = Filter::range("a", 0_i64, 9_i64).expression(exp::int_bin("a".to_string()));
    let e = query(&client, &qp, other).await.expect_err("no such index");
    assert_eq!(e.server_result_code(), Some(ResultCode::IndexNotFound));

    // The server's refusals: a string index on an integer expression, both bin and exp, a
    // malformed expression.
    let bad_type = client
        .create_index_using_expression(
            &AdminPolicy::default(),
            "test",
            "xe",
            "xe_bad",
            IndexType::String,
            CollectionIndexType::Default,
            &plus,
        )
        .await
        .expect_err("type mismatch");
    assert_eq!(
        bad_type.server_result_code(),
        Some(ResultCode::ParameterError)
    );
    let both =
        format!("sindex-create:namespace=test;set=xe;indexname=xe_b;bin=a;exp={b64};type=NUMERIC");
    assert!(info(&client, &both).await.starts_with("FAIL:4:"));
    let junk = "sindex-create:namespace=test;set=xe;indexname=xe_j;exp=kwE=;type=NUMERIC";
    assert!(info(&client, junk).await.starts_with("FAIL:4:"));
    let list = info(&client, "sindex-list:namespace=test").await;
    assert!(
        !list.contains("xe_bad") && !list.contains("xe_b:") && !list.contains("xe_j"),
        "{list}"
    );
    client.close().await.expect("close");
}
