//! One client connection: read a frame, dispatch it on its proto type, write the answer, repeat.
//! Any connection may interleave info (type 1) and data (type 3) frames, so dispatch is per
//! frame (C client `as_info.c:as_info_command_node` uses pooled data sockets for info).
//!
//! Invariants: a frame body is read only after its header passed the size limit, and in chunks,
//! so a lying header cannot make the server allocate 128 MiB up front; a malformed frame or
//! message ends this connection with one log line and reaches no database call; a stop request
//! is honoured between frames (an idle connection notices it within `POLL`).

use crate::error::Error;
use crate::server::{command, info, reply, stream, Shared};
use crate::wire::msg::Message;
use crate::wire::proto::{self, ProtoHeader};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;

/// Bytes read per step of a frame body.
const CHUNK: usize = 1 << 20;

/// Why a connection ended early.
enum End {
    /// The peer or a shutdown closed it between frames: nothing to log.
    Quiet,
    /// Worth a log line.
    Failed(String),
}

/// Serve one connection until the peer closes it, it fails, or the server stops.
pub fn run(stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    match serve(stream, shared) {
        End::Quiet => {}
        End::Failed(why) => eprintln!("aerolite serve: {peer}: {why}; connection closed"),
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) -> End {
    if let Err(e) = stream.set_read_timeout(Some(crate::server::POLL)) {
        return End::Failed(format!("socket setup: {e}"));
    }
    let _ = stream.set_nodelay(true);
    loop {
        // A busy client never lets a read time out: look at the stop flag between frames too.
        if shared.stop.load(Ordering::Acquire) {
            return End::Quiet;
        }
        let mut head = [0u8; proto::HEADER_LEN];
        if let Err(end) = read_full(&mut stream, &mut head, shared, true) {
            return end;
        }
        let header = match ProtoHeader::decode(&head) {
            Ok(h) => h,
            Err(e) => return End::Failed(e.detail().to_string()),
        };
        let body = match read_body(&mut stream, header.size, shared) {
            Ok(b) => b,
            Err(end) => return end,
        };
        let mut out = Vec::new();
        match dispatch(header.kind, &body, shared, &mut out, &mut stream) {
            Ok(()) => {}
            Err(Fail::Message(e)) => return End::Failed(e.detail().to_string()),
            Err(Fail::Write(e)) => return End::Failed(format!("write failed: {e}")),
        }
        if let Err(e) = stream.write_all(&out) {
            return End::Failed(format!("write failed: {e}"));
        }
    }
}

/// Why answering a frame failed (either closes the connection).
enum Fail {
    /// The frame or message is malformed.
    Message(Error),
    /// Writing a streamed answer to the socket failed.
    Write(std::io::Error),
}

/// Answer one frame into `out`, except a scan or query, whose rows are written to `sock` as
/// they are produced (bounded memory, `stream::handle`).
fn dispatch(
    kind: u8,
    body: &[u8],
    shared: &Shared,
    out: &mut Vec<u8>,
    sock: &mut TcpStream,
) -> Result<(), Fail> {
    match kind {
        proto::TYPE_INFO => info::answer(body, shared, out),
        proto::TYPE_MSG => {
            let msg = Message::decode(body).map_err(Fail::Message)?;
            if command::classify(&msg) == command::Kind::Stream {
                stream::handle(&msg, shared, sock).map_err(Fail::Write)?;
            } else {
                command::dispatch(&msg, shared, out);
            }
        }
        proto::TYPE_COMPRESSED => reply::compressed_refused(out),
        proto::TYPE_ADMIN => reply::security_not_supported(out),
        other => {
            return Err(Fail::Message(crate::wire::malformed(format!(
                "proto type {other} is not one a client sends"
            ))))
        }
    }
    Ok(())
}

fn read_body(stream: &mut TcpStream, size: u64, shared: &Shared) -> Result<Vec<u8>, End> {
    // size ≤ MAX_FRAME (checked by ProtoHeader::decode), which fits usize.
    let size = usize::try_from(size).map_err(|_| End::Failed("frame size".into()))?;
    let mut body = Vec::new();
    while body.len() < size {
        let start = body.len();
        let step = CHUNK.min(size - start);
        body.resize(start + step, 0);
        read_full(stream, &mut body[start..], shared, false)?;
    }
    Ok(body)
}

/// Fill `buf`. At a frame start (`at_start`), EOF or a stop request before the first byte is a
/// quiet end; anywhere else it is a failure.
fn read_full(
    stream: &mut TcpStream,
    buf: &mut [u8],
    shared: &Shared,
    at_start: bool,
) -> Result<(), End> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 && at_start => return Err(End::Quiet),
            Ok(0) => return Err(End::Failed("peer closed the connection mid-frame".into())),
            Ok(n) => filled += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if shared.stop.load(Ordering::Acquire) {
                    if filled == 0 && at_start {
                        return Err(End::Quiet);
                    }
                    return Err(End::Failed("server shutting down mid-frame".into()));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(End::Failed(format!("read failed: {e}"))),
        }
    }
    Ok(())
}
