"""Amazon Bedrock through IAM: botocore builds and signs, KeyLedger's transport sends.

Why this split: the proxy relays streams on an async event loop (httpx). A botocore client
iterating ConverseStream would hold a worker thread per stream, blocked in a socket read that
closing the stream from the loop does not reliably wake, so a client's disconnect could not
stop the generation within a second. Here botocore does everything AWS-specific — parameter
validation, serialisation, the region's endpoint, the credential chain (and the assumed role's
refresh), SigV4 signing — and hands over the signed request just before it would send it; the
upstream clients send it like any other provider's call (same timeouts, retries before
generation, deadline, disconnect handling), and botocore's own `EventStreamBuffer` decodes
ConverseStream's frames (`bedrock_stream.py`). The admin's model list (ListFoundationModels,
ListInferenceProfiles) is an ordinary boto3-style call: it is neither streamed nor hot.

Clients are built on first use and kept per (region, role): no I/O at import time, and a warm
container signs without rebuilding anything. `endpoint_url` (BEDROCK_ENDPOINT_URL) points
Bedrock, Bedrock Runtime and the STS used to assume roles at a local fake; only the local
stage sets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from . import bedrock, bedrock_stream, failures
from .adapters import Adapter
from .decoding import short
from .errors import ProviderError, ProviderRejected, UnsupportedByProvider
from .types import BedrockSettings, EmbeddingsResult, HttpCall, Target

ROLE_SESSION_NAME = "keyledger-bedrock"
_DROPPED_HEADERS = {"content-length", "expect"}  # the sending client sets its own


class _Signed(Exception):
    """Raised from botocore's `before-send` hook: the request is built and signed, not sent."""

    def __init__(self, request: Any) -> None:
        super().__init__("signed")
        self.request = request


def _stop_before_sending(request: Any, **_: Any) -> None:
    raise _Signed(request)


class _AssumedRole(CredentialProvider):
    METHOD = "assume-role"

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class BedrockClients:
    """botocore clients per (region, role ARN): `runtime` signs Converse calls, `control` lists models."""

    def __init__(self, *, endpoint_url: str | None = None, connect_timeout: float = 5.0,
                 read_timeout: float = 25.0, session_factory: Callable[[], Any] = botocore.session.Session) -> None:
        self.endpoint_url = endpoint_url
        self._config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                              retries={"mode": "standard", "total_max_attempts": 2})
        self._new_session = session_factory
        self._sessions: dict[str | None, Any] = {}
        self._clients: dict[tuple[str, str, str | None], BaseClient] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> BedrockClients:
        return cls(endpoint_url=settings.bedrock_endpoint_url, connect_timeout=settings.upstream_connect_timeout,
                   read_timeout=settings.upstream_read_timeout)

    def runtime(self, settings: BedrockSettings) -> BaseClient:
        return self._client("bedrock-runtime", settings)

    def control(self, settings: BedrockSettings) -> BaseClient:
        return self._client("bedrock", settings)

    def _client(self, service: str, settings: BedrockSettings) -> BaseClient:
        key = (service, settings.region, settings.role_arn)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                session = self._session(settings.region, settings.role_arn)
                client = session.create_client(service, region_name=settings.region, endpoint_url=self.endpoint_url,
                                               config=self._config)
                if service == "bedrock-runtime":
                    client.meta.events.register_first("before-send.bedrock-runtime", _stop_before_sending)
                self._clients[key] = client
            return client

    def _session(self, region: str, role_arn: str | None) -> Any:
        """The function's own credentials, or (with a role) ones assumed from them, refreshed
        by botocore before they expire. Called with the lock held."""
        session = self._sessions.get(role_arn)
        if session is not None:
            return session
        base = self._sessions.get(None) or self._new_session()
        self._sessions[None] = base
        if role_arn is None:
            return base

        def sts(service: str, **kwargs: Any) -> Any:
            return base.create_client(service, region_name=region, endpoint_url=self.endpoint_url, **kwargs)

        fetcher = AssumeRoleCredentialFetcher(sts, base.get_credentials(), role_arn,
                                              extra_args={"RoleSessionName": ROLE_SESSION_NAME})
        assumed = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
        session = self._new_session()
        session.register_component("credential_provider", CredentialResolver([_AssumedRole(assumed)]))
        self._sessions[role_arn] = session
        return session

    # --- the runtime: build and sign, the upstream clients send ---

    def signed_call(self, target: Target, body: dict[str, Any], *, stream: bool) -> HttpCall:
        """The signed HTTP request for Converse (ConverseStream when `stream`) of this chat."""
        settings = _settings_of(target)
        params = bedrock.translate_request(target, body)
        client = self.runtime(settings)
        operation = client.converse_stream if stream else client.converse
        try:
            operation(**params)
        except _Signed as signed:
            request = signed.request
            headers = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
                       if k.lower() not in _DROPPED_HEADERS}
            content = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
            return HttpCall(request.method, request.url, headers, content=content)
        except ParamValidationError as exc:
            raise ProviderRejected(f"Bedrock would refuse this request: {short(exc)}",
                                   provider_id=target.provider_id) from exc
        except (BotoCoreError, ClientError) as exc:  # no credentials, or the role could not be assumed
            raise ProviderError(f"Could not sign the Bedrock call: {_aws_error(exc)}",
                                provider_id=target.provider_id) from exc
        raise AssertionError("unreachable: the before-send hook stops every call")  # pragma: no cover

    # --- the control plane: the admin's model list and connection test ---

    def list_models(self, target: Target) -> list[str]:
        """Text foundation models, then inference profiles, in the provider's region."""
        client = self.control(_settings_of(target))
        try:
            found = client.list_foundation_models(byOutputModality="TEXT")["modelSummaries"]
            ids = [m["modelId"] for m in found]
            for page in client.get_paginator("list_inference_profiles").paginate():
                ids += [p["inferenceProfileId"] for p in page.get("inferenceProfileSummaries", [])]
        except ClientError as exc:
            raise ProviderError(f"Bedrock refused the model list in {target.bedrock and target.bedrock.region}: "
                                f"{_aws_error(exc)}", provider_id=target.provider_id) from exc
        except BotoCoreError as exc:
            raise ProviderError(f"Bedrock's model list could not be read: {_aws_error(exc)}",
                                provider_id=target.provider_id) from exc
        return ids


def _settings_of(target: Target) -> BedrockSettings:
    if target.bedrock is None or not target.bedrock.region:
        raise ProviderError("This Bedrock provider has no region set.", provider_id=target.provider_id)
    return target.bedrock


def _aws_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return short(f"{error.get('Code', 'error')}: {error.get('Message', '')}")
    return short(f"{type(exc).__name__}: {exc}")


def _no_embeddings(target: Target, body: dict[str, Any]) -> HttpCall:
    raise UnsupportedByProvider("Embeddings are not available from Bedrock providers here; use an embeddings model "
                                "of another provider.", provider_id=target.provider_id, param="model")


def _never(data: Any, public_model: str) -> EmbeddingsResult:  # pragma: no cover - unreachable
    raise AssertionError("bedrock embeddings are refused before any call")


def _no_models_call(target: Target) -> HttpCall:  # pragma: no cover - list_models takes over
    raise AssertionError("Bedrock's model list is read with botocore")


def bedrock_adapter(clients: BedrockClients) -> Adapter:
    """The `bedrock` provider type over these clients."""
    return Adapter(
        chat_call=clients.signed_call,
        chat_result=bedrock.chat_result,
        stream_decoder=bedrock_stream.stream_decoder,
        embeddings_call=_no_embeddings,
        embeddings_result=_never,
        models_call=_no_models_call,
        models_result=lambda data: [],
        error_message=bedrock.error_message,
        status_error=failures.bedrock_status_error,
        stream_framing=bedrock_stream.EventStreamFraming,
        list_models=clients.list_models,
    )
