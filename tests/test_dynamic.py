"""Dynamic validation: the sample run on a real DuckDB, and its wiring into the planner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mapforge.catalog.compose import planning_catalog
from mapforge.config import load_config
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.generate.expected import expected_sql, sampler
from mapforge.generate.planner import Planner
from mapforge.lock import Lock
from mapforge.mapping.spec import ColumnMapping, Join, JoinKind, Rule, RuleKind, Spec, Target
from mapforge.validate.dynamic import sample_check
from mapforge.validate.sample import shadows

SOURCES = """
create table customers (id integer primary key, name varchar, is_test boolean);
create table orders (order_id integer primary key, customer_id integer references customers,
                     amount decimal(10, 2), code varchar);
insert into customers select i, 'c' || i, i % 10 = 0 from range(1, 101) t(i);
insert into orders select i, 1 + i % 100, i * 1.5, case when i = 7 then 'x' else i::varchar end
  from range(1, 401) t(i);
"""
GOOD = """SELECT orders.order_id AS order_id, customers.name AS customer_name, orders.amount AS amount
FROM orders JOIN customers ON customers.id = orders.customer_id WHERE customers.is_test = false"""


def _col(
    name: str,
    type_: str,
    table: str,
    source: str,
    *,
    key: bool = False,
    nullable: bool = True,
    rule: Rule | None = None,
) -> ColumnMapping:
    return ColumnMapping(
        name=name,
        type=type_,
        source_table=table,
        source_column=source,
        key=key,
        nullable=nullable,
        rule=rule or Rule(kind=RuleKind.DIRECT, text="direct"),
    )


TARGET = Target(
    name="fct_order",
    columns=[
        _col("order_id", "INTEGER", "orders", "order_id", key=True, nullable=False),
        _col("customer_name", "VARCHAR", "customers", "name", nullable=False),
        _col(
            "amount",
            "DECIMAL(10, 2)",
            "orders",
            "amount",
            rule=Rule(kind=RuleKind.FREE_TEXT, text="the amount"),
        ),
    ],
    joins=[Join(kind=JoinKind.INNER, table="customers", on="customers.id = orders.customer_id")],
    filter="customers.is_test = false",
)


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as db:
        db.execute(SOURCES)
        yield db


def _check(engine: DuckDBEngine, sql: str, target: Target = TARGET, **kw: float) -> set[str]:
    catalog = planning_catalog(engine.catalog(), Spec(targets=[target]))
    found = sample_check(
        engine, sql, target, catalog, expected_sql=expected_sql(target), rows_per_source=50, **kw
    )  # type: ignore[arg-type]
    return {f.code for f in found if f.severity == "error"}


def test_correct_sql_passes_and_the_sources_are_untouched(engine: DuckDBEngine) -> None:
    assert _check(engine, GOOD) == set()
    assert engine.row_count("orders") == 400 and engine.row_count("customers") == 100
    assert not engine.table_exists("__mapforge_sample_out")


def test_a_join_without_its_condition_fans_out(engine: DuckDBEngine) -> None:
    codes = _check(engine, GOOD.replace("ON customers.id = orders.customer_id", "ON true"))
    assert {"MF502", "MF506"} <= codes


def test_a_missing_filter_breaks_the_grain(engine: DuckDBEngine) -> None:
    assert _check(engine, GOOD.replace("WHERE customers.is_test = false", "")) == {"MF506"}


def test_a_null_key_and_a_null_in_a_not_null_column(engine: DuckDBEngine) -> None:
    sql = GOOD.replace(
        "orders.order_id AS order_id",
        "CASE WHEN orders.order_id = 3 THEN NULL ELSE orders.order_id END AS order_id",
    )
    assert "MF503" in _check(engine, sql)
    sql = GOOD.replace(
        "customers.name AS customer_name",
        "CASE WHEN orders.order_id = 3 THEN NULL ELSE customers.name END AS customer_name",
    )
    assert "MF504" in _check(engine, sql)


def test_a_value_that_differs_from_a_structured_rule(engine: DuckDBEngine) -> None:
    assert _check(
        engine,
        GOOD.replace("customers.name AS customer_name", "upper(customers.name) AS customer_name"),
    ) == {"MF507"}


def test_a_failing_cast_and_a_wrong_type_family(engine: DuckDBEngine) -> None:
    assert _check(
        engine,
        GOOD.replace("orders.amount AS amount", "CAST(orders.code AS DECIMAL(10, 2)) AS amount"),
    ) == {"MF505"}
    assert _check(engine, GOOD.replace("orders.amount AS amount", "orders.code AS amount")) == {
        "MF511"
    }


def test_a_runaway_statement_is_interrupted(engine: DuckDBEngine) -> None:
    sql = GOOD.replace("WHERE", "CROSS JOIN range(100000000000) AS r WHERE r.range < 0 AND")
    assert _check(engine, sql, timeout_s=0.3) == {"MF509"}
    assert engine.query("select 1").rows == [(1,)]  # the connection is usable afterwards


def test_the_sample_is_bounded_and_keeps_foreign_keys(engine: DuckDBEngine) -> None:
    catalog = engine.catalog()
    shadow = shadows(TARGET, catalog, ["orders", "customers"], rows=5, usable=lambda _t: True)
    orders = engine.query(shadow["orders"]).rows
    customers = {r[0] for r in engine.query(shadow["customers"]).rows}
    assert [r[0] for r in orders] == [1, 2, 3, 4, 5]
    assert customers == {r[1] for r in orders}


def test_an_upstream_target_not_built_yet_reads_as_empty(engine: DuckDBEngine) -> None:
    downstream = Target(
        name="rpt",
        columns=[_col("order_id", "INTEGER", "fct_order", "order_id", key=True, nullable=False)],
    )
    catalog = planning_catalog(engine.catalog(), Spec(targets=[TARGET, downstream]))
    found = sample_check(
        engine,
        "SELECT fct_order.order_id AS order_id FROM fct_order",
        downstream,
        catalog,
        expected_sql=expected_sql(downstream),
    )
    assert found == []


def test_the_planner_runs_the_sample_after_explain(engine: DuckDBEngine) -> None:
    catalog = planning_catalog(engine.catalog(), Spec(targets=[TARGET]))
    planner = Planner(
        spec=Spec(targets=[TARGET]),
        catalog=catalog,
        lock=Lock(),
        explain=engine.explain,
        sample=sampler(engine, catalog, rows=50),
    )
    assert [f.code for f in planner.validate(GOOD, TARGET) if f.severity == "error"] == []
    wrong = GOOD.replace(
        "customers.name AS customer_name", "upper(customers.name) AS customer_name"
    )
    assert {f.code for f in planner.validate(wrong, TARGET)} == {"MF507"}
    without = Planner(
        spec=Spec(targets=[TARGET]), catalog=catalog, lock=Lock(), explain=engine.explain
    )
    assert without.validate(wrong, TARGET) == []


def test_sample_size_and_budget_come_from_config(tmp_path: Path) -> None:
    (tmp_path / "mapforge.yml").write_text("validate:\n  sample_rows: 50\n")
    config = load_config(tmp_path, env={"MAPFORGE_VALIDATE_TIMEOUT_S": "2.5"})
    assert (config.validation.sample_rows, config.validation.timeout_s) == (50, 2.5)
