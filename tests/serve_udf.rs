//! `aerolite serve` UDF module registry through the official Rust client (`aerospike` 3.x):
//! `register_udf` (info `udf-put`) stores a module, `udf-list` lists it with a hash, `udf-get`
//! returns its content, `remove_udf` (`udf-remove`) drops it; modules persist in the server's
//! UDF directory across a restart; executing a UDF still answers AS_ERR_UDF (100).

mod serve_support;

use aerolite::server::Server;
use aerolite::{DatabaseConfig, NamespaceConfig};
use aerospike::{as_bin, as_key, AdminPolicy, Client, ClientPolicy, Task, UdfLang, WritePolicy};
use std::time::Duration;

const MODULE: &[u8] = b"function hello(rec)\n  return 'hi'\nend\n";

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

fn start(udf_dir: &std::path::Path) -> Server {
    let config = DatabaseConfig::with_namespaces(vec![NamespaceConfig::new("test")]);
    Server::start_with_udf_dir(config, "127.0.0.1", 0, Some(udf_dir.to_path_buf()))
        .expect("server starts")
}

async fn info(client: &Client, cmd: &str) -> String {
    let r = client
        .info(&AdminPolicy::default(), &[cmd])
        .await
        .expect("info");
    r.get(cmd).cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn udf_put_list_get_remove_persist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path());
    let client = connect(&server.local_addr().to_string()).await;
    let ap = AdminPolicy::default();
    let task = client
        .register_udf(&ap, MODULE, "hello.lua", UdfLang::Lua)
        .await
        .expect("udf-put");
    task.wait_till_complete(Some(Duration::from_secs(5)))
        .await
        .expect("registered");
    let list = info(&client, "udf-list").await;
    assert!(list.contains("filename=hello.lua,hash="), "{list}");
    assert!(list.contains("type=LUA"), "{list}");
    let got = info(&client, "udf-get:filename=hello.lua").await;
    assert!(got.contains("content="), "{got}");
    let e = client
        .execute_udf(
            &WritePolicy::default(),
            &as_key!("test", "u", 1),
            "hello",
            "hello",
            &[],
        )
        .await
        .expect_err("no UDF execution");
    assert_eq!(e.result_code(), 100);
    let _ = as_bin!("a", 1);
    client.close().await.expect("close");
    server.shutdown().expect("shutdown");

    let server = start(dir.path());
    let client = connect(&server.local_addr().to_string()).await;
    let list = info(&client, "udf-list").await;
    assert!(list.contains("filename=hello.lua"), "persisted: {list}");
    let task = client
        .remove_udf(&ap, "hello.lua")
        .await
        .expect("udf-remove");
    task.wait_till_complete(Some(Duration::from_secs(5)))
        .await
        .expect("removed");
    assert!(!info(&client, "udf-list").await.contains("hello.lua"));
    let missing = info(&client, "udf-get:filename=hello.lua").await;
    assert!(
        missing.starts_with("error=not_found") || missing.starts_with("ERROR"),
        "{missing}"
    );
    let bad = info(
        &client,
        "udf-put:filename=../x.lua;content=YQ==;content-len=4;udf-type=LUA;",
    )
    .await;
    assert!(
        bad.starts_with("ERROR"),
        "a path outside the UDF directory is refused: {bad}"
    );
    client.close().await.expect("close");
    server.shutdown().expect("shutdown");
}
