//! `aerolite serve` as a process: it prints the address it listens on, a SIGTERM shuts it down
//! cleanly (exit 0, "stopped cleanly"), and the device file it leaves restarts fast (from the
//! index snapshot) with the record written through the official Rust client.

use aerospike::{as_bin, as_key, Client, ClientPolicy, WritePolicy};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shuts_down_cleanly_and_restarts_fast() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aerolite"))
        .args(["serve", "--port", "0", "--data"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("aerolite serve starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("first line");
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let client = Client::new(&ClientPolicy::default(), &addr)
        .await
        .expect("connects");
    let key = as_key!("test", "demo", "k1");
    client
        .put(&WritePolicy::default(), &key, &[as_bin!("a", 7)])
        .await
        .expect("put");
    client.close().await.expect("close");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("exits");
    assert!(status.success(), "exit status {status}");
    let mut rest = String::new();
    while out.read_line(&mut rest).expect("read") > 0 {}
    assert!(rest.contains("stopped cleanly"), "{rest}");

    let db = aerolite::Database::open_default(dir.path().join("test.dat")).expect("reopen");
    assert!(db.stats().fast_restart, "restart from the index snapshot");
    let k = aerolite::Key::new("test", "demo", "k1").expect("key");
    let rec = db
        .get(&aerolite::ReadPolicy::default(), &k, aerolite::Bins::All)
        .expect("record survives");
    assert_eq!(rec.bin("a"), Some(&aerolite::Value::Int(7)));
}
