"""Table keys cached by table definition: the same catalog, without duckdb_constraints()."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapforge.engines import duckdb_catalog
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.engines.duckdb_keys import KEY_CACHE_FILE

SOURCES = [
    "create table customers (id integer primary key, name varchar)",
    # a composite key declared in another order than the columns
    "create table lines (order_id bigint, line_no integer, qty integer, primary key (line_no, order_id))",
    "create table orders (id integer primary key, customer_id integer references customers(id))",
    "create table notes (body varchar)",
    "create view v_orders as select * from orders",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with DuckDBEngine(path) as engine:
        for statement in SOURCES:
            engine.execute(statement)
    return path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Schemas whose keys were read from duckdb_constraints() (the real query still runs)."""
    seen: list[str] = []
    real = duckdb_catalog._keys

    def counted(conn: Any, schema: str) -> dict[str, list[tuple[Any, ...]]]:
        seen.append(schema)
        return real(conn, schema)

    monkeypatch.setattr(duckdb_catalog, "_keys", counted)
    yield seen


def test_the_cached_catalog_is_the_catalog(db: Path, tmp_path: Path, reads: list[str]) -> None:
    cache = tmp_path / KEY_CACHE_FILE
    with DuckDBEngine(db) as plain:
        expected = plain.catalog()
    with DuckDBEngine(db, key_cache=cache) as engine:
        first = engine.catalog()
    with DuckDBEngine(db, key_cache=cache) as engine:
        second = engine.catalog()
    assert first == expected and second == expected
    assert reads == ["main", "main"]  # the uncached read and the one that filled the cache
    lines, orders = second.tables["lines"], second.tables["orders"]
    assert lines.primary_key == ["line_no", "order_id"]
    assert [(f.columns, f.ref_table, f.ref_columns) for f in orders.foreign_keys] == [
        (["customer_id"], "customers", ["id"])
    ]
    assert len(json.loads(cache.read_text())["keys"]) == 3  # the three indexed tables


def test_a_changed_definition_misses_and_reads_the_new_keys(
    db: Path, tmp_path: Path, reads: list[str]
) -> None:
    cache = tmp_path / KEY_CACHE_FILE
    with DuckDBEngine(db, key_cache=cache) as engine:
        engine.catalog()
        engine.execute("drop table lines")
        engine.execute(
            "create table lines (order_id bigint, line_no integer, primary key (order_id))"
        )
        assert engine.catalog().tables["lines"].primary_key == ["order_id"]
        assert engine.catalog().tables["lines"].primary_key == ["order_id"]
    assert len(reads) == 2  # filled, then missed once on the new definition


def test_tables_without_an_index_never_ask_for_keys(tmp_path: Path, reads: list[str]) -> None:
    with DuckDBEngine(tmp_path / "plain.duckdb") as engine:
        engine.execute("create table a (x integer)")
        engine.execute("create view b as select x from a")
        catalog = engine.catalog()
    assert catalog.tables["a"].primary_key == [] and reads == []


@pytest.mark.parametrize("content", ["not json", '{"format": 99, "keys": {}}', '["a"]'])
def test_an_unreadable_cache_is_read_again_and_replaced(
    db: Path, tmp_path: Path, content: str
) -> None:
    cache = tmp_path / KEY_CACHE_FILE
    cache.write_text(content)
    with DuckDBEngine(db, key_cache=cache) as engine:
        assert engine.catalog().tables["customers"].primary_key == ["id"]
    assert json.loads(cache.read_text())["format"] == 1


def test_a_cache_that_cannot_be_written_still_reads_the_keys(db: Path, tmp_path: Path) -> None:
    blocked = tmp_path / KEY_CACHE_FILE  # a directory where the file should go (root-proof)
    (blocked / "x").mkdir(parents=True)
    with DuckDBEngine(db, key_cache=blocked) as engine:
        assert engine.catalog().tables["customers"].primary_key == ["id"]
    assert blocked.is_dir() and not list(tmp_path.glob("*.tmp"))
