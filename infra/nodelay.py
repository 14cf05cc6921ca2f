"""TCP_NODELAY for the local HTTP servers (API, portal, DynamoDB, demo upstream, test fakes).

`http.server` handlers write the headers and then the body: two small segments. On a kept-alive
connection Nagle's algorithm holds the second until the first is acknowledged, and the client
delays that ACK by up to 40 ms, so every answer would take ~40 ms longer than its work. The
clients (urllib3, botocore) already set TCP_NODELAY on their side.
"""

from __future__ import annotations

import socket
from typing import Any


class NoDelayMixin:
    """First base of a `socketserver.StreamRequestHandler` subclass."""

    connection: Any

    def setup(self) -> None:
        super().setup()  # type: ignore[misc]
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
