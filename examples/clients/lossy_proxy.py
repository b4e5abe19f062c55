"""A loopback TCP proxy in front of `aerolite serve` (or any Aerospike node) that can lose replies.

Armed with `drop_next_replies(n)`, it forwards the next `n` data requests (proto type 3) to the
server, reads the server's answer, throws it away and closes that client connection: the server
applied the write, the client never hears, and the official client raises an error with
`in_doubt` set — seed 003's in-doubt write, made by the network rather than by a mock.
`aerolite serve` has no fault injection of its own (docs/serve.md), hence this proxy; the Rust
example has the same one (examples/client_seeds/proxy.rs).
"""
import socket
import struct
import threading

PROTO_DATA = 3
MAX_BODY = 128 << 20


def _read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return bytes(buf)


def _read_frame(sock):
    header = _read_exact(sock, 8)
    length = struct.unpack(">Q", b"\0\0" + header[2:])[0]
    if length > MAX_BODY:
        raise ConnectionError("frame above 128 MiB")
    return header + _read_exact(sock, length)


class LossyProxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._to_drop = 0
        self.dropped = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_next_replies(self, n):
        with self._lock:
            self._to_drop = n

    def _take_drop(self):
        with self._lock:
            if self._to_drop == 0:
                return False
            self._to_drop -= 1
            self.dropped += 1
            return True

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(self.upstream)
            except OSError:
                return
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client), daemon=True).start()

    @staticmethod
    def _up(client, server):
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                server.sendall(data)
        except OSError:
            pass
        _close(server)

    def _down(self, server, client):
        try:
            while True:
                frame = _read_frame(server)
                if frame[1] == PROTO_DATA and self._take_drop():
                    break
                client.sendall(frame)
        except (OSError, ConnectionError):
            pass
        _close(client)
        _close(server)

    def close(self):
        _close(self._listener)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
