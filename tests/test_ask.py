"""`mapforge ask`: a question answered with one validated SELECT, through the semantic cache.

Against FakeLLMServer (a real HTTP server) and a small DuckDB shop; no SDK patching.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from mapforge.ask import _Session, ask
from mapforge.catalog.embeddings import HashingEmbedder
from mapforge.catalog.model import Catalog, Column, ForeignKey, Table
from mapforge.catalog.question import select_for_question
from mapforge.cli import app
from mapforge.config import LLMConfig
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.generate.ask_prompt import build_ask_prompt
from mapforge.llm.provider import Completion, CompletionRequest
from mapforge.llm.semantic_cache import SemanticCache
from mapforge.llm.semantic_stores import open_store
from mapforge.project import open_project
from mapforge.testing import FakeLLMServer, prompt_text

runner = CliRunner()
# distinctive row values: none may ever reach the model
SECRET_NAME, SECRET_COUNTRY, SECRET_AMOUNT = "Quokkaberg", "Zanzibaria", "4242.17"
QUESTION = "How many orders have an amount over 100?"
COUNT_SQL = "```sql\nSELECT count(*) AS n FROM orders WHERE amount > 100\n```"
MAPPING = (
    "target_table,target_column,target_type,source_table,source_column,rule,join,filter,key,"
    "load,tests,description\n"
    "dim_customer,customer_id,INTEGER,customers,customer_id,direct,,,Y,table,,\n"
    "dim_customer,name,VARCHAR,customers,name,direct,,,,,,\n"
)


@pytest.fixture
def shop(tmp_path: Path, fake_llm: FakeLLMServer) -> Path:
    """A project over customers and orders, its model the fake server."""
    llm = {"base_url": fake_llm.base_url, "api_key": "test-key", "model": "gpt-4o-mini"}
    config = {
        "name": "shop",
        "mappings": ["mappings/*"],
        "engine": {"type": "duckdb", "path": "warehouse.duckdb"},
        "llm": {**llm, "max_retries": 0},
    }
    (tmp_path / "mapforge.yml").write_text(json.dumps(config))  # JSON is YAML
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "customers.csv").write_text(MAPPING)
    with DuckDBEngine(tmp_path / "warehouse.duckdb") as engine:
        engine.execute(
            "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name VARCHAR,"
            " country VARCHAR);"
            "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER"
            " REFERENCES customers (customer_id), amount DECIMAL(10, 2), status VARCHAR);"
            f"INSERT INTO customers VALUES (1, '{SECRET_NAME}', '{SECRET_COUNTRY}'),"
            " (2, 'Ada', 'UK');"
            f"INSERT INTO orders VALUES (10, 1, {SECRET_AMOUNT}, 'paid'), (11, 2, 150, 'paid'),"
            " (12, 2, 20, 'open')"
        )
    return tmp_path


@pytest.fixture
def two_shops(shop: Path) -> Path:
    """The shop plus `targets: second`, another DuckDB file: other orders, and shipments."""
    config = json.loads((shop / "mapforge.yml").read_text())
    config["targets"] = {"second": {"type": "duckdb", "path": "second.duckdb"}}
    (shop / "mapforge.yml").write_text(json.dumps(config))
    with DuckDBEngine(shop / "second.duckdb") as engine:
        engine.execute(
            "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount DECIMAL(10, 2));"
            "CREATE TABLE shipments (shipment_id INTEGER PRIMARY KEY, order_id INTEGER,"
            " carrier VARCHAR);"
            "INSERT INTO orders VALUES (1, 500), (2, 700), (3, 900), (4, 5);"
            "INSERT INTO shipments VALUES (1, 1, 'Owl Post'), (2, 2, 'Owl Post'), (3, 3, 'Yak')"
        )
    return shop


def _ask(
    shop: Path, question: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ask", question, "-p", str(shop), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _ask_json(
    shop: Path, question: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict]:
    code, out, _ = _ask(shop, question, "--json", *args, env=env)
    return code, json.loads(out)


def test_an_answer_is_validated_and_run(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer(COUNT_SQL)
    code, answer = _ask_json(shop, QUESTION, "--run")
    assert code == 0 and answer["findings"] == [] and answer["cached"] == "none"
    assert answer["sql"] == "SELECT count(*) AS n FROM orders WHERE amount > 100"
    assert answer["tables"] == ["orders"] and answer["rows"] == [{"n": 2}]
    body = fake_llm.requests[0].json
    assert body["temperature"] == 0 and QUESTION in prompt_text(body)


def test_run_wraps_the_answer_in_the_limit(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer("```sql\nSELECT order_id FROM orders ORDER BY order_id DESC\n```")
    code, answer = _ask_json(shop, "List the order ids, newest first", "--run", "--limit", "2")
    assert code == 0 and answer["rows"] == [{"order_id": 12}, {"order_id": 11}]


def test_without_run_nothing_is_executed_and_rows_are_absent(
    shop: Path, fake_llm: FakeLLMServer
) -> None:
    fake_llm.answer(COUNT_SQL)
    code, out, _ = _ask(shop, QUESTION)
    assert code == 0 and "SELECT count(*)" in out and "tables: orders" in out
    assert "rows" not in _ask_json(shop, QUESTION)[1]


def test_a_paraphrase_hits_the_semantic_cache(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer(COUNT_SQL)
    assert _ask_json(shop, QUESTION)[1]["cached"] == "none"
    # case and punctuation; word order and a dropped "have"
    paraphrases = (
        "how many ORDERS have an amount over 100",
        "Orders with an amount over 100: how many?",
    )
    for paraphrase in paraphrases:
        code, answer = _ask_json(shop, paraphrase, "--run")
        assert code == 0 and answer["cached"] == "semantic" and answer["rows"] == [{"n": 2}]
    assert _ask_json(shop, QUESTION)[1]["cached"] == "exact"
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    "near_miss",
    [
        "How many orders have an amount over 1000?",  # another number
        "How many orders have an order_id over 100?",  # another column
        "How many orders do not have an amount over 100?",  # a negation
    ],
)
def test_a_near_miss_asks_the_model_again(
    shop: Path, fake_llm: FakeLLMServer, near_miss: str
) -> None:
    fake_llm.answers([COUNT_SQL, "```sql\nSELECT count(*) AS n FROM orders\n```"])
    _ask_json(shop, QUESTION)
    code, answer = _ask_json(shop, near_miss)
    assert code == 0 and answer["cached"] == "none" and len(fake_llm.requests) == 2


def test_no_cache_asks_again(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answers([COUNT_SQL, COUNT_SQL])
    _ask_json(shop, QUESTION)
    assert _ask_json(shop, QUESTION, "--no-cache")[1]["cached"] == "none"
    assert len(fake_llm.requests) == 2


def test_an_unknown_column_gets_a_finding_and_one_repair(
    shop: Path, fake_llm: FakeLLMServer
) -> None:
    bad = "```sql\nSELECT count(*) AS n FROM orders WHERE total_price > 100\n```"
    fake_llm.answers([bad, COUNT_SQL])
    code, answer = _ask_json(shop, QUESTION, "--run")
    assert code == 0 and answer["rows"] == [{"n": 2}] and len(fake_llm.requests) == 2
    repair = prompt_text(fake_llm.requests[1].json)
    assert "MF101" in repair and "total_price" in repair and "amount" in repair
    # the repaired answer is what a paraphrase gets, not the one that needed repair
    code, answer = _ask_json(shop, "how many orders have an amount over 100")
    assert answer["cached"] == "semantic" and "amount > 100" in answer["sql"]


def test_a_failed_repair_is_exit_1_with_the_finding(shop: Path, fake_llm: FakeLLMServer) -> None:
    bad = "```sql\nSELECT count(*) AS n FROM orders WHERE total_price > 100\n```"
    fake_llm.answers([bad, bad])
    code, _, err = _ask(shop, QUESTION, "--run")
    assert code == 1 and "MF101" in err and "total_price" in err and "Traceback" not in err
    assert len(fake_llm.requests) == 2  # one repair round, not more


def test_prose_is_a_clear_message_and_exit_1(shop: Path, fake_llm: FakeLLMServer) -> None:
    prose = "Orders are a great way to understand customers."
    fake_llm.answers([prose, prose])
    code, out, err = _ask(shop, QUESTION)
    assert code == 1 and "MF005" in err and "contains no SQL" in err and prose in err
    assert "Traceback" not in err and len(fake_llm.requests) == 2


def test_a_clarification_is_shown_as_the_question(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer("CLARIFY: Which currency is the amount in?")
    code, out, _ = _ask(shop, QUESTION)
    assert code == 1 and "Which currency is the amount in?" in out
    assert _ask_json(shop, QUESTION)[1]["clarification"] == "Which currency is the amount in?"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("```sql\nDELETE FROM orders\n```", "MF004"),
        ("```sql\nSELECT 1 AS a; SELECT 2 AS b\n```", "MF005"),  # extract_sql refuses both
        ("```sql\nSELECT * FROM read_csv('/etc/passwd')\n```", "MF102"),
        ("```sql\nSELECT * FROM refunds\n```", "MF102"),
    ],
)
def test_only_one_read_only_select_over_the_catalog_passes(
    shop: Path, fake_llm: FakeLLMServer, answer: str, code: str
) -> None:
    fake_llm.answers([answer, answer])
    exit_code, result = _ask_json(shop, QUESTION, "--run")
    assert exit_code == 1 and code in {f["code"] for f in result["findings"]}
    assert "rows" not in result
    with DuckDBEngine(shop / "warehouse.duckdb") as engine:
        assert engine.row_count("orders") == 3


def test_explain_catches_what_the_static_checks_cannot(shop: Path, fake_llm: FakeLLMServer) -> None:
    bad = "```sql\nSELECT no_such_function(amount) AS x FROM orders\n```"
    fake_llm.answers([bad, bad])
    code, answer = _ask_json(shop, QUESTION)
    assert code == 1 and [f["code"] for f in answer["findings"]] == ["MF501"]


def test_the_prompt_carries_metadata_never_rows(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer(
        "```sql\nSELECT c.country, sum(o.amount) AS total FROM orders o"
        " JOIN customers c USING (customer_id) GROUP BY c.country\n```"
    )
    code, answer = _ask_json(shop, "Total order amount per customer country", "--run")
    assert code == 0 and {r["country"] for r in answer["rows"]} == {SECRET_COUNTRY, "UK"}
    sent = json.dumps([r.json for r in fake_llm.requests])
    assert "customers" in sent and "country" in sent and "amount" in sent
    for value in (SECRET_NAME, SECRET_COUNTRY, SECRET_AMOUNT, "4242"):
        assert value not in sent


def test_ask_is_recorded_in_the_ledger(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer(COUNT_SQL)
    _ask(shop, QUESTION)
    _ask(shop, QUESTION.lower())  # a cache hit is a ledger row too
    result = runner.invoke(app, ["cost", "-p", str(shop), "--by", "command", "--json"])
    (row,) = json.loads(result.stdout)["by"]["command"]
    assert row["command"] == "ask" and row["calls"] == 2 and row["cache_hits"] == 1


def test_the_library_entry_point(shop: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answer(COUNT_SQL)
    with open_project(shop) as project:
        result = ask(project, QUESTION, run=True, limit=5)
    assert result.ok and result.rows == [(2,)] and result.columns == ["n"]
    assert result.calls == 1 and result.cached == "none"


def test_an_empty_question_is_a_user_error(shop: Path) -> None:
    code, _, err = _ask(shop, "   ")
    assert code == 2 and "question is empty" in err


SHIPMENTS_SQL = (
    "```sql\nSELECT carrier, count(*) AS n FROM shipments GROUP BY carrier ORDER BY carrier\n```"
)


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--target", "second"], None), (["-t", "second"], None), ([], {"MAPFORGE_TARGET": "second"})],
)
def test_target_asks_that_engine_and_runs_there(
    two_shops: Path, fake_llm: FakeLLMServer, args: list[str], env: dict[str, str] | None
) -> None:
    fake_llm.answer(SHIPMENTS_SQL)
    code, answer = _ask_json(two_shops, "How many shipments per carrier?", "--run", *args, env=env)
    assert code == 0 and answer["findings"] == [] and answer["tables"] == ["shipments"]
    assert answer["rows"] == [{"carrier": "Owl Post", "n": 2}, {"carrier": "Yak", "n": 1}]
    sent = prompt_text(fake_llm.requests[0].json)
    assert "shipments" in sent and "carrier" in sent and len(fake_llm.requests) == 1


def test_without_target_the_default_engine_is_asked(
    two_shops: Path, fake_llm: FakeLLMServer
) -> None:
    fake_llm.answer(COUNT_SQL)
    code, answer = _ask_json(two_shops, QUESTION, "--run")
    assert code == 0 and answer["rows"] == [{"n": 2}]
    sent = prompt_text(fake_llm.requests[0].json)
    assert "status" in sent and "shipments" not in sent


def test_answers_are_cached_per_target(two_shops: Path, fake_llm: FakeLLMServer) -> None:
    fake_llm.answers([COUNT_SQL, COUNT_SQL])
    assert _ask_json(two_shops, QUESTION, "--run")[1]["rows"] == [{"n": 2}]
    # the same question of the other engine's catalog goes to the model, and runs there
    code, answer = _ask_json(two_shops, QUESTION, "--run", "--target", "second")
    assert code == 0 and answer["cached"] == "none" and answer["rows"] == [{"n": 3}]
    assert len(fake_llm.requests) == 2
    paraphrase = "how many ORDERS have an amount over 100"
    code, answer = _ask_json(two_shops, paraphrase, "--run", "--target", "second")
    assert answer["cached"] == "semantic" and answer["rows"] == [{"n": 3}]
    code, answer = _ask_json(two_shops, QUESTION, "--run")
    assert answer["cached"] == "exact" and answer["rows"] == [{"n": 2}]
    assert len(fake_llm.requests) == 2


def test_an_unknown_target_is_the_same_error_as_run(
    two_shops: Path, fake_llm: FakeLLMServer
) -> None:
    code, _, err = _ask(two_shops, QUESTION, "--target", "nope")
    assert code == 2 and "unknown target 'nope'" in err and "targets: second" in err
    assert "Traceback" not in err and fake_llm.requests == []
    run = runner.invoke(app, ["run", "-p", str(two_shops), "--target", "nope"])
    assert run.exit_code == 2 and run.stderr == err


def test_the_semantic_cache_keeps_engines_of_other_dialects_apart(tmp_path: Path) -> None:
    # the catalog fingerprint leaves the dialect out: the same tables on DuckDB and on
    # PostgreSQL must not share answers written in one dialect
    orders = Table(name="orders", columns=[Column(name="amount", type="DECIMAL")])
    catalog = Catalog.of([orders])
    cfg = LLMConfig()

    def request(dialect: str) -> CompletionRequest:
        engine: Any = SimpleNamespace(dialect=dialect)  # _request reads only the dialect
        session = _Session(QUESTION, catalog, catalog, engine, cfg)
        return session._request(build_ask_prompt(QUESTION, catalog, dialect), "ask")

    cache = SemanticCache(open_store(tmp_path), HashingEmbedder())
    try:
        cache.remember(request("duckdb"), Completion(text=COUNT_SQL, model=cfg.model))
        assert cache.lookup(request("duckdb")) is not None
        assert cache.lookup(request("postgres")) is None
    finally:
        cache.close()


def test_the_slice_holds_the_asked_tables_and_their_join_partners() -> None:
    customers = Table(
        name="customers",
        columns=[Column(name="customer_id", type="INTEGER"), Column(name="country", type="TEXT")],
        primary_key=["customer_id"],
    )
    orders = Table(
        name="orders",
        columns=[
            Column(name="order_id", type="INTEGER"),
            Column(name="customer_id", type="INTEGER"),
            Column(name="amount", type="DECIMAL"),
        ],
        primary_key=["order_id"],
        foreign_keys=[
            ForeignKey(columns=["customer_id"], ref_table="customers", ref_columns=["customer_id"])
        ],
    )
    noise = [
        Table(name=f"audit_{i}", columns=[Column(name="event", type="TEXT")]) for i in range(20)
    ]
    catalog = Catalog.of([customers, orders, *noise])
    chosen = select_for_question("total amount of orders", catalog, 8000)
    assert sorted(chosen.catalog.tables) == ["customers", "orders"]
    assert chosen.catalog.tables["orders"].column_names == ["order_id", "customer_id", "amount"]
    assert chosen.reasons["customers"].startswith("FK neighbour")
