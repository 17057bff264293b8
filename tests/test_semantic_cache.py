"""The semantic cache: paraphrases hit, near misses and other schemas never do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapforge.catalog.embeddings import HashingEmbedder
from mapforge.llm.cache import ExactCache
from mapforge.llm.gateway import Gateway
from mapforge.llm.ledger import Ledger
from mapforge.llm.normalize import critical_tokens, normalize
from mapforge.llm.openai_provider import OpenAIProvider
from mapforge.llm.provider import Completion, CompletionRequest, Message
from mapforge.llm.semantic_cache import SemanticCache
from mapforge.llm.semantic_stores import (
    DuckDBVectorStore,
    open_store,
    pgvector_available,
)
from mapforge.testing import FakeLLMServer

SCHEMA = ["customers", "orders", "amount", "order_date", "country", "products", "unit_price"]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[SemanticCache]:
    with_store = SemanticCache(DuckDBVectorStore(tmp_path / "semantic.duckdb"), HashingEmbedder())
    yield with_store
    with_store.close()


def _answer(text: str = "SELECT 1") -> str:
    return Completion(text=text, model="m").model_dump_json()


# -- normal form and critical tokens ------------------------------------------------------


def test_normalize_folds_case_punctuation_number_words_and_synonyms() -> None:
    assert normalize("  How MANY orders,   over five hundred?! ") == "count orders gt 500"
    assert normalize("Total amount") == normalize("sum of the amount").replace(" the", "")
    assert normalize("twenty-five") == "25"
    assert normalize("between 5 and 10") == "between 5 10"
    assert normalize("since 2024-01-31, 1,000 or more") == "since 2024-01-31 1000 ge"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("orders over 100", "orders over 1000"),  # number
        ("customers with paid orders", "customers with unpaid orders"),  # negation
        ("customers who ordered", "customers who never ordered"),  # negation
        ("orders above 100", "orders below 100"),  # direction
        ("orders of at least 5 items", "orders of more than 5 items"),  # >= vs >
        ("total amount per customer", "average amount per customer"),  # aggregate
        ("top 5 products by unit price", "bottom 5 products by unit price"),  # order
        ("amount per country", "amount per customer"),  # identifier
        ("orders from Germany", "orders from France"),  # literal
        ("revenue by month", "revenue by year"),  # time grain
        ("customers with unpaid orders", "customers without unpaid orders"),  # double neg.
    ],
)
def test_critical_tokens_tell_near_misses_apart(one: str, other: str) -> None:
    assert critical_tokens(one, SCHEMA) != critical_tokens(other, SCHEMA)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("How many orders are over 100?", "number of orders greater than one hundred"),
        ("customers with unpaid orders", "customers whose orders are not paid"),
        ("total amount per customer", "sum of amount for each customer"),
        ("5 or more orders", "at least five orders"),
    ],
)
def test_critical_tokens_agree_on_paraphrases(one: str, other: str) -> None:
    assert critical_tokens(one, SCHEMA) == critical_tokens(other, SCHEMA)


# -- the cache --------------------------------------------------------------------------


def test_a_paraphrase_hits_and_counts(cache: SemanticCache) -> None:
    cache.put("Total amount of orders per customer", "h1", _answer(), SCHEMA)
    match = cache.get("total amount of the orders, per customer?", "h1", SCHEMA)
    assert match is not None and match.similarity >= cache.threshold
    assert Completion.model_validate_json(match.completion).text == "SELECT 1"
    assert (cache.hits, cache.misses) == (1, 0)


def test_another_schema_slice_never_hits(cache: SemanticCache) -> None:
    cache.put("total amount of orders per customer", "h1", _answer(), SCHEMA)
    assert cache.get("total amount of orders per customer", "h2", SCHEMA) is None
    assert cache.misses == 1


@pytest.mark.parametrize(
    "near_miss",
    [
        "total amount of orders per customer over 100",
        "average amount of orders per customer",
        "total amount of orders per country",
        "total amount of orders not per customer",
    ],
)
def test_near_misses_do_not_hit_even_with_no_threshold(tmp_path: Path, near_miss: str) -> None:
    # threshold 0: only the critical-token guard stands between a near miss and a wrong answer
    cache = SemanticCache(DuckDBVectorStore(), HashingEmbedder(), threshold=0.0)
    cache.put("total amount of orders per customer", "h1", _answer(), SCHEMA)
    assert cache.get(near_miss, "h1", SCHEMA) is None
    cache.close()


def test_the_threshold_refuses_unrelated_text_with_the_same_tokens(cache: SemanticCache) -> None:
    cache.put("orders shipped late to the warehouse", "h1", _answer(), SCHEMA)
    assert critical_tokens("orders shipped late to the warehouse", SCHEMA) == critical_tokens(
        "orders returned damaged by courier", SCHEMA
    )
    assert cache.get("orders returned damaged by courier", "h1", SCHEMA) is None


def test_vectors_of_another_embedder_are_never_compared(tmp_path: Path) -> None:
    store = DuckDBVectorStore(tmp_path / "s.duckdb")
    SemanticCache(store, HashingEmbedder(64)).put("orders per country", "h", _answer(), SCHEMA)
    other = _Renamed(HashingEmbedder(64), "another-model")
    assert SemanticCache(store, other).get("orders per country", "h", SCHEMA) is None
    store.close()


def test_entries_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "semantic.duckdb"
    first = SemanticCache(DuckDBVectorStore(path), HashingEmbedder())
    first.put("orders per country", "h", _answer("SELECT 2"), SCHEMA)
    first.close()
    again = SemanticCache(DuckDBVectorStore(path), HashingEmbedder())
    match = again.get("Orders, per country.", "h", SCHEMA)
    assert match is not None and "SELECT 2" in match.completion
    assert again.store.count() == 1
    again.close()


# -- the gateway hook -------------------------------------------------------------------


def _ask(text: str, *, purpose: str = "ask", schema_hash: str = "h1") -> CompletionRequest:
    return CompletionRequest(
        messages=[Message(role="user", content=f"schema ...\nquestion: {text}")],
        model="gpt-4o-mini",
        purpose=purpose,
        semantic_text=text,
        schema_hash=schema_hash,
        schema_terms=SCHEMA,
    )


@pytest.fixture
def gateway(fake_llm: FakeLLMServer, cache: SemanticCache) -> Iterator[Gateway]:
    fake_llm.default = lambda body: "SELECT count(*) FROM orders"
    provider = OpenAIProvider(model="gpt-4o-mini", base_url=fake_llm.base_url, api_key="k")
    with Gateway(provider, semantic=cache) as gw:
        yield gw


def test_gateway_answers_a_paraphrase_from_the_semantic_cache(
    gateway: Gateway, fake_llm: FakeLLMServer
) -> None:
    gateway.complete(_ask("How many orders are there?"))
    again = gateway.complete(_ask("number of orders"))
    assert again.text == "SELECT count(*) FROM orders"
    assert len(fake_llm.requests) == 1
    assert (gateway.semantic_hits, gateway.cache_hits, gateway.calls) == (1, 1, 1)


def test_the_ledger_says_which_cache_answered(
    tmp_path: Path, fake_llm: FakeLLMServer, cache: SemanticCache
) -> None:
    fake_llm.default = lambda body: "SELECT count(*) FROM orders"
    provider = OpenAIProvider(model="gpt-4o-mini", base_url=fake_llm.base_url, api_key="k")
    exact = ExactCache(tmp_path / "cache.sqlite")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with Gateway(provider, cache=exact, semantic=cache, ledger=ledger, command="ask") as gw:
        gw.complete(_ask("How many orders are there?"))  # the provider
        gw.complete(_ask("number of orders"))  # a paraphrase: semantic
        gw.complete(_ask("How many orders are there?"))  # the same request: exact
        rows = ledger.rows()
        [total] = ledger.totals(by="command")
    assert len(fake_llm.requests) == 1
    assert [(r["cache"], r["cache_hit"]) for r in rows] == [
        (None, False),
        ("semantic", True),
        ("exact", True),
    ]
    assert (total["calls"], total["cache_hits"], total["semantic_hits"]) == (3, 2, 1)


def test_gateway_asks_the_provider_for_a_near_miss(
    gateway: Gateway, fake_llm: FakeLLMServer
) -> None:
    gateway.complete(_ask("How many orders are over 100?"))
    gateway.complete(_ask("How many orders are over 1000?"))
    gateway.complete(_ask("How many orders are over 100?", schema_hash="h2"))
    assert len(fake_llm.requests) == 3 and gateway.semantic_hits == 0


def test_gateway_never_uses_the_semantic_cache_for_generation(
    gateway: Gateway, fake_llm: FakeLLMServer
) -> None:
    gateway.complete(_ask("How many orders are there?", purpose="generate"))
    gateway.complete(_ask("number of orders", purpose="generate"))
    assert len(fake_llm.requests) == 2 and gateway.semantic_hits == 0
    assert gateway.semantic is not None and gateway.semantic.store.count() == 0


def test_semantic_fields_never_reach_the_provider(
    gateway: Gateway, fake_llm: FakeLLMServer
) -> None:
    gateway.complete(_ask("How many orders are there?"))
    body = fake_llm.requests[0].json
    assert not {"semantic_text", "schema_hash", "schema_terms", "purpose"} & set(body)


# -- stores -----------------------------------------------------------------------------


def test_open_store_is_duckdb_without_a_postgres_url(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert isinstance(store, DuckDBVectorStore) and (tmp_path / "semantic.duckdb").exists()
    store.close()


def test_open_store_falls_back_to_duckdb_without_pgvector(tmp_path: Path, pg_cluster: Any) -> None:
    # Debian's PostgreSQL here ships no pgvector, so the store must fall back
    assert not pgvector_available(pg_cluster.url)
    store = open_store(tmp_path, pg_cluster.url)
    assert isinstance(store, DuckDBVectorStore)
    store.close()


class _Renamed:
    def __init__(self, inner: HashingEmbedder, name: str) -> None:
        self.inner, self.name = inner, name

    def embed(self, texts: Any) -> Any:
        return self.inner.embed(texts)
