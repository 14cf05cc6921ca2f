"""One interface over the provider wire formats: the client picks an adapter by type.

Adapters are pure (build an `HttpCall`, read a decoded JSON answer); the client does
all transport, retries and error mapping, so each adapter is testable without HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import anthropic, anthropic_stream, failures, openai_compat, responses_api
from .decoding import StreamDecoder
from .errors import ProviderError, UnsupportedByProvider
from .sse import Event, EventParser
from .types import ChatResult, EmbeddingsResult, HttpCall, Target


class StreamFraming(Protocol):
    """Cuts a streamed answer's bytes into events: server-sent events unless the adapter says otherwise."""

    def feed(self, part: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...


@dataclass(frozen=True)
class Adapter:
    chat_call: Callable[..., HttpCall]  # (target, body, *, stream) -> HttpCall
    chat_result: Callable[[Any, str, int], ChatResult]  # (data, public_model, created)
    stream_decoder: Callable[[str, int], StreamDecoder]  # (public_model, created)
    embeddings_call: Callable[[Target, dict[str, Any]], HttpCall]
    embeddings_result: Callable[[Any, str], EmbeddingsResult]
    models_call: Callable[[Target], HttpCall]
    models_result: Callable[[Any], list[str]]
    error_message: Callable[[Any], str | None]
    # (target, status, upstream message, retry-after) -> the error for a non-2xx answer
    status_error: Callable[[Target, int, str | None, float | None], failures.Failure] = failures.status_error
    stream_framing: Callable[[], StreamFraming] = EventParser
    # When set, the model list is read by the adapter itself (Bedrock: botocore), not over HttpCall.
    list_models: Callable[[Target], list[str]] | None = None


def _no_embeddings(target: Target, body: dict[str, Any]) -> HttpCall:
    raise UnsupportedByProvider(
        "Embeddings are not available from Anthropic providers; use an embeddings model.",
        provider_id=target.provider_id,
        param="model",
    )


def _never(data: Any, public_model: str) -> EmbeddingsResult:  # pragma: no cover - unreachable
    raise AssertionError("anthropic embeddings are refused before any call")


ADAPTERS: dict[str, Adapter] = {
    "openai": Adapter(
        chat_call=openai_compat.chat_call,
        chat_result=openai_compat.chat_result,
        stream_decoder=openai_compat.stream_decoder,
        embeddings_call=openai_compat.embeddings_call,
        embeddings_result=openai_compat.embeddings_result,
        models_call=openai_compat.models_call,
        models_result=openai_compat.models_result,
        error_message=openai_compat.error_message,
    ),
    "anthropic": Adapter(
        chat_call=anthropic.chat_call,
        chat_result=anthropic.chat_result,
        stream_decoder=anthropic_stream.stream_decoder,
        embeddings_call=_no_embeddings,
        embeddings_result=_never,
        models_call=anthropic.models_call,
        models_result=anthropic.models_result,
        error_message=anthropic.error_message,
    ),
    # Not a provider type: an "openai" provider with `responses_api`, called for /v1/responses.
    responses_api.RESPONSES_WIRE: Adapter(
        chat_call=responses_api.responses_call,
        chat_result=responses_api.responses_result,
        stream_decoder=responses_api.stream_decoder,
        embeddings_call=openai_compat.embeddings_call,
        embeddings_result=openai_compat.embeddings_result,
        models_call=openai_compat.models_call,
        models_result=openai_compat.models_result,
        error_message=openai_compat.error_message,
    ),
}


def adapter_for(target: Target, adapters: Mapping[str, Adapter] = ADAPTERS) -> Adapter:
    try:
        return adapters[target.provider_type]
    except KeyError as exc:
        raise ProviderError(
            f"Provider type {target.provider_type!r} is not supported.", provider_id=target.provider_id
        ) from exc
