"""Hand-made collaborators of the proxy service, handed in through the Container."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from chalicelib.catalog.routing import ModelRoute
from chalicelib.kernel.errors import Forbidden, NotFound, Unauthorized, UpstreamError, UpstreamTimeout
from chalicelib.keys.types import KeyInfo
from chalicelib.proxy.token_estimate import chat_prompt_tokens


class FakeKeys:
    def __init__(self) -> None:
        self.by_plaintext: dict[str, KeyInfo] = {}

    def add(self, plaintext: str, info: KeyInfo) -> None:
        self.by_plaintext[plaintext] = info

    def lookup(self, plaintext: str, ip: str | None = None, cached: bool = False) -> KeyInfo:
        info = self.by_plaintext.get(plaintext)
        if info is None:
            raise Unauthorized("Invalid API key.", code="invalid_api_key")
        return info


class FakeCatalog:
    def __init__(self, routes: list[ModelRoute], groups: dict[str, list[str]]) -> None:
        self.routes = {r.name: r for r in routes}
        self.groups = groups
        self.results: list[tuple[str, bool]] = []

    def route(self, model_name: str, group_id: str) -> ModelRoute:
        if model_name not in self.routes:
            raise NotFound("no such model", code="model_not_found", param="model")
        if model_name not in self.groups.get(group_id, []):
            raise Forbidden("model not in your key's group", code="model_not_allowed", param="model")
        return self.routes[model_name]

    def models_for_group(self, group_id: str) -> list[ModelRoute]:
        return [self.routes[n] for n in self.groups.get(group_id, []) if n in self.routes]

    def record_provider_result(self, provider_id: str, ok: bool, error: str | None = None) -> None:
        self.results.append((provider_id, ok))


class ProviderDown(UpstreamError):
    """Like the upstreams area's ProviderError: worth trying another provider."""

    fallback = True
    retryable = True


class ProviderSlow(UpstreamTimeout):
    fallback = True
    retryable = True


def worst_case_usage(body: dict[str, Any]) -> SimpleNamespace:
    """The usage that costs exactly the reservation (prompt bound + max_tokens)."""
    return SimpleNamespace(input_tokens=chat_prompt_tokens(body), output_tokens=int(body["max_tokens"]))


@dataclass
class FakeUpstream:
    """Answers per provider id: a function (target, body) -> usage, or an exception to raise."""

    behaviour: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)  # as forwarded
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _act(self, target: Any, body: dict[str, Any]) -> Any:
        with self.lock:
            self.calls.append(target.provider_id)
            self.bodies.append(body)
        act = self.behaviour.get(target.provider_id, lambda t, b: SimpleNamespace(input_tokens=10, output_tokens=20))
        if isinstance(act, BaseException):
            raise act
        return act(target, body)

    def chat(self, target: Any, body: dict[str, Any], public_model: str) -> Any:
        usage = self._act(target, body)  # None: the upstream reports no usage
        message = {"role": "assistant", "content": f"hello from {target.provider_id}"}
        answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": public_model,
                  "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        if usage is not None:
            answer["usage"] = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
                               "total_tokens": usage.input_tokens + usage.output_tokens}
        return SimpleNamespace(body=answer, usage=usage)

    def embeddings(self, target: Any, body: dict[str, Any], public_model: str) -> Any:
        usage = self._act(target, body)
        return SimpleNamespace(body={"object": "list", "model": public_model,
                                     "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                                     "usage": {"prompt_tokens": usage.input_tokens,
                                               "total_tokens": usage.input_tokens}}, usage=usage)


def chunk(content: str | None = None, finish: str | None = None, model: str = "gpt-test") -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
