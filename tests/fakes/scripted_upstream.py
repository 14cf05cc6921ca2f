"""A scripted OpenAI-compatible upstream on 127.0.0.1 for timing and hostile-upstream tests.

`ScriptedUpstream().start()` serves `POST /v1/chat/completions`. What it does is set per
test on `script`: how many content chunks, how far apart, what usage it reports (as told,
none, negative, huge, above the hold, one output token whatever it sent), and how the stream
ends (properly, cut after some chunks, or never:
it keeps sending until the client goes away). It records every request body it received
and, per request, when its connection was found closed by the client (`closed_at`), so a
test can assert that a client's disconnect reached the upstream.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from infra import fake_http
from infra.nodelay import NoDelayMixin

Usage = Literal["reported", "none", "empty", "negative", "huge", "above", "under"]
Ending = Literal["done", "cut", "never"]


@dataclass
class Script:
    chunks: int = 3
    interval: float = 0.0  # seconds between chunks
    usage: Usage = "reported"
    ending: Ending = "done"
    cut_after: int = 2  # content chunks sent before a cut
    prompt_tokens: int = 11
    text: str = "tok "  # each content chunk's text


@dataclass
class Received:
    body: dict[str, Any]
    started_at: float
    closed_at: float | None = None  # the client closed the connection (a write failed)


@dataclass
class ScriptedUpstream:
    script: Script = field(default_factory=Script)
    received: list[Received] = field(default_factory=list)
    api_key: str = "sk-scripted-upstream-key-0123456789"
    _server: ThreadingHTTPServer | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ScriptedUpstream:
        self._server = fake_http.serve(self, _Handler)
        return self

    def stop(self) -> None:
        self._stopping.set()
        fake_http.stop(self._server)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def usage(self, completion: int) -> dict[str, Any] | None:
        s = self.script
        figures = {"reported": (s.prompt_tokens, completion), "negative": (-5, -7), "huge": (10**30, 10**30),
                   "above": (s.prompt_tokens, 10**6), "under": (s.prompt_tokens, 1)}.get(s.usage)
        if s.usage == "empty":
            return {}
        if figures is None:
            return None
        return {"prompt_tokens": figures[0], "completion_tokens": figures[1], "total_tokens": sum(figures)}

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1, "model": "scripted",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    def serve_chat(self, h: _Handler, body: dict[str, Any], record: Received) -> None:
        s = self.script
        if not body.get("stream"):
            answer: dict[str, Any] = {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 1,
                                      "model": "scripted", "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": s.text * s.chunks}}]}
            usage = self.usage(s.chunks)
            if usage is not None:
                answer["usage"] = usage
            return h.send_json(200, answer)
        h.start_stream()
        try:
            h.event(self.chunk({"role": "assistant", "content": ""}))
            sent = 0
            while s.ending == "never" or sent < s.chunks:
                if s.ending == "cut" and sent >= s.cut_after:
                    return h.cut()
                if sent and s.interval and self._stopping.wait(s.interval):
                    return
                h.event(self.chunk({"content": s.text}))
                sent += 1
            h.event(self.chunk({}, "stop"))
            usage = self.usage(sent)
            include = (body.get("stream_options") or {}).get("include_usage")
            if usage is not None and include:
                h.event({**self.chunk({}), "choices": [], "usage": usage})
            h.event("[DONE]")
            h.end_stream()
        except OSError:
            record.closed_at = time.monotonic()


class _Handler(NoDelayMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake: ScriptedUpstream = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        record = Received(body, time.monotonic())
        fake.received.append(record)
        if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            return self.send_json(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
        fake.serve_chat(self, body, record)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def event(self, data: Any) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        payload = f"data: {text}\n\n".encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def cut(self) -> None:
        import socket

        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True
