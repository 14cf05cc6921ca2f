"""A requests adapter whose every new connection passes `address_policy.check_peer`.

The check runs on the connected socket's peer address, after DNS resolution and on each new
connection, so DNS rebinding cannot slip past a check made earlier. Requests sent through an
environment proxy (HTTPS_PROXY) connect to the proxy, which then decides; they are not checked.
"""

from __future__ import annotations

from typing import Any

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
