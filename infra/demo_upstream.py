"""The local demo upstream: a tiny, deterministic OpenAI-compatible server on 127.0.0.1.

It lets the local stack work offline: `infra/local.py` starts it and registers it as
the provider `local-demo`. It is NOT a model. It is labelled `local-demo` everywhere
(`owned_by`, `system_fingerprint`, ids) so nobody mistakes its answers for real ones.

- `POST /v1/chat/completions`: answers `local-demo reply: you said "<first words of
  the last user message>"`; `stream: true` answers SSE chunks (one per word), and with
  `stream_options.include_usage` a final usage-only chunk, then `data: [DONE]`.
- `POST /v1/embeddings`: unit vectors derived from SHA-256 of each input (8 dimensions,
  or `dimensions` up to 256), as floats or `encoding_format: base64` (float32 LE).
- `GET /v1/models` (and `/v1/models/{id}`): `demo-chat` and `demo-embed`.
  Any other model name is served too (as chat, or as embeddings if it contains "embed").

Token counts are honest for what it does: **one token = one whitespace-separated word**
(prompt: the words of every message's text; completion: the words of the answer,
capped by `max_tokens`/`max_completion_tokens`, in which case `finish_reason` is
`length`). Any `Authorization` is accepted: there is nothing to protect.

Run standalone: `python infra/demo_upstream.py [--port 8765]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LABEL = "local-demo"
MODELS = ("demo-chat", "demo-embed")
SUMMARY_WORDS = 12
MAX_DIMENSIONS = 256


def words(text: str) -> list[str]:
    return text.split()


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def answer_for(messages: list[dict[str, Any]]) -> str:
    last = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    said = words(last)
    summary = " ".join(said[:SUMMARY_WORDS]) + (" ..." if len(said) > SUMMARY_WORDS else "")
    return f'{LABEL} reply: you said "{summary}"'


def embedding(text: str, dims: int) -> list[float]:
    raw = b"".join(hashlib.sha256(f"{i}:{text}".encode()).digest() for i in range(-(-dims // 32)))
    vec = [(b - 127.5) / 127.5 for b in raw[:dims]]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [round(v / norm, 6) for v in vec]


class BadRequest(Exception):
    pass


def chat_parts(body: dict[str, Any]) -> tuple[list[str], int, str]:
    """(answer words, prompt tokens, finish_reason) for a chat request."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise BadRequest("`messages` must be a non-empty list of messages.")
    if "embed" in str(body.get("model", "")):
        raise BadRequest(f"{body.get('model')} is an embeddings model; use /v1/embeddings.")
    prompt = sum(len(words(text_of(m.get("content")))) for m in messages)
    out = words(answer_for(messages))
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(cap, int) and 0 < cap < len(out):
        return out[:cap], prompt, "length"
    return out, prompt, "stop"


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-demo-upstream/1"
    timeout = 30

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, Nagle's algorithm and the client's
        # delayed ACK add ~40 ms to every answer (infra/nodelay.py; this file also runs alone).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/models":
            return self._json(200, {"object": "list", "data": [self._model(m) for m in MODELS]})
        if path.startswith("/v1/models/"):
            return self._json(200, self._model(path[len("/v1/models/"):]))
        self._error(404, f"Unknown path {path}", "not_found")

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            if not isinstance(body, dict):
                raise BadRequest("Send a JSON object.")
            if path == "/v1/chat/completions":
                return self._chat(body)
            if path == "/v1/embeddings":
                return self._embeddings(body)
        except (BadRequest, ValueError) as exc:
            return self._error(400, str(exc), "invalid_request")
        self._error(404, f"Unknown path {path}", "not_found")

    def _model(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 0, "owned_by": LABEL}

    def _chat(self, body: dict[str, Any]) -> None:
        out, prompt, finish = chat_parts(body)
        model = str(body.get("model") or "demo-chat")
        ident = f"chatcmpl-{LABEL}-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        base = {"id": ident, "created": int(time.time()), "model": model, "system_fingerprint": LABEL}
        if not body.get("stream"):
            message = {"role": "assistant", "content": " ".join(out), "refusal": None}
            return self._json(200, {**base, "object": "chat.completion", "usage": usage(prompt, len(out)),
                                    "choices": [{"index": 0, "message": message, "logprobs": None,
                                                 "finish_reason": finish}]})

        def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
            return {**base, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}]}

        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(out)]
        chunks.append(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage(prompt, len(out))})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for data in [json.dumps(c) for c in chunks] + ["[DONE]"]:
            event = f"data: {data}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        self.wfile.write(b"0\r\n\r\n")

    def _embeddings(self, body: dict[str, Any]) -> None:
        raw = body.get("input")
        inputs = [raw] if isinstance(raw, str) else raw
        if not isinstance(inputs, list) or not inputs:
            raise BadRequest("`input` must be a string or a non-empty list.")
        texts = [i if isinstance(i, str) else json.dumps(i) for i in inputs]
        dims = body.get("dimensions") or 8
        if not isinstance(dims, int) or not 1 <= dims <= MAX_DIMENSIONS:
            raise BadRequest(f"`dimensions` must be an integer from 1 to {MAX_DIMENSIONS}.")
        data = []
        for index, text in enumerate(texts):
            vec = embedding(text, dims)
            value: Any = vec
            if body.get("encoding_format") == "base64":
                value = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode()
            data.append({"object": "embedding", "index": index, "embedding": value})
        prompt = sum(len(words(t)) for t in texts)
        self._json(200, {"object": "list", "data": data, "model": str(body.get("model") or "demo-embed"),
                         "usage": {"prompt_tokens": prompt, "total_tokens": prompt}})

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str) -> None:
        self._json(status, {"error": {"message": f"{LABEL}: {message}", "type": "invalid_request_error",
                                      "param": None, "code": code}})


class DemoUpstream(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up is not an error worth a traceback here

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start_demo_upstream(port: int = 0, host: str = "127.0.0.1") -> tuple[DemoUpstream, str]:
    """Start the server in a daemon thread; returns `(server, base_url)` with base_url `http://127.0.0.1:<port>/v1`."""
    server = DemoUpstream((host, port), _Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                     name="local-demo-upstream").start()
    return server, f"http://{host}:{server.server_address[1]}/v1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="KeyLedger local-demo upstream (OpenAI-compatible, deterministic)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    server, base_url = start_demo_upstream(args.port)
    print(f"local-demo upstream on {base_url} (models: {', '.join(MODELS)}); Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
