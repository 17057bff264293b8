"""Shared fixtures. Keep one section per area; fixtures used by a single file stay there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mapforge.testing import FakeLLMServer

# -- llm -------------------------------------------------------------------------------


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A scripted OpenAI/Anthropic-compatible server on 127.0.0.1, closed after the test."""
    with FakeLLMServer() as server:
        yield server
