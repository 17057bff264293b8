"""Reconciliation and freshness tests, table-level tests from the mapping, and `mapforge test`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from mapforge.cli import app
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.errors import MappingError
from mapforge.mapping.spec import ColumnMapping, Join, Origin, Target
from mapforge.pipeline.tests import target_checks
from mapforge.quality.checks import CheckSpecError, CheckStatus, parse_tests, run_check
from mapforge.quality.context import JoinClause, TableContext

NOW = datetime(2024, 12, 31, 12, 0, 0)
DATA = """
create table orders (id integer, status varchar, placed_at timestamp);
insert into orders values (1, 'open', '2024-12-31 06:00'), (2, 'shipped', '2024-12-30 10:00'),
                          (3, 'cancelled', '2024-12-29 10:00');
create table lines (order_id integer, amount decimal(10, 2));
insert into lines values (1, 10.00), (1, 5.50), (2, 4.50), (3, 100.00);
create table fct (order_id integer, amount decimal(10, 2));
insert into fct values (1, 10.00), (1, 5.50), (2, 4.50);
"""
# fct = lines of orders that are not cancelled: 3 rows, amount 20.00
CTX = TableContext(
    driving_table="lines",
    filter="orders.status <> 'cancelled'",
    joins=(JoinClause("orders", "JOIN orders ON orders.id = lines.order_id"),),
    reference_time=NOW,
)


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as eng:
        eng.execute(DATA)
        yield eng


def _statuses(
    engine: DuckDBEngine, text: str, column: str | None = None, ctx: TableContext = CTX
) -> list[str]:
    return [str(run_check(engine, c).status) for c in parse_tests(text, "fct", column, context=ctx)]


# -- reconcile_rows --------------------------------------------------------------------------


def test_reconcile_rows_applies_the_targets_filter_to_its_driving_table(
    engine: DuckDBEngine,
) -> None:
    assert _statuses(engine, "reconcile_rows(lines)") == ["pass"]
    # without the filter the source has 4 rows: the same test fires
    assert _statuses(engine, "reconcile_rows(lines)", ctx=TableContext(driving_table="lines")) == [
        "fail"
    ]


def test_reconcile_rows_reports_the_figures(engine: DuckDBEngine) -> None:
    result = run_check(
        engine, parse_tests("reconcile_rows(lines, where='')", "fct", None, context=CTX)[0]
    )
    assert (result.status, result.failures) == (CheckStatus.FAIL, 1)
    row = result.sample[0]
    assert (row["source_rows"], row["target_rows"], row["difference"]) == (4, 3, -1)


@pytest.mark.parametrize(
    ("tolerance", "status"), [("0.25", "pass"), ("25%", "pass"), ("0.2", "fail")]
)
def test_reconcile_rows_tolerance_is_a_fraction_of_the_source(
    engine: DuckDBEngine, tolerance: str, status: str
) -> None:
    # unfiltered: 4 source rows, 3 target rows, a 25 % difference
    assert _statuses(engine, f'reconcile_rows(lines, tolerance={tolerance}, where="")') == [status]


def test_reconcile_rows_explicit_where_and_a_source_that_is_not_driving(
    engine: DuckDBEngine,
) -> None:
    # orders is not the driving table: the target's filter does not apply to it
    assert _statuses(engine, "reconcile_rows(orders)") == ["pass"]  # 3 orders, 3 fct rows by chance
    assert _statuses(engine, "reconcile_rows(orders, where=\"status in ('open', 'shipped')\")") == [
        "fail"
    ]


def test_warn_prefix_makes_a_reconciliation_a_warning(engine: DuckDBEngine) -> None:
    assert _statuses(engine, "warn: reconcile_rows(lines, where='')") == ["warn"]


# -- reconcile_sum ---------------------------------------------------------------------------


def test_reconcile_sum_fires_and_passes(engine: DuckDBEngine) -> None:
    assert _statuses(engine, "reconcile_sum(amount, lines.amount)") == ["pass"]
    engine.execute("insert into fct values (2, 0.01)")
    result = run_check(
        engine, parse_tests("reconcile_sum(amount, lines.amount)", "fct", None, context=CTX)[0]
    )
    assert result.status == CheckStatus.FAIL
    assert (str(result.sample[0]["source_sum"]), str(result.sample[0]["target_sum"])) == (
        "20.00",
        "20.01",
    )
    assert _statuses(engine, "reconcile_sum(amount, lines.amount, tolerance=0.001)") == ["pass"]


def test_reconcile_sum_on_the_measures_own_row(engine: DuckDBEngine) -> None:
    (check,) = parse_tests("reconcile_sum(lines.amount, where='')", "fct", "amount", context=CTX)
    assert (check.kind, check.column) == ("reconcile_sum", "amount")
    assert run_check(engine, check).status == CheckStatus.FAIL  # 120.00 unfiltered vs 20.00


# -- freshness -------------------------------------------------------------------------------

FRESHNESS = "freshness(orders.placed_at, warn_after='12 hours', error_after='3 days')"


@pytest.mark.parametrize(
    ("newest", "statuses"),
    [
        ("2024-12-31 06:00", ["pass", "pass"]),  # 6 hours old
        ("2024-12-30 10:00", ["warn", "pass"]),  # 26 hours: past warn_after only
        ("2024-12-20 10:00", ["pass", "fail"]),  # 11 days: past error_after
    ],
)
def test_freshness_warns_then_errors(
    engine: DuckDBEngine, newest: str, statuses: list[str]
) -> None:
    engine.execute(f"delete from orders where placed_at > '{newest}'")
    engine.execute(f"insert into orders values (9, 'open', '{newest}')")
    assert _statuses(engine, FRESHNESS) == statuses


def test_freshness_of_an_empty_table_is_an_error(engine: DuckDBEngine) -> None:
    engine.execute("delete from orders")
    assert _statuses(engine, FRESHNESS) == ["pass", "fail"]


def test_freshness_on_a_column_row_and_reference_time(engine: DuckDBEngine) -> None:
    engine.execute("create table events as select timestamp '2024-12-31 11:00' as loaded_at")
    (check,) = parse_tests("freshness(error_after='1 hour')", "events", "loaded_at", context=CTX)
    assert (check.name, check.severity) == ("freshness_events_loaded_at", "error")
    assert run_check(engine, check).status == CheckStatus.PASS
    later = TableContext(reference_time=datetime(2025, 1, 1))
    (late,) = parse_tests("freshness(error_after='1 hour')", "events", "loaded_at", context=later)
    assert run_check(engine, late).sample[0]["reference_time"] == datetime(2025, 1, 1)


# -- grammar errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("reconcile_rows()", "one source table"),
        ("reconcile_rows(a, tolerence=0.1)", "no option 'tolerence'"),
        ("reconcile_rows(a, tolerance=lots)", "not a fraction"),
        ("reconcile_rows(a, where='status <>')", "not a valid SQL condition"),
        ("reconcile_sum(amount)", "source table.column"),
        ("freshness(loaded_at)", "warn_after or error_after"),
        ("freshness(loaded_at, warn_after='soon')", "cannot read the interval"),
    ],
)
def test_malformed_table_tests_are_explained(text: str, needle: str) -> None:
    with pytest.raises(CheckSpecError, match=needle):
        parse_tests(text, "t", None)


# -- target_checks: from the mapping --------------------------------------------------------


def _target(tests: list[str]) -> Target:
    origin = Origin(file="m.xlsx", sheet="Mapping", row=4)
    return Target(
        name="fct",
        columns=[
            ColumnMapping(
                name="amount",
                type="DECIMAL",
                source_table="lines",
                source_column="amount",
                origin=origin,
            )
        ],
        joins=[
            Join(
                table="orders",
                on="orders.id = lines.order_id",
                text="JOIN orders ON orders.id = lines.order_id",
            )
        ],
        filter="orders.status <> 'cancelled'",
        tests=tests,
        origin=origin,
    )


def test_target_checks_pass_the_mapping_to_table_tests(engine: DuckDBEngine) -> None:
    checks = target_checks(_target(["reconcile_rows(lines)", FRESHNESS]), reference_time=NOW)
    assert [c.kind for c in checks] == ["reconcile_rows", "freshness", "freshness"]
    assert [str(run_check(engine, c).status) for c in checks] == ["pass", "pass", "pass"]


def test_a_bad_test_cell_points_at_its_row() -> None:
    with pytest.raises(MappingError) as info:
        target_checks(_target(["reconcile_rows()"]))
    assert (info.value.file, info.value.row, info.value.column) == ("m.xlsx", 4, "tests")
    assert "one source table" in info.value.message


# -- mapforge test ---------------------------------------------------------------------------

MAPPING = """
targets:
  - name: fct
    joins: ["JOIN orders ON orders.id = lines.order_id"]
    filter: "orders.status <> 'cancelled'"
    tests: ["reconcile_rows(lines)", "warn: reconcile_sum(amount, lines.amount, where='')"]
    columns:
      - {name: order_id, type: INTEGER, source_table: lines, source_column: order_id,
         tests: [not_null]}
      - {name: amount, type: "DECIMAL(10,2)", source_table: lines, source_column: amount}
  - name: other
    columns:
      - {name: id, type: INTEGER, key: true, source_table: orders, source_column: id}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "m.yaml").write_text(MAPPING)
    (tmp_path / "mapforge.yml").write_text(
        "mappings: [mappings/*.yaml]\nengine: {type: duckdb, path: w.duckdb}\n"
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute(DATA)
    return tmp_path


def _test(project: Path, *args: str) -> tuple[int, dict[str, dict[str, object]]]:
    result = CliRunner().invoke(app, ["test", "-p", str(project), "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data = json.loads(result.stdout)
    return result.exit_code, {r["name"]: r for r in data["results"]}


def test_mapforge_test_warns_without_failing(project: Path) -> None:
    code, results = _test(project, "--select", "fct")
    assert code == 0 and set(results) == {"fct"}
    tests = {t["name"]: t for t in results["fct"]["tests"]}  # type: ignore[attr-defined]
    assert tests["reconcile_rows_fct__lines"]["status"] == "pass"
    warned = tests["reconcile_sum_fct_amount__lines_amount"]
    assert (warned["status"], warned["severity"], warned["failures"]) == ("warn", "warn", 1)
    assert set(warned) == {
        "name",
        "kind",
        "column",
        "severity",
        "status",
        "failures",
        "message",
        "sample",
    }
    assert results["fct"]["status"] == "warn"
    assert (project / ".mapforge" / "test_results.json").exists()


def test_mapforge_test_exits_1_on_an_error_test(project: Path) -> None:
    with duckdb.connect(str(project / "w.duckdb")) as con:
        con.execute("insert into fct values (null, 1.00)")
    code, results = _test(project, "--select", "fct")
    assert code == 1
    assert results["fct"]["status"] == "fail"
    assert "not_null_fct_order_id" in str(results["fct"]["message"])


def test_mapforge_test_builds_nothing_and_reports_a_missing_table(project: Path) -> None:
    code, results = _test(project)
    assert code == 1
    assert results["other"]["status"] == "error" and "not built" in str(results["other"]["message"])
    with duckdb.connect(str(project / "w.duckdb")) as con:
        assert con.execute(
            "select count(*) from information_schema.tables where table_name = 'other'"
        ).fetchone() == (0,)


def test_mapforge_test_table_output(project: Path) -> None:
    result = CliRunner().invoke(app, ["test", "-p", str(project), "-s", "fct"])
    assert result.exit_code == 0
    assert "2 pass, 1 warn, 0 fail, 0 error of 3 tests" in result.stdout
