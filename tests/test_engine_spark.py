"""The Spark engine against a real local SparkSession (one per test run, see conftest)."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml

from mapforge.catalog.model import Column, Table
from mapforge.config import load_config
from mapforge.engines import Engine, connect
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.errors import EngineError
from mapforge.generate.compiler import compile_target
from mapforge.mapping.load import load_spec
from mapforge.mapping.spec import Target

ROOT = Path(__file__).resolve().parent.parent
RETAIL = ROOT / "examples" / "retail"
COMPILER_CASES = Path(__file__).parent / "fixtures" / "compiler"
_DATABASES = itertools.count()

SHOP = """
create table customers (id int comment 'primary contact key', name string, email string)
  using parquet comment 'people who buy';
create table orders (id int, customer_id int, amount decimal(10, 2)) using parquet;
create view big_orders as select id, amount from orders where amount > 100;
insert into customers values (1, 'ann', null), (2, 'bob', 'b@x');
insert into orders values (10, 1, 50), (11, 2, 150), (12, 2, 300);
"""


def _open_database(session: Any) -> Any:
    from mapforge.engines.spark import SparkEngine

    return SparkEngine(session=session, schema=f"t{next(_DATABASES)}")


def _drop_database(engine: Any) -> None:
    session = engine.session
    for view in [t.name for t in session.catalog.listTables() if t.isTemporary]:
        session.catalog.dropTempView(view)
    session.catalog.setCurrentDatabase("default")
    session.sql(f"drop database {engine.schema} cascade")
    engine.close()


@pytest.fixture
def engine(spark_session: Any) -> Iterator[Any]:
    """An engine over a fresh, empty database of the shared session, dropped after the test."""
    eng = _open_database(spark_session)
    yield eng
    _drop_database(eng)


@pytest.fixture(scope="module")
def shop_database(spark_session: Any) -> Iterator[Any]:
    # Spark jobs are slow to start, so the SHOP tables are written once for the module.
    eng = _open_database(spark_session)
    eng.execute(SHOP)
    yield eng
    _drop_database(eng)


@pytest.fixture
def shop(shop_database: Any) -> Iterator[Any]:
    """The SHOP database; whatever a test adds to it (and temp views) is dropped after."""
    session = shop_database.session
    session.catalog.setCurrentDatabase(shop_database.schema)
    yield shop_database
    for view in [t.name for t in session.catalog.listTables() if t.isTemporary]:
        session.catalog.dropTempView(view)
    for name in set(_names(shop_database)) - {"big_orders", "customers", "orders"}:
        table_type = session.catalog.getTable(f"{shop_database.schema}.{name}").tableType
        kind = "view" if table_type == "VIEW" else "table"
        session.sql(f"drop {kind} {shop_database.schema}.{name}")


def _names(engine: Any) -> list[str]:
    """Every table and view of the engine's database, mapforge's staging objects included."""
    return sorted(r[1] for r in engine.query(f"show tables in {engine.schema}").rows if not r[2])


def _temp_views(engine: Any) -> list[str]:
    return sorted(t.name for t in engine.session.catalog.listTables() if t.isTemporary)


# -- connect and config ----------------------------------------------------------------


def test_connect_returns_a_spark_engine_with_its_capabilities(spark_session: Any) -> None:
    eng = connect("spark", session=spark_session, schema="connect_test")
    try:
        assert isinstance(eng, Engine)
        assert (eng.name, eng.dialect) == ("spark", "spark")
        assert (eng.supports_transactions, eng.supports_merge) == (False, False)
    finally:
        eng.close()  # a session handed in is the caller's: close() must not stop it
        spark_session.catalog.setCurrentDatabase("default")
    assert spark_session.sql("select 1").collect()[0][0] == 1


def test_spark_keys_in_mapforge_yml(tmp_path: Path) -> None:
    (tmp_path / "mapforge.yml").write_text(
        "engine:\n  type: spark\n  master: sc://spark.internal:15002\n  schema: retail\n"
        "  warehouse: /data/wh\n  spark_conf:\n    spark.sql.ansi.enabled: 'false'\n"
    )
    cfg = load_config(tmp_path, env={}).engine
    assert (cfg.type, cfg.master, cfg.warehouse) == (
        "spark",
        "sc://spark.internal:15002",
        "/data/wh",
    )
    assert cfg.spark_conf == {"spark.sql.ansi.enabled": "false"}
    env = {"MAPFORGE_ENGINE_SPARK_CONF": '{"spark.executor.memory": "2g"}'}
    assert load_config(tmp_path, env=env).engine.spark_conf == {"spark.executor.memory": "2g"}


# -- catalog ---------------------------------------------------------------------------


def test_catalog_lists_tables_and_views_without_temp_views_or_staging(shop: Any) -> None:
    shop.execute("create temp view scratch as select 1 as i")
    shop.execute("create table __mapforge_tmp_orders (i int) using parquet")
    catalog = shop.catalog()
    assert list(catalog.tables) == ["big_orders", "customers", "orders"]
    assert catalog.dialect == "spark"


def test_catalog_columns_types_comments_counts_and_no_keys(shop: Any) -> None:
    tables = shop.catalog().tables
    customers = tables["customers"]
    assert [(c.name, c.type) for c in customers.columns] == [
        ("id", "INT"),
        ("name", "STRING"),
        ("email", "STRING"),
    ]
    assert customers.comment == "people who buy"
    assert customers.column("id").comment == "primary contact key"  # type: ignore[union-attr]
    assert (customers.schema_name, customers.row_count) == (shop.schema, 2)
    assert tables["orders"].column("amount").type == "DECIMAL(10,2)"  # type: ignore[union-attr]
    assert (customers.primary_key, customers.foreign_keys) == ([], [])
    uncounted = shop.catalog(counts=False)  # a run's read: no count job per table
    assert [t.row_count for t in uncounted.tables.values()] == [None] * len(tables)
    view = tables["big_orders"]
    assert (view.kind, view.row_count, view.column_names) == ("view", None, ["id", "amount"])


# -- query, execute, errors ------------------------------------------------------------


def test_query_returns_columns_and_rows(shop: Any) -> None:
    result = shop.query("select id, name from customers order by id;")
    assert result.columns == ["id", "name"]
    assert result.rows == [(1, "ann"), (2, "bob")]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select * from nowhere", "TABLE_OR_VIEW_NOT_FOUND"),
        ("selec 1", "PARSE_SYNTAX_ERROR"),
        ("select cast('x' as int)", "CAST_INVALID_INPUT"),  # fails at run time, not analysis
    ],
)
def test_errors_are_engine_errors_with_spark_reason_and_sql(
    engine: Any, sql: str, expected: str
) -> None:
    with pytest.raises(EngineError) as info:
        engine.query(sql)
    assert expected in info.value.message
    assert f"[sql: {sql}]" in info.value.message
    assert "\n" not in info.value.message  # no logical plan, no Java stack trace


def test_split_statements_respects_strings_and_comments() -> None:
    from mapforge.engines.spark import split_statements

    sql = "insert into t values (';'); -- a comment; here\nselect 1;\n;"
    assert split_statements(sql) == ["insert into t values (';')", "select 1"]
    assert split_statements("-- nothing to run") == []


# -- explain ---------------------------------------------------------------------------


def test_explain_accepts_valid_sql_and_refuses_unknown_columns(shop: Any) -> None:
    shop.explain("select id, amount * 2 as doubled from orders")
    with pytest.raises(EngineError, match=r"UNRESOLVED_COLUMN.*`nope`"):
        shop.explain("select nope from orders")


def test_explain_does_not_run_the_statement(shop: Any) -> None:
    shop.explain("insert into customers values (3, 'cy', null)")
    assert shop.row_count("customers") == 2


def test_explain_stubs_are_empty_temp_views_gone_afterwards(shop: Any) -> None:
    upstream = Table(
        name="fct_sales",
        columns=[Column(name="total", type="DECIMAL(12, 2)"), Column(name="label", type="TEXT")],
    )
    # `orders` as a stub shadows the real table: only the stub has `note`
    shadow = Table(name="orders", columns=[Column(name="note", type="VARCHAR")])
    shop.explain(
        "select sum(total), max(label) from fct_sales, orders where note = 'x'", [upstream, shadow]
    )
    with pytest.raises(EngineError, match="nope"):
        shop.explain("select nope from fct_sales", [upstream])
    assert _temp_views(shop) == []
    assert not shop.table_exists("fct_sales")


# -- sandbox ---------------------------------------------------------------------------


def test_sandbox_shadows_unqualified_names_and_leaves_tables_alone(shop: Any) -> None:
    sample = {
        "orders": "select * from orders where amount > 100",
        "customers": "select * from customers limit 1",
    }
    with shop.sandbox(sample):
        assert shop.row_count("orders") == 2
        assert shop.query("select count(*) from customers").rows == [(1,)]
        assert shop.query(f"select count(*) from {shop.schema}.orders").rows == [(3,)]
    assert shop.row_count("orders") == 3
    assert _temp_views(shop) == []


def test_sandbox_drops_its_views_when_the_block_raises(shop: Any) -> None:
    with pytest.raises(EngineError), shop.sandbox({"orders": "select * from orders limit 1"}):
        shop.query("select nope from orders")
    assert _temp_views(shop) == []
    assert shop.row_count("orders") == 3


# -- build_table, build_view -----------------------------------------------------------


def test_build_table_creates_then_replaces_without_leftovers(shop: Any) -> None:
    assert shop.build_table("dim", "select id, upper(name) as name from customers") == 2
    assert shop.build_table("dim", "select id from customers where id = 1;") == 1
    assert shop.query("select * from dim").rows == [(1,)]
    assert _names(shop) == ["big_orders", "customers", "dim", "orders"]


def test_failed_build_leaves_the_previous_table_untouched(shop: Any) -> None:
    shop.build_table("dim", "select id from customers")
    with pytest.raises(EngineError, match="nope"):
        shop.build_table("dim", "select nope from customers")
    with pytest.raises(EngineError, match="CAST_INVALID_INPUT"):  # fails while writing
        shop.build_table("dim", "select cast(name as int) as id from customers")
    assert sorted(shop.query("select id from dim").rows) == [(1,), (2,)]
    assert _names(shop) == ["big_orders", "customers", "dim", "orders"]


def test_build_table_replaces_a_view_and_build_view_a_table(shop: Any) -> None:
    shop.build_view("dim", "select 42 as answer")
    assert (shop.catalog().tables["dim"].kind, shop.query("select * from dim").rows) == (
        "view",
        [(42,)],
    )
    shop.build_view("dim", "select 43 as answer")  # view over view: create or replace
    assert shop.query("select * from dim").rows == [(43,)]
    shop.build_table("dim", "select 7 as seven")
    assert (shop.catalog().tables["dim"].kind, shop.query("select * from dim").rows) == (
        "table",
        [(7,)],
    )
    shop.build_view("dim", "select id from orders")
    assert (shop.catalog().tables["dim"].kind, shop.row_count("dim")) == ("view", 3)
    assert _names(shop) == ["big_orders", "customers", "dim", "orders"]


def test_build_view_with_bad_sql_keeps_the_table(shop: Any) -> None:
    shop.build_table("dim", "select id from customers")
    with pytest.raises(EngineError, match="nope"):
        shop.build_view("dim", "select nope from customers")
    assert (shop.catalog().tables["dim"].kind, shop.row_count("dim")) == ("table", 2)
    assert _names(shop) == ["big_orders", "customers", "dim", "orders"]


def test_table_exists(shop: Any) -> None:
    assert shop.table_exists("orders") and shop.table_exists("big_orders")
    shop.execute("create temp view only_temp as select 1 as i")
    assert not shop.table_exists("only_temp")
    assert not shop.table_exists("missing")


# -- worker, interrupt ----------------------------------------------------------------


def test_worker_shares_tables_but_not_temp_views(shop: Any) -> None:
    worker = shop.worker()
    try:
        assert worker.schema == shop.schema and worker.supports_parallel
        with worker.sandbox({"orders": "select * from orders limit 1"}):
            assert worker.row_count("orders") == 1
            assert shop.row_count("orders") == 3
        worker.build_table("from_worker", "select 1 as i")
    finally:
        worker.close()
    assert shop.query("select * from from_worker").rows == [(1,)]  # the context still runs


def test_interrupt_cancels_a_running_query(engine: Any) -> None:
    timer = threading.Timer(3.0, engine.interrupt)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(EngineError):
            engine.query("select count(*) from range(0, 1000000000000) where id % 7 = 3")
    finally:
        timer.cancel()
    assert time.monotonic() - started < 90


# -- checksum, transaction -------------------------------------------------------------


def test_checksum_ignores_row_order_but_sees_duplicates_and_changes(engine: Any) -> None:
    engine.execute(
        "create table a (i int, s string) using parquet; insert into a values (1, 'x'), (2, null)"
    )
    engine.execute(
        "create table b (i int, s string) using parquet; insert into b values (2, null), (1, 'x')"
    )
    engine.execute(
        "create table c (i int, s string) using parquet;"
        " insert into c values (1, 'x'), (1, 'x'), (2, null)"
    )
    engine.execute(
        "create table d (i int, s string) using parquet; insert into d values (1, 'y'), (2, null)"
    )
    assert engine.checksum("a") == engine.checksum("b")
    assert len({engine.checksum(n) for n in "acd"}) == 3


def test_transaction_yields_without_rollback(engine: Any) -> None:
    with pytest.raises(RuntimeError), engine.transaction():
        engine.execute("create table t (i int) using parquet")
        raise RuntimeError
    assert engine.table_exists("t")  # documented: no transactions on Spark


# -- the Spark dialect: compiled targets run on Spark and agree with DuckDB -------------

SOURCES = """
create table people (id integer, first_name varchar, last_name varchar, code varchar);
insert into people values (1, 'Ann', 'Lee', 'ab'), (2, 'Bo', 'Ng', 'cd');
create table customers (customer_id integer, first_name varchar, last_name varchar,
                        country_code varchar);
insert into customers values (1, 'Ann', 'Lee', 'DE'), (2, 'Bo', 'Ng', 'XX'), (3, 'Cy', 'Oh', 'DE');
create table countries (country_code varchar, country_name varchar, region varchar);
insert into countries values ('DE', 'Germany', 'Europe'), ('JP', 'Japan', 'Asia');
create table orders (order_id integer, customer_id integer, amount decimal(10, 2));
insert into orders values (10, 1, 5.50), (11, 1, 4.25), (12, 2, 100), (13, 9, 1);
create table payments (id integer, amount_text varchar, paid_at timestamp);
insert into payments values (1, '10.5', '2024-01-02 03:04:05'), (2, '0.01', null);
"""


def _copy_to_spark(duck: DuckDBEngine, spark: Any, names: list[str], tmp_path: Path) -> None:
    """Each DuckDB table as a parquet file, registered as an external Spark table."""
    for name in names:
        folder = tmp_path / "parquet" / name
        folder.mkdir(parents=True)
        duck.execute(f"copy {name} to '{folder / 'part-0.parquet'}' (format parquet)")
        spark.execute(f"create table {name} using parquet location '{folder}'")


def _rows(engine: Any, name: str) -> tuple[list[str], Counter[tuple[Any, ...]]]:
    """Column names and the rows as a multiset: order-independent, Decimal('1.50') == 1.5."""
    result = engine.query(f"select * from {name}")
    return [c.lower() for c in result.columns], Counter(result.rows)


@pytest.mark.parametrize("case", ["concat", "cast", "lookup_key", "aggregate"])
def test_compiled_targets_run_on_spark_like_on_duckdb(
    engine: Any, case: str, tmp_path: Path
) -> None:
    target = Target.model_validate(
        yaml.safe_load((COMPILER_CASES / f"{case}.yaml").read_text())["target"]
    )
    with DuckDBEngine() as duck:
        duck.execute(SOURCES)
        _copy_to_spark(
            duck, engine, ["people", "customers", "countries", "orders", "payments"], tmp_path
        )
        duck.build_table(target.name, compile_target(target, "duckdb"))
        engine.build_table(target.name, compile_target(target, "spark"))
        expected = _rows(duck, target.name)
    assert sum(expected[1].values()) > 0
    assert _rows(engine, target.name) == expected


# -- the retail example on Spark agrees with DuckDB ------------------------------------


def _retail_sql(name: str, entry: dict[str, Any], targets: dict[str, Target]) -> str:
    """Compiled targets compile for Spark; hand-written (or LLM) SQL is transpiled."""
    if entry["origin"] == "compiled":
        return compile_target(targets[name], "spark")
    return sqlglot.transpile(entry["sql"], read="duckdb", write="spark", pretty=True)[0]


def test_retail_example_builds_the_same_rows_on_spark(engine: Any, tmp_path: Path) -> None:
    sys.path.insert(0, str(RETAIL))
    try:
        from generate_data import build_sources
    finally:
        sys.path.remove(str(RETAIL))
    lock = yaml.safe_load((RETAIL / "mapforge.lock").read_text())["targets"]
    spec = load_spec([RETAIL / "mappings" / "retail.xlsx"], base_dir=RETAIL)
    targets = {t.name: t for t in spec.targets}
    order = _dependency_order(lock)
    build_sources(tmp_path / "retail.duckdb")
    with DuckDBEngine(tmp_path / "retail.duckdb") as duck:
        sources = [n for n in duck.catalog().tables if n not in lock]
        _copy_to_spark(duck, engine, sources, tmp_path)
        for name in order:
            _build(duck, name, lock[name]["load"], lock[name]["sql"])
            _build(engine, name, lock[name]["load"], _retail_sql(name, lock[name], targets))
            assert _rows(engine, name) == _rows(duck, name), name


def _build(engine: Any, name: str, load: str, sql: str) -> None:
    if load == "view":
        engine.build_view(name, sql)
    else:
        engine.build_table(name, sql)


def _dependency_order(lock: dict[str, Any]) -> list[str]:
    done: list[str] = []
    for _ in lock:  # at most one round per target; a cycle leaves the rest out
        done += sorted(
            n for n, e in lock.items() if n not in done and set(e["depends_on"]) <= set(done)
        )
    return done
