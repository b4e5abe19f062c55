//! A loopback TCP proxy between a client and `aerolite serve` (or any Aerospike node) that can
//! lose replies: armed with `drop_next_replies(n)`, it forwards the next `n` data requests (proto
//! type 3) to the server, reads the server's answer, throws it away and closes that client
//! connection. The write was applied by the server, but the client never hears: the official
//! client reports a connection error with `in_doubt = true` — the seed's in-doubt write, made
//! by the network rather than by a mock.
//!
//! `aerolite serve` has no fault injection of its own (docs/serve.md), hence this proxy. It keeps
//! at most `MAX_CONNECTIONS` client connections; every frame is bounded by the protocol's
//! 48-bit length, and bodies above `MAX_BODY` end the connection.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

const PROTO_DATA: u8 = 3;
const MAX_BODY: u64 = 128 << 20;
const MAX_CONNECTIONS: usize = 256;

/// A running proxy; it stops accepting when the process ends (the example and test are short).
pub struct Proxy {
    addr: SocketAddr,
    to_drop: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
}

impl Proxy {
    /// Listen on an ephemeral loopback port, forwarding to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let to_drop = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicU64::new(0));
        let (up, d, n) = (upstream.to_string(), to_drop.clone(), dropped.clone());
        let connections = Arc::new(AtomicUsize::new(0));
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                if let Ok(server) = TcpStream::connect(&up) {
                    pump(client, server, d.clone(), n.clone());
                }
            }
        });
        Ok(Proxy {
            addr,
            to_drop,
            dropped,
        })
    }

    /// `host:port` to give the client.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Lose the answers of the next `n` data requests.
    pub fn drop_next_replies(&self, n: u64) {
        self.to_drop.store(n, Ordering::SeqCst);
    }

    /// Answers lost so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// Copy client → server bytes as they come; server → client frame by frame, losing armed ones.
fn pump(client: TcpStream, server: TcpStream, to_drop: Arc<AtomicU64>, dropped: Arc<AtomicU64>) {
    let (Ok(mut c_in), Ok(mut s_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    thread::spawn(move || {
        let _ = std::io::copy(&mut c_in, &mut s_out);
        let _ = s_out.shutdown(Shutdown::Both);
    });
    thread::spawn(move || {
        let (mut s_in, mut c_out) = (server, client);
        while let Ok(frame) = read_frame(&mut s_in) {
            let lose = frame.get(1) == Some(&PROTO_DATA)
                && to_drop
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
            if lose {
                dropped.fetch_add(1, Ordering::SeqCst);
                break;
            }
            if c_out.write_all(&frame).is_err() {
                break;
            }
        }
        let _ = c_out.shutdown(Shutdown::Both);
        let _ = s_in.shutdown(Shutdown::Both);
    });
}

/// One frame: 8-byte header (version, type, 48-bit big-endian length) and its body.
fn read_frame(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut header = [0u8; 8];
    r.read_exact(&mut header)?;
    let mut len_bytes = [0u8; 8];
    len_bytes[2..].copy_from_slice(&header[2..]);
    let len = u64::from_be_bytes(len_bytes);
    if len > MAX_BODY {
        return Err(std::io::Error::other("frame above 128 MiB"));
    }
    let mut frame = header.to_vec();
    frame.resize(8 + len as usize, 0);
    r.read_exact(&mut frame[8..])?;
    Ok(frame)
}
