"""A fake Amazon Bedrock on 127.0.0.1: the test double and the local stack's Bedrock demo.

It speaks the real wire protocols, so botocore and KeyLedger's Bedrock adapter run unchanged
against it (BEDROCK_ENDPOINT_URL points them here):
- `POST /model/{modelId}/converse`: Converse's JSON answer (`output.message.content`,
  `stopReason`, `usage` with cache read/write tokens, `metrics`);
- `POST /model/{modelId}/converse-stream`: the AWS event-stream binary framing (prelude with
  lengths and CRC32, typed headers, payload, message CRC32) carrying `messageStart`,
  `contentBlockStart`/`Delta`/`Stop`, `messageStop`, `metadata`;
- `GET /foundation-models`, `GET /inference-profiles` (paged): the control plane's lists;
- `POST /` with `Action=AssumeRole`: STS, for providers that assume a role.
Every call must carry a SigV4 signature that verifies with one of `credentials` over the
bytes received (a bad one answers 403 InvalidSignatureException). Errors use Bedrock's statuses,
`x-amzn-ErrorType` and `{"message"}` bodies; `fault` makes the next calls fail as Bedrock
does. When the request declares tools and its last turn holds no tool result, the answer is
a `toolUse` of the first tool with `tool_input`; after a tool result it quotes that result.
It is not a model: replies are fixed (`reply`), usage figures too (`usage`).
"""

from __future__ import annotations

import hmac
import json
import re
import select
import socket
import struct
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from infra import fake_http
from infra.fake_http import ChunkedWrites
from infra.nodelay import NoDelayMixin

FAULTS = {  # fault -> (status, error type, message)
    "throttled": (429, "ThrottlingException", "Too many tokens, please wait before trying again."),
    "access_denied": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "validation": (400, "ValidationException", "A conversation must start with a user message."),
    "server_error": (500, "InternalServerException", "The server encountered an internal error."),
}
_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")
MODELS = ("anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0")
PROFILES = ("us.anthropic.claude-3-haiku-20240307-v1:0", "us.amazon.nova-lite-v1:0")


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total and headers lengths, CRC32), string headers
    (type 7), payload, CRC32 of everything before it."""
    head = b"".join(bytes([len(k)]) + k.encode() + b"\x07" + struct.pack(">H", len(v.encode())) + v.encode()
                    for k, v in headers.items())
    prelude = struct.pack(">II", 16 + len(head) + len(payload), len(head))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + head + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event_frame(name: str, body: dict[str, Any]) -> bytes:
    return frame({":event-type": name, ":content-type": "application/json", ":message-type": "event"},
                 json.dumps(body).encode())


def exception_frame(kind: str, message: str) -> bytes:
    return frame({":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"},
                 json.dumps({"message": message}).encode())


@dataclass
class Seen:
    method: str
    path: str  # decoded: /model/<model id>/converse
    body: Any


@dataclass
class FakeBedrock:
    # Access key id -> secret: the keys it accepts signatures of (the tests', moto's, the local stack's).
    credentials: dict[str, str] = field(default_factory=lambda: {"testing": "testing", "FOOBARKEY": "FOOBARSECRET",
                                                                 "local": "local"})
    reply: str = "Hello from the fake Bedrock."
    usage: dict[str, int] = field(default_factory=lambda: {"inputTokens": 11, "outputTokens": 7,
                                                           "cacheReadInputTokens": 3, "cacheWriteInputTokens": 2})
    tool_input: dict[str, Any] = field(default_factory=lambda: {"city": "Paris"})
    fault: str | None = None  # a FAULTS key, or "stream_exception" (streams: text, then throttlingException)
    fault_times: int | None = None  # None: every call
    chunk_delay: float = 0.0  # seconds between stream events
    seen: list[Seen] = field(default_factory=list)
    stream_closed: threading.Event = field(default_factory=threading.Event)  # a stream's reader hung up early
    _server: ThreadingHTTPServer | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, port: int = 0) -> FakeBedrock:
        self._server = fake_http.serve(self, _Handler, port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        fake_http.stop(self._server)

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def set_fault(self, fault: str | None, times: int | None = None) -> None:
        with self._lock:
            self.fault, self.fault_times = fault, times

    def calls(self, suffix: str) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith(suffix)]

    def _take_fault(self) -> str | None:
        with self._lock:
            fault = self.fault
            if self.fault_times is not None:
                self.fault_times -= 1
                if self.fault_times <= 0:
                    self.fault, self.fault_times = None, None
            return fault

    # --- serving ---

    def handle(self, h: _Handler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        split = urlsplit(h.path)
        path = unquote(split.path)
        body: Any = json.loads(raw) if raw and h.headers.get("Content-Type", "").endswith("json") else raw
        with self._lock:
            self.seen.append(Seen(h.command, path, body))
        if not self._signed(h, raw):
            return h.send_error_json(403, "InvalidSignatureException", "The request signature we calculated does "
                                     "not match the signature you provided.")
        if h.command == "POST" and path == "/":
            return self._assume_role(h, parse_qs(raw.decode()))
        if h.command == "GET" and path == "/foundation-models":
            return h.send_json(200, {"modelSummaries": [_summary(m) for m in MODELS]})
        if h.command == "GET" and path == "/inference-profiles":
            return self._profiles(h, parse_qs(split.query))
        match = re.fullmatch(r"/model/(.+)/(converse|converse-stream)", path)
        if h.command != "POST" or match is None:
            return h.send_error_json(404, "UnknownOperationException", f"No route for {h.command} {path}.")
        fault = self._take_fault()
        if fault in FAULTS:
            status, kind, message = FAULTS[fault]
            return h.send_error_json(status, kind, message)
        problem = _converse_problem(body)
        if problem:
            return h.send_error_json(400, "ValidationException", problem)
        if match.group(2) == "converse":
            return h.send_json(200, self._answer(body))
        self._stream(h, body, fault)

    def _signed(self, h: _Handler, raw: bytes) -> bool:
        found = _AUTH.fullmatch(h.headers.get("Authorization", ""))
        if found is None or found.group(1) not in self.credentials:
            return False
        key_id, region, service, signed, signature = found.groups()
        headers = {name: h.headers.get(name, "") for name in signed.split(";")}
        request = AWSRequest(method=h.command, url=f"http://{h.headers['Host']}{h.path}", data=raw, headers=headers)
        request.context["timestamp"] = h.headers.get("X-Amz-Date", "")
        token = h.headers.get("X-Amz-Security-Token")
        auth = SigV4Auth(Credentials(key_id, self.credentials[key_id], token), service, region)
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        return hmac.compare_digest(expected, signature)

    def _assume_role(self, h: _Handler, form: dict[str, list[str]]) -> None:
        role = form.get("RoleArn", [""])[0]
        key_id, secret = next(iter(self.credentials.items()))
        xml = ("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
               f"<Credentials><AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secret}"
               "</SecretAccessKey><SessionToken>fake-session-token</SessionToken>"
               "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
               f"<AssumedRoleUser><Arn>{role}/keyledger</Arn><AssumedRoleId>AROAFAKE:keyledger</AssumedRoleId>"
               "</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>")
        h.send_bytes(200, xml.encode(), "text/xml")

    def _profiles(self, h: _Handler, query: dict[str, list[str]]) -> None:
        start = int(query.get("nextToken", ["0"])[0])
        page = PROFILES[start:start + 1]  # one a page: the caller must follow nextToken
        answer: dict[str, Any] = {"inferenceProfileSummaries": [
            {"inferenceProfileId": p, "inferenceProfileName": p, "status": "ACTIVE", "type": "SYSTEM_DEFINED",
             "inferenceProfileArn": f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{p}",
             "models": [{"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{p[3:]}"}]} for p in page]}
        if start + 1 < len(PROFILES):
            answer["nextToken"] = str(start + 1)
        h.send_json(200, answer)

    def _tool_turn(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The toolUse block to answer with, when tools are declared and no result came back yet."""
        tools = (body.get("toolConfig") or {}).get("tools") or []
        last = body["messages"][-1]["content"]
        if not tools or any("toolResult" in block for block in last):
            return None
        return {"toolUseId": "tooluse_fake1", "name": tools[0]["toolSpec"]["name"], "input": self.tool_input}

    def _text(self, body: dict[str, Any]) -> str:
        results = [b["toolResult"] for b in body["messages"][-1]["content"] if "toolResult" in b]
        if results:
            quoted = " ".join(c.get("text", "") for c in results[0].get("content", []))
            return f"The tool said: {quoted}"
        return self.reply

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        use = self._tool_turn(body)
        content = [{"toolUse": use}] if use else [{"text": self._text(body)}]
        usage = {**self.usage, "totalTokens": self.usage["inputTokens"] + self.usage["outputTokens"]}
        return {"output": {"message": {"role": "assistant", "content": content}},
                "stopReason": "tool_use" if use else "end_turn", "usage": usage, "metrics": {"latencyMs": 12}}

    def _stream(self, h: _Handler, body: dict[str, Any], fault: str | None) -> None:
        use = self._tool_turn(body)
        frames = [event_frame("messageStart", {"role": "assistant"})]
        if use:
            start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            arguments = json.dumps(use["input"])
            frames += [event_frame("contentBlockStart", {"contentBlockIndex": 0, "start": start}),
                       event_frame("contentBlockDelta", {"contentBlockIndex": 0,
                                                         "delta": {"toolUse": {"input": arguments[:5]}}}),
                       event_frame("contentBlockDelta", {"contentBlockIndex": 0,
                                                         "delta": {"toolUse": {"input": arguments[5:]}}})]
        else:
            words = self._text(body).split(" ")
            frames += [event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": w + " "}})
                       for w in words[:-1]]
            frames.append(event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": words[-1]}}))
        if fault == "stream_exception":
            frames.append(exception_frame("throttlingException", "Too many tokens, please wait."))
        else:
            usage = {**self.usage, "totalTokens": self.usage["inputTokens"] + self.usage["outputTokens"]}
            frames += [event_frame("contentBlockStop", {"contentBlockIndex": 0}),
                       event_frame("messageStop", {"stopReason": "tool_use" if use else "end_turn"}),
                       event_frame("metadata", {"usage": usage, "metrics": {"latencyMs": 12}})]
        h.start_chunked(200, "application/vnd.amazon.eventstream")
        try:
            for data in frames:
                h.write_chunk(data)
                if self.chunk_delay and _reader_gone(h.connection, self.chunk_delay):
                    self.stream_closed.set()
                    return
            h.end_chunked()
        except OSError:
            self.stream_closed.set()


def _reader_gone(connection: socket.socket, wait: float) -> bool:
    """Wait up to `wait` seconds; True as soon as the reader closed its end (EOF or reset)."""
    readable, _, _ = select.select([connection], [], [], wait)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _summary(model: str) -> dict[str, Any]:
    return {"modelId": model, "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
            "modelName": model, "providerName": model.split(".")[0], "outputModalities": ["TEXT"],
            "responseStreamingSupported": True, "inferenceTypesSupported": ["ON_DEMAND"],
            "modelLifecycle": {"status": "ACTIVE"}}


def _converse_problem(body: Any) -> str | None:
    """The checks Bedrock makes that a translation could get wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
        return "messages: at least one message is required."
    roles = [m.get("role") for m in body["messages"]]
    if roles[0] != "user" or any(a == b for a, b in zip(roles, roles[1:], strict=False)):
        return "A conversation must start with a user message and alternate user and assistant roles."
    if any(not m.get("content") for m in body["messages"]):
        return "The content field in a message must not be empty."
    if "model" in body or "stream" in body:
        return "Malformed input request: extraneous key [model] is not permitted."
    return None


class _Handler(NoDelayMixin, ChunkedWrites, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def send_json(self, status: int, payload: Any) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), "application/json")

    def send_error_json(self, status: int, kind: str, message: str) -> None:
        self.send_bytes(status, json.dumps({"message": message}).encode(), "application/json",
                        {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"})

    def send_bytes(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "fake-request-id")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

