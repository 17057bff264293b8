"""The retail example runs unchanged on DuckDB and PostgreSQL and builds the same tables.

The mapping and mapforge.lock are the example's own; PostgreSQL is declared as target `pg`,
planned with `plan --target pg` (compiled targets compile for postgres, the hand-written
DuckDB SQL is transpiled) and run. Tables are compared as multisets of normalized rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from retail_project import normalized_rows, prepare

from mapforge import api
from mapforge.generate.planner import PlanResult
from mapforge.project import Project, open_project


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, pg_cluster: Any) -> tuple[Path, PlanResult]:
    """The example built on DuckDB (from its committed lock) and on Postgres (re-targeted)."""
    directory = prepare(
        tmp_path_factory.mktemp("retail"), pg_url=pg_cluster.url, pg_schema="retail_equal"
    )
    with open_project(directory) as project:
        assert api.run(project).ok
    with open_project(directory) as project:
        planned = api.plan(project, target="pg")
    with open_project(directory) as project:
        result = api.run(project, target="pg")
    assert result.ok, [(r.name, r.message) for r in result.results]
    return directory, planned


def _rows(project: Project, target: str | None, table: str) -> list[tuple[Any, ...]]:
    return normalized_rows(project.engine(target), table)


def test_every_target_has_the_same_rows_on_both_engines(both: tuple[Path, PlanResult]) -> None:
    directory, _ = both
    lock = yaml.safe_load((directory / "mapforge.lock").read_text())
    with open_project(directory) as duck, open_project(directory) as pg:
        for table in sorted(lock["targets"]):
            on_duckdb, on_postgres = _rows(duck, None, table), _rows(pg, "pg", table)
            assert on_duckdb, table
            assert on_duckdb == on_postgres, table


def test_the_comparison_sees_a_difference(both: tuple[Path, PlanResult]) -> None:
    directory, _ = both
    with open_project(directory) as pg, open_project(directory) as duck:
        pg.engine("pg").execute(
            "update fct_customer_ltv set lifetime_value = lifetime_value + 0.01 where customer_id = (select min(customer_id) from fct_customer_ltv)"
        )
        assert _rows(duck, None, "fct_customer_ltv") != _rows(pg, "pg", "fct_customer_ltv")


def test_the_target_lock_records_postgres_and_keeps_origins(both: tuple[Path, PlanResult]) -> None:
    directory, planned = both
    assert planned.ok and (directory / "mapforge.pg.lock").exists()
    actions = {p.name: p.action for p in planned.targets}
    assert actions["dim_country"] == "compiled" and actions["fct_order_line"] == "transpiled"
    entries = yaml.safe_load((directory / "mapforge.pg.lock").read_text())["targets"]
    assert {e["dialect"] for e in entries.values()} == {"postgres"}
    assert entries["dim_customer"]["origin"] == "manual:mapforge-maintainers"
    default = yaml.safe_load((directory / "mapforge.lock").read_text())["targets"]
    assert {e["dialect"] for e in default.values()} == {"duckdb"}  # the default lock is untouched


def test_untranslatable_manual_sql_is_mf601(both: tuple[Path, PlanResult], tmp_path: Path) -> None:
    directory, _ = both
    for name in ("mapforge.yml", "mapforge.lock", "warehouse.duckdb"):
        (tmp_path / name).write_bytes((directory / name).read_bytes())
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "retail.xlsx").write_bytes(
        (directory / "mappings" / "retail.xlsx").read_bytes()
    )
    lock = yaml.safe_load((tmp_path / "mapforge.lock").read_text())
    lock["targets"]["fct_order_line"]["sql"] = (
        "SELECT * FROM order_items PIVOT (sum(quantity) FOR line_no IN (1, 2))\n"
    )
    (tmp_path / "mapforge.lock").write_text(yaml.safe_dump(lock))
    with open_project(tmp_path) as project:
        result = api.plan(project, target="pg", select=["fct_order_line"])
    entry = result.lock.targets["fct_order_line"]
    assert not result.ok and entry.status == "failed" and entry.sql is None
    assert [f["code"] for f in entry.findings] == ["MF601"] and "PIVOT" in entry.findings[0][
        "message"
    ]


def test_stale_target_lock_refuses_to_run(both: tuple[Path, PlanResult], tmp_path: Path) -> None:
    directory, _ = both
    for name in ("mapforge.yml", "mapforge.lock", "warehouse.duckdb"):
        (tmp_path / name).write_bytes((directory / name).read_bytes())
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "retail.xlsx").write_bytes(
        (directory / "mappings" / "retail.xlsx").read_bytes()
    )
    from mapforge.errors import LockError

    with open_project(tmp_path) as project, pytest.raises(LockError, match=r"mapforge\.pg\.lock"):
        api.run(project, target="pg")  # never planned for pg
