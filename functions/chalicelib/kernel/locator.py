"""How a route or a scheduled job reaches its service without importing the composition root.

The entry point (functions/app.py) installs bootstrap's resolver once; a handler asks by type,
`use(KeysService)`. The resolver reads the current container on each call, so a test that
installs another container is seen at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

from .clock import Clock

T = TypeVar("T")
_resolve: Callable[[type[Any] | str], Any] | None = None


def install_resolver(resolve: Callable[[type[Any] | str], Any]) -> None:
    global _resolve
    _resolve = resolve


def _resolver() -> Callable[[type[Any] | str], Any]:
    if _resolve is None:
        raise RuntimeError("no resolver installed: the entry point calls install_resolver (see functions/app.py)")
    return _resolve


def use(kind: type[T]) -> T:
    """The settings (or another kernel type) of type `kind` from the composition root."""
    return cast(T, _resolver()(kind))


def service(name: str) -> Any:
    """The service whose class is called `name` (routes and jobs name it, so that importing
    a route module does not import its service, stores and clients: a cold start imports
    them on the first request that needs them). Type it where it is used:
    `keys: KeysService = service("KeysService")`."""
    return _resolver()(name)


def now() -> datetime:
    """The composition root's clock (a Protocol, so not asked for by `use`)."""
    return cast(Clock, _resolver()(Clock)).now()
