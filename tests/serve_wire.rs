//! `aerolite serve` at the byte level, over raw sockets: the info handshake answers exactly what
//! the C client 7.x parses by position and the tend lines echo their requests; malformed input
//! (bad version, oversized frame, bad `as_msg`, truncated frame) closes only that connection and
//! writes nothing, while other connections keep working; compressed frames answer 25, security
//! frames 51, batch / scan / UDF messages their codes, never a hang.

mod serve_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn conn(host: &str) -> TcpStream {
    let s = TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

fn send(s: &mut TcpStream, kind: u8, body: &[u8]) {
    let size = body.len() as u64 | (2u64 << 56) | (u64::from(kind) << 48);
    s.write_all(&size.to_be_bytes()).expect("write header");
    s.write_all(body).expect("write body");
}

fn recv(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 8];
    s.read_exact(&mut h).expect("reply header");
    assert_eq!(h[0], 2, "proto version");
    let size = (u64::from_be_bytes(h) & 0xffff_ffff_ffff) as usize;
    let mut body = vec![0; size];
    s.read_exact(&mut body).expect("reply body");
    (h[1], body)
}

fn info(s: &mut TcpStream, req: &str) -> String {
    send(s, 1, req.as_bytes());
    let (kind, body) = recv(s);
    assert_eq!(kind, 1);
    String::from_utf8(body).expect("utf-8")
}

/// The connection was closed by the server: a read returns EOF (or a reset).
fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    matches!(s.read(&mut b), Ok(0) | Err(_))
}

/// An `as_msg` with `info1`, `info2` and the given fields (type, data).
fn msg(info1: u8, info2: u8, fields: &[(u8, &[u8])]) -> Vec<u8> {
    let mut m = vec![22, info1, info2, 0, 0, 0];
    m.extend_from_slice(&[0; 12]);
    m.extend_from_slice(&(fields.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    for (t, d) in fields {
        m.extend_from_slice(&(d.len() as u32 + 1).to_be_bytes());
        m.push(*t);
        m.extend_from_slice(d);
    }
    m
}

/// C client 7.x `as_lookup.c:as_lookup_node` parses these three answers by position; the tend
/// request `node\npeers-generation\npartition-generation\n` is matched by name.
#[test]
fn handshake_and_tend_lines() {
    let s = serve_support::start();
    let mut c = conn(&s.host());
    let r = info(&mut c, "node\npartition-generation\nbuild\n");
    let lines: Vec<&str> = r.lines().collect();
    assert_eq!(lines.len(), 3, "{r}");
    let node = lines[0].strip_prefix("node\t").expect("node line");
    assert!(!node.is_empty() && node.len() < 20);
    assert_eq!(lines[1], "partition-generation\t0");
    assert!(lines[2].starts_with("build\t8.1."), "{}", lines[2]);
    let tend = info(
        &mut c,
        "node\npeers-generation\npartition-generation\ncluster-name\n",
    );
    assert_eq!(
        tend,
        format!("node\t{node}\npeers-generation\t0\npartition-generation\t0\ncluster-name\tnull\n")
    );
    let port = s.host().rsplit(':').next().expect("port").to_string();
    assert_eq!(
        info(&mut c, "peers-clear-std\n"),
        format!("peers-clear-std\t0,{port},[]\n")
    );
    let rep = info(&mut c, "partition-generation\nreplicas\n");
    let map = rep
        .lines()
        .nth(1)
        .expect("replicas")
        .strip_prefix("replicas\ttest:0,1,");
    assert_eq!(map.map(str::len), Some(684));
    assert_eq!(
        info(&mut c, "no-such\n"),
        "no-such\tERROR:4:unrecognized command\n"
    );
}

/// Each malformed input closes its own connection; another connection is unaffected and
/// nothing reached the database.
#[test]
fn malformed_frames_close_only_their_connection() {
    let s = serve_support::start();
    let host = s.host();
    let mut good = conn(&host);
    assert!(info(&mut good, "build\n").starts_with("build\t"));
    let bad_inputs: Vec<Vec<u8>> = vec![
        vec![9, 3, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4],
        vec![2, 3, 0, 0, 8, 0, 0, 1],
        vec![2, 7, 0, 0, 0, 0, 0, 0],
        {
            let mut m = msg(1, 0, &[(0, b"test")]);
            m[0] = 21;
            let mut f = ((m.len() as u64) | (2 << 56) | (3 << 48))
                .to_be_bytes()
                .to_vec();
            f.extend_from_slice(&m);
            f
        },
        {
            let m = msg(1, 2, &[(0, b"test"), (4, &[0; 20])]);
            let mut f = ((m.len() as u64 + 9) | (2 << 56) | (3 << 48))
                .to_be_bytes()
                .to_vec();
            f.extend_from_slice(&m);
            f.extend_from_slice(&[0, 0, 0, 0xff, 2, 0, 0, 0, 0]);
            f
        },
    ];
    for bytes in bad_inputs {
        let mut c = conn(&host);
        c.write_all(&bytes).expect("write");
        assert!(closed(&mut c), "server closed after {bytes:x?}");
    }
    let mut half = conn(&host);
    half.write_all(&[2, 3, 0, 0, 0, 0, 1, 0, 22])
        .expect("partial");
    drop(half);
    assert!(info(&mut good, "statistics\n").contains("objects=0;"));
}

/// Type 4 (compressed) answers 25 like the CE server; type 2 (security) answers 51; both leave
/// the connection open.
#[test]
fn compressed_and_security_frames_answer_ce_codes() {
    let s = serve_support::start();
    let mut c = conn(&s.host());
    send(&mut c, 4, &[0, 0, 0, 0, 0, 0, 0, 8, 0x78, 0x01]);
    let (kind, body) = recv(&mut c);
    assert_eq!((kind, body[5]), (3, 25));
    send(&mut c, 2, &[0; 16]);
    let (kind, body) = recv(&mut c);
    assert_eq!((kind, body[1]), (2, 51));
    assert!(info(&mut c, "node\n").starts_with("node\t"));
}

/// Scan and UDF messages get an answer with a code (a scan of the empty partition 0 first
/// answers its PARTITION_DONE row, result 0, not LAST); a bad value inside a well-formed
/// message answers 4 and the connection stays usable.
#[test]
fn unsupported_kinds_and_bad_values_answer_codes() {
    let s = serve_support::start();
    let mut c = conn(&s.host());
    let digest = [7u8; 20];
    let cases: Vec<(Vec<u8>, u8, u8)> = vec![
        (msg(1, 0, &[(0, b"test"), (11, &[0, 0])]), 0, 0),
        (
            msg(
                0,
                1,
                &[(0, b"test"), (1, b""), (4, &digest), (30, b"m"), (31, b"f")],
            ),
            100,
            0,
        ),
        (
            msg(1, 0, &[(0, b"test"), (1, b""), (4, &digest[..19])]),
            4,
            0,
        ),
        (msg(1, 2, &[(0, b"test"), (1, b""), (4, &digest)]), 2, 0),
        (msg(0, 0, &[(0, b"test"), (1, b""), (4, &digest)]), 4, 0),
        (msg(1, 0, &[(0, b"nope"), (1, b""), (4, &digest)]), 20, 0),
    ];
    for (m, code, last) in cases {
        send(&mut c, 3, &m);
        let (kind, body) = recv(&mut c);
        assert_eq!((kind, body[5], body[3] & 1), (3, code, last), "{m:x?}");
    }
    let mut put = msg(0, 1, &[(0, b"test"), (1, b""), (4, &digest)]);
    put[21] = 1;
    put.extend_from_slice(&[0, 0, 0, 6, 2, 1, 0, 1, b'a', 9]);
    send(&mut c, 3, &put);
    assert_eq!(
        recv(&mut c).1[5],
        4,
        "a 1-byte integer is a parameter error"
    );
    assert!(info(&mut c, "statistics\n").contains("objects=0;"));
}

/// Batch rows answer under their own index (a missing record: 2), a REPEAT row reuses the
/// previous row's namespace and attributes, then LAST with 0; a batch whose first row is a
/// REPEAT row is malformed and answers only LAST with 4.
#[test]
fn batch_rows_answer_under_their_index() {
    let s = serve_support::start();
    let mut c = conn(&s.host());
    let mut rows = vec![0, 0, 0, 2, 8];
    for i in 0..2u32 {
        rows.extend_from_slice(&i.to_be_bytes());
        rows.extend_from_slice(&[9; 20]);
        if i == 0 {
            rows.extend_from_slice(&[0, 0x03, 0, 1, 0, 0, 0, 0, 0, 5, 0]);
            rows.extend_from_slice(b"test");
        } else {
            rows.push(1);
        }
    }
    send(&mut c, 3, &msg(0x08, 0, &[(41, &rows)]));
    let (kind, body) = recv(&mut c);
    assert_eq!(kind, 3);
    assert_eq!(
        body.len(),
        3 * 22,
        "two rows and the end marker in one frame"
    );
    for (i, row) in body.chunks(22).enumerate() {
        let last = i == 2;
        assert_eq!(row[3] & 1, u8::from(last), "LAST only on the end marker");
        assert_eq!(row[5], if last { 0 } else { 2 });
        if !last {
            assert_eq!(row[14..18], (i as u32).to_be_bytes(), "row index");
        }
    }
    let mut repeat_first = vec![0, 0, 0, 1, 8];
    repeat_first.extend_from_slice(&[0; 4]);
    repeat_first.extend_from_slice(&[9; 20]);
    repeat_first.push(1);
    send(&mut c, 3, &msg(0x08, 0, &[(41, &repeat_first)]));
    let (_, body) = recv(&mut c);
    assert_eq!((body.len(), body[3] & 1, body[5]), (22, 1, 4));
}
