//! `aerolite serve` through the official Aerospike Rust client (crate `aerospike` 3.x): each
//! test starts a server in-process on an ephemeral loopback port and runs real client calls —
//! connect (handshake, tend), put/get/select/exists/touch/delete, generation and exists
//! policies, TTLs, send-key, operate with scalar, map and list ops (with contexts), and the
//! codes for what aerolite does not serve yet (UDF, batch) — checking results and result codes.

mod serve_support;

use aerospike::operations::cdt_context::{ctx_list_index, ctx_map_key};
use aerospike::operations::{self, lists, maps};
use aerospike::{
    as_bin, as_key, as_list, as_map, as_val, Bins, Client, ClientPolicy, ErrorKind, Expiration,
    GenerationPolicy, ListPolicy, MapPolicy, MapReturnType, ReadPolicy, RecordExistsAction, Value,
    WritePolicy,
};

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

fn code(e: &aerospike::Error) -> i32 {
    e.result_code()
}

#[tokio::test(flavor = "multi_thread")]
async fn kv_put_get_exists_touch_delete() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let (w, r) = (WritePolicy::default(), ReadPolicy::default());
    let key = as_key!("test", "demo", "k1");
    let bins = [
        as_bin!("s", "text"),
        as_bin!("i", 42),
        as_bin!("f", 1.5),
        as_bin!("l", as_list![1, "a"]),
        as_bin!("m", as_map!("x" => 1)),
        as_bin!("b", true),
    ];
    client.put(&w, &key, &bins).await.expect("put");
    let rec = client.get(&r, &key, Bins::All).await.expect("get");
    assert_eq!(rec.generation, 1);
    assert_eq!(rec.bins.len(), 6);
    assert_eq!(rec.bins.get("s"), Some(&as_val!("text")));
    assert_eq!(rec.bins.get("i"), Some(&as_val!(42)));
    assert_eq!(rec.bins.get("l"), Some(&as_list![1, "a"]));
    assert_eq!(rec.bins.get("m"), Some(&as_map!("x" => 1)));
    assert_eq!(rec.bins.get("b"), Some(&Value::Bool(true)));
    let sel = client.get(&r, &key, ["i"]).await.expect("select");
    assert_eq!(sel.bins.len(), 1);
    assert!(client.exists(&r, &key).await.expect("exists"));
    client.touch(&w, &key).await.expect("touch");
    let hdr = client.get(&r, &key, Bins::None).await.expect("header");
    assert_eq!((hdr.generation, hdr.bins.len()), (2, 0));
    assert!(client.delete(&w, &key).await.expect("delete"));
    assert!(!client.exists(&r, &key).await.expect("exists after delete"));
    assert!(!client.delete(&w, &key).await.expect("second delete"));
    let e = client.get(&r, &key, Bins::All).await.expect_err("gone");
    assert_eq!(code(&e), 2);
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn generation_exists_and_ttl_policies() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let r = ReadPolicy::default();
    let key = as_key!("test", "demo", 7);
    let create = WritePolicy {
        record_exists_action: RecordExistsAction::CreateOnly,
        expiration: Expiration::Seconds(60),
        ..WritePolicy::default()
    };
    client
        .put(&create, &key, &[as_bin!("a", 1)])
        .await
        .expect("create");
    let e = client
        .put(&create, &key, &[as_bin!("a", 2)])
        .await
        .expect_err("exists");
    assert_eq!(code(&e), 5);
    let rec = client.get(&r, &key, Bins::All).await.expect("get");
    let ttl = rec.time_to_live().expect("expires").as_secs();
    assert!((55..=60).contains(&ttl), "ttl {ttl}");
    let mut gen = WritePolicy::new(rec.generation + 1, Expiration::Never);
    gen.generation_policy = GenerationPolicy::ExpectGenEqual;
    let e = client
        .put(&gen, &key, &[as_bin!("a", 3)])
        .await
        .expect_err("stale gen");
    assert_eq!(code(&e), 3);
    assert!(!e.in_doubt(), "a generation failure is definitive");
    gen.generation = rec.generation;
    client
        .put(&gen, &key, &[as_bin!("a", 3)])
        .await
        .expect("gen matches");
    let rec = client.get(&r, &key, Bins::All).await.expect("get");
    assert_eq!(rec.time_to_live(), None, "Expiration::Never");
    let update_only = WritePolicy {
        record_exists_action: RecordExistsAction::UpdateOnly,
        ..WritePolicy::default()
    };
    let other = as_key!("test", "demo", 8);
    let e = client
        .put(&update_only, &other, &[as_bin!("a", 1)])
        .await
        .expect_err("missing");
    assert_eq!(code(&e), 2);
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn operate_scalar_map_and_list_ops_with_contexts() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    let key = as_key!("test", "demo", "op");
    let ops = [
        operations::put(&as_bin!("n", 1)),
        operations::add(&as_bin!("n", 4)),
        operations::append(&as_bin!("s", "b")),
        operations::prepend(&as_bin!("s", "a")),
        operations::get_bin("n"),
        operations::get_bin("s"),
    ];
    let rec = client.operate(&w, &key, &ops).await.expect("operate");
    // The 3.x client asks for one result per op when the operate writes (RESPOND_ALL_OPS);
    // writes answer Nil.
    let want = vec![
        Value::Nil,
        Value::Nil,
        Value::Nil,
        Value::Nil,
        as_val!(5),
        as_val!("ab"),
    ];
    assert_eq!(rec.results, Some(want));
    let mp = MapPolicy::default();
    let ops = [
        maps::put(&mp, "m", as_val!("a"), as_map!("x" => 1)),
        maps::put(&mp, "m", as_val!("b"), as_val!(2)),
    ];
    client.operate(&w, &key, &ops).await.expect("map puts");
    let nested =
        maps::put(&mp, "m", as_val!("y"), as_val!(9)).context(vec![ctx_map_key(as_val!("a"))]);
    let rec = client
        .operate(&w, &key, &[nested])
        .await
        .expect("nested put");
    assert_eq!(
        rec.bins.get("m"),
        Some(&as_val!(2)),
        "size of the inner map"
    );
    let get = maps::get_by_key("m", as_val!("a"), MapReturnType::VALUE);
    let rec = client.operate(&w, &key, &[get]).await.expect("get_by_key");
    assert_eq!(rec.bins.get("m"), Some(&as_map!("x" => 1, "y" => 9)));
    let lp = ListPolicy::default();
    let ops = [
        lists::append_items(&lp, "l", vec![as_list![3, 1], as_val!(2)]),
        lists::append(&lp, "l", as_val!(0)).context(vec![ctx_list_index(0)]),
        lists::size("l"),
    ];
    let rec = client.operate(&w, &key, &ops).await.expect("list ops");
    assert!(rec.bins.contains_key("l"));
    let rec = client
        .get(&ReadPolicy::default(), &key, ["l"])
        .await
        .expect("get l");
    assert_eq!(rec.bins.get("l"), Some(&as_list![as_list![3, 1, 0], 2]));
    let pop = lists::pop("l", -1);
    let rec = client.operate(&w, &key, &[pop]).await.expect("pop");
    assert_eq!(rec.bins.get("l"), Some(&as_val!(2)));
    let bad = operations::add(&as_bin!("s", 1));
    let e = client
        .operate(&w, &key, &[bad])
        .await
        .expect_err("add to a string");
    assert_eq!(code(&e), 12);
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn send_key_durable_delete_and_unsupported_features() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy {
        send_key: true,
        durable_delete: true,
        ..WritePolicy::default()
    };
    let key = as_key!("test", "demo", "stored");
    client
        .put(&w, &key, &[as_bin!("a", 1)])
        .await
        .expect("put with key");
    assert!(client.delete(&w, &key).await.expect("durable delete"));
    let e = client
        .get(
            &ReadPolicy::default(),
            &as_key!("nope", "demo", 1),
            Bins::All,
        )
        .await
        .expect_err("unknown namespace");
    assert!(matches!(e.kind(), ErrorKind::InvalidNamespace), "{e:?}");
    let udf = client
        .execute_udf(&w, &key, "mod", "fn", &[])
        .await
        .expect_err("no UDF execution");
    assert_eq!(code(&udf), 100, "AS_ERR_UDF");
    client.close().await.expect("close");
}

/// Regression: the clients' ordered-map header is an ext8 of length 0 whose type is the map
/// flags (`c7 00 01`, Rust `msgpack/encoder.rs:pack_map_begin`), not aerolite's stored
/// `d4 ff 01`. Before the wire msgpack codec, a put_items of a key-ordered map answered 4, a
/// key-ordered map came back unflagged, and KEY_VALUE results were not the key/value map
/// (flag 0x08) the client decodes as `KeyValueList` (`msgpack/decoder.rs:map_order`).
#[tokio::test(flavor = "multi_thread")]
async fn ordered_maps_and_key_value_results_use_the_clients_msgpack_flags() {
    use aerospike::operations::MapOrder;
    use aerospike::{as_sorted_map, MapWriteFlags};
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    let key = as_key!("test", "demo", "kv");
    let sorted =
        std::collections::BTreeMap::from([(as_val!("b"), as_val!(2)), (as_val!("a"), as_val!(1))]);
    let kp = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::DEFAULT);
    client
        .operate(&w, &key, &[maps::put_items(&kp, "m", sorted)])
        .await
        .expect("put_items of a key-ordered map");
    let rec = client
        .get(&ReadPolicy::default(), &key, ["m"])
        .await
        .expect("get");
    assert_eq!(rec.bins.get("m"), Some(&as_sorted_map!("a" => 1, "b" => 2)));
    assert!(
        matches!(rec.bins.get("m"), Some(Value::SortedMap(_))),
        "{:?}",
        rec.bins
    );
    let kv = maps::get_by_index("m", 0, MapReturnType::KEY_VALUE);
    let rec = client.operate(&w, &key, &[kv]).await.expect("key_value");
    assert_eq!(
        rec.bins.get("m"),
        Some(&Value::KeyValueList(vec![(as_val!("a"), as_val!(1))]))
    );
    let om = maps::get_by_index("m", 0, MapReturnType::ORDERED_MAP);
    let rec = client.operate(&w, &key, &[om]).await.expect("ordered_map");
    assert_eq!(rec.bins.get("m"), Some(&as_sorted_map!("a" => 1)));
    // `maps::create(bin, order, ctx)` on an existing unordered map: the map at the last step's
    // key is created with the order (the crate's own `cdt_map::map_create_op`).
    let up = MapPolicy::default();
    client
        .operate(&w, &key, &[maps::put(&up, "n", as_val!("k"), as_val!(1))])
        .await
        .expect("outer map");
    let create = maps::create("n", MapOrder::KeyOrdered, vec![ctx_map_key(as_val!("sub"))]);
    client
        .operate(&w, &key, &[create])
        .await
        .expect("create nested");
    let ctx = vec![ctx_map_key(as_val!("sub"))];
    for (k, v) in [("z", 26), ("a", 1)] {
        let put = maps::put(&up, "n", as_val!(k), as_val!(v)).context(ctx.clone());
        client.operate(&w, &key, &[put]).await.expect("nested put");
    }
    let rec = client
        .get(&ReadPolicy::default(), &key, ["n"])
        .await
        .expect("get n");
    let Some(Value::OrderedMap(outer)) = rec.bins.get("n") else {
        panic!("outer map: {:?}", rec.bins.get("n"));
    };
    assert!(
        matches!(outer.get(&as_val!("sub")), Some(Value::SortedMap(_))),
        "{outer:?}"
    );
    client.close().await.expect("close");
}

/// ORD-WILDCARD, ORD-INFINITY, ORD-SELECTOR-ONLY through the wire: the official client's
/// `Value::Wildcard` / `Value::Infinity` (msgpack `d4 ff 00` / `d4 ff 01`) select inside list
/// values, and appending one to a list answers ParameterError 4.
#[tokio::test(flavor = "multi_thread")]
async fn selector_values_wildcard_and_infinity() {
    use aerospike::operations::lists::ListReturnType;
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    let key = as_key!("test", "demo", "sel");
    let stored = as_list![as_list![1, 2], as_list![2, 3], as_list![1, 9, 9]];
    client
        .put(&w, &key, &[as_bin!("l", stored)])
        .await
        .expect("put");
    let wild = lists::get_by_value("l", as_list![1, Value::Wildcard], ListReturnType::INDEX);
    let rec = client.operate(&w, &key, &[wild]).await.expect("wildcard");
    assert_eq!(rec.bins.get("l"), Some(&as_list![0, 2]));
    let range = lists::get_by_value_range(
        "l",
        as_list![1],
        as_list![1, Value::Infinity],
        ListReturnType::COUNT,
    );
    let rec = client.operate(&w, &key, &[range]).await.expect("infinity");
    assert_eq!(rec.bins.get("l"), Some(&as_val!(2)));
    let store = lists::append(&ListPolicy::default(), "l", as_list![Value::Infinity]);
    let e = client
        .operate(&w, &key, &[store])
        .await
        .expect_err("stored");
    assert_eq!(code(&e), 4, "{e}");
    client.close().await.expect("close");
}

/// V-OTHER-BLOB through the wire (the crate's own `kv::unknown_value_round_trips_as_a_bin_value`):
/// a particle the client does not interpret (7, a Java blob) comes back with its type.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_particle_round_trips_as_a_bin_value() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let key = as_key!("test", "demo", "jblob");
    let payload: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
    let bins = [as_bin!("foreign", Value::Unknown(7, payload.clone()))];
    client
        .put(&WritePolicy::default(), &key, &bins)
        .await
        .expect("put");
    let rec = client
        .get(&ReadPolicy::default(), &key, Bins::All)
        .await
        .expect("get");
    assert_eq!(rec.bins.get("foreign"), Some(&Value::Unknown(7, payload)));
    client.close().await.expect("close");
}

/// Regression: a header read inside an operate (`operations::get_header()`: READ with no bin
/// name under GET_NOBINDATA) answers no entry, so `[touch, get_header]` has one result, as
/// against the server (the crate's own `kv::operate_header_ops_do_not_create_a_nameless_bin`).
#[tokio::test(flavor = "multi_thread")]
async fn header_read_in_operate_answers_no_entry() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    let key = as_key!("test", "demo", "hdr");
    client.put(&w, &key, &[as_bin!("a", 1)]).await.expect("put");
    let ops = [operations::touch(), operations::get_header()];
    let rec = client.operate(&w, &key, &ops).await.expect("operate");
    assert!(rec.bins.is_empty(), "{:?}", rec.bins);
    assert_eq!(rec.results, Some(vec![Value::Nil]));
    assert_eq!(rec.generation, 2);
    client.close().await.expect("close");
}
