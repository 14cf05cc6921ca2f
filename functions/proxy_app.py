"""The proxy function's entry point: the /v1 ASGI app, served by uvicorn locally and on Lambda
(under Lambda Web Adapter in response-stream mode). Builds nothing until the first request."""

from __future__ import annotations

from chalicelib.bootstrap import container
from chalicelib.proxy.asgi import create_app

app = create_app(container)
