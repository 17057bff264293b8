"""The retail example re-targeted to Spark with `plan --target spark` and `run --target spark`.

The project declares `targets.spark` in mapforge.yml; the example's sources are registered as
parquet-backed tables of that database (tests/spark_load.py). The API then plans for Spark
(compiled targets compile for Spark, the hand-written DuckDB SQL is transpiled and validated
again on Spark) and runs the lock; every table must hold the same rows as the DuckDB run.

The engine is the one mapforge.yml describes, except that it runs on the test session's
SparkSession (the `spark_session` fixture: one JVM per test run) instead of opening its own,
which it would stop on close. The catalog is therefore the session's in-memory one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from retail_project import SOURCES, normalized_rows, prepare
from spark_load import copy_tables, declare_target, spark_target

from mapforge import api
from mapforge.config import load_config
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.generate.planner import PlanResult
from mapforge.project import Project, open_project

SCHEMA = "retail_retarget"


def _on_session(directory: Path, session: Any) -> Project:
    """The project, its `spark` target open on the shared session (close() leaves it running).

    Use it for the spark target only: asking it for another target closes this engine, and
    asking again for spark would open one that stops the shared session on close.
    """
    from mapforge.engines.spark import SparkEngine

    config = load_config(directory.resolve())
    schema = config.engine_for("spark").db_schema or "default"
    engine = SparkEngine(session=session, schema=schema)
    return Project(dir=directory.resolve(), config=config, _engine=engine, _engine_target="spark")


@pytest.fixture(scope="module")
def retail(
    tmp_path_factory: pytest.TempPathFactory, spark_session: Any
) -> Iterator[tuple[Path, PlanResult]]:
    """The example built on DuckDB (its committed lock) and on Spark (re-targeted)."""
    directory = prepare(tmp_path_factory.mktemp("retail-spark"))
    declare_target(directory / "mapforge.yml", "spark", spark_target(directory, SCHEMA, hive=False))
    with open_project(directory) as project:
        assert api.run(project).ok  # the default engine: DuckDB
    with _on_session(directory, spark_session) as project:
        spark = project.engine("spark")
        copy_tables(directory / "warehouse.duckdb", spark, SOURCES, directory / "spark-sources")
    with _on_session(directory, spark_session) as project:
        planned = api.plan(project, target="spark")
    assert planned.ok, _findings(planned)  # nothing would run: say why here
    with _on_session(directory, spark_session) as project:
        result = api.run(project, target="spark")
    assert result.ok, [(r.name, r.message) for r in result.results]
    yield directory, planned
    spark_session.catalog.setCurrentDatabase("default")
    spark_session.sql(f"drop database if exists {SCHEMA} cascade")


def _targets(directory: Path, lock: str = "mapforge.lock") -> dict[str, Any]:
    return dict(yaml.safe_load((directory / lock).read_text())["targets"])


def _findings(planned: PlanResult) -> dict[str, list[str]]:
    return {
        name: [f"{f['code']} {f['message']}" for f in entry.findings]
        for name, entry in sorted(planned.lock.targets.items())
        if entry.findings
    }


def test_plan_for_spark_has_no_findings(retail: tuple[Path, PlanResult]) -> None:
    _, planned = retail
    assert planned.ok and not _findings(planned), _findings(planned)
    actions = {p.name: p.action for p in planned.targets}
    assert actions == {
        "dim_country": "compiled",
        "dim_customer": "transpiled",
        "dim_product": "compiled",
        "fct_customer_ltv": "transpiled",
        "fct_order_line": "transpiled",
        "rpt_revenue_by_country": "compiled",
    }


def test_the_spark_lock_records_spark_and_keeps_origins(retail: tuple[Path, PlanResult]) -> None:
    directory, _ = retail
    entries = _targets(directory, "mapforge.spark.lock")
    assert {e["dialect"] for e in entries.values()} == {"spark"}
    assert entries["fct_order_line"]["origin"] == "manual:mapforge-maintainers"
    assert {e["dialect"] for e in _targets(directory).values()} == {"duckdb"}


def test_every_target_has_the_same_rows_on_spark_and_duckdb(
    retail: tuple[Path, PlanResult], spark_session: Any
) -> None:
    directory, _ = retail
    with open_project(directory) as duck, _on_session(directory, spark_session) as spark:
        for table in sorted(_targets(directory)):
            on_duckdb = normalized_rows(duck.engine(None), table)
            on_spark = normalized_rows(spark.engine("spark"), table)
            assert on_duckdb, table
            assert on_spark == on_duckdb, table


def test_the_comparison_sees_a_changed_value(
    retail: tuple[Path, PlanResult], spark_session: Any, tmp_path: Path
) -> None:
    directory, _ = retail
    copy = tmp_path / "changed.duckdb"
    shutil.copy(directory / "warehouse.duckdb", copy)
    with DuckDBEngine(copy) as duck:
        duck.execute(
            "update fct_customer_ltv set lifetime_value = lifetime_value + 0.01 "
            "where customer_id = (select min(customer_id) from fct_customer_ltv)"
        )
        changed = normalized_rows(duck, "fct_customer_ltv")
    with _on_session(directory, spark_session) as project:
        assert normalized_rows(project.engine("spark"), "fct_customer_ltv") != changed
