"""Fake upstream providers: real HTTP servers on 127.0.0.1 speaking the real wire formats.

`FakeUpstream("openai")` serves `/v1/chat/completions` (JSON and SSE), `/v1/embeddings`
and `/v1/models`; `FakeUpstream("anthropic")` serves `/v1/messages` (JSON and SSE),
`/v1/messages/count_tokens` (its `usage` input figure) and `/v1/models`, checking
`x-api-key`, `anthropic-version` and `max_tokens` as Anthropic does.
A settable fault (`set_fault(Fault.X, times=n)`: the next n requests, or all) makes it
fail the way real providers do; every request is logged in `requests` for assertions.
Usage figures are fixed (`usage`, default 11 in / 7 out) and unrelated to the text, so a
test can tell reported usage from re-counted text. With `tool_arguments` set, a chat that
offers tools and carries no tool result yet is answered (plain or streamed) with a call of
the first tool.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from infra import fake_http
from infra.fake_http import ChunkedWrites
from infra.nodelay import NoDelayMixin

from . import wire


class Fault(StrEnum):
    NORMAL = "normal"
    SERVER_ERROR = "500"
    RATE_LIMITED = "429"  # with Retry-After: `retry_after`
    UNAUTHORIZED = "401"
    TIMEOUT = "timeout"  # answers only after `hang_seconds`
    RESET = "reset"  # TCP reset instead of an answer
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    STREAM_CUT = "stream_cut"  # streams: some content, then the connection drops (no final usage)
    STREAM_CUT_AFTER_USAGE = "stream_cut_after_usage"  # streams: usage sent, end marker never
    GARBAGE_MODELS = "garbage_models"  # the model list is valid JSON in the wrong shape
    IGNORE_STREAM = "ignore_stream"  # answers a stream request with one JSON body (some servers do)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any


class FakeUpstream:
    def __init__(self, kind: Literal["openai", "anthropic"]) -> None:
        self.kind = kind
        self.api_key = f"sk-fake-{kind}-upstream-key-0123456789"
        self.models = ["gpt-fake-mini", "text-embed-fake"] if kind == "openai" else ["claude-fake-sonnet"]
        self.reply = "Hello from the fake upstream."
        self.usage = (11, 7)
        self.retry_after = "1"
        self.hang_seconds = 2.0
        self.tool_arguments: dict[str, Any] | None = None
        self.requests: list[Recorded] = []
        self._fault: Fault = Fault.NORMAL
        self._fault_left: int | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- control ---

    def start(self) -> FakeUpstream:
        self._server = fake_http.serve(self, _Handler)
        return self

    def stop(self) -> None:
        self._stopping.set()
        fake_http.stop(self._server)

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What a provider record holds: OpenAI roots include /v1, Anthropic's do not."""
        root = f"http://127.0.0.1:{self.port}"
        return root + "/v1" if self.kind == "openai" else root

    def set_fault(self, fault: Fault | str, times: int | None = None) -> None:
        with self._lock:
            self._fault, self._fault_left = Fault(fault), times

    def take_fault(self) -> Fault:
        with self._lock:
            fault = self._fault
            if self._fault_left is not None:
                self._fault_left -= 1
                if self._fault_left <= 0:
                    self._fault, self._fault_left = Fault.NORMAL, None
            return fault

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    # --- serving ---

    def handle(self, h: _Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = h.path.split("?")[0]
        with self._lock:
            self.requests.append(Recorded(h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, body))
        fault = self.take_fault()
        if fault == Fault.TIMEOUT:
            self._stopping.wait(self.hang_seconds)
        if fault == Fault.RESET:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            return
        if fault in (Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.UNAUTHORIZED):
            status = int(fault.value)
            extra = {"Retry-After": self.retry_after} if status == 429 else {}
            return h.send_json(status, self._error(status, f"fake fault {status}"), extra)
        if fault == Fault.MALFORMED:
            return h.send_bytes(200, b'{"id": "chatcmpl-broken", "choices": [', "application/json")
        if not self._authorised(h):
            return h.send_json(401, self._error(401, "Incorrect API key provided: sk-fake...6789."))
        if fault == Fault.GARBAGE_MODELS and path == "/v1/models":
            return h.send_json(200, {"object": "list", "data": "no models here"})
        route = getattr(self, f"_{self.kind}_{h.command.lower()}_{path.strip('/').replace('/', '_')}", None)
        if route is None:
            return h.send_json(404, self._error(404, f"Unknown path {path}"))
        route(h, body if isinstance(body, dict) else {}, fault)

    def _error(self, status: int, message: str) -> dict[str, Any]:
        return wire.openai_error(status, message) if self.kind == "openai" else wire.anthropic_error(status, message)

    def _authorised(self, h: _Handler) -> bool:
        if self.kind == "openai":
            return h.headers.get("Authorization") == f"Bearer {self.api_key}"
        return h.headers.get("x-api-key") == self.api_key and bool(h.headers.get("anthropic-version"))

    def _stream(self, h: _Handler, events: list[tuple[str | None, Any]], fault: Fault, cut_at: int,
                usage_cut_at: int) -> None:
        """Send `(event name, data)` pairs as SSE; stream faults drop the connection."""
        stop = {Fault.STREAM_CUT: cut_at, Fault.STREAM_CUT_AFTER_USAGE: usage_cut_at}.get(fault, len(events))
        h.start_chunked(200, "text/event-stream")
        for name, data in events[:stop]:
            text = data if isinstance(data, str) else json.dumps(data)
            h.write_chunk(((f"event: {name}\n" if name else "") + f"data: {text}\n\n").encode())
        if stop < len(events):
            h.cut()
        else:
            h.end_chunked()

    def _openai_post_v1_chat_completions(self, h: _Handler, body: dict[str, Any], fault: Fault) -> None:
        model = body.get("model", "")
        tool = self._tool_to_call(body, lambda t: t.get("function", {}).get("name"),
                                  lambda m: m.get("role") == "tool")
        if tool and not body.get("stream"):
            return h.send_json(200, wire.openai_tool_completion(model, tool, json.dumps(self.tool_arguments),
                                                                self.usage))
        if tool:
            chunks = wire.openai_tool_chunks(model, tool, json.dumps(self.tool_arguments), self.usage)
            return self._stream(h, [(None, c) for c in chunks] + [(None, "[DONE]")], fault, 2, len(chunks))
        if not body.get("stream") or fault == Fault.IGNORE_STREAM:
            return h.send_json(200, wire.openai_completion(model, self.reply, self.usage))
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = wire.openai_chunks(model, self.reply, self.usage if include else None)
        events: list[tuple[str | None, Any]] = [(None, c) for c in chunks] + [(None, "[DONE]")]
        self._stream(h, events, fault, cut_at=2, usage_cut_at=len(events) - 1)

    def _openai_post_v1_embeddings(self, h: _Handler, body: dict[str, Any], fault: Fault) -> None:
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        h.send_json(200, wire.openai_embeddings(body.get("model", ""), [str(i) for i in inputs], self.usage[0],
                                                body.get("encoding_format")))

    def _openai_get_v1_models(self, h: _Handler, body: dict[str, Any], fault: Fault) -> None:
        h.send_json(200, wire.openai_models(self.models, "fake-upstream"))

    def _anthropic_post_v1_messages(self, h: _Handler, body: dict[str, Any], fault: Fault) -> None:
        problem = _anthropic_problem(body)
        if problem:
            return h.send_json(400, wire.anthropic_error(400, problem))
        model = body["model"]
        tool = self._tool_to_call(body, lambda t: t.get("name"), lambda m: any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in m.get("content") or []))
        if tool and not body.get("stream"):
            return h.send_json(200, wire.anthropic_tool_message(model, tool, self.tool_arguments or {}, self.usage))
        if not body.get("stream"):
            return h.send_json(200, wire.anthropic_message(model, self.reply, self.usage))
        sent = (wire.anthropic_tool_events(model, tool, self.tool_arguments or {}, self.usage) if tool
                else wire.anthropic_events(model, self.reply, self.usage))
        events: list[tuple[str | None, Any]] = [(e["type"], e) for e in sent]
        self._stream(h, events, fault, cut_at=4, usage_cut_at=len(events) - 1)

    def _anthropic_post_v1_messages_count_tokens(self, h: _Handler, body: dict[str, Any], fault: Fault) -> None:
        if "max_tokens" in body or not body.get("messages"):
            return h.send_json(400, wire.anthropic_error(400, "max_tokens: Extra inputs are not permitted"))
        h.send_json(200, {"input_tokens": self.usage[0]})

    def _tool_to_call(self, body: dict[str, Any], name_of: Any, is_result: Any) -> str | None:
        """The first tool's name, when tool calls are on and no tool result came back yet."""
        tools = body.get("tools") or []
        if self.tool_arguments is None or not tools or any(is_result(m) for m in body.get("messages") or []):
            return None
        return str(name_of(tools[0]))

    def _anthropic_get_v1_models(self, h: _Handler, body: dict[str, Any], fault: Fault) -> None:
        h.send_json(200, wire.anthropic_models(self.models))


def _anthropic_problem(body: dict[str, Any]) -> str | None:
    """The checks Anthropic makes that a translation could get wrong."""
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for m in messages:
        if m.get("role") not in ("user", "assistant"):
            return f"messages: Unexpected role {m.get('role')!r}. Use the top-level system parameter."
    if "stop" in body or "stream_options" in body:
        return "Extra inputs are not permitted"
    return None


class _Handler(NoDelayMixin, ChunkedWrites, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's pool is exercised
    timeout = 10  # an idle keep-alive connection is dropped after this

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def send_bytes(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


    def cut(self) -> None:
        """Drop the connection mid-body: no terminating chunk, so the client sees a broken stream."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True
