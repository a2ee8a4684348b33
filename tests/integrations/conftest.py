"""Fixtures for the trainer-adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from integrations.fixtures import verl_0_9_1

from swe_env.integrations import verl as adapter


@pytest.fixture
def loop_class() -> Iterator[type]:
    """``SWEAgentLoop`` built on verl 0.9.1's stand-in modules (rebuilt per test)."""
    adapter.agent_loop_class.cache_clear()
    with verl_0_9_1.installed():
        yield adapter.agent_loop_class()
    adapter.agent_loop_class.cache_clear()
