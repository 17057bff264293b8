"""bench/throughput.py in small: every target answered, the limit kept, a warm plan calls nothing."""

from __future__ import annotations

import pytest
from freetext_project import throughput

from mapforge.llm import TokenBucket
from mapforge.llm.gateway import RATE_SLACK


def test_small_throughput_run() -> None:
    figures = throughput.measure(n_targets=10, rps=10.0, latency=0.05, scripted_429=1)
    assert figures["answered"] == 10
    assert figures["warm_calls"] == 0  # lock deleted, every prompt asked again: all cached
    assert 1 <= figures["http_429"] <= 2  # the scripted one; pacing keeps the server's own rare
    # never faster than the limit allows; at this size fixed costs (catalog, index) dominate
    # wall_over_min, so only a loose upper bound here: the real figure is `make bench`'s
    assert 10 / 10.0 <= figures["wall_s"] < 10 / 10.0 + 6.0


def test_pacing_keeps_a_margin_under_the_limit() -> None:
    clock = [0.0]
    bucket = TokenBucket(
        2.0,
        slack=RATE_SLACK,
        clock=lambda: clock[0],
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
    )
    for _ in range(3):
        bucket.acquire()
    assert clock[0] == pytest.approx(
        2 * 0.5 * (1 + RATE_SLACK)
    )  # never two sends in 1.0 s at 2 rps
