//! Secondary indexes over the wire, through the official Rust client (`aerospike` 3.x) against
//! `aerolite serve` (docs/serve.md "Secondary indexes", docs/sindex.md): `create_index_on_bin`
//! (numeric, string, list) and its task's `load_pct` poll (`sindex-stat`), queries with
//! `Filter::equal`, `range`, `contains` and a filter naming its index (`range_by_index`),
//! `sindex-list`, conflicting and missing indexes (200, 201), `drop_index` and its
//! `sindex-exists` poll, a query on a dropped index (201), and a CDT-context index (SIDX-CTX-1)
//! created with a `ctx` and queried through `Filter::context` (issue 12). Each query's answer is
//! checked against the records written.

mod serve_support;

use aerospike::query::Filter;
use aerospike::{
    as_bin, as_key, as_list, as_val, AdminPolicy, Bins, Client, ClientPolicy, CollectionIndexType,
    IndexType, PartitionFilter, QueryPolicy, ResultCode, Statement, Task, WritePolicy,
};
use futures::stream::StreamExt;

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

/// Records `i` = 0..n with bins `i`, `s` = "s{i % 5}" and `l` = [i, i + 1000].
async fn fill(client: &Client, set: &str, n: i64) {
    let w = WritePolicy::default();
    for i in 0..n {
        let key = as_key!("test", set, i);
        let s = format!("s{}", i % 5);
        let l = as_list!(i, i + 1000);
        let bins = [as_bin!("i", i), as_bin!("s", s), as_bin!("l", l)];
        client.put(&w, &key, &bins).await.expect("put");
    }
}

/// The sorted values of bin `i` a filtered query of `set` returns.
async fn query(client: &Client, set: &str, f: Filter) -> aerospike::Result<Vec<i64>> {
    let mut stmt = Statement::new("test", set, Bins::All);
    stmt.set_filter(f);
    let rs = client
        .query(&QueryPolicy::default(), PartitionFilter::all(), stmt)
        .await?;
    let mut stream = rs.into_stream();
    let mut seen = Vec::new();
    while let Some(r) = stream.next().await {
        let rec = r?;
        seen.push(i64::try_from(rec.bins.get("i").expect("bin i")).expect("int"));
    }
    seen.sort_unstable();
    Ok(seen)
}

async fn create(
    client: &Client,
    set: &str,
    bin: &str,
    name: &str,
    t: IndexType,
    c: CollectionIndexType,
) {
    let task = client
        .create_index_on_bin(&AdminPolicy::default(), "test", set, bin, name, t, c, None)
        .await
        .expect("sindex-create answers ok");
    task.wait_till_complete(None)
        .await
        .expect("sindex-stat reaches load_pct=100");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_query_and_drop_indexes_through_the_client() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    fill(&client, "si", 100).await;
    fill(&client, "other", 20).await;
    create(
        &client,
        "si",
        "i",
        "si_i",
        IndexType::Numeric,
        CollectionIndexType::Default,
    )
    .await;
    create(
        &client,
        "si",
        "s",
        "si_s",
        IndexType::String,
        CollectionIndexType::Default,
    )
    .await;
    create(
        &client,
        "si",
        "l",
        "si_l",
        IndexType::Numeric,
        CollectionIndexType::List,
    )
    .await;

    let range = query(&client, "si", Filter::range("i", 10, 19))
        .await
        .expect("range");
    assert_eq!(range, (10..20).collect::<Vec<_>>());
    let eq = query(&client, "si", Filter::equal("s", "s3"))
        .await
        .expect("equal");
    assert_eq!(eq, (0..100).filter(|i| i % 5 == 3).collect::<Vec<_>>());
    let contains = query(
        &client,
        "si",
        Filter::contains("l", 1042, CollectionIndexType::List),
    )
    .await
    .expect("contains");
    assert_eq!(contains, vec![42]);
    let by_name = query(&client, "si", Filter::range_by_index("si_i", 95, 200))
        .await
        .expect("range by index name");
    assert_eq!(by_name, (95..100).collect::<Vec<_>>());

    // A write after the build is in the index at once (SIDX-EXACT-1).
    let w = WritePolicy::default();
    client
        .put(&w, &as_key!("test", "si", 500), &[as_bin!("i", 15)])
        .await
        .expect("put");
    let again = query(&client, "si", Filter::equal("i", 15))
        .await
        .expect("equal");
    assert_eq!(again, vec![15, 15], "record 0..100's 15 and record 500");

    let node = client.random_node().expect("one node");
    let list = node
        .info(&AdminPolicy::default(), &["sindex-list:namespace=test"])
        .await
        .expect("sindex-list");
    let list = &list["sindex-list:namespace=test"];
    for name in ["si_i", "si_s", "si_l"] {
        assert!(
            list.contains(&format!("ns=test:indexname={name}:set=si:")),
            "{list}"
        );
    }

    // An expression index whose expression is malformed (a 3-element array cut after `1`) is
    // the server's "bad 'exp'", 4 (expression indexes themselves: tests/serve_sindex_expression.rs).
    let exp_cmd = "sindex-create:namespace=test;set=si;indexname=e;exp=kwE=;type=NUMERIC";
    let exp = node
        .info(&AdminPolicy::default(), &[exp_cmd])
        .await
        .expect("info");
    assert!(exp[exp_cmd].starts_with("FAIL:4:"), "{}", exp[exp_cmd]);

    // The same name with another definition: 200; an identical one: a no-op success.
    let conflict = client
        .create_index_on_bin(
            &AdminPolicy::default(),
            "test",
            "si",
            "s",
            "si_i",
            IndexType::String,
            CollectionIndexType::Default,
            None,
        )
        .await
        .expect_err("a conflicting definition is refused");
    assert_eq!(conflict.server_result_code(), Some(ResultCode::IndexFound));
    create(
        &client,
        "si",
        "i",
        "si_i",
        IndexType::Numeric,
        CollectionIndexType::Default,
    )
    .await;

    let task = client
        .drop_index(&AdminPolicy::default(), "test", "si", "si_i")
        .await
        .expect("sindex-delete answers ok");
    task.wait_till_complete(None)
        .await
        .expect("sindex-exists says false");
    let gone = query(&client, "si", Filter::range("i", 0, 9))
        .await
        .expect_err("201");
    assert_eq!(gone.server_result_code(), Some(ResultCode::IndexNotFound));
    let missing = client
        .drop_index(&AdminPolicy::default(), "test", "si", "si_i")
        .await
        .expect_err("dropping a missing index is refused");
    assert_eq!(
        missing.server_result_code(),
        Some(ResultCode::IndexNotFound)
    );
}

/// Issue 12: `create_index_on_bin` with a CDT context (`sindex-create …;context=<base64>`) and a
/// query whose filter carries the context (the query's INDEX_CONTEXT field) use the engine's
/// context index (SIDX-CTX-1): the index holds element 1 of each list `l` = [i, i + 1000].
#[tokio::test(flavor = "multi_thread")]
async fn context_index_created_and_queried_through_the_client() {
    use aerospike::operations::cdt_context::ctx_list_index;
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    fill(&client, "sc", 40).await;
    let ctx = vec![ctx_list_index(1)];
    let task = client
        .create_index_on_bin(
            &AdminPolicy::default(),
            "test",
            "sc",
            "l",
            "sc_l1",
            IndexType::Numeric,
            CollectionIndexType::Default,
            Some(&ctx),
        )
        .await
        .expect("sindex-create with a context answers ok");
    task.wait_till_complete(None)
        .await
        .expect("sindex-stat reaches load_pct=100");
    let f = Filter::range("l", 1010, 1019).context(ctx.clone());
    let got = query(&client, "sc", f).await.expect("context query");
    assert_eq!(got, (10..20).collect::<Vec<i64>>());
    // The element at index 0 has no index: the context is part of the index's identity.
    let other = Filter::range("l", 10, 19).context(vec![ctx_list_index(0)]);
    let e = query(&client, "sc", other)
        .await
        .expect_err("no index on element 0");
    assert_eq!(e.server_result_code(), Some(ResultCode::IndexNotFound));
}
