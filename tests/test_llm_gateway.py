"""The Gateway against the real fake server: cache, retries, budget, rate and concurrency."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mapforge.config import LLMConfig
from mapforge.errors import BudgetExceeded, ProviderError
from mapforge.llm import ExactCache, Gateway, LazyGateway, Ledger
from mapforge.llm.openai_provider import OpenAIProvider
from mapforge.llm.provider import CompletionRequest, Message
from mapforge.testing import FakeLLMServer

KEY = "sk-gateway-secret-777"
MakeGateway = Callable[..., Gateway]


def request(
    text: str = "map orders", model: str = "gpt-4o-mini", **kw: object
) -> CompletionRequest:
    return CompletionRequest(
        messages=[Message(role="user", content=text)], model=model, target="orders", **kw
    )


@pytest.fixture
def make_gateway(fake_llm: FakeLLMServer, tmp_path: Path) -> Iterator[MakeGateway]:
    """Gateways on the fake server with a ledger and a cache in tmp_path; closed after."""
    made: list[Gateway] = []

    def make(*, timeout: float = 2.0, cache: ExactCache | bool = True, **kw: object) -> Gateway:
        provider = OpenAIProvider(
            model="gpt-4o-mini", base_url=fake_llm.base_url, api_key=KEY, timeout=timeout
        )
        if cache is True:
            cache = ExactCache(tmp_path / "cache.sqlite")
        kw.setdefault("backoff_s", 0.01)
        ledger = Ledger(tmp_path / "ledger.sqlite")
        gateway = Gateway(provider, cache=cache or None, ledger=ledger, **kw)  # type: ignore[arg-type]
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


def ledger_rows(tmp_path: Path) -> list[dict]:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    try:
        return ledger.rows()
    finally:
        ledger.close()


def test_answer_recorded_in_ledger(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.answer("SELECT 1")
    gateway = make_gateway(command="plan")
    assert gateway.complete(request()).text == "SELECT 1"
    assert gateway.calls == 1 and gateway.cache_hits == 0
    [row] = ledger_rows(tmp_path)
    assert row["outcome"] == "ok" and row["command"] == "plan" and row["target"] == "orders"
    assert row["provider"] == "openai" and row["model"] == "gpt-4o-mini"
    assert row["prompt_tokens"] > 0 and row["completion_tokens"] == 2
    assert row["estimated"] is False and row["cache_hit"] is False and row["retries"] == 0
    assert row["cost_usd"] > 0 and row["price_known"] is True


def test_missing_usage_is_estimated(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.no_usage("SELECT 1 AS one")
    make_gateway().complete(request("x" * 400))
    [row] = ledger_rows(tmp_path)
    assert row["estimated"] is True
    assert row["prompt_tokens"] == 100 and row["completion_tokens"] == 4


def test_429_waits_retry_after_then_succeeds(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.rate_limit(retry_after=0.3).answer("SELECT 1")
    gateway = make_gateway()
    started = time.monotonic()
    assert gateway.complete(request()).text == "SELECT 1"
    assert time.monotonic() - started >= 0.3
    assert len(fake_llm.requests) == 2 and gateway.calls == 2
    assert ledger_rows(tmp_path)[0]["retries"] == 1


@pytest.mark.parametrize("failure", ["fail", "malformed"])
def test_server_error_or_garbage_then_success(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, failure: str
) -> None:
    getattr(fake_llm, failure)()
    fake_llm.answer("SELECT 1")
    assert make_gateway().complete(request()).text == "SELECT 1"
    assert len(fake_llm.requests) == 2


def test_timeout_is_retried(fake_llm: FakeLLMServer, make_gateway: MakeGateway) -> None:
    fake_llm.delay(1.0, "too late").answer("SELECT 1")
    assert make_gateway(timeout=0.2).complete(request()).text == "SELECT 1"
    assert len(fake_llm.requests) == 2


def test_client_error_is_not_retried(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.fail(400, "bad request").answer("never sent")
    with pytest.raises(ProviderError, match="HTTP 400"):
        make_gateway().complete(request())
    assert len(fake_llm.requests) == 1
    [row] = ledger_rows(tmp_path)
    assert row["outcome"] == "error" and "HTTP 400" in row["error"]


def test_retries_exhausted_names_endpoint_not_key(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    # an empty script and no default: every request gets a 500 "script exhausted"
    with pytest.raises(ProviderError) as caught:
        make_gateway(max_retries=2).complete(request())
    message = str(caught.value)
    assert fake_llm.base_url in message and "gave up after 3 attempts" in message
    assert KEY not in message
    assert len(fake_llm.requests) == 3
    [row] = ledger_rows(tmp_path)
    assert row["outcome"] == "error" and row["retries"] == 2


def test_key_only_in_authorization_header(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.answer("SELECT 1").fail(401, f"bad key {KEY}")
    gateway = make_gateway()
    gateway.complete(request("one"))
    with pytest.raises(ProviderError) as caught:
        gateway.complete(request("two"))
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake_llm.requests)
    assert KEY not in str(caught.value)
    assert KEY not in repr(ledger_rows(tmp_path))
    assert KEY not in (tmp_path / "ledger.sqlite").read_bytes().decode("latin-1")


def test_cache_hit_makes_no_request(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.answer("SELECT 1")
    gateway = make_gateway()
    first = gateway.complete(request())
    second = gateway.complete(request())
    assert second == first
    assert len(fake_llm.requests) == 1
    assert gateway.calls == 1 and gateway.cache_hits == 1
    hit = ledger_rows(tmp_path)[1]
    assert hit["cache_hit"] is True and hit["cost_usd"] == 0 and hit["outcome"] == "ok"


def test_cache_key_covers_parameters(fake_llm: FakeLLMServer, make_gateway: MakeGateway) -> None:
    fake_llm.default = lambda body: f"seed {body['seed']}"
    gateway = make_gateway()
    assert gateway.complete(request(seed=1)).text == "seed 1"
    assert gateway.complete(request(seed=2)).text == "seed 2"
    assert gateway.complete(request(seed=1)).text == "seed 1"
    assert len(fake_llm.requests) == 2


def test_disabled_cache_always_calls(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.answers(["a", "b"])
    gateway = make_gateway(cache=ExactCache(tmp_path / "cache.sqlite", enabled=False))
    assert [gateway.complete(request()).text for _ in range(2)] == ["a", "b"]
    assert gateway.cache_hits == 0 and len(fake_llm.requests) == 2


def test_budget_refuses_before_calling(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.default = lambda body: "x" * 4000  # ~1000 tokens
    # gpt-4o: $10 per 1M output tokens, so max_tokens=1000 estimates ~$0.01 a call and the
    # first answer really spends ~$0.01: the second would pass $0.015.
    gateway = make_gateway(budget_usd=0.015)
    gateway.complete(request("first", model="gpt-4o", max_tokens=1000))
    with pytest.raises(BudgetExceeded, match=r"budget.*gpt-4o") as caught:
        gateway.complete(request("second", model="gpt-4o", max_tokens=1000))
    assert "budget" in (caught.value.hint or "")
    assert len(fake_llm.requests) == 1
    assert ledger_rows(tmp_path)[-1]["outcome"] == "budget"


def test_unknown_price_is_free_and_flagged(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    fake_llm.answer("SELECT 1")
    make_gateway(budget_usd=0.0).complete(request(model="llama3.1:8b"))
    [row] = ledger_rows(tmp_path)
    assert row["cost_usd"] == 0.0 and row["price_known"] is False


def test_rate_limit_spaces_requests(fake_llm: FakeLLMServer, make_gateway: MakeGateway) -> None:
    fake_llm.default = lambda body: "SELECT 1"
    gateway = make_gateway(rps=5, cache=False)
    started = time.monotonic()
    results = gateway.map([request(f"t{i}") for i in range(6)])
    assert time.monotonic() - started >= 0.95  # 6 requests at 5/s: the 6th leaves at ~1.0 s
    assert all(r.text == "SELECT 1" for r in results)  # type: ignore[union-attr]


def test_concurrency_cap_seen_by_server(fake_llm: FakeLLMServer, make_gateway: MakeGateway) -> None:
    fake_llm.latency = 0.1
    fake_llm.default = lambda body: "SELECT 1"
    gateway = make_gateway(max_concurrency=3, cache=False)
    # More caller threads than slots: the gateway's semaphore, not a pool, must hold them back.
    with ThreadPoolExecutor(9) as callers:
        list(callers.map(gateway.complete, [request(f"t{i}") for i in range(9)]))
    assert fake_llm.max_in_flight == 3
    gateway.map([request(f"m{i}") for i in range(6)])
    assert fake_llm.max_in_flight == 3


def test_map_keeps_order_and_returns_errors(
    fake_llm: FakeLLMServer, make_gateway: MakeGateway
) -> None:
    fake_llm.default = lambda body: "BAD" if "t1" in body["messages"][0]["content"] else "OK"
    fake_llm.fail(400, "nope")  # whichever request comes first gets the 400
    done: list[int] = []
    results = make_gateway(max_concurrency=1).map(
        [request(f"t{i}") for i in range(3)], on_done=lambda i, r: done.append(i)
    )
    assert isinstance(results[0], ProviderError)
    assert [r.text for r in results[1:]] == ["BAD", "OK"]  # type: ignore[union-attr]
    assert sorted(done) == [0, 1, 2]


def test_ledger_totals(fake_llm: FakeLLMServer, make_gateway: MakeGateway, tmp_path: Path) -> None:
    fake_llm.default = lambda body: "SELECT 1"
    gateway = make_gateway()
    gateway.complete(request("a", model="gpt-4o"))
    gateway.complete(request("a", model="gpt-4o"))  # cache hit
    gateway.complete(request("b", model="gpt-4o-mini"))
    by_model = {t["model"]: t for t in gateway.ledger.totals(by="model")}  # type: ignore[union-attr]
    assert by_model["gpt-4o"]["calls"] == 2 and by_model["gpt-4o"]["cache_hits"] == 1
    assert by_model["gpt-4o"]["cost_usd"] > by_model["gpt-4o-mini"]["cost_usd"] > 0
    [day] = gateway.ledger.totals(by="day")  # type: ignore[union-attr]
    assert day["calls"] == 3
    assert gateway.ledger.spent_today() == pytest.approx(gateway.spent_usd)  # type: ignore[union-attr]


def test_lazy_gateway_from_config(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    fake_llm.answer("SELECT 1")
    cfg = LLMConfig(base_url=fake_llm.base_url, api_key=KEY, model="gpt-4o-mini", rps=50)
    with LazyGateway(cfg, tmp_path / ".mapforge", command="plan") as lazy:
        assert not lazy.started and not (tmp_path / ".mapforge").exists()
        assert lazy.complete(request()).text == "SELECT 1"
        assert lazy.complete(request()).text == "SELECT 1"  # from the cache
        assert lazy.gateway.calls == 1 and lazy.gateway.cache_hits == 1
    assert {p.name for p in (tmp_path / ".mapforge").iterdir()} >= {"cache.sqlite", "ledger.sqlite"}
    assert len(ledger_rows(tmp_path / ".mapforge")) == 2
