"""Sample runs on PostgreSQL and Spark: the same checks as tests/test_dynamic.py (DuckDB).

The sources, the target and the SQL are those of test_dynamic; each engine loads the sources
in its own SQL. Checks run with the mapping's own query (`expected_sql` for the engine's
dialect), so the grain and value comparisons run too, not only the output checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from test_dynamic import GOOD, TARGET

from mapforge.catalog.compose import planning_catalog
from mapforge.generate.expected import expected_sql
from mapforge.mapping.spec import Join, JoinKind, Spec, Target
from mapforge.validate.dynamic import can_sample, sample_check
from mapforge.validate.findings import Finding

PG_SOURCES = """
create table customers (id integer primary key, name varchar, is_test boolean);
create table orders (order_id integer primary key, customer_id integer references customers,
                     amount decimal(10, 2), code varchar);
insert into customers select i, 'c' || i, i % 10 = 0 from generate_series(1, 100) t(i);
insert into orders select i, 1 + i % 100, i * 1.5, case when i = 7 then 'x' else i::varchar end
  from generate_series(1, 400) t(i);
"""
SPARK_SOURCES = """
create table customers (id int, name string, is_test boolean) using parquet;
create table orders (order_id int, customer_id int, amount decimal(10, 2), code string)
  using parquet;
insert into customers select id, concat('c', id), id % 10 = 0 from range(1, 101);
insert into orders select id, 1 + id % 100, id * 1.5,
  case when id = 7 then 'x' else cast(id as string) end from range(1, 401);
"""
# a join that never ends on the sample: every output row meets a huge generated series
RUNAWAY = {
    "postgres": "CROSS JOIN generate_series(1, 100000000000) AS r(n) WHERE r.n < 0 AND",
    "spark": "CROSS JOIN range(100000000000) AS r WHERE r.id < 0 AND",
}
_DATABASES = itertools.count()


@pytest.fixture
def spark_engine(spark_session: Any) -> Iterator[Any]:
    from mapforge.engines.spark import SparkEngine

    engine = SparkEngine(session=spark_session, schema=f"dyn{next(_DATABASES)}")
    engine.execute(SPARK_SOURCES)
    try:
        yield engine
    finally:
        spark_session.catalog.setCurrentDatabase("default")
        spark_session.sql(f"drop database {engine.schema} cascade")
        engine.close()


@pytest.fixture(params=["postgres", "spark"])
def engine(request: pytest.FixtureRequest) -> Any:
    if request.param == "postgres":
        pg = request.getfixturevalue("pg_engine")
        pg.execute(PG_SOURCES)
        return pg
    return request.getfixturevalue("spark_engine")


def _findings(engine: Any, sql: str, target: Target = TARGET, **kw: float) -> list[Finding]:
    catalog = planning_catalog(engine.catalog(), Spec(targets=[target]))
    return sample_check(
        engine,
        sql,
        target,
        catalog,
        expected_sql=expected_sql(target, engine.dialect),
        rows_per_source=50,
        **kw,  # type: ignore[arg-type]
    )


def _errors(engine: Any, sql: str, **kw: float) -> set[str]:
    return {f.code for f in _findings(engine, sql, **kw) if f.severity == "error"}


def _leftovers(engine: Any) -> list[str]:
    """Temp objects of the engine's session: sandbox shadows, staged outputs, cached data."""
    if engine.dialect == "postgres":
        rows = engine.query(
            "select c.relname from pg_class c where c.relnamespace = pg_my_temp_schema()"
        ).rows
        return sorted(r[0] for r in rows)
    session = engine.session
    views = [t.name for t in session.catalog.listTables() if t.isTemporary]
    cached = session._jsparkSession.sharedState().cacheManager().isEmpty()  # noqa: SLF001
    return sorted(views) + ([] if cached else ["<cached data>"])


def test_both_engines_can_sample(engine: Any) -> None:
    assert can_sample(engine)


def test_a_correct_statement_runs_every_check_without_a_finding(engine: Any) -> None:
    # no MF510 info either: the sample run happened, and the grain and values were compared
    assert _findings(engine, GOOD) == []


def test_a_join_without_its_condition_fans_out(engine: Any) -> None:
    codes = _errors(engine, GOOD.replace("ON customers.id = orders.customer_id", "ON true"))
    assert {"MF502", "MF506"} <= codes


def test_a_failing_cast_is_mf505(engine: Any) -> None:
    sql = GOOD.replace("orders.amount AS amount", "CAST(orders.code AS DECIMAL(10, 2)) AS amount")
    found = _findings(engine, sql)
    assert [f.code for f in found] == ["MF505"]
    assert "[sql: " not in found[0].message  # the engine's echo of our statement is dropped


def test_a_value_off_its_rule_a_null_key_and_a_wrong_type(engine: Any) -> None:
    upper = GOOD.replace(
        "customers.name AS customer_name", "upper(customers.name) AS customer_name"
    )
    assert _errors(engine, upper) == {"MF507"}
    null_key = GOOD.replace(
        "orders.order_id AS order_id",
        "CASE WHEN orders.order_id = 3 THEN NULL ELSE orders.order_id END AS order_id",
    )
    assert "MF503" in _errors(engine, null_key)
    as_text = GOOD.replace("orders.amount AS amount", "orders.code AS amount")
    assert _errors(engine, as_text) == {"MF511"}


def test_the_sandbox_leaves_nothing_behind(engine: Any) -> None:
    before = _leftovers(engine)
    _findings(engine, GOOD)
    _findings(
        engine,
        GOOD.replace("orders.amount AS amount", "CAST(orders.code AS DECIMAL(10, 2)) AS amount"),
    )
    assert _leftovers(engine) == before == []
    assert engine.row_count("orders") == 400 and engine.row_count("customers") == 100
    assert not engine.table_exists("__mapforge_sample_out")


def test_a_runaway_statement_is_interrupted(engine: Any) -> None:
    sql = GOOD.replace("WHERE", RUNAWAY[engine.dialect])
    assert _errors(engine, sql, timeout_s=1.0) == {"MF509"}
    assert engine.query("select 1").rows == [(1,)]  # the connection is usable afterwards
    assert _leftovers(engine) == []


def test_a_mixed_case_join_alias_samples_on_every_engine(engine: Any) -> None:
    # Postgres folds the unquoted `Cu` of the join condition to `cu`: the sample must agree
    target = TARGET.model_copy(
        update={
            "joins": [
                Join(
                    kind=JoinKind.INNER,
                    table="customers",
                    alias="Cu",
                    on="Cu.id = orders.customer_id",
                )
            ],
            "filter": "Cu.is_test = false",
        }
    )
    sql = GOOD.replace("customers.", "Cu.").replace("JOIN customers ON", "JOIN customers AS Cu ON")
    assert _findings(engine, sql, target) == []
