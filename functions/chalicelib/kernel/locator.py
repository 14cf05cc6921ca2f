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
_resolve: Callable[[type[Any]], Any] | None = None


def install_resolver(resolve: Callable[[type[Any]], Any]) -> None:
    global _resolve
    _resolve = resolve


def _resolver() -> Callable[[type[Any]], Any]:
    if _resolve is None:
        raise RuntimeError("no resolver installed: the entry point calls install_resolver (see functions/app.py)")
    return _resolve


def use(kind: type[T]) -> T:
    """The settings or service of type `kind` from the composition root."""
    return cast(T, _resolver()(kind))


def now() -> datetime:
    """The composition root's clock (a Protocol, so not asked for by `use`)."""
    return cast(Clock, _resolver()(Clock)).now()
