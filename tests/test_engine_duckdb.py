"""The DuckDB engine against real in-process databases."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapforge.catalog.model import ForeignKey
from mapforge.engines import Engine, connect
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.errors import EngineError

SHOP = """
create table customers (id integer primary key, name varchar not null, email varchar);
create table orders (
    id integer primary key,
    customer_id integer references customers(id),
    amount decimal(10, 2)
);
create table order_lines (order_id integer, line_no integer, sku varchar,
                          primary key (order_id, line_no));
create table shipments (id integer, order_id integer, line_no integer,
                        foreign key (order_id, line_no) references order_lines(order_id, line_no));
comment on table customers is 'people who buy';
comment on column customers.email is 'primary contact';
create view big_orders as select id, amount from orders where amount > 100;
create table __mapforge_tmp_orders (i integer);
create temp table scratch (i integer);
insert into customers values (1, 'ann', null), (2, 'bob', 'b@x');
insert into orders values (10, 1, 50), (11, 2, 150), (12, 2, 300);
"""


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as eng:
        yield eng


@pytest.fixture
def shop(engine: DuckDBEngine) -> DuckDBEngine:
    engine.execute(SHOP)
    return engine


def _internal_objects(engine: DuckDBEngine) -> list[tuple[str, ...]]:
    sql = (
        "select table_name from duckdb_tables() where table_name like '\\_\\_mapforge%' escape '\\'"
        " union all select view_name from duckdb_views() where view_name like '\\_\\_mapforge%'"
        " escape '\\'"
    )
    return engine.query(sql).rows


# -- catalog ---------------------------------------------------------------------------------


def test_catalog_lists_user_tables_and_views_sorted(shop: DuckDBEngine) -> None:
    catalog = shop.catalog()
    assert list(catalog.tables) == ["big_orders", "customers", "order_lines", "orders", "shipments"]
    assert catalog.dialect == "duckdb"


def test_catalog_columns_types_nullability_comments(shop: DuckDBEngine) -> None:
    customers = shop.catalog().tables["customers"]
    assert [(c.name, c.type, c.nullable) for c in customers.columns] == [
        ("id", "INTEGER", False),
        ("name", "VARCHAR", False),
        ("email", "VARCHAR", True),
    ]
    assert customers.comment == "people who buy"
    assert customers.column("email").comment == "primary contact"  # type: ignore[union-attr]
    assert customers.schema_name == "main"
    assert shop.catalog().tables["orders"].column("amount").type == "DECIMAL(10,2)"  # type: ignore[union-attr]


def test_catalog_keys_simple_and_composite(shop: DuckDBEngine) -> None:
    tables = shop.catalog().tables
    assert tables["customers"].primary_key == ["id"]
    assert tables["order_lines"].primary_key == ["order_id", "line_no"]
    assert tables["orders"].foreign_keys == [
        ForeignKey(columns=["customer_id"], ref_table="customers", ref_columns=["id"])
    ]
    assert tables["shipments"].foreign_keys == [
        ForeignKey(
            columns=["order_id", "line_no"],
            ref_table="order_lines",
            ref_columns=["order_id", "line_no"],
        )
    ]
    assert tables["shipments"].primary_key == []


def test_catalog_row_counts_and_views(shop: DuckDBEngine) -> None:
    tables = shop.catalog().tables
    assert tables["orders"].row_count == 3
    assert tables["order_lines"].row_count == 0
    view = tables["big_orders"]
    assert (view.kind, view.row_count, view.column_names) == ("view", None, ["id", "amount"])
    uncounted = shop.catalog(counts=False)  # what a run reads: counts are prompt metadata
    assert [t.row_count for t in uncounted.tables.values()] == [None] * len(tables)
    assert uncounted.table("orders").column_names == tables["orders"].column_names  # type: ignore[union-attr]


def test_catalog_is_deterministic(shop: DuckDBEngine) -> None:
    assert shop.catalog().fingerprint() == shop.catalog().fingerprint()


def test_catalog_of_a_named_schema(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with DuckDBEngine(path) as main:
        main.execute("create table in_main (i integer)")
    with DuckDBEngine(path, schema="staging") as staging:
        staging.execute("create table in_staging (i integer)")  # unqualified: lands in staging
        assert list(staging.catalog().tables) == ["in_staging"]
        assert staging.catalog().tables["in_staging"].schema_name == "staging"
    with DuckDBEngine(path, read_only=True) as reader:
        assert list(reader.catalog().tables) == ["in_main"]


# -- query, execute, explain -----------------------------------------------------------------


def test_query_returns_columns_and_rows(shop: DuckDBEngine) -> None:
    result = shop.query("select id, name from customers order by id")
    assert result.columns == ["id", "name"]
    assert result.rows == [(1, "ann"), (2, "bob")]


def test_explain_accepts_a_valid_query(shop: DuckDBEngine) -> None:
    shop.explain("select id from orders;")


def test_explain_names_the_bad_column_and_the_sql(shop: DuckDBEngine) -> None:
    with pytest.raises(EngineError) as info:
        shop.explain("select nope\nfrom orders")
    message = info.value.message
    assert '"nope"' in message
    assert "Binder Error" in message
    assert "[sql: select nope]" in message
    assert "LINE 1" not in message  # the caret drawing is dropped


def test_errors_are_engine_errors(shop: DuckDBEngine) -> None:
    with pytest.raises(EngineError, match="missing_table"):
        shop.query("select * from missing_table")
    with pytest.raises(EngineError, match="syntax error"):
        shop.execute("selec 1")


def test_lock_held_by_another_process_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(EngineError) as info:
            DuckDBEngine(path)
        assert "lock" in info.value.message.lower()
        assert info.value.hint is not None and "another mapforge" in info.value.hint
    finally:
        holder.communicate(input="")  # closing stdin lets the holder exit


_HOLD_LOCK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
"""


# -- build_table / build_view ----------------------------------------------------------------


def test_build_table_creates_and_replaces(shop: DuckDBEngine) -> None:
    assert (
        shop.build_table(
            "totals", "select customer_id, sum(amount) as total from orders group by 1"
        )
        == 2
    )
    assert shop.build_table("totals", "select 1 as x union all select 2 union all select 3;") == 3
    assert shop.query("select * from totals order by x").rows == [(1,), (2,), (3,)]
    assert _internal_objects(shop) == [("__mapforge_tmp_orders",)]  # only the fixture's own


def test_build_table_can_read_the_table_it_replaces(shop: DuckDBEngine) -> None:
    assert shop.build_table("orders", "select id, amount * 2 as amount from orders") == 3
    assert shop.query("select max(amount) from orders").rows == [(600,)]


def test_failing_select_leaves_the_old_table_untouched(engine: DuckDBEngine) -> None:
    engine.build_table("t", "select 1 as x union all select 2")
    before = engine.checksum("t")
    with pytest.raises(EngineError, match="nope"):
        engine.build_table("t", "select nope from t")
    assert engine.query("select x from t order by x").rows == [(1,), (2,)]
    assert engine.checksum("t") == before
    assert _internal_objects(engine) == []


def test_failure_inside_the_swap_rolls_back(shop: DuckDBEngine) -> None:
    # customers is referenced by orders' foreign key, so DROP fails after the staging table
    # was built: the transaction must roll back and the staging table must go.
    with pytest.raises(EngineError):
        shop.build_table("customers", "select 99 as id")
    assert shop.query("select id from customers order by id").rows == [(1,), (2,)]
    assert shop.catalog().tables["customers"].primary_key == ["id"]
    assert _internal_objects(shop) == [("__mapforge_tmp_orders",)]


def test_failed_rename_restores_the_dropped_table(
    engine: DuckDBEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.build_table("t", "select 1 as x")
    run = engine._run

    def rename_fails(sql: str, *args: object, **kwargs: object) -> object:
        if sql.startswith("alter table"):  # the old table is already dropped by now
            raise EngineError("simulated rename failure")
        return run(sql, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_run", rename_fails)
    with pytest.raises(EngineError, match="simulated"):
        engine.build_table("t", "select 2 as x")
    monkeypatch.undo()
    assert engine.query("select x from t").rows == [(1,)]
    assert _internal_objects(engine) == []


def test_build_table_replaces_a_view(shop: DuckDBEngine) -> None:
    assert shop.build_table("big_orders", "select 7 as id") == 1
    assert shop.catalog().tables["big_orders"].kind == "table"
    assert shop.query("select id from big_orders").rows == [(7,)]


def test_build_view_replaces_a_table_and_a_view(engine: DuckDBEngine) -> None:
    engine.build_table("v", "select 1 as x")
    engine.build_view("v", "select 2 as y;")
    assert engine.catalog().tables["v"].kind == "view"
    engine.build_view("v", "select 3 as z")
    assert engine.query("select * from v").rows == [(3,)]


def test_failing_view_keeps_the_previous_table(engine: DuckDBEngine) -> None:
    engine.build_table("t", "select 1 as x")
    with pytest.raises(EngineError, match="nope"):
        engine.build_view("t", "select nope")
    assert engine.catalog().tables["t"].kind == "table"
    assert engine.query("select x from t").rows == [(1,)]


def test_quoted_names_survive_a_build(engine: DuckDBEngine) -> None:
    assert engine.build_table('Order "Items"', 'select 1 as "select"') == 1
    assert engine.table_exists('Order "Items"')
    assert engine.row_count('Order "Items"') == 1


# -- small helpers ---------------------------------------------------------------------------


def test_table_exists_and_row_count(shop: DuckDBEngine) -> None:
    assert shop.table_exists("orders") and shop.table_exists("big_orders")
    assert shop.table_exists("ORDERS")  # DuckDB names are case-insensitive
    assert not shop.table_exists("scratch")  # temp objects are not the schema's
    assert not shop.table_exists("nothing")
    assert shop.row_count("big_orders") == 2
    with pytest.raises(EngineError):
        shop.row_count("nothing")


def _table_of(engine: DuckDBEngine, name: str, values: list[str]) -> str:
    engine.execute(f"create or replace table {name} (k integer, v varchar)")
    if values:
        engine.execute(f"insert into {name} values {', '.join(values)}")
    return engine.checksum(name)


def test_checksum_ignores_row_order(engine: DuckDBEngine) -> None:
    first = _table_of(engine, "a", ["(1, 'x')", "(2, null)", "(3, 'z')"])
    second = _table_of(engine, "b", ["(3, 'z')", "(1, 'x')", "(2, null)"])
    assert first == second


def test_checksum_sees_one_changed_value(engine: DuckDBEngine) -> None:
    first = _table_of(engine, "a", ["(1, 'x')", "(2, 'y')"])
    assert _table_of(engine, "b", ["(1, 'x')", "(2, 'Y')"]) != first
    assert _table_of(engine, "c", ["(1, 'x')", "(2, null)"]) != first


def test_checksum_counts_duplicate_rows(engine: DuckDBEngine) -> None:
    # XOR of hashes would make a pair of equal rows vanish; the sum must not.
    empty = _table_of(engine, "a", [])
    assert _table_of(engine, "b", ["(1, 'x')", "(1, 'x')"]) != empty
    assert _table_of(engine, "c", ["(1, 'x')"]) != _table_of(engine, "d", ["(1, 'x')", "(1, 'x')"])


# -- registration ----------------------------------------------------------------------------


def test_connect_dispatches_to_duckdb(tmp_path: Path) -> None:
    engine = connect("duckdb", path=str(tmp_path / "x.duckdb"))
    try:
        assert isinstance(engine, DuckDBEngine) and isinstance(engine, Engine)
        assert (engine.name, engine.dialect) == ("duckdb", "duckdb")
        assert engine.supports_transactions and engine.supports_merge
    finally:
        engine.close()
        engine.close()  # closing twice is harmless
