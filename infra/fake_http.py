"""What the local fakes' HTTP servers share (the demo Bedrock here; the test fakes in tests/fakes):
a quiet threaded server on 127.0.0.1 that hands its handlers the fake (`self.server.fake`),
started in a daemon thread and stopped without waiting for kept-alive connections, and the
chunked-body writes of a streaming answer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # kept-alive connections must not hold up stop()
    fake: Any = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on purpose (timeouts, cuts): expected, not worth a traceback


def serve(fake: Any, handler: type[BaseHTTPRequestHandler], port: int = 0) -> FakeServer:
    """`handler`'s server on 127.0.0.1:`port` (0: any free port) for `fake`, serving in a daemon thread."""
    server = FakeServer(("127.0.0.1", port), handler)
    server.fake = fake
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


class ChunkedWrites:
    """A `BaseHTTPRequestHandler` mixin: a `Transfer-Encoding: chunked` answer, chunk by chunk."""

    wfile: Any

    def start_chunked(self, status: int, ctype: str) -> None:
        self.send_response(status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", ctype)  # type: ignore[attr-defined]
        self.send_header("Transfer-Encoding", "chunked")  # type: ignore[attr-defined]
        self.end_headers()  # type: ignore[attr-defined]

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
