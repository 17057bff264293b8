"""Exact cache, ledger, prices and the token bucket: no network."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapforge.llm import PRICES, ExactCache, Ledger, LedgerRow, TokenBucket, cache_key, cost_usd
from mapforge.llm.ledger import m001_calls, price_for
from mapforge.llm.provider import Completion, CompletionRequest, Message
from mapforge.migrations import Database


def request(text: str = "map orders", **kw: object) -> CompletionRequest:
    return CompletionRequest(messages=[Message(role="user", content=text)], model="m", **kw)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ExactCache]:
    store = ExactCache(tmp_path / ".mapforge" / "cache.sqlite")
    yield store
    store.close()


def test_cache_round_trip(cache: ExactCache) -> None:
    answer = Completion(text="SELECT 1", model="m", prompt_tokens=3, completion_tokens=2)
    assert cache.get("openai", request()) is None
    cache.put("openai", request(), answer)
    assert cache.get("openai", request()) == answer
    assert cache.get("anthropic", request()) is None  # the provider is part of the key


@pytest.mark.parametrize(
    "other",
    [
        request("map customers"),
        request(temperature=0.5),
        request(seed=1),
        request(max_tokens=10),
        request().model_copy(update={"model": "m2"}),
    ],
)
def test_cache_key_changes_with_anything_that_shapes_the_answer(other: CompletionRequest) -> None:
    assert cache_key("openai", other) != cache_key("openai", request())


def test_cache_key_ignores_ledger_only_fields() -> None:
    tagged = request().model_copy(update={"target": "orders", "purpose": "repair"})
    assert cache_key("openai", tagged) == cache_key("openai", request())


def test_cache_ttl_expiry(tmp_path: Path) -> None:
    store = ExactCache(tmp_path / "cache.sqlite", ttl_s=0.1)
    try:
        store.put("openai", request(), Completion(text="x", model="m"))
        assert store.get("openai", request()) is not None
        time.sleep(0.15)
        assert store.get("openai", request()) is None
    finally:
        store.close()


def test_disabled_cache_stores_nothing(tmp_path: Path) -> None:
    store = ExactCache(tmp_path / "cache.sqlite", enabled=False)
    store.put("openai", request(), Completion(text="x", model="m"))
    assert store.get("openai", request()) is None
    assert not (tmp_path / "cache.sqlite").exists()
    store.close()


def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    for _ in range(2):
        Ledger(path).close()
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM _migrations")]
    finally:
        conn.close()
    assert names == ["m001_calls", "m002_cache"]


def _old_ledger(path: Path) -> None:
    """A ledger as mapforge wrote it before m002: one call to the provider, then a cache hit."""
    db = Database(path, [m001_calls])  # the migration list of that release
    try:
        for cost, cache_hit in ((0.5, 0), (0.0, 1)):
            db.execute(
                "INSERT INTO calls (ts, command, provider, model, prompt_tokens,"
                " completion_tokens, estimated, cost_usd, price_known, latency_s, cache_hit,"
                " retries, outcome) VALUES ('2025-01-01T10:00:00', 'ask', 'p', 'm', 9, 3, 0,"
                " ?, 1, 0.1, ?, 0, 'ok')",
                (cost, cache_hit),
            )
    finally:
        db.close()


def test_an_old_ledger_is_migrated_and_its_hits_backfilled_as_exact(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _old_ledger(path)
    ledger = Ledger(path)
    try:
        old = ledger.rows()
        assert [(r["cache_hit"], r["cache"]) for r in old] == [(False, None), (True, "exact")]
        assert [r["cost_usd"] for r in old] == [0.5, 0.0]  # the rest of an old row is kept
        ledger.record(LedgerRow(command="ask", provider="p", model="m", cache="semantic"))
        ledger.record(LedgerRow(command="ask", provider="p", model="m", cache="exact"))
        new = ledger.rows()[2:]
        assert [(r["cache_hit"], r["cache"]) for r in new] == [(True, "semantic"), (True, "exact")]
        [total] = ledger.totals(by="command")
        assert (total["calls"], total["cache_hits"], total["semantic_hits"]) == (4, 3, 1)
    finally:
        ledger.close()
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
    finally:
        conn.close()
    assert names == ["m001_calls", "m002_cache"]


def test_a_ledger_row_s_cache_hit_follows_which_cache_answered() -> None:
    def row(**kw: Any) -> LedgerRow:
        return LedgerRow(command="ask", provider="p", model="m", **kw)

    assert (row().cache_hit, row().cache) == (False, None)
    assert (row(cache="semantic").cache_hit, row(cache="exact").cache_hit) == (True, True)
    assert row(cache_hit=True).cache == "exact"  # an unnamed hit, as in pre-m002 ledgers
    with pytest.raises(ValueError, match="cache must be one of"):
        row(cache="fuzzy")


def test_prices() -> None:
    assert cost_usd("gpt-4o", 1_000_000, 0) == PRICES["gpt-4o"][0]
    assert price_for("gpt-4o-mini-2024-07-18") == PRICES["gpt-4o-mini"]  # longest prefix
    assert price_for("gpt-4o-2024-08-06") == PRICES["gpt-4o"]
    assert price_for("llama3.1:8b") is None and cost_usd("llama3.1:8b", 10**6, 10**6) == 0.0
    assert cost_usd("my-azure-deploy", 10**6, 10**6, {"my-azure-deploy": (1.0, 2.0)}) == 3.0


def test_ledger_rows_and_totals(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    try:
        ledger.record(LedgerRow(command="plan", provider="p", model="a", target="t1", cost_usd=1.0))
        ledger.record(LedgerRow(command="ask", provider="p", model="a", target="t2", cost_usd=2.0))
        ledger.record(LedgerRow(command="plan", provider="p", model="b", cache_hit=True))
        assert [r["target"] for r in ledger.rows()] == ["t1", "t2", None]
        by_command = ledger.totals(by="command")
        assert [(t["command"], t["calls"], t["cost_usd"]) for t in by_command] == [
            ("ask", 1, 2.0),
            ("plan", 2, 1.0),
        ]
        assert {t["target"] for t in ledger.totals(by="target")} == {"t1", "t2", ""}
        assert ledger.spent_today() == 3.0
    finally:
        ledger.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_spaces_requests() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[0] == 0
    assert clock.now == pytest.approx(1.0)  # 6 tokens at 5/s with a burst of 1


def test_token_bucket_refills_while_idle() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, burst=2, clock=clock, sleep=clock.sleep)
    bucket.acquire(), bucket.acquire()
    clock.now += 10  # idle: the bucket refills, but only up to its burst
    assert [bucket.acquire() for _ in range(3)] == [0, 0, pytest.approx(0.5)]
