"""bench/throughput.py in small: every target answered, the limit kept, a warm plan calls nothing."""

from __future__ import annotations

import time

import pytest
from freetext_project import throughput

from mapforge.llm import Gateway, OpenAIProvider, TokenBucket
from mapforge.llm.gateway import RATE_SLACK
from mapforge.llm.provider import CompletionRequest, Message
from mapforge.testing import FakeLLMServer


def test_small_throughput_run() -> None:
    figures = throughput.measure(n_targets=10, rps=10.0, latency=0.05, scripted_429=1)
    assert figures["answered"] == 10
    assert figures["warm_calls"] == 0  # lock deleted, every prompt asked again: all cached
    assert 1 <= figures["http_429"] <= 2  # the scripted one; pacing keeps the server's own rare
    # never faster than the limit allows; at this size fixed costs (catalog, index) dominate
    # wall_over_min, so only a loose upper bound here: the real figure is `make bench`'s
    assert 10 / 10.0 <= figures["wall_s"] < 10 / 10.0 + 6.0


def test_a_429_retry_reuses_its_token(fake_llm: FakeLLMServer) -> None:
    # at 1 rps a new token is ~1 s away; the refused send was not counted by the server,
    # so its retry goes out after Retry-After on the same token
    fake_llm.rate_limit(retry_after=0.05).answer("SELECT 1")
    provider = OpenAIProvider(model="gpt-4o-mini", base_url=fake_llm.base_url, api_key="k")
    request = CompletionRequest(messages=[Message(role="user", content="x")], model="gpt-4o-mini")
    with Gateway(provider, rps=1.0) as gateway:
        started = time.monotonic()
        assert gateway.complete(request).text == "SELECT 1"
        assert 0.05 <= time.monotonic() - started < 0.6 and gateway.calls == 2


def test_pacing_keeps_a_margin_under_the_limit() -> None:
    clock = [0.0]
    bucket = TokenBucket(2.0, slack=RATE_SLACK, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    for _ in range(3):
        bucket.acquire()
    assert clock[0] == pytest.approx(2 * 0.5 * (1 + RATE_SLACK))  # never two sends in 1.0 s at 2 rps
