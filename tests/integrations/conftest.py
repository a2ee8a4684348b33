"""Fixtures for the trainer-adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swe_env.integrations import verl as adapter


@pytest.fixture
def loop_class() -> Iterator[type]:
    """``SWEAgentLoop`` built on the installed verl (rebuilt, and so registered, per test)."""
    adapter.agent_loop_class.cache_clear()
    yield adapter.agent_loop_class()
    adapter.agent_loop_class.cache_clear()
