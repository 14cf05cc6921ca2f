"""Transports whose every new connection passes `address_policy.check_peer`: a requests
adapter (the buffered client) and an httpx transport (the streaming client).

The check runs on the connected socket's peer address, after DNS resolution and on each new
connection, so DNS rebinding cannot slip past a check made earlier. Requests sent through an
environment proxy (HTTPS_PROXY) connect to the proxy, which then decides; they are not checked
(the streaming client never uses one: `trust_env=False`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .address_policy import check_peer


def _guarded(base: type[HTTPConnection], allow_private: bool) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> Any:
            sock = super()._new_conn()
            try:
                check_peer(self.host, sock.getpeername()[0], allow_private=allow_private)
            except OSError:
                sock.close()
                raise
            return sock

    return Guarded


def guarded_adapter(pool_size: int, *, allow_private: bool) -> HTTPAdapter:
    """An adapter (no urllib3 retries: the client retries itself) that refuses forbidden peers."""
    http_conn, https_conn = _guarded(HTTPConnection, allow_private), _guarded(HTTPSConnection, allow_private)

    class HttpPool(HTTPConnectionPool):
        ConnectionCls = http_conn

    class HttpsPool(HTTPSConnectionPool):
        ConnectionCls = https_conn  # type: ignore[assignment]  # a subclass of HTTPSConnection

    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"http": HttpPool, "https": HttpsPool}
    return adapter


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, with each new TCP connection's peer checked before any byte."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)
        try:
            check_peer(host, stream.get_extra_info("server_addr")[0], allow_private=self._allow_private)
        except OSError as exc:
            await stream.aclose()
            raise httpcore.ConnectError(str(exc)) from exc  # httpx maps it to httpx.ConnectError
        return stream

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not upstreams")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_async_transport(*, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """httpx's transport (its default limits and TLS settings), its connections checked like
    `guarded_adapter`'s. httpx has no public hook for the network backend, so the transport's
    connection pool is replaced by an identical one built on the guarded backend."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=100, max_keepalive_connections=20,
        keepalive_expiry=5.0, network_backend=_GuardedBackend(allow_private))  # httpx's default limits
    return transport
