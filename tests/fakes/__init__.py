"""Test doubles that speak real wire protocols (no mocks): fake upstream providers.

Fixtures `openai_upstream` and `anthropic_upstream` (in `tests/fakes/fixtures.py`, made
available to every test by `tests/conftest.py`) start a fresh server per test and stop it.
"""

from __future__ import annotations

from .upstream_servers import FakeUpstream, Fault, Recorded

__all__ = ["FakeUpstream", "Fault", "Recorded"]
